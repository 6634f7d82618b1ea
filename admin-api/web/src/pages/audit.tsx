import { useState } from 'preact/hooks';
import { api, utc, type AuditEntry } from '../api.js';
import { ErrorText, Loading, PageTitle, useAsync } from '../ui.js';

/**
 * A detail's value as text: lists joined, nested objects as `key: value` pairs, an object's id
 * as `name (id)` when the entry's `names` know it.
 */
function valueText(v: unknown, names: Record<string, string>): string {
  if (v === null || v === undefined || v === '') return 'none';
  if (Array.isArray(v)) return v.map((x) => valueText(x, names)).join(', ');
  if (typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}: ${valueText(x, names)}`)
      .join('; ');
  }
  if (typeof v !== 'string') return JSON.stringify(v);
  return names[v] ? `${names[v]} (${v})` : v;
}

/** The audit log, newest first, paged; times in UTC, objects by the names the API gives. */
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
      <p class="hint">Times are UTC.</p>
      <ErrorText error={page.error} />
      <table class="audit">
        <caption class="visually-hidden">Changes, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When (UTC)</th>
            <th scope="col">Who</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {page.data?.data.map((e) => {
            const names = e.names;
            const target = e.targetName ?? undefined;
            const actor = names[e.actor];
            return (
              <tr key={e.id}>
                <td class="nowrap">
                  <time dateTime={e.at}>{utc(e.at, 'second')}</time>
                </td>
                <td data-testid="audit-actor">
                  {actor ?? <span class="mono">{e.actor}</span>}
                  {actor && <span class="mono small-text"> ({e.actor})</span>}
                </td>
                <th scope="row">{e.action}</th>
                <td data-testid="audit-target">
                  {e.targetType} {target ?? <span class="mono">{e.targetId}</span>}
                  {target && <span class="mono small-text"> ({e.targetId})</span>}
                </td>
                <td>
                  <dl class="details">
                    {Object.entries(e.details).map(([k, v]) => (
                      <div key={k}>
                        <dt>{k}</dt>
                        <dd>{valueText(v, names)}</dd>
                      </div>
                    ))}
                  </dl>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {page.loading && <Loading what="the audit log" />}
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
