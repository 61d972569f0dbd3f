// Sending a selection: to a box (POST /api/boxes/{id}/send with an anonymization profile and the
// tag values of each image; the transfer then shows under Transactions) or to an SCU (POST
// /api/scus/{id}/send: the images as stored, answered once the peer has stored them all). One
// dialog serves the browse page, the boxes page and the SCUs page.
import { useContext, useEffect, useState } from 'preact/hooks';
import { get, post, v, type Box, type ConfidentialityOption, type Scu } from './api';
import { navigate } from './router';
import { patientsOf, SelectionContext, type Selection } from './selection';
import { Dialog, ErrorBox, useAction, useData } from './ui';

/** The PS3.15 confidentiality options as checkboxes; the basic profile always applies. */
export function ProfileOptions(props: { chosen: Set<string>; onChange: (chosen: Set<string>) => void }) {
  const options = useData(() => get<ConfidentialityOption[]>('/anonymization/options'), []);
  return (
    <div class="options" data-testid="profile">
      <ErrorBox error={options.error} />
      {(options.data ?? []).map((o) => (
        <label title={o.description}>
          <input
            type="checkbox"
            checked={props.chosen.has(o.name) || o.name === 'BASIC_PROFILE'}
            disabled={o.name === 'BASIC_PROFILE'}
            onChange={() => {
              const next = new Set(props.chosen);
              next.has(o.name) ? next.delete(o.name) : next.add(o.name);
              props.onChange(next);
            }}
          />
          {o.title}
        </label>
      ))}
    </div>
  );
}

/** The profile a request body carries for the chosen options. */
export const profileOf = (chosen: Set<string>) => ({ options: [...chosen].map((name) => ({ name })) });

export interface Destination {
  kind: 'box' | 'scu';
  id: number;
}

/** Tag values are given per patient: each image of a patient gets its patient's row. */
type Rows = Record<number, Record<string, string>>;

