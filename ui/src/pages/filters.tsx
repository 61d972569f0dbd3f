// Tag filters (/api/filtering/filters), their tag paths, and which sources they apply to
// (/api/filtering/associations). Writes need an administrator.
import { useContext, useState } from 'preact/hooks';
import { del, get, isAdmin, post, tagPathText, type TagPath } from '../api';
import { UserContext } from '../app';
import { ErrorBox, Page, useAction, useData } from '../ui';

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
  const paths = useData(() => get<FilterTagPath[]>(`/filtering/filters/${filter.id}/tagpaths?count=1000`), [filter.id]);
  const [keyword, setKeyword] = useState('');
  const action = useAction();
  return (
    <div>
      <ErrorBox error={paths.error || action.error} />
      <ul>
        {(paths.data ?? []).map((p) => (
          <li>
            <span class="mono">{tagPathText(p.tagPath)}</span>{' '}
            {admin && (
              <button
                class="small"
                onClick={() =>
                  action.run(async () => {
                    await del(`/filtering/filters/${filter.id}/tagpaths/${p.id}`);
                    paths.reload();
                  })
                }
              >
                ×
              </button>
            )}
          </li>
        ))}
        {(paths.data ?? []).length === 0 && <li class="hint">no tag paths</li>}
      </ul>
      {admin && (
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            action.run(async () => {
              await post(`/filtering/filters/${filter.id}/tagpaths`, {
                id: -1,
                tagFilterId: filter.id,
                tagPath: { name: keyword },
              });
              setKeyword('');
              paths.reload();
            });
          }}
        >
          <input name="filter-keyword" placeholder="Keyword, e.g. PatientBirthDate" value={keyword} onInput={(e) => setKeyword(e.currentTarget.value)} />
          <button disabled={!keyword || action.busy}>Add tag</button>
        </form>
      )}
    </div>
  );
}

export function Filters() {
  const user = useContext(UserContext);
  const admin = isAdmin(user);
  const filters = useData(() => get<Filter[]>('/filtering/filters?count=1000'), []);
  const associations = useData(() => get<Association[]>('/filtering/associations?count=1000'), []);
  const sources = useData(() => get<Source[]>('/sources'), []);
  const [open, setOpen] = useState<number | null>(null);
  const [name, setName] = useState('');
  const [type, setType] = useState('BLACKLIST');
  const [source, setSource] = useState('');
  const [filterId, setFilterId] = useState('');
  const action = useAction();
  return (
    <Page title="Tag filters">
      <ErrorBox error={filters.error || associations.error || action.error} />
      <p class="hint">
        A blacklist removes the listed elements from everything its sources bring in; a whitelist keeps only them.
        Click a filter to see and edit its tag paths.
      </p>
      <table class="grid">
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            <th>Applies to</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(filters.data ?? []).map((f) => [
            <tr onClick={() => setOpen(open === f.id ? null : f.id)} class={open === f.id ? 'current' : ''}>
              <td>{f.name}</td>
              <td>{f.tagFilterType.toLowerCase()}</td>
              <td>
                {(associations.data ?? [])
                  .filter((a) => a.tagFilterId === f.id)
                  .map((a) => (
                    <span class="badge">
                      {a.sourceName} ({a.sourceType}){' '}
                      {admin && (
                        <button
                          class="small"
                          aria-label="remove"
                          onClick={(e) => {
                            e.stopPropagation();
                            action.run(async () => {
                              await del(`/filtering/associations/${a.id}`);
                              associations.reload();
                            });
                          }}
                        >
                          ×
                        </button>
                      )}
                    </span>
                  ))}
              </td>
              <td>
                {admin && (
                  <button
                    class="danger small"
                    onClick={(e) => {
                      e.stopPropagation();
                      action.run(async () => {
                        await del(`/filtering/filters/${f.id}`);
                        filters.reload();
                        associations.reload();
                      });
                    }}
                  >
                    Delete
                  </button>
                )}
              </td>
            </tr>,
            open === f.id && (
              <tr>
                <td colSpan={4} class="details">
                  <TagPaths filter={f} admin={admin} />
                </td>
              </tr>
            ),
          ])}
        </tbody>
      </table>
      {admin && (
        <div class="forms">
          <form
            class="card"
            onSubmit={(e) => {
              e.preventDefault();
              action.run(async () => {
                await post('/filtering/filters', { id: -1, name, tagFilterType: type });
                setName('');
                filters.reload();
              });
            }}
          >
            <h2>New filter</h2>
            <label>
              Name
              <input name="filter-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
            </label>
            <label>
              Type
              <select value={type} onChange={(e) => setType(e.currentTarget.value)}>
                <option value="BLACKLIST">blacklist</option>
                <option value="WHITELIST">whitelist</option>
              </select>
            </label>
            <button class="primary" disabled={!name || action.busy}>
              Create
            </button>
          </form>
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
