// Boxes (GET /api/boxes, createconnection, connect) and their transactions with live progress
// (GET /api/boxes/outgoing and /incoming, polled every two seconds).
import { useContext, useState } from 'preact/hooks';
import {
  get,
  isAdmin,
  post,
  query,
  type Box,
  type IncomingTransaction,
  type OutgoingTransaction,
  type Profile,
} from '../api';
import { UserContext } from '../app';
import { ProfileOptions, profileOf, SendSelectionButton } from '../send';
import { EmptyRow, ErrorBox, Link, RemoveButton, Page, Pager, Progress, useAction, useData, useInterval, when, type Paging } from '../ui';

export function Boxes() {
  const user = useContext(UserContext);
  const admin = isAdmin(user);
  const boxes = useData(() => get<Box[]>('/boxes?count=1000'), []);
  const [name, setName] = useState('');
  const [remoteName, setRemoteName] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [created, setCreated] = useState<Box | null>(null);
  // The profile a box's forwarding uses and its sends start from.
  const [profile, setProfile] = useState<Set<string>>(new Set());
  const action = useAction();
  useInterval(boxes.reload, 5000);

  const create = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      setCreated(await post<Box>('/boxes/createconnection', { name, defaultProfile: profileOf(profile) }));
      setName('');
      boxes.reload();
    });
  };
  const connect = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      await post<Box>('/boxes/connect', {
        name: remoteName,
        baseUrl,
        defaultProfile: profileOf(profile),
      });
      setRemoteName('');
      setBaseUrl('');
      boxes.reload();
    });
  };
  return (
    <Page title="Boxes" actions={<Link href="/transactions" class="button">Transactions ›</Link>}>
      <ErrorBox error={boxes.error || action.error} />
      <table class="grid">
        <thead>
          <tr>
            <th>Name</th>
            <th>Method</th>
            <th>Status</th>
            <th>Base URL</th>
            <th>Profile</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(boxes.data ?? []).map((b) => (
            <tr>
              <td>{b.name}</td>
              <td>{b.sendMethod}</td>
              <td>
                <span class={'badge ' + (b.online ? 'ok' : 'off')}>{b.online ? 'online' : 'offline'}</span>
              </td>
              <td class="uid">
                {b.sendMethod === 'POLL' && b.baseUrl}
              </td>
              <td>{profileText(b.defaultProfile)}</td>
              <td>
                <SendSelectionButton destination={{ kind: 'box', id: b.id }} />{' '}
                {admin && (
                  <RemoveButton
                    class="danger small"
                    action={action}
                    confirm={`Remove the box ${b.name}?`}
                    path={`/boxes/${b.id}`}
                    reload={boxes.reload}
                  />
                )}
              </td>
            </tr>
          ))}
          <EmptyRow show={!boxes.loading && (boxes.data ?? []).length === 0} columns={6} text="No boxes yet" />
        </tbody>
      </table>
      {admin && (
        <div class="card">
          <h2>Anonymization profile of a new box</h2>
          <p class="hint">Used when images are forwarded to the box, and preselected when a selection is sent to it.</p>
          <ProfileOptions chosen={profile} onChange={setProfile} />
        </div>
      )}
      {admin && (
        <div class="forms">
          <form onSubmit={create} class="card">
            <h2>Let another site connect</h2>
            <p class="hint">Creates a connection and gives you the URL (with its secret token) to hand to the other site.</p>
            <label>
              Name of the other site
              <input name="box-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
            </label>
            <button class="primary" disabled={!name || action.busy}>
              Create connection
            </button>
            {created && (
              <div class="created">
                <p>Give this URL to {created.name}'s administrator:</p>
                <code class="copy" data-testid="base-url">
                  {created.baseUrl}
                </code>
                <button type="button" onClick={() => navigator.clipboard?.writeText(created.baseUrl)}>
                  Copy
                </button>
              </div>
            )}
          </form>
          <form onSubmit={connect} class="card">
            <h2>Connect to another site</h2>
            <p class="hint">Paste the URL the other site's administrator gave you.</p>
            <label>
              Name
              <input name="remote-name" value={remoteName} onInput={(e) => setRemoteName(e.currentTarget.value)} />
            </label>
            <label>
              Base URL
              <input name="base-url" value={baseUrl} onInput={(e) => setBaseUrl(e.currentTarget.value)} />
            </label>
            <button class="primary" disabled={!remoteName || !baseUrl || action.busy}>
              Connect
            </button>
          </form>
        </div>
      )}
    </Page>
  );
}

/** The options of a profile by title-like name, e.g. "basic, retain device identity". */
function profileText(p: Profile | undefined) {
  return (p?.options ?? []).map((o) => o.name.replace(/_PROFILE$/, '').replace(/_/g, ' ').toLowerCase()).join(', ');
}

function statusClass(status: string) {
  if (status === 'FINISHED') return 'ok';
  if (status === 'FAILED') return 'bad';
  return 'busy';
}

function TransactionTable<T extends OutgoingTransaction | IncomingTransaction>(props: {
  title: string;
  path: string;
  done: (t: T) => number;
  profile?: boolean;
}) {
  const [paging, setPaging] = useState<Paging>({ start: 0, count: 20 });
  const list = useData(
    () => get<T[]>(props.path + query({ startindex: paging.start, count: paging.count })),
    [paging.start, paging.count],
  );
  const action = useAction();
  useInterval(list.reload, 2000);
  return (
    <div class="panel" data-testid={props.title.toLowerCase()}>
      <h2>{props.title}</h2>
      <ErrorBox error={list.error || action.error} />
      <table class="grid">
        <thead>
          <tr>
            <th>Box</th>
            <th>Status</th>
            <th>Progress</th>
            {props.profile && <th>Profile</th>}
            <th>Created</th>
            <th>Updated</th>
            <th>Last error</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(list.data ?? []).map((t) => (
            <tr>
              <td>{t.boxName}</td>
              <td>
                <span class={'badge ' + statusClass(t.status)}>{t.status}</span>
              </td>
              <td>
                <Progress value={props.done(t)} max={t.totalImageCount} failed={t.status === 'FAILED'} />
              </td>
              {props.profile && <td class="profile">{profileText((t as OutgoingTransaction).profile)}</td>}
              <td>{when(t.created)}</td>
              <td>{when(t.updated)}</td>
              <td class="bad">{t.lastError}</td>
              <td>
                <RemoveButton action={action} path={`${props.path}/${t.id}`} reload={list.reload} />
              </td>
            </tr>
          ))}
          <EmptyRow show={!list.loading && (list.data ?? []).length === 0} columns={8} text="None" />
        </tbody>
      </table>
      <Pager paging={paging} shown={(list.data ?? []).length} onChange={setPaging} />
    </div>
  );
}

export function Transactions() {
  return (
    <Page title="Transactions">
      <TransactionTable<OutgoingTransaction>
        title="Outgoing"
        path="/boxes/outgoing"
        done={(t) => t.sentImageCount}
        profile
      />
      <TransactionTable<IncomingTransaction>
        title="Incoming"
        path="/boxes/incoming"
        done={(t) => t.receivedImageCount}
      />
    </Page>
  );
}
