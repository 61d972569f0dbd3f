// System: GET /api/system/health, /information and /status (database, storage used, images
// ingested since the start and the ingest rate between two checks), and the sources,
// destinations and boxes counted through the public listings.
import { useContext, useEffect, useState } from 'preact/hooks';
import { get, isAdmin, post } from '../api';
import { UserContext } from '../app';
import { ErrorBox, Page, useAction, useData, useInterval, when } from '../ui';

interface Status {
  version: string;
  database: string;
  started: number;
  storage: { images: number; bytes: number };
  ingested: { sourceType: string; images: number; bytes: number; failed: number }[];
}

export const bytesText = (n: number) => {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + ' ' + units[i];
};

const ingestedImages = (s: Status) => s.ingested.reduce((sum, i) => sum + i.images, 0);

export function System() {
  const user = useContext(UserContext);
  const [checked, setChecked] = useState<{ at: number; ms: number; ok: boolean; text: string } | null>(null);
  const [status, setStatus] = useState<{ now: Status; at: number; rate: number | null } | null>(null);
  const info = useData(() => get<{ version: string }>('/system/information'), []);
  const counts = useData(async () => {
    const [sources, destinations, boxes] = await Promise.all([
      get<unknown[]>('/sources'),
      get<unknown[]>('/destinations'),
      get<unknown[]>('/boxes?count=1000'),
    ]);
    return { sources: sources.length, destinations: destinations.length, boxes: boxes.length };
  }, []);
  const action = useAction();
  const check = async () => {
    const begun = performance.now();
    try {
      const text = await get<string>('/system/health');
      setChecked({ at: Date.now(), ms: performance.now() - begun, ok: true, text: String(text) });
    } catch (e) {
      setChecked({ at: Date.now(), ms: performance.now() - begun, ok: false, text: String(e) });
    }
    try {
      const now = await get<Status>('/system/status');
      const at = Date.now();
      setStatus((last) => ({
        now,
        at,
        rate: last ? ((ingestedImages(now) - ingestedImages(last.now)) * 1000) / Math.max(1, at - last.at) : null,
      }));
    } catch {
      // the health badge already says the node is unreachable
    }
  };
  useInterval(check, 5000);
  useEffect(() => {
    check();
  }, []);
  return (
    <Page title="System">
      <ErrorBox error={info.error || counts.error || action.error} />
      <dl class="facts wide">
        <dt>Health</dt>
        <dd>
          {checked && (
            <span class={'badge ' + (checked.ok ? 'ok' : 'bad')} data-testid="health">
              {checked.ok ? checked.text : 'unreachable'}
            </span>
          )}{' '}
          {checked && <small>answered in {checked.ms.toFixed(1)} ms, checked every 5 s</small>}
        </dd>
        <dt>Version</dt>
        <dd>{info.data?.version}</dd>
        <dt>Database</dt>
        <dd data-testid="database">{status?.now.database}</dd>
        <dt>Running since</dt>
        <dd>{status && when(status.now.started)}</dd>
        <dt>Images stored</dt>
        <dd data-testid="stored-images">{status?.now.storage.images}</dd>
        <dt>Storage used</dt>
        <dd data-testid="stored-bytes">{status && bytesText(status.now.storage.bytes)}</dd>
        <dt>Ingested since start</dt>
        <dd data-testid="ingested">
          {status &&
            (status.now.ingested.length === 0
              ? 'nothing yet'
              : status.now.ingested
                  .map((i) => `${i.sourceType}: ${i.images} images (${bytesText(i.bytes)}), ${i.failed} refused`)
                  .join('; '))}
        </dd>
        <dt>Ingest rate</dt>
        <dd data-testid="ingest-rate">
          {status?.rate == null ? 'measuring…' : `${status.rate.toFixed(1)} images/s over the last check`}
        </dd>
        <dt>Sources</dt>
        <dd>{counts.data?.sources}</dd>
        <dt>Destinations</dt>
        <dd>{counts.data?.destinations}</dd>
        <dt>Boxes</dt>
        <dd>{counts.data?.boxes}</dd>
        <dt>Signed in as</dt>
        <dd>
          {user?.user} ({user?.role})
        </dd>
      </dl>
      {isAdmin(user) && (
        <div class="card">
          <h2>Stop the node</h2>
          <p class="hint">Stops the node gracefully (POST /api/system/stop); it must be started again by its service manager.</p>
          <button
            class="danger"
            onClick={() =>
              confirm('Stop the node?') && action.run(() => post('/system/stop'))
            }
          >
            Stop
          </button>
        </div>
      )}
    </Page>
  );
}
