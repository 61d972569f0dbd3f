// Browse: patients → studies → series → images, one page of each at a time (GET
// /api/metadata/...), sorted and filtered by the node; a selection across levels that can be
// anonymized, sent to a box, downloaded or deleted.
import type { ComponentChildren } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { api, get, post, query, v, type Image, type Patient, type Series, type Study } from '../api';
import { navigate, useLocation } from '../router';
import { imageIdsOf, SelectionContext, type Level, type Selection } from '../selection';
import { ProfileOptions, profileOf, SendDialog } from '../send';
import {
  ActionButton,
  Dialog,
  ErrorBox,
  Link,
  Page,
  Pager,
  Progress,
  RemoveButton,
  SortHeader,
  useAction,
  useData,
  type Paging,
  type Sort,
} from '../ui';


interface Column<T> {
  label: string;
  field?: string;
  render: (row: T) => ComponentChildren;
}

interface Filters {
  sources: string;
  seriestypes: string;
  seriestags: string;
}

function LevelTable<T extends { id: number }>(props: {
  title: string;
  name: string;
  path: string;
  params: Record<string, string | number | undefined>;
  columns: Column<T>[];
  defaultSort: string;
  filterable?: boolean;
  current?: number;
  onOpen: (row: T) => void;
  level?: Level;
  label?: (row: T) => string;
  selection: Selection;
  onToggle: (level: Level, id: number, label: string) => void;
}) {
  const [paging, setPaging] = useState<Paging>({ start: 0, count: 20 });
  const [sort, setSort] = useState<Sort>({ by: props.defaultSort, ascending: true });
  const [filter, setFilter] = useState('');
  const key = JSON.stringify(props.params);
  // Another parent or other filters start again at the first page.
  useEffect(() => setPaging((p) => ({ ...p, start: 0 })), [key]);
  const { data, error, loading } = useData(
    () =>
      get<T[]>(
        props.path +
          query({
            ...props.params,
            startindex: paging.start,
            count: paging.count,
            orderby: sort.by,
            orderascending: sort.ascending,
            filter: props.filterable ? filter : undefined,
          }),
      ),
    [key, paging.start, paging.count, sort.by, sort.ascending, filter],
  );
  const rows = data ?? [];
  return (
    <div class="panel" data-level={props.name}>
      <div class="panel-head">
        <h2>{props.title}</h2>
        {props.filterable && (
          <input
            type="search"
            placeholder="Filter…"
            aria-label={`Filter ${props.title.toLowerCase()}`}
            value={filter}
            onInput={(e) => {
              setFilter(e.currentTarget.value);
              setPaging({ ...paging, start: 0 });
            }}
          />
        )}
        {loading && <span class="spinner" aria-label="loading" />}
      </div>
      <ErrorBox error={error} />
      <table class="grid">
        <thead>
          <tr>
            {props.level && <th class="check" />}
            {props.columns.map((c) =>
              c.field ? (
                <SortHeader label={c.label} field={c.field} sort={sort} onSort={setSort} />
              ) : (
                <th>{c.label}</th>
              ),
            )}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const selectionKey = `${props.level}:${row.id}`;
            return (
              <tr
                key={row.id}
                class={row.id === props.current ? 'current' : ''}
                tabIndex={0}
                onClick={() => props.onOpen(row)}
                onKeyDown={(e) => e.key === 'Enter' && props.onOpen(row)}
              >
                {props.level && (
                  <td class="check" onClick={(e) => e.stopPropagation()}>
                    <input
                      type="checkbox"
                      aria-label="select"
                      checked={props.selection.has(selectionKey)}
                      onChange={() => props.onToggle(props.level!, row.id, props.label!(row))}
                    />
                  </td>
                )}
                {props.columns.map((c) => (
                  <td>{c.render(row)}</td>
                ))}
              </tr>
            );
          })}
          {!loading && rows.length === 0 && (
            <tr>
              <td colSpan={props.columns.length + 1} class="empty">
                Nothing to show
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <Pager paging={paging} shown={rows.length} onChange={setPaging} />
    </div>
  );
}

