// Upload: files and folders dropped or chosen, each sent as the raw body of POST /api/images
// (a few at a time) with its own progress bar; refused files keep the node's reason.
import { useRef, useState } from 'preact/hooks';
import { Page, Progress } from '../ui';

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

function send(item: Item, onProgress: (sent: number) => void): Promise<{ state: State; message?: string }> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/images');
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

  const update = () => setItems([...list.current]);
  const pump = () => {
    while (running.current < parallel) {
      const next = list.current.find((i) => i.state === 'waiting');
      if (!next) return;
      next.state = 'sending';
      running.current++;
      send(next, (sent) => {
        next.sent = sent;
        update();
      }).then((r) => {
        next.state = r.state;
        next.message = r.message;
        next.sent = next.file.size;
        running.current--;
        update();
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
    </Page>
  );
}
