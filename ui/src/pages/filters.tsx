// Tag filters (/api/filtering/filters), their tag paths, and which sources they apply to
// (/api/filtering/associations). Writes need an administrator.
import { useContext, useState } from 'preact/hooks';
import { del, get, isAdmin, post, tagPathText, type TagPath } from '../api';
import { UserContext } from '../app';
import { NameForm, OpeningTable, PartList } from '../editor';
import { ActionButton, ErrorBox, Page, useAction, useData } from '../ui';

interface Filter {
  id: number;
  name: string;
  tagFilterType: 'WHITELIST' | 'BLACKLIST';
}
interface FilterTagPath {
  id: number;
  tagFilterId: number;
  tagPath: TagPath;
}
interface Association {
  id: number;
  sourceType: string;
  sourceName: string;
  sourceId: number;
  tagFilterId: number;
  tagFilterName: string;
}
interface Source {
  sourceType: string;
  sourceName: string;
  sourceId: number;
}

function TagPaths({ filter, admin }: { filter: Filter; admin: boolean }) {
  return (
    <PartList<FilterTagPath>
      path={`/filtering/filters/${filter.id}/tagpaths`}
      editable={admin}
      render={(p) => <span class="mono">{tagPathText(p.tagPath)}</span>}
      empty="no tag paths"
      fields={[{ name: 'filter-keyword', placeholder: 'Keyword, e.g. PatientBirthDate' }]}
      submit="Add tag"
      body={async (v) => ({ id: -1, tagFilterId: filter.id, tagPath: { name: v['filter-keyword'] } })}
    />
  );
}

export function Filters() {
  const user = useContext(UserContext);
  const admin = isAdmin(user);
  const filters = useData(() => get<Filter[]>('/filtering/filters?count=1000'), []);
  const associations = useData(() => get<Association[]>('/filtering/associations?count=1000'), []);
  const sources = useData(() => get<Source[]>('/sources'), []);
  const [type, setType] = useState('BLACKLIST');
  const [source, setSource] = useState('');
  const [filterId, setFilterId] = useState('');
  const action = useAction();
  const appliesTo = (f: Filter) =>
    (associations.data ?? [])
      .filter((a) => a.tagFilterId === f.id)
      .map((a) => (
        <span class="badge">
          {a.sourceName} ({a.sourceType}){' '}
          {admin && (
            <ActionButton
              action={action}
              label="remove"
              run={async () => {
                await del(`/filtering/associations/${a.id}`);
                associations.reload();
              }}
            >
              ×
            </ActionButton>
          )}
        </span>
      ));
  return (
    <Page title="Tag filters">
      <ErrorBox error={filters.error || associations.error || action.error} />
      <p class="hint">
        A blacklist removes the listed elements from everything its sources bring in; a whitelist keeps only them.
        Click a filter to see and edit its tag paths.
      </p>
      <OpeningTable<Filter>
        items={filters.data}
        loading={filters.loading}
        headers={['Name', 'Type', 'Applies to']}
        cells={(f) => [f.name, f.tagFilterType.toLowerCase(), appliesTo(f)]}
        details={(f) => <TagPaths filter={f} admin={admin} />}
        onDelete={
          admin
            ? async (f) => {
                await del(`/filtering/filters/${f.id}`);
                filters.reload();
                associations.reload();
              }
            : undefined
        }
        action={action}
        empty="No tag filters"
      />
      {admin && (
        <div class="forms">
          <NameForm
            title="New filter"
            inputName="filter-name"
            action={action}
            onCreate={async (name) => {
              await post('/filtering/filters', { id: -1, name, tagFilterType: type });
              filters.reload();
            }}
          >
            <label>
              Type
              <select value={type} onChange={(e) => setType(e.currentTarget.value)}>
                <option value="BLACKLIST">blacklist</option>
                <option value="WHITELIST">whitelist</option>
              </select>
            </label>
          </NameForm>
          <form
            class="card"
            onSubmit={(e) => {
              e.preventDefault();
              action.run(async () => {
                const s = (sources.data ?? [])[Number(source)];
                const f = (filters.data ?? []).find((x) => x.id === Number(filterId));
                await post('/filtering/associations', {
                  id: -1,
                  sourceType: s.sourceType,
                  sourceName: s.sourceName,
                  sourceId: s.sourceId,
                  tagFilterId: f?.id,
                  tagFilterName: f?.name,
                });
                associations.reload();
              });
            }}
          >
            <h2>Apply a filter to a source</h2>
            <label>
              Source
              <select value={source} onChange={(e) => setSource(e.currentTarget.value)}>
                <option value="">choose…</option>
                {(sources.data ?? []).map((s, i) => (
                  <option value={String(i)}>
                    {s.sourceName} ({s.sourceType})
                  </option>
                ))}
              </select>
            </label>
            <label>
              Filter
              <select value={filterId} onChange={(e) => setFilterId(e.currentTarget.value)}>
                <option value="">choose…</option>
                {(filters.data ?? []).map((f) => (
                  <option value={String(f.id)}>{f.name}</option>
                ))}
              </select>
            </label>
            <button class="primary" disabled={!source || !filterId || action.busy}>
              Apply
            </button>
          </form>
        </div>
      )}
    </Page>
  );
}