function FilterBar(props: { filters: Filters; onChange: (f: Filters) => void }) {
  const sources = useData(() => get<{ sourceType: string; sourceName: string; sourceId: number }[]>('/sources'), []);
  const types = useData(() => get<{ id: number; name: string }[]>('/seriestypes'), []);
  const tags = useData(() => get<{ id: number; name: string }[]>('/metadata/seriestags'), []);
  const select = (label: string, field: keyof Filters, options: { value: string; label: string }[]) => (
    <label>
      {label}
      <select
        value={props.filters[field]}
        onChange={(e) => props.onChange({ ...props.filters, [field]: e.currentTarget.value })}
      >
        <option value="">any</option>
        {options.map((o) => (
          <option value={o.value}>{o.label}</option>
        ))}
      </select>
    </label>
  );
  return (
    <div class="filters">
      {select(
        'Source',
        'sources',
        (sources.data ?? []).map((s) => ({ value: `${s.sourceType}:${s.sourceId}`, label: `${s.sourceName} (${s.sourceType})` })),
      )}
      {select('Series type', 'seriestypes', (types.data ?? []).map((t) => ({ value: String(t.id), label: t.name })))}
      {select('Series tag', 'seriestags', (tags.data ?? []).map((t) => ({ value: String(t.id), label: t.name })))}
    </div>
  );
}

interface Label {
  id: number;
  name: string;
}

/** One kind of label of the open series (its types or its tags): each removable (DELETE
 * `path/{id}`), and `add` the control adding one (given the labels it has and a way to reload). */
function SeriesLabels(props: {
  title: string;
  testid: string;
  path: string;
  add: (has: Label[], action: ReturnType<typeof useAction>, reload: () => void) => ComponentChildren;
}) {
  const assigned = useData(() => get<Label[]>(props.path), [props.path]);
  const action = useAction();
  const has = assigned.data ?? [];
  return (
    <div class="labels" data-testid={props.testid}>
      <strong>{props.title}</strong>
      {has.map((t) => (
        <span class="badge">
          {t.name}{' '}
          <RemoveButton action={action} path={`${props.path}/${t.id}`} reload={assigned.reload} label={`remove ${t.name}`} />
        </span>
      ))}
      {!assigned.loading && !has.length && <span class="hint">none</span>}
      {props.add(has, action, assigned.reload)}
      <ErrorBox error={assigned.error || action.error} />
    </div>
  );
}

/** The open series' types (GET /api/metadata/series/{id}/seriestypes, PUT and DELETE
 * .../seriestypes/{seriesTypeId}) and tags (GET/POST .../seriestags, DELETE
 * .../seriestags/{seriesTagId}), changed by hand. */
function SeriesLabelsOf({ seriesId }: { seriesId: number }) {
  const types = useData(() => get<Label[]>('/seriestypes?count=1000'), []);
  const tags = useData(() => get<Label[]>('/metadata/seriestags?count=1000'), []);
  const [type, setType] = useState('');
  const [tag, setTag] = useState('');
  const typesPath = `/metadata/series/${seriesId}/seriestypes`;
  const tagsPath = `/metadata/series/${seriesId}/seriestags`;
  return (
    <div class="panel series-labels">
      <SeriesLabels
        title="Series types"
        testid="series-types"
        path={typesPath}
        add={(has, action, reload) => (
          <>
            <select aria-label="Series type to add" value={type} onChange={(e) => setType(e.currentTarget.value)}>
              <option value="">add a type…</option>
              {(types.data ?? [])
                .filter((t) => !has.some((h) => h.id === t.id))
                .map((t) => (
                  <option value={String(t.id)}>{t.name}</option>
                ))}
            </select>
            <ActionButton
              action={action}
              disabled={!type}
              run={async () => {
                await api('PUT', `${typesPath}/${type}`);
                setType('');
                reload();
              }}
            >
              Add
            </ActionButton>
          </>
        )}
      />
      <SeriesLabels
        title="Series tags"
        testid="series-tags"
        path={tagsPath}
        add={(_, action, reload) => (
          <form
            class="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              action.run(async () => {
                await post(tagsPath, { id: -1, name: tag.trim() });
                setTag('');
                reload();
                tags.reload();
              });
            }}
          >
            <input
              aria-label="Series tag to add"
              list="series-tag-names"
              placeholder="tag, new or existing"
              value={tag}
              onInput={(e) => setTag(e.currentTarget.value)}
            />
            <datalist id="series-tag-names">
              {(tags.data ?? []).map((t) => (
                <option value={t.name} />
              ))}
            </datalist>
            <button class="small" disabled={!tag.trim() || action.busy}>
              Tag
            </button>
          </form>
        )}
      />
      <p class="hint">
        Types set by hand stay until the labeller next looks at the series: after a rule changes, it gives every
        series the types whose rules match. Tags are only ever set by hand.
      </p>
      <ErrorBox error={types.error || tags.error} />
    </div>
  );
}

