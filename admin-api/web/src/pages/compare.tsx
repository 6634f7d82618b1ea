import type { ChartConfiguration } from 'chart.js';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, hoursAgo, NONE, RATE_DEFINITIONS, ratio, STAT_LABELS, type Bridge, type Stats } from '../api.js';
import { ChartCanvas, SERIES_COLOURS } from '../chart.js';
import { ErrorText, Loading, PageTitle, RangeSelect, useAsync } from '../ui.js';

const CHARTED = ['sent', 'delivered', 'bounced', 'complaints'] as const;

/** The table's columns after the Bridge's name, in the order each row fills them. */
const NUMBER_COLUMNS = [
  STAT_LABELS.sent,
  STAT_LABELS.delivered,
  STAT_LABELS.bounced,
  STAT_LABELS.complaints,
  STAT_LABELS.uniqueOpens,
  STAT_LABELS.uniqueClicks,
  'Delivery rate (of sent)',
  'Bounce rate (of sent)',
  'Complaint rate (of delivered)',
  'Open rate (of delivered)',
  'Click rate (of delivered)',
];

/** Every Bridge side by side (which app drives a rate change), Bridges without traffic included. */
export function ComparePage() {
  const [hours, setHours] = useState<string>('168');
  const from = useMemo(() => hoursAgo(Number(hours)), [hours]);
  const rows = useAsync(
    () =>
      api<{ data: (Stats & { bridgeId: string })[] }>(
        'GET',
        `/admin/v1/stats/bridges?from=${encodeURIComponent(from)}`,
      ),
    [from],
  );
  // Deleted Bridges too: one that sent in the range is listed under its name.
  const bridges = useAsync(() => api<{ data: Bridge[] }>('GET', '/admin/v1/bridges?include=deleted'), []);
  useEffect(() => {
    const timer = setInterval(rows.reload, 5000);
    return () => clearInterval(timer);
  }, [rows.reload]);
  const byId = (id: string) => bridges.data?.data.find((b) => b.id === id);
  const data = rows.data?.data ?? [];
  const config = useMemo<ChartConfiguration>(
    () => ({
      type: 'bar',
      data: {
        labels: data.map((r) => byId(r.bridgeId)?.name ?? r.bridgeId),
        datasets: CHARTED.map((m) => ({
          label: STAT_LABELS[m],
          data: data.map((r) => r[m]),
          backgroundColor: SERIES_COLOURS[m],
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    }),
    [rows.data, bridges.data],
  );
  return (
    <section>
      <div class="title-row">
        <PageTitle>Compare Bridges</PageTitle>
        <RangeSelect hours={hours} onChange={setHours} />
      </div>
      {rows.error !== undefined && <p class="error">Numbers unavailable: the stats could not be read.</p>}
      <ErrorText error={rows.error} />
      <ChartCanvas config={config} label="Sent, delivered, bounced and complaints per Bridge" />
      <p class="hint">{RATE_DEFINITIONS}</p>
      <table>
        <caption class="visually-hidden">Stats per Bridge, highest complaint rate first</caption>
        <thead>
          <tr>
            <th scope="col">Bridge</th>
            {NUMBER_COLUMNS.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.error !== undefined &&
            // The stats could not be read: every live Bridge is still listed, with no numbers.
            bridges.data?.data
              .filter((b) => b.status === 'active')
              .map((b) => (
                <tr key={b.id} data-bridge-id={b.id}>
                  <th scope="row">
                    <a href={`#/bridges/${b.id}/stats`}>{b.name}</a>
                  </th>
                  {NUMBER_COLUMNS.map((c) => (
                    <td key={c} class="num">
                      {NONE}
                    </td>
                  ))}
                </tr>
              ))}
          {data.map((r) => {
            const b = byId(r.bridgeId);
            // Tracking off: no opens or clicks are counted, so neither a count nor a rate is shown.
            const opens = b?.trackOpens !== false;
            const clicks = b?.trackClicks !== false;
            return (
              <tr key={r.bridgeId} data-bridge-id={r.bridgeId}>
                <th scope="row">
                  <a href={`#/bridges/${r.bridgeId}/stats`}>{b?.name ?? r.bridgeId}</a>
                </th>
                <td class="num">{r.sent}</td>
                <td class="num">{r.delivered}</td>
                <td class="num">{r.bounced}</td>
                <td class="num">{r.complaints}</td>
                <td class="num">{opens ? r.uniqueOpens : NONE}</td>
                <td class="num">{clicks ? r.uniqueClicks : NONE}</td>
                <td class="num">{ratio(r.delivered, r.sent)}</td>
                <td class="num">{ratio(r.bounced, r.sent)}</td>
                <td class="num">{ratio(r.complaints, r.delivered)}</td>
                <td class="num">{opens ? ratio(r.uniqueOpens, r.delivered) : NONE}</td>
                <td class="num">{clicks ? ratio(r.uniqueClicks, r.delivered) : NONE}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {rows.loading && <Loading what="the stats" />}
    </section>
  );
}
