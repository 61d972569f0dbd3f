// Small building blocks shared by the pages.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { del, messageOf } from './api';
import { onLink } from './router';

export function Link(props: { href: string; children: ComponentChildren; class?: string }) {
  return (
    <a href={props.href} class={props.class} onClick={onLink}>
      {props.children}
    </a>
  );
}

/** The node's message for a failed call. */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      {messageOf(error)}
    </div>
  );
}

/** Loads data with `load` whenever `deps` change; `reload` runs it again. */
export function useData<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const reload = useCallback(() => {
    const mine = ++generation.current;
    setLoading(true);
    load().then(
      (d) => {
        if (mine !== generation.current) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e) => {
        if (mine !== generation.current) return;
        setError(e);
        setLoading(false);
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(reload, [reload]);
  return { data, error, loading, reload, setData };
}

/** Runs `f` every `ms` while the component is shown (and the tab is visible). */
export function useInterval(f: () => void, ms: number) {
  const saved = useRef(f);
  saved.current = f;
  useEffect(() => {
    const id = setInterval(() => {
      if (!document.hidden) saved.current();
    }, ms);
    return () => clearInterval(id);
  }, [ms]);
}

/** Runs an action, remembering its failure to show it. */
export function useAction() {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, run, setError };
}

export interface Paging {
  start: number;
  count: number;
}

export function Pager(props: {
  paging: Paging;
  shown: number;
  onChange: (p: Paging) => void;
}) {
  const { start, count } = props.paging;
  return (
    <div class="pager">
      <button disabled={start === 0} onClick={() => props.onChange({ start: Math.max(0, start - count), count })}>
        ‹ Previous
      </button>
      <span>
        {props.shown ? `${start + 1}–${start + props.shown}` : 'none'}
      </span>
      <button disabled={props.shown < count} onClick={() => props.onChange({ start: start + count, count })}>
        Next ›
      </button>
      <select
        value={count}
        aria-label="Rows per page"
        onChange={(e) => props.onChange({ start: 0, count: Number((e.target as HTMLSelectElement).value) })}
      >
        {[10, 20, 50, 100].map((n) => (
          <option value={n}>{n} / page</option>
        ))}
      </select>
    </div>
  );
}

export interface Sort {
  by: string;
  ascending: boolean;
}

/** A column header that sorts by `field`. */
export function SortHeader(props: { label: string; field: string; sort: Sort; onSort: (s: Sort) => void }) {
  const active = props.sort.by === props.field;
  return (
    <th
      class={'sortable' + (active ? ' active' : '')}
      onClick={() => props.onSort({ by: props.field, ascending: active ? !props.sort.ascending : true })}
    >
      {props.label}
      {active ? (props.sort.ascending ? ' ▲' : ' ▼') : ''}
    </th>
  );
}

export function Progress({ value, max, failed }: { value: number; max: number; failed?: boolean }) {
  const percent = max > 0 ? Math.round((100 * value) / max) : 0;
  return (
    <div class={'progress' + (failed ? ' failed' : '')} role="progressbar" aria-valuenow={percent}>
      <div style={{ width: percent + '%' }} />
      <span>
        {value} / {max}
      </span>
    </div>
  );
}

export const when = (ms: number) => (ms ? new Date(ms).toLocaleString() : '');

export function Page(props: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  useEffect(() => {
    document.title = props.title + ' · slicebox';
  }, [props.title]);
  return (
    <section class="page">
      <header class="page-head">
        <h1>{props.title}</h1>
        <div class="actions">{props.actions}</div>
      </header>
      {props.children}
    </section>
  );
}

/** A modal dialog; a click outside it or on × closes it. */
export function Dialog(props: { title: string; children: ComponentChildren; onClose: () => void; wide?: boolean }) {
  return (
    <div class="backdrop" onClick={props.onClose}>
      <div
        class={'dialog' + (props.wide ? ' wide' : '')}
        role="dialog"
        aria-label={props.title}
        onClick={(e) => e.stopPropagation()}
      >
        <header>
          <h2>{props.title}</h2>
          <button class="close" aria-label="Close" onClick={props.onClose}>
            ×
          </button>
        </header>
        {props.children}
      </div>
    </div>
  );
}

/** A button running a call (e.g. a DELETE), its failure shown by the `action` it reports to. */
export function ActionButton(props: {
  action: ReturnType<typeof useAction>;
  run: () => Promise<unknown>;
  children: ComponentChildren;
  class?: string;
  label?: string;
  confirm?: string;
  disabled?: boolean;
}) {
  return (
    <button
      class={props.class ?? 'small'}
      aria-label={props.label}
      disabled={props.action.busy || props.disabled}
      onClick={(e) => {
        e.stopPropagation();
        if (props.confirm && !confirm(props.confirm)) return;
        props.action.run(props.run);
      }}
    >
      {props.children}
    </button>
  );
}

/** Removes `path` (DELETE) and reloads the list it was shown in. */
export function RemoveButton(props: {
  action: ReturnType<typeof useAction>;
  path: string;
  reload: () => void;
  class?: string;
  confirm?: string;
  /** What a screen reader says (the button shows ×); without it the button reads "Remove". */
  label?: string;
}) {
  return (
    <ActionButton
      class={props.class}
      action={props.action}
      confirm={props.confirm}
      label={props.label}
      run={async () => {
        await del(props.path);
        props.reload();
      }}
    >
      {props.label ? '×' : 'Remove'}
    </ActionButton>
  );
}

/** The row of a table that has nothing to show (once it has loaded). */
export function EmptyRow(props: { show: boolean; columns: number; text: string }) {
  if (!props.show) return null;
  return (
    <tr>
      <td colSpan={props.columns} class="empty">
        {props.text}
      </td>
    </tr>
  );
}
