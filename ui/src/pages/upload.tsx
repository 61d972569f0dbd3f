// Upload: files and folders dropped or chosen, each sent as the raw body of POST /api/images
// (a few at a time) with its own progress bar; refused files keep the node's reason. Uploads
// may go into an import session instead (POST /api/import/sessions/{id}/images).
import { useRef, useState } from 'preact/hooks';
import { get, post } from '../api';
import { ErrorBox, Page, Progress, useAction, useData, when } from '../ui';

interface ImportSession {
  id: number;
  name: string;
  user: string;
  filesImported: number;
  filesAdded: number;
  filesRejected: number;
  created: number;
  lastUpdated: number;
}

type State = 'waiting' | 'sending' | 'added' | 'replaced' | 'refused';
interface Item {
  file: File;
  name: string;
  state: State;
  sent: number;
  message?: string;
}

const parallel = 3;

/** Every file under a dropped entry (folders recursively). */
async function filesOf(entry: FileSystemEntry, prefix = ''): Promise<{ file: File; name: string }[]> {
  if (entry.isFile) {
    const file = await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail));
    return [{ file, name: prefix + file.name }];
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const out: { file: File; name: string }[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
    if (!batch.length) break;
    for (const e of batch) out.push(...(await filesOf(e, prefix + entry.name + '/')));
  }
  return out;
}

function send(item: Item, target: string, onProgress: (sent: number) => void): Promise<{ state: State; message?: string }> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', target);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      if (xhr.status === 201) resolve({ state: 'added' });
      else if (xhr.status === 200) resolve({ state: 'replaced', message: 'already stored: replaced' });
      else resolve({ state: 'refused', message: `${xhr.responseText.trim()} (${xhr.status})` });
    };
    xhr.onerror = () => resolve({ state: 'refused', message: 'The node cannot be reached' });
    xhr.send(item.file);
  });
}

