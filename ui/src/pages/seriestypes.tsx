// Series types with their rules and rule attributes (/api/seriestypes...), and whether the
// background labeller is still at work (/api/seriestypes/rules/updatestatus, polled).
import { useContext, useState } from 'preact/hooks';
import { del, get, hexTag, isAdmin, post, query } from '../api';
import { UserContext } from '../app';
import { ErrorBox, Page, useAction, useData, useInterval } from '../ui';

interface SeriesType {
  id: number;
  name: string;
}
interface Rule {
  id: number;
  seriesTypeId: number;
}
interface RuleAttribute {
  id: number;
  seriesTypeRuleId: number;
  tag: number;
  name: string;
  values: string;
}

function RuleAttributes({ rule, admin, onChange }: { rule: Rule; admin: boolean; onChange: () => void }) {
  const attributes = useData(() => get<RuleAttribute[]>(`/seriestypes/rules/${rule.id}/attributes`), [rule.id]);
  const [keyword, setKeyword] = useState('');
  const [values, setValues] = useState('');
  const action = useAction();
  const add = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const { tag } = await get<{ tag: number }>('/dicom/dictionary/tag' + query({ keyword }));
      await post(`/seriestypes/rules/${rule.id}/attributes`, {
        id: -1,
        seriesTypeRuleId: rule.id,
        tag,
        name: keyword,
        values,
      });
      setKeyword('');
      setValues('');
      attributes.reload();
      onChange();
    });
  };
  return (
    <div class="rule">
      <ErrorBox error={attributes.error || action.error} />
      <ul>
        {(attributes.data ?? []).map((a) => (
          <li>
            <span class="mono">{hexTag(a.tag)}</span> {a.name} = <strong>{a.values}</strong>{' '}
            {admin && (
              <button
                class="small"
                onClick={() =>
                  action.run(async () => {
                    await del(`/seriestypes/rules/${rule.id}/attributes/${a.id}`);
                    attributes.reload();
                  })
                }
              >
                ×
              </button>
            )}
          </li>
        ))}
        {(attributes.data ?? []).length === 0 && <li class="hint">no attribute: matches every series</li>}
      </ul>
      {admin && (
        <form class="inline-form" onSubmit={add}>
          <input name="rule-keyword" placeholder="Keyword, e.g. Modality" value={keyword} onInput={(e) => setKeyword(e.currentTarget.value)} />
          <input name="rule-values" placeholder="Values, e.g. CT" value={values} onInput={(e) => setValues(e.currentTarget.value)} />
          <button disabled={!keyword || action.busy}>Add attribute</button>
        </form>
      )}
    </div>
  );
}

function TypeRules({ type, admin }: { type: SeriesType; admin: boolean }) {
  const rules = useData(() => get<Rule[]>('/seriestypes/rules' + query({ seriestypeid: type.id })), [type.id]);
  const action = useAction();
  return (
    <div>
      <ErrorBox error={rules.error || action.error} />
      {(rules.data ?? []).map((r, i) => (
        <div class="card">
          <h2>
            Rule {i + 1}{' '}
            {admin && (
              <button
                class="danger small"
                onClick={() =>
                  action.run(async () => {
                    await del(`/seriestypes/rules/${r.id}`);
                    rules.reload();
                  })
                }
              >
                Remove rule
              </button>
            )}
          </h2>
          <RuleAttributes rule={r} admin={admin} onChange={() => {}} />
        </div>
      ))}
      {admin && (
        <button
          onClick={() =>
            action.run(async () => {
              await post('/seriestypes/rules', { id: -1, seriesTypeId: type.id });
              rules.reload();
            })
          }
        >
          Add a rule
        </button>
      )}
      <p class="hint">A series gets this type when any rule matches; a rule matches when all its attributes do.</p>
    </div>
  );
}

export function SeriesTypes() {
  const user = useContext(UserContext);
  const admin = isAdmin(user);
  const types = useData(() => get<SeriesType[]>('/seriestypes?count=1000'), []);
  const status = useData(() => get<{ running: boolean }>('/seriestypes/rules/updatestatus'), []);
  const [open, setOpen] = useState<number | null>(null);
  const [name, setName] = useState('');
  const action = useAction();
  useInterval(status.reload, 2000);
  return (
    <Page
      title="Series types"
      actions={
        <span class={'badge ' + (status.data?.running ? 'busy' : 'ok')} data-testid="labeller">
          {status.data?.running ? 'labelling series…' : 'labels up to date'}
        </span>
      }
    >
      <ErrorBox error={types.error || status.error || action.error} />
      <p class="hint">Click a type to see and edit its rules.</p>
      <table class="grid">
        <thead>
          <tr>
            <th>Name</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(types.data ?? []).map((t) => [
            <tr onClick={() => setOpen(open === t.id ? null : t.id)} class={open === t.id ? 'current' : ''}>
              <td>{t.name}</td>
              <td>
                {admin && (
                  <button
                    class="danger small"
                    onClick={(e) => {
                      e.stopPropagation();
                      action.run(async () => {
                        await del(`/seriestypes/${t.id}`);
                        types.reload();
                      });
                    }}
                  >
                    Delete
                  </button>
                )}
              </td>
            </tr>,
            open === t.id && (
              <tr>
                <td colSpan={2} class="details">
                  <TypeRules type={t} admin={admin} />
                </td>
              </tr>
            ),
          ])}
          {!types.loading && (types.data ?? []).length === 0 && (
            <tr>
              <td colSpan={2} class="empty">
                No series types
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {admin && (
        <form
          class="card inline"
          onSubmit={(e) => {
            e.preventDefault();
            action.run(async () => {
              await post('/seriestypes', { id: -1, name });
              setName('');
              types.reload();
            });
          }}
        >
          <h2>New series type</h2>
          <label>
            Name
            <input name="type-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <button class="primary" disabled={!name || action.busy}>
            Create
          </button>
        </form>
      )}
    </Page>
  );
}
