import { useState } from 'preact/hooks';
import { api, utc, type AuditEntry, type Bridge, type Pool } from '../api.js';
import { ErrorText, Loading, PageTitle, useAsync } from '../ui.js';

/** A detail's value as text: lists joined, nested objects as `key: value` pairs. */
function valueText(v: unknown): string {
  if (v === null || v === undefined || v === '') return 'none';
  if (Array.isArray(v)) return v.map(valueText).join(', ');
  if (typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}: ${valueText(x)}`)
      .join('; ');
  }
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The audit log, newest first, paged; times in UTC, Bridges and Pools by name. */
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
  const bridges = useAsync(() => api<{ data: Bridge[] }>('GET', '/admin/v1/bridges?include=deleted'), []);
  const pools = useAsync(() => api<{ data: Pool[] }>('GET', '/admin/v1/pools'), []);
  /** The name an id stands for, when it is a Bridge's or a Pool's. */
  const nameOf = (id: unknown): string | undefined =>
    typeof id === 'string'
      ? (bridges.data?.data.find((b) => b.id === id)?.name ?? pools.data?.data.find((p) => p.id === id)?.name)
      : undefined;
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
            const target = nameOf(e.targetId);
            return (
              <tr key={e.id}>
                <td class="nowrap">
                  <time dateTime={e.at}>{utc(e.at, 'second')}</time>
                </td>
                <td class="mono">{e.actor}</td>
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
                        <dd>{nameOf(v) ? `${nameOf(v)} (${valueText(v)})` : valueText(v)}</dd>
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
