// The node's DICOM endpoints and rules, each a list with a creation form: SCPs, SCUs, directory
// watches (GET/POST/DELETE /api/scps, /api/scus, /api/directorywatches) and forwarding rules
// (/api/forwarding/rules).
import type { ComponentChildren } from 'preact';
import { useContext, useState } from 'preact/hooks';
import { get, isAdmin, post, type Scu } from '../api';
import { UserContext } from '../app';
import { SendSelectionButton } from '../send';
import { EmptyRow, ErrorBox, Page, RemoveButton, useAction, useData } from '../ui';

interface Field {
  name: string;
  label: string;
  kind?: 'text' | 'number' | 'checkbox' | 'select';
  options?: { value: string; label: string }[];
  initial?: string;
}

function Crud<T extends { id: number }>(props: {
  title: string;
  path: string;
  headers: string[];
  row: (t: T) => ComponentChildren[];
  fields: Field[];
  body: (values: Record<string, string>) => unknown;
  adminOnly?: boolean;
  hint?: string;
  /** Something to do with a row besides removing it (an SCU: send the selection to it). */
  action?: (t: T) => ComponentChildren;
}) {
  const user = useContext(UserContext);
  const list = useData(() => get<T[]>(props.path + '?count=1000'), [props.path]);
  const initial = Object.fromEntries(props.fields.map((f) => [f.name, f.initial ?? '']));
  const [values, setValues] = useState<Record<string, string>>(initial);
  const action = useAction();
  const canWrite = !props.adminOnly || isAdmin(user);
  const create = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      await post(props.path, props.body(values));
      setValues(initial);
      list.reload();
    });
  };
  return (
    <Page title={props.title}>
      <ErrorBox error={list.error || action.error} />
      <table class="grid">
        <thead>
          <tr>
            {props.headers.map((h) => (
              <th>{h}</th>
            ))}
            {(canWrite || props.action) && <th />}
          </tr>
        </thead>
        <tbody>
          {(list.data ?? []).map((t) => (
            <tr>
              {props.row(t).map((c) => (
                <td>{c}</td>
              ))}
              {(canWrite || props.action) && (
                <td>
                  {props.action?.(t)}{' '}
                  {canWrite && (
                    <RemoveButton
                      class="danger small"
                      action={action}
                      path={`${props.path}/${t.id}`}
                      reload={list.reload}
                    />
                  )}
                </td>
              )}
            </tr>
          ))}
          <EmptyRow
            show={!list.loading && (list.data ?? []).length === 0}
            columns={props.headers.length + 1}
            text="None yet"
          />
        </tbody>
      </table>
      {canWrite && (
        <form class="card inline" onSubmit={create}>
          <h2>Add</h2>
          {props.hint && <p class="hint">{props.hint}</p>}
          {props.fields.map((f) => (
            <label class={f.kind === 'checkbox' ? 'check' : ''}>
              {f.label}
              {f.kind === 'select' ? (
                <select value={values[f.name]} onChange={(e) => setValues({ ...values, [f.name]: e.currentTarget.value })}>
                  <option value="">choose…</option>
                  {(f.options ?? []).map((o) => (
                    <option value={o.value}>{o.label}</option>
                  ))}
                </select>
              ) : f.kind === 'checkbox' ? (
                <input
                  type="checkbox"
                  checked={values[f.name] === 'true'}
                  onChange={(e) => setValues({ ...values, [f.name]: String(e.currentTarget.checked) })}
                />
              ) : (
                <input
                  name={f.name}
                  type={f.kind ?? 'text'}
                  value={values[f.name]}
                  onInput={(e) => setValues({ ...values, [f.name]: e.currentTarget.value })}
                />
              )}
            </label>
          ))}
          <button class="primary" disabled={action.busy}>
            Add
          </button>
        </form>
      )}
    </Page>
  );
}

interface Scp {
  id: number;
  name: string;
  aeTitle: string;
  port: number;
}
interface Watch {
  id: number;
  name: string;
  path: string;
}

export const Scps = () => (
  <Crud<Scp>
    title="SCPs"
    path="/scps"
    adminOnly
    hint="A DICOM listener (C-STORE, C-ECHO) on a port of this node."
    headers={['Name', 'AE title', 'Port']}
    row={(s) => [s.name, s.aeTitle, s.port]}
    fields={[
      { name: 'name', label: 'Name' },
      { name: 'aeTitle', label: 'AE title' },
      { name: 'port', label: 'Port', kind: 'number' },
    ]}
    body={(v) => ({ id: -1, name: v.name, aeTitle: v.aeTitle, port: Number(v.port) })}
  />
);

export const Scus = () => (
  <Crud<Scu>
    title="SCUs"
    path="/scus"
    hint="A DICOM peer this node sends images to (C-STORE)."
    headers={['Name', 'AE title', 'Host', 'Port']}
    row={(s) => [s.name, s.aeTitle, s.host, s.port]}
    action={(s) => <SendSelectionButton destination={{ kind: 'scu', id: s.id }} />}
    fields={[
      { name: 'name', label: 'Name' },
      { name: 'aeTitle', label: 'AE title' },
      { name: 'host', label: 'Host' },
      { name: 'port', label: 'Port', kind: 'number' },
    ]}
    body={(v) => ({ id: -1, name: v.name, aeTitle: v.aeTitle, host: v.host, port: Number(v.port) })}
  />
);

export const Watches = () => (
  <Crud<Watch>
    title="Directory watches"
    path="/directorywatches"
    hint="Every file under the folder (on the node's machine) is imported once complete."
    headers={['Name', 'Folder']}
    row={(w) => [w.name, w.path]}
    fields={[
      { name: 'name', label: 'Name' },
      { name: 'path', label: 'Folder' },
    ]}
    body={(v) => ({ id: -1, name: v.name, path: v.path })}
  />
);

interface Rule {
  id: number;
  source: { sourceType: string; sourceName: string; sourceId: number };
  destination: { destinationType: string; destinationName: string; destinationId: number };
  keepImages: boolean;
}

export function Forwarding() {
  const sources = useData(() => get<Rule['source'][]>('/sources'), []);
  const destinations = useData(() => get<Rule['destination'][]>('/destinations'), []);
  const sourceOptions = (sources.data ?? []).map((s, i) => ({
    value: String(i),
    label: `${s.sourceName} (${s.sourceType})`,
  }));
  const destinationOptions = (destinations.data ?? []).map((d, i) => ({
    value: String(i),
    label: `${d.destinationName} (${d.destinationType})`,
  }));
  return (
    <Crud<Rule>
      key={`${sourceOptions.length}-${destinationOptions.length}`}
      title="Forwarding rules"
      path="/forwarding/rules"
      adminOnly
      hint="Images arriving from the source are sent on to the destination."
      headers={['Source', 'Destination', 'Keep images']}
      row={(r) => [
        `${r.source.sourceName} (${r.source.sourceType})`,
        `${r.destination.destinationName} (${r.destination.destinationType})`,
        r.keepImages ? 'yes' : 'no',
      ]}
      fields={[
        { name: 'source', label: 'Source', kind: 'select', options: sourceOptions },
        { name: 'destination', label: 'Destination', kind: 'select', options: destinationOptions },
        { name: 'keepImages', label: 'Keep images', kind: 'checkbox', initial: 'true' },
      ]}
      body={(v) => ({
        id: -1,
        source: (sources.data ?? [])[Number(v.source)],
        destination: (destinations.data ?? [])[Number(v.destination)],
        keepImages: v.keepImages === 'true',
      })}
    />
  );
}