export function Upload() {
  const [items, setItems] = useState<Item[]>([]);
  const [over, setOver] = useState(false);
  const list = useRef<Item[]>([]);
  const running = useRef(0);
  const input = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);

  const sessions = useData(() => get<ImportSession[]>('/import/sessions?count=1000'), []);
  const [session, setSession] = useState('');
  const [sessionName, setSessionName] = useState('');
  const action = useAction();
  const target = useRef('/api/images');
  target.current = session ? `/api/import/sessions/${session}/images` : '/api/images';
  const update = () => setItems([...list.current]);
  const pump = () => {
    while (running.current < parallel) {
      const next = list.current.find((i) => i.state === 'waiting');
      if (!next) return;
      next.state = 'sending';
      running.current++;
      send(next, target.current, (sent) => {
        next.sent = sent;
        update();
      }).then((r) => {
        next.state = r.state;
        next.message = r.message;
        next.sent = next.file.size;
        running.current--;
        update();
        if (running.current === 0 && target.current !== '/api/images') sessions.reload();
        pump();
      });
    }
    update();
  };
  const add = (files: { file: File; name: string }[]) => {
    list.current.push(...files.map((f) => ({ ...f, state: 'waiting' as State, sent: 0 })));
    pump();
  };
  const drop = async (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const entries = [...(e.dataTransfer?.items ?? [])]
      .map((i) => i.webkitGetAsEntry?.())
      .filter((x): x is FileSystemEntry => !!x);
    if (entries.length) {
      const all: { file: File; name: string }[] = [];
      for (const entry of entries) all.push(...(await filesOf(entry)));
      add(all);
    } else add([...(e.dataTransfer?.files ?? [])].map((file) => ({ file, name: file.name })));
  };
  const chosen = (e: Event) => {
    const files = (e.currentTarget as HTMLInputElement).files;
    add([...(files ?? [])].map((file) => ({ file, name: file.webkitRelativePath || file.name })));
    (e.currentTarget as HTMLInputElement).value = '';
  };

  const total = items.reduce((n, i) => n + i.file.size, 0);
  const sent = items.reduce((n, i) => n + Math.min(i.sent, i.file.size), 0);
  const done = items.filter((i) => i.state !== 'waiting' && i.state !== 'sending').length;
  const refused = items.filter((i) => i.state === 'refused');
  return (
    <Page
      title="Upload"
      actions={
        items.length > 0 && (
          <button
            onClick={() => {
              list.current = list.current.filter((i) => i.state === 'waiting' || i.state === 'sending');
              update();
            }}
          >
            Clear finished
          </button>
        )
      }
    >
      <div class="toolbar">
        <label>
          Upload into
          <select value={session} onChange={(e) => setSession(e.currentTarget.value)} aria-label="Import session">
            <option value="">no import session</option>
            {(sessions.data ?? []).map((s) => (
              <option value={String(s.id)}>session {s.name}</option>
            ))}
          </select>
        </label>
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            action.run(async () => {
              const created = await post<ImportSession>('/import/sessions', {
                id: -1,
                name: sessionName,
                userId: -1,
                user: '',
                filesImported: 0,
                filesAdded: 0,
                filesRejected: 0,
                created: 0,
                lastUpdated: 0,
              });
              setSessionName('');
              sessions.reload();
              setSession(String(created.id));
            });
          }}
        >
          <input placeholder="New import session" value={sessionName} onInput={(e) => setSessionName(e.currentTarget.value)} />
          <button disabled={!sessionName || action.busy}>Create</button>
        </form>
      </div>
      <ErrorBox error={sessions.error || action.error} />
      <div
        class={'dropzone' + (over ? ' over' : '')}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
      >
        <p>Drop DICOM files or folders here</p>
        <p>
          <button onClick={() => input.current?.click()}>Choose files…</button>{' '}
          <button onClick={() => folderInput.current?.click()}>Choose a folder…</button>
        </p>
        <input ref={input} type="file" multiple hidden onChange={chosen} data-testid="files" />
        <input
          ref={folderInput}
          type="file"
          hidden
          onChange={chosen}
          {...({ webkitdirectory: '' } as Record<string, string>)}
        />
      </div>
      {items.length > 0 && (
        <>
          <div class="overall">
            <strong>
              {done} of {items.length} files done
            </strong>
            {refused.length > 0 && <span class="bad"> · {refused.length} refused</span>}
            <Progress value={Math.round(sent / 1024)} max={Math.round(total / 1024)} />
          </div>
          {refused.length > 0 && (
            <div class="refused">
              <h2>Refused</h2>
              <ul>
                {refused.map((i) => (
                  <li>
                    <strong>{i.name}</strong>: {i.message}
                  </li>
                ))}
              </ul>
            </div>
          )}
          <table class="grid compact uploads">
            <thead>
              <tr>
                <th>File</th>
                <th>Size</th>
                <th>Progress</th>
                <th>Result</th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <tr class={i.state}>
                  <td>{i.name}</td>
                  <td>{(i.file.size / 1024).toFixed(0)} KB</td>
                  <td>
                    <Progress value={Math.round(i.sent / 1024)} max={Math.max(1, Math.round(i.file.size / 1024))} failed={i.state === 'refused'} />
                  </td>
                  <td class="state">{i.state === 'refused' ? i.message : i.state}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {(sessions.data ?? []).length > 0 && (
        <div class="panel">
          <h2>Import sessions</h2>
          <table class="grid compact">
            <thead>
              <tr>
                <th>Name</th>
                <th>User</th>
                <th>Imported</th>
                <th>Added</th>
                <th>Rejected</th>
                <th>Created</th>
                <th>Last update</th>
              </tr>
            </thead>
            <tbody>
              {(sessions.data ?? []).map((s) => (
                <tr>
                  <td>{s.name}</td>
                  <td>{s.user}</td>
                  <td>{s.filesImported}</td>
                  <td>{s.filesAdded}</td>
                  <td>{s.filesRejected}</td>
                  <td>{when(s.created)}</td>
                  <td>{when(s.lastUpdated)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}
