// The log (GET /api/log, newest first) with type and subject filters; clearing it.
import { useState } from 'preact/hooks';
import { del, get, query, type LogEntry } from '../api';
import { ErrorBox, Page, Pager, useAction, useData, useInterval, when, type Paging } from '../ui';

export function Log() {
  const [paging, setPaging] = useState<Paging>({ start: 0, count: 50 });
  const [type, setType] = useState('');
  const [subject, setSubject] = useState('');
  const action = useAction();
  const log = useData(
    () => get<LogEntry[]>('/log' + query({ startindex: paging.start, count: paging.count, type, subject })),
    [paging.start, paging.count, type, subject],
  );
  useInterval(log.reload, 5000);
  return (
    <Page
      title="Log"
      actions={
        <button
          class="danger"
          onClick={() =>
            confirm('Clear the whole log?') &&
            action.run(async () => {
              await del('/log');
              log.reload();
            })
          }
        >
          Clear log
        </button>
      }
    >
      <div class="toolbar">
        <label>
          Type
          <select value={type} onChange={(e) => setType(e.currentTarget.value)}>
            <option value="">any</option>
            {['DEFAULT', 'INFO', 'WARN', 'ERROR'].map((t) => (
              <option value={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Subject
          <input
            placeholder="exact subject, e.g. System"
            value={subject}
            onChange={(e) => setSubject(e.currentTarget.value)}
          />
        </label>
      </div>
      <ErrorBox error={log.error || action.error} />
      <table class="grid compact">
        <thead>
          <tr>
            <th>When</th>
            <th>Type</th>
            <th>Subject</th>
            <th>Message</th>
          </tr>
        </thead>
        <tbody>
          {(log.data ?? []).map((e) => (
            <tr class={'log-' + e.entryType.toLowerCase()}>
              <td>{when(e.created)}</td>
              <td>{e.entryType}</td>
              <td>{e.subject}</td>
              <td>{e.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager paging={paging} shown={(log.data ?? []).length} onChange={setPaging} />
    </Page>
  );
}