function AnonymizeDialog(props: { selection: Selection; onClose: (done: boolean) => void }) {
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [result, setResult] = useState<string>('');
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const { setSelection } = useContext(SelectionContext);
  const action = useAction();
  // In batches, so a large selection shows its progress and no request runs for minutes.
  const anonymize = () =>
    action.run(async () => {
      const ids = await imageIdsOf(props.selection);
      let anonymized = 0;
      setProgress({ done: 0, total: ids.length });
      for (let i = 0; i < ids.length; i += 50) {
        const images = await post<Image[]>('/anonymization/anonymize', {
          profile: profileOf(chosen),
          imageTagValuesSet: ids.slice(i, i + 50).map((imageId) => ({ imageId, tagValues: [] })),
        });
        anonymized += images.length;
        setProgress({ done: Math.min(ids.length, i + 50), total: ids.length });
      }
      setResult(`${anonymized} of ${ids.length} images anonymized.`);
      // The anonymized images replaced the selected ones.
      setSelection(new Map());
    });
  return (
    <Dialog title="Anonymize the selection" onClose={() => props.onClose(!!result)}>
      <p>PS3.15 confidentiality options (the basic profile always applies):</p>
      <p class="hint">
        The anonymized images replace the originals. Their keys stay listed only while the node keeps keys of
        replaced images (anonymization.purge_empty_keys = false).
      </p>
      <ProfileOptions chosen={chosen} onChange={setChosen} />
      {progress && <Progress value={progress.done} max={progress.total} />}
      <ErrorBox error={action.error} />
      {result ? (
        <p class="ok">
          {result} <Link href="/anonymization">See the anonymization keys</Link>
        </p>
      ) : (
        <button class="primary" disabled={action.busy} onClick={anonymize}>
          {action.busy ? 'Anonymizing…' : 'Anonymize'}
        </button>
      )}
    </Dialog>
  );
}

const patientColumns: Column<Patient>[] = [
  { label: 'Name', field: 'patientName', render: (p) => v(p.patientName) },
  { label: 'ID', field: 'patientID', render: (p) => v(p.patientID) },
  { label: 'Birth date', field: 'patientBirthDate', render: (p) => v(p.patientBirthDate) },
  { label: 'Sex', field: 'patientSex', render: (p) => v(p.patientSex) },
];
const studyColumns: Column<Study>[] = [
  { label: 'Date', field: 'studyDate', render: (s) => v(s.studyDate) },
  { label: 'Description', field: 'studyDescription', render: (s) => v(s.studyDescription) },
  { label: 'Accession', field: 'accessionNumber', render: (s) => v(s.accessionNumber) },
  { label: 'Age', field: 'patientAge', render: (s) => v(s.patientAge) },
];
const seriesColumns: Column<Series>[] = [
  { label: 'Date', field: 'seriesDate', render: (s) => v(s.seriesDate) },
  { label: 'Modality', field: 'modality', render: (s) => v(s.modality) },
  { label: 'Description', field: 'seriesDescription', render: (s) => v(s.seriesDescription) },
  { label: 'Body part', field: 'bodyPartExamined', render: (s) => v(s.bodyPartExamined) },
];
const imageColumns: Column<Image>[] = [
  { label: 'Instance', field: 'instanceNumber', render: (i) => v(i.instanceNumber) },
  { label: 'Image type', field: 'imageType', render: (i) => v(i.imageType) },
  {
    label: 'View',
    render: (i) => (
      <Link href={`/images/${i.id}`} class="button">
        Open
      </Link>
    ),
  },
];
interface FlatSeries {
  id: number;
  patient: Patient;
  study: Study;
  series: Series;
}
const flatColumns: Column<FlatSeries>[] = [
  { label: 'Patient', field: 'patientName', render: (f) => v(f.patient.patientName) },
  { label: 'Study date', field: 'studyDate', render: (f) => v(f.study.studyDate) },
  { label: 'Study', field: 'studyDescription', render: (f) => v(f.study.studyDescription) },
  { label: 'Modality', field: 'modality', render: (f) => v(f.series.modality) },
  { label: 'Series', field: 'seriesDescription', render: (f) => v(f.series.seriesDescription) },
];

