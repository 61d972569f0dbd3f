// Anonymization keys (GET /api/anonymization/keys): what each anonymized image was, searchable
// by any real or anonymous value, its recorded values, the CSV export (admin).
import { useContext, useState } from 'preact/hooks';
import { del, get, isAdmin, query, type AnonymizationKey } from '../api';
import { UserContext } from '../app';
import { ErrorBox, Page, Pager, SortHeader, useAction, useData, when, type Paging, type Sort } from '../ui';

interface KeyValue {
  id: number;
  anonymizationKeyId: number;
  tagPath: unknown;
  value: string;
  anonymizedValue: string;
}

function KeyValues({ id }: { id: number }) {
  const values = useData(() => get<KeyValue[]>(`/anonymization/keys/${id}/keyvalues`), [id]);
  return (
    <td colSpan={8} class="details">
      <ErrorBox error={values.error} />
      {(values.data ?? []).length === 0 ? (
        <em>No other values recorded.</em>
      ) : (
        <table class="grid compact">
          <tbody>
            {(values.data ?? []).map((kv) => (
              <tr>
                <td class="mono">{JSON.stringify(kv.tagPath)}</td>
                <td>{kv.value}</td>
                <td>→ {kv.anonymizedValue}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </td>
  );
}

export function Keys() {
  const user = useContext(UserContext);
  const [paging, setPaging] = useState<Paging>({ start: 0, count: 20 });
  const [sort, setSort] = useState<Sort>({ by: 'created', ascending: false });
  const [filter, setFilter] = useState('');
  const [open, setOpen] = useState<number | null>(null);
  const action = useAction();
  const keys = useData(
    () =>
      get<AnonymizationKey[]>(
        '/anonymization/keys' +
          query({
            startindex: paging.start,
            count: paging.count,
            orderby: sort.by,
            orderascending: sort.ascending,
            filter,
          }),
      ),
    [paging.start, paging.count, sort.by, sort.ascending, filter],
  );
  const head = (label: string, field: string) => <SortHeader label={label} field={field} sort={sort} onSort={setSort} />;
  return (
    <Page
      title="Anonymization keys"
      actions={
        isAdmin(user) && (
          <a class="button" href="/api/anonymization/keys/export/csv" download>
            Export CSV
          </a>
        )
      }
    >
      <div class="toolbar">
        <input
          type="search"
          placeholder="Search real or anonymous values…"
          aria-label="Search keys"
          value={filter}
          onInput={(e) => {
            setFilter(e.currentTarget.value);
            setPaging({ ...paging, start: 0 });
          }}
        />
      </div>
      <ErrorBox error={keys.error || action.error} />
      <table class="grid keys">
        <thead>
          <tr>
            {head('Created', 'created')}
            {head('Patient', 'patientName')}
            {head('Anonymous patient', 'anonPatientName')}
            {head('Patient ID', 'patientID')}
            {head('Anonymous ID', 'anonPatientID')}
            <th>Study UID → anonymous</th>
            <th>Image</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(keys.data ?? []).map((k) => [
            <tr onClick={() => setOpen(open === k.id ? null : k.id)}>
              <td>{when(k.created)}</td>
              <td>{k.patientName}</td>
              <td class="anon">{k.anonPatientName}</td>
              <td>{k.patientID}</td>
              <td class="anon">{k.anonPatientID}</td>
              <td class="uid">
                {k.studyInstanceUID}
                <br />→ {k.anonStudyInstanceUID}
              </td>
              <td>{k.imageId}</td>
              <td>
                <button
                  class="danger small"
                  onClick={(e) => {
                    e.stopPropagation();
                    action.run(async () => {
                      await del(`/anonymization/keys/${k.id}`);
                      keys.reload();
                    });
                  }}
                >
                  Delete
                </button>
              </td>
            </tr>,
            open === k.id && (
              <tr>
                <KeyValues id={k.id} />
              </tr>
            ),
          ])}
          {!keys.loading && (keys.data ?? []).length === 0 && (
            <tr>
              <td colSpan={8} class="empty">
                No keys
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <Pager paging={paging} shown={(keys.data ?? []).length} onChange={setPaging} />
    </Page>
  );
}
