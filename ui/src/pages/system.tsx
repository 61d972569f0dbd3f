// System: GET /api/system/health and /information, and what the node holds (counted through
// the public listings).
import { useContext, useEffect, useState } from 'preact/hooks';
import { get, isAdmin, post } from '../api';
import { UserContext } from '../app';
import { ErrorBox, Page, useAction, useData, useInterval } from '../ui';

export function System() {
  const user = useContext(UserContext);
  const [checked, setChecked] = useState<{ at: number; ms: number; ok: boolean; text: string } | null>(null);
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