export function Browse() {
  // Where one is (patient, study, series ids) lives in the URL, so the viewer's way back, the
  // browser's back button and a reload return to the same place.
  const { params: url } = useLocation();
  const idOf = (name: string) => Number(url.get(name)) || undefined;
  const patientId = idOf('patient');
  const studyId = idOf('study');
  const seriesId = idOf('series');
  const place = (patient?: number, study?: number, series?: number) =>
    navigate('/patients' + query({ patient, study, series }), true);
  const patient = useData(
    () => (patientId ? get<Patient>(`/metadata/patients/${patientId}`) : Promise.resolve(undefined)),
    [patientId],
  );
  const [flat, setFlat] = useState(false);
  const [filters, setFilters] = useState<Filters>({ sources: '', seriestypes: '', seriestags: '' });
  const { selection, setSelection } = useContext(SelectionContext);
  const [dialog, setDialog] = useState<'anonymize' | 'send' | null>(null);
  const [generation, setGeneration] = useState(0);
  const action = useAction();

  const toggle = (level: Level, id: number, label: string) => {
    const next = new Map(selection);
    const key = `${level}:${id}`;
    next.has(key) ? next.delete(key) : next.set(key, { level, id, label });
    setSelection(next);
  };
  const shared = { selection, onToggle: toggle };
  const params = { ...filters };
  const refresh = () => {
    setSelection(new Map());
    place();
    setGeneration(generation + 1);
  };

  const download = () =>
    action.run(async () => {
      const ids = await imageIdsOf(selection);
      const set = await post<{ id: number }>('/images/export', ids);
      location.href = `/api/images/export?id=${set.id}`;
    });
  const remove = () =>
    action.run(async () => {
      if (!confirm(`Delete every image of the ${selection.size} selected items?`)) return;
      await post('/images/delete', await imageIdsOf(selection));
      refresh();
    });

  return (
    <Page
      title="Browse"
      actions={
        <label class="toggle">
          <input type="checkbox" checked={flat} onChange={() => setFlat(!flat)} /> Flat series
        </label>
      }
    >
      <FilterBar filters={filters} onChange={setFilters} />
      {selection.size > 0 && (
        <div class="selection-bar">
          <span>
            {selection.size} selected: {[...selection.values()].slice(0, 3).map((s) => s.label).join(', ')}
            {selection.size > 3 ? '…' : ''}
          </span>
          <button onClick={() => setDialog('anonymize')}>Anonymize…</button>
          <button onClick={() => setDialog('send')}>Send…</button>
          <button onClick={download} disabled={action.busy}>
            Download ZIP
          </button>
          <button class="danger" onClick={remove} disabled={action.busy}>
            Delete
          </button>
          <button onClick={() => setSelection(new Map())}>Clear</button>
        </div>
      )}
      <ErrorBox error={action.error} />
      {flat ? (
        <div class="levels single" key={'flat' + generation}>
          <LevelTable<FlatSeries>
            title="Series"
            name="flatseries"
            path="/metadata/flatseries"
            params={params}
            columns={flatColumns}
            defaultSort="patientName"
            filterable
            onOpen={(f) => {
              setFlat(false);
              place(f.patient.id, f.study.id, f.series.id);
            }}
            level="series"
            label={(f) => `${v(f.patient.patientName)} ${v(f.series.seriesDescription) || v(f.series.modality)}`}
            {...shared}
          />
        </div>
      ) : (
        <div class="levels" key={generation}>
          <LevelTable<Patient>
            title="Patients"
            name="patients"
            path="/metadata/patients"
            params={params}
            columns={patientColumns}
            defaultSort="patientName"
            filterable
            current={patientId}
            onOpen={(p) => place(p.id)}
            level="patients"
            label={(p) => v(p.patientName) || `patient ${p.id}`}
            {...shared}
          />
          {patientId && (
            <LevelTable<Study>
              title={`Studies of ${v(patient.data?.patientName) || 'patient ' + patientId}`}
              name="studies"
              path="/metadata/studies"
              params={{ ...params, patientid: patientId }}
              columns={studyColumns}
              defaultSort="studyDate"
              current={studyId}
              onOpen={(s) => place(patientId, s.id)}
              level="studies"
              label={(s) => v(s.studyDescription) || `study ${s.id}`}
              {...shared}
            />
          )}
          {patientId && studyId && (
            <LevelTable<Series>
              title="Series"
              name="series"
              path="/metadata/series"
              params={{ ...params, studyid: studyId }}
              columns={seriesColumns}
              defaultSort="seriesDate"
              current={seriesId}
              onOpen={(s) => place(patientId, studyId, s.id)}
              level="series"
              label={(s) => v(s.seriesDescription) || v(s.modality) || `series ${s.id}`}
              {...shared}
            />
          )}
          {patientId && studyId && seriesId && <SeriesLabelsOf seriesId={seriesId} />}
          {patientId && studyId && seriesId && (
            <LevelTable<Image>
              title="Images"
              name="images"
              path="/metadata/images"
              params={{ seriesid: seriesId }}
              columns={imageColumns}
              defaultSort="instanceNumber"
              onOpen={(i) => navigate(`/images/${i.id}`)}
              {...shared}
            />
          )}
        </div>
      )}
      {dialog === 'anonymize' && (
        <AnonymizeDialog
          selection={selection}
          onClose={(done) => {
            setDialog(null);
            if (done) refresh();
          }}
        />
      )}
      {dialog === 'send' && <SendDialog selection={selection} onClose={() => setDialog(null)} />}
    </Page>
  );
}

