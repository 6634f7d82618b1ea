import { useState } from 'preact/hooks';
import { api, type AuditEntry } from '../api.js';
import { ErrorText, PageTitle, useAsync } from '../ui.js';

/** The audit log, newest first, paged. */
export function AuditPage() {
  const [cursors, setCursors] = useState<string[]>([]);
  const before = cursors[cursors.length - 1];
  const page = useAsync(
    () =>
      api<{ data: AuditEntry[]; next: string | null }>(
        'GET',
        `/admin/v1/audit?limit=50${before ? `&before=${encodeURIComponent(before)}` : ''}`,
      ),
    [before],
  );
  return (
    <section>
      <PageTitle>Audit log</PageTitle>
      <ErrorText error={page.error} />
      <table>
        <caption class="visually-hidden">Changes, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {page.data?.data.map((e) => (
            <tr key={e.id}>
              <td>{new Date(e.at).toLocaleString()}</td>
              <td class="mono">{e.actor}</td>
              <th scope="row">{e.action}</th>
              <td class="mono">
                {e.targetType} {e.targetId}
              </td>
              <td class="mono small-text">{JSON.stringify(e.details)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="actions">
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
          Newer
        </button>
        <button
          type="button"
          disabled={!page.data?.next}
          onClick={() => page.data?.next && setCursors([...cursors, page.data.next])}
        >
          Older
        </button>
      </div>
    </section>
  );
}
