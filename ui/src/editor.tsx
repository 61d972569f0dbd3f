// The pieces the tag filter and series type pages share: a table whose rows open to show their
// parts, a list of parts each with a remove button and an add form, and a "new" form by name.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { del, get, post } from './api';
import { ActionButton, EmptyRow, ErrorBox, useAction, useData } from './ui';

/** Rows that open (click) to show `details`; administrators get a Delete button per row. */
export function OpeningTable<T extends { id: number }>(props: {
  items: T[] | undefined;
  loading: boolean;
  headers: string[];
  cells: (t: T) => ComponentChildren[];
  details: (t: T) => ComponentChildren;
  onDelete?: (t: T) => Promise<unknown>;
  action: ReturnType<typeof useAction>;
  empty: string;
}) {
  const [open, setOpen] = useState<number | null>(null);
  const columns = props.headers.length + 1;
  return (
    <table class="grid">
      <thead>
        <tr>
          {props.headers.map((h) => (
            <th>{h}</th>
          ))}
          <th />
        </tr>
      </thead>
      <tbody>
        {(props.items ?? []).map((t) => [
          <tr onClick={() => setOpen(open === t.id ? null : t.id)} class={open === t.id ? 'current' : ''}>
            {props.cells(t).map((c) => (
              <td>{c}</td>
            ))}
            <td>
              {props.onDelete && (
                <ActionButton class="danger small" action={props.action} run={() => props.onDelete!(t)}>
                  Delete
                </ActionButton>
              )}
            </td>
          </tr>,
          open === t.id && (
            <tr>
              <td colSpan={columns} class="details">
                {props.details(t)}
              </td>
            </tr>
          ),
        ])}
        <EmptyRow show={!props.loading && (props.items ?? []).length === 0} columns={columns} text={props.empty} />
      </tbody>
    </table>
  );
}

export interface PartField {
  name: string;
  placeholder: string;
}

/** The parts under `path` (tag paths, rule attributes; GET `path`), each removable (DELETE
 * `path/{id}`), and a form adding one (POST `path` with `body` made from the `fields`, the first
 * one required); read-only unless `editable`. */
export function PartList<T extends { id: number }>(props: {
  path: string;
  editable: boolean;
  render: (t: T) => ComponentChildren;
  empty: string;
  fields: PartField[];
  submit: string;
  body: (values: Record<string, string>) => Promise<unknown>;
}) {
  const parts = useData(() => get<T[]>(props.path + '?count=1000'), [props.path]);
  const blank = Object.fromEntries(props.fields.map((f) => [f.name, '']));
  const [values, setValues] = useState<Record<string, string>>(blank);
  const action = useAction();
  const first = props.fields[0].name;
  return (
    <div class="parts">
      <ErrorBox error={parts.error || action.error} />
      <ul>
        {(parts.data ?? []).map((t) => (
          <li>
            {props.render(t)}{' '}
            {props.editable && (
              <ActionButton
                action={action}
                label="remove"
                run={async () => {
                  await del(`${props.path}/${t.id}`);
                  parts.reload();
                }}
              >
                ×
              </ActionButton>
            )}
          </li>
        ))}
        {(parts.data ?? []).length === 0 && <li class="hint">{props.empty}</li>}
      </ul>
      {props.editable && (
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            action.run(async () => {
              await post(props.path, await props.body(values));
              setValues(blank);
              parts.reload();
            });
          }}
        >
          {props.fields.map((f) => (
            <input
              name={f.name}
              placeholder={f.placeholder}
              value={values[f.name]}
              onInput={(e) => setValues({ ...values, [f.name]: e.currentTarget.value })}
            />
          ))}
          <button disabled={!values[first] || action.busy}>{props.submit}</button>
        </form>
      )}
    </div>
  );
}

/** A card creating something by name (`children`: more of its fields). */
export function NameForm(props: {
  title: string;
  inputName: string;
  onCreate: (name: string) => Promise<unknown>;
  action: ReturnType<typeof useAction>;
  children?: ComponentChildren;
  class?: string;
}) {
  const [name, setName] = useState('');
  return (
    <form
      class={props.class ?? 'card'}
      onSubmit={(e) => {
        e.preventDefault();
        props.action.run(async () => {
          await props.onCreate(name);
          setName('');
        });
      }}
    >
      <h2>{props.title}</h2>
      <label>
        Name
        <input name={props.inputName} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      {props.children}
      <button class="primary" disabled={!name || props.action.busy}>
        Create
      </button>
    </form>
  );
}