export function SendDialog(props: { selection: Selection; destination?: Destination; onClose: () => void }) {
  const boxes = useData(() => get<Box[]>('/boxes?count=1000'), []);
  const scus = useData(() => get<Scu[]>('/scus?count=1000'), []);
  const patients = useData(() => patientsOf(props.selection), [props.selection]);
  const [target, setTarget] = useState(props.destination ? `${props.destination.kind}:${props.destination.id}` : '');
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [keywords, setKeywords] = useState(['PatientName', 'PatientID']);
  const [keyword, setKeyword] = useState('');
  const [rows, setRows] = useState<Rows>({});
  const [prefix, setPrefix] = useState('Anon ');
  const [result, setResult] = useState('');
  const action = useAction();
  const [kind, id] = target.split(':');
  const box = kind === 'box' ? (boxes.data ?? []).find((b) => b.id === Number(id)) : undefined;

  // A send starts from the box's own profile (the one its forwarding uses).
  useEffect(() => {
    if (box) setChosen(new Set((box.defaultProfile?.options ?? []).map((o) => o.name)));
  }, [box?.id]);

  const list = patients.data ?? [];
  const images = list.reduce((n, p) => n + p.imageIds.length, 0);
  const setValue = (patientId: number, k: string, value: string) =>
    setRows({ ...rows, [patientId]: { ...rows[patientId], [k]: value } });
  // Like Slicebox's own send dialog: a prefix and a number per patient for name and ID.
  const number = () => {
    const next: Rows = {};
    list.forEach(({ patient }, i) => {
      const n = prefix + String(i + 1).padStart(3, '0');
      next[patient.id] = { ...rows[patient.id], PatientName: n, PatientID: n.replace(/\s+/g, '') };
    });
    setRows(next);
  };

  const send = () =>
    action.run(async () => {
      if (kind === 'box') {
        await post(`/boxes/${id}/send`, {
          profile: profileOf(chosen),
          imageTagValuesSet: list.flatMap(({ patient, imageIds }) => {
            const tagValues = keywords
              .filter((k) => (rows[patient.id]?.[k] ?? '').trim())
              .map((k) => ({ tagPath: { name: k }, value: rows[patient.id][k].trim() }));
            return imageIds.map((imageId) => ({ imageId, tagValues }));
          }),
        });
        navigate('/transactions');
      } else {
        const ids = list.flatMap((p) => p.imageIds);
        await post(`/scus/${id}/send`, ids);
        setResult(`${ids.length} images stored by the peer.`);
      }
    });

  return (
    <Dialog title="Send the selection" onClose={props.onClose} wide={kind === 'box'}>
      <ErrorBox error={boxes.error || scus.error || patients.error} />
      <label>
        Destination
        <select name="destination" value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
          <option value="">choose…</option>
          {/* `selected`: the chosen destination may come before its option has loaded. */}
          {(boxes.data ?? []).map((b) => (
            <option value={`box:${b.id}`} selected={target === `box:${b.id}`}>
              box {b.name} {b.online ? '(online)' : '(offline)'}
            </option>
          ))}
          {(scus.data ?? []).map((s) => (
            <option value={`scu:${s.id}`} selected={target === `scu:${s.id}`}>
              SCU {s.name} ({s.aeTitle}@{s.host}:{s.port})
            </option>
          ))}
        </select>
      </label>
      <p class="hint">
        {patients.loading
          ? 'Counting the images…'
          : `${images} images of ${list.length} patient${list.length === 1 ? '' : 's'}. `}
        {kind === 'box' && 'The box anonymizes them on the way out; the transfer shows under Transactions.'}
        {kind === 'scu' && 'The SCU gets them over DICOM as they are stored, not anonymized.'}
      </p>
      {kind === 'box' && (
        <>
          <h3>Anonymization profile (the box's own preselected)</h3>
          <ProfileOptions chosen={chosen} onChange={setChosen} />
          <h3>Tag values per patient (empty: the profile decides)</h3>
          <div class="inline-form">
            <input aria-label="Prefix" value={prefix} onInput={(e) => setPrefix(e.currentTarget.value)} />
            <button type="button" onClick={number}>
              Number the patients
            </button>
            <input
              aria-label="Another keyword"
              placeholder="Another keyword, e.g. StudyDescription"
              value={keyword}
              onInput={(e) => setKeyword(e.currentTarget.value)}
            />
            <button
              type="button"
              disabled={!keyword.trim() || keywords.includes(keyword.trim())}
              onClick={() => {
                setKeywords([...keywords, keyword.trim()]);
                setKeyword('');
              }}
            >
              Add column
            </button>
          </div>
          <div class="scroll">
            <table class="grid compact tag-values">
              <thead>
                <tr>
                  <th>Patient</th>
                  <th>ID</th>
                  {keywords.map((k) => (
                    <th>{k}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {list.map(({ patient, imageIds }) => (
                  <tr data-patient={v(patient.patientName)}>
                    <td>
                      {v(patient.patientName)} <small>({imageIds.length})</small>
                    </td>
                    <td>{v(patient.patientID)}</td>
                    {keywords.map((k) => (
                      <td>
                        <input
                          aria-label={`${k} for ${v(patient.patientName)}`}
                          value={rows[patient.id]?.[k] ?? ''}
                          onInput={(e) => setValue(patient.id, k, e.currentTarget.value)}
                        />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <ErrorBox error={action.error} />
      {result ? (
        <p class="ok">{result}</p>
      ) : (
        <button class="primary" disabled={!target || patients.loading || action.busy} onClick={send}>
          {action.busy ? 'Sending…' : 'Send'}
        </button>
      )}
    </Dialog>
  );
}

/** "Send the selection…" to one destination, shown while something is selected. */
export function SendSelectionButton({ destination }: { destination: Destination }) {
  const { selection } = useContext(SelectionContext);
  const [open, setOpen] = useState(false);
  if (selection.size === 0) return null;
  return (
    <>
      <button class="small" onClick={() => setOpen(true)}>
        Send the selection ({selection.size})…
      </button>
      {open && <SendDialog selection={selection} destination={destination} onClose={() => setOpen(false)} />}
    </>
  );
}
