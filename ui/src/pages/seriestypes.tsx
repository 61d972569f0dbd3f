// Series types with their rules and rule attributes (/api/seriestypes...), and whether the
// background labeller is still at work (/api/seriestypes/rules/updatestatus, polled).
import { useContext, useState } from 'preact/hooks';
import { api, del, get, hexTag, isAdmin, post, query } from '../api';
import { UserContext } from '../app';
import { NameForm, OpeningTable, PartList } from '../editor';
import { ActionButton, ErrorBox, Page, useAction, useData, useInterval } from '../ui';

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

function RuleAttributes({ rule, admin }: { rule: Rule; admin: boolean }) {
  return (
    <div class="rule">
      <PartList<RuleAttribute>
        path={`/seriestypes/rules/${rule.id}/attributes`}
        editable={admin}
        render={(a) => (
          <>
            <span class="mono">{hexTag(a.tag)}</span> {a.name} = <strong>{a.values}</strong>
          </>
        )}
        empty="no attribute: matches every series"
        fields={[
          { name: 'rule-keyword', placeholder: 'Keyword, e.g. Modality' },
          { name: 'rule-values', placeholder: 'Values, e.g. CT' },
        ]}
        submit="Add attribute"
        body={async (v) => {
          // The node stores the tag; the keyword is looked up in its dictionary.
          const keyword = v['rule-keyword'];
          const { tag } = await get<{ tag: number }>('/dicom/dictionary/tag' + query({ keyword }));
          return { id: -1, seriesTypeRuleId: rule.id, tag, name: keyword, values: v['rule-values'] };
        }}
      />
    </div>
  );
}

/** A new name for a series type (PUT /api/seriestypes/{id}); its series keep it. */
function Rename({ type, onRenamed }: { type: SeriesType; onRenamed: () => void }) {
  const [name, setName] = useState(type.name);
  const action = useAction();
  return (
    <form
      class="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        action.run(async () => {
          await api('PUT', `/seriestypes/${type.id}`, { id: type.id, name: name.trim() });
          onRenamed();
        });
      }}
    >
      <input name="type-rename" aria-label="New name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      <button disabled={!name.trim() || name.trim() === type.name || action.busy}>Rename</button>
      <ErrorBox error={action.error} />
    </form>
  );
}

function TypeRules({ type, admin, onRenamed }: { type: SeriesType; admin: boolean; onRenamed: () => void }) {
  const rules = useData(() => get<Rule[]>('/seriestypes/rules' + query({ seriestypeid: type.id })), [type.id]);
  const action = useAction();
  return (
    <div>
      {admin && <Rename type={type} onRenamed={onRenamed} />}
      <ErrorBox error={rules.error || action.error} />
      {(rules.data ?? []).map((r, i) => (
        <div class="card">
          <h2>
            Rule {i + 1}{' '}
            {admin && (
              <ActionButton
                class="danger small"
                action={action}
                run={async () => {
                  await del(`/seriestypes/rules/${r.id}`);
                  rules.reload();
                }}
              >
                Remove rule
              </ActionButton>
            )}
          </h2>
          <RuleAttributes rule={r} admin={admin} />
        </div>
      ))}
      {admin && (
        <ActionButton
          class=""
          action={action}
          run={async () => {
            await post('/seriestypes/rules', { id: -1, seriesTypeId: type.id });
            rules.reload();
          }}
        >
          Add a rule
        </ActionButton>
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
      <OpeningTable<SeriesType>
        items={types.data}
        loading={types.loading}
        headers={['Name']}
        cells={(t) => [t.name]}
        details={(t) => <TypeRules type={t} admin={admin} onRenamed={types.reload} />}
        onDelete={
          admin
            ? async (t) => {
                await del(`/seriestypes/${t.id}`);
                types.reload();
              }
            : undefined
        }
        action={action}
        empty="No series types"
      />
      {admin && (
        <NameForm
          title="New series type"
          inputName="type-name"
          class="card inline"
          action={action}
          onCreate={async (name) => {
            await post('/seriestypes', { id: -1, name });
            types.reload();
          }}
        />
      )}
    </Page>
  );
}
