import type { ChartConfiguration } from 'chart.js';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, hoursAgo, percent, type Bridge, type SeriesPoint, type Stats } from '../api.js';
import { ChartCanvas, SERIES_COLOURS } from '../chart.js';
import { ErrorText, PageTitle, Tile, useAsync } from '../ui.js';

const RANGES = [
  ['24', 'Last 24 hours'],
  ['168', 'Last 7 days'],
  ['720', 'Last 30 days'],
] as const;
const METRICS = ['sent', 'delivered', 'bounced', 'complaints', 'opens', 'clicks'] as const;
const REFRESH_MS = 5000;

/** Re-runs `reload` every few seconds while the page is open. */
function useAutoRefresh(reload: () => void) {
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
}

function label(t: string, interval: 'hour' | 'day'): string {
  const d = new Date(t);
  return interval === 'day'
    ? d.toISOString().slice(0, 10)
    : `${d.toISOString().slice(5, 10)} ${d.toISOString().slice(11, 16)}`;
}

/** One Bridge's stats panel: tiles, rates, a time series chart (hour / day). */
export function StatsPage({ bridgeId }: { bridgeId: string }) {
  const [hours, setHours] = useState<string>('24');
  const [interval, setInterval_] = useState<'hour' | 'day'>('hour');
  const from = useMemo(() => hoursAgo(Number(hours)), [hours]);
  const bridge = useAsync(() => api<Bridge>('GET', `/admin/v1/bridges/${bridgeId}`), [bridgeId]);
  const stats = useAsync(
    () => api<Stats>('GET', `/admin/v1/bridges/${bridgeId}/stats?from=${encodeURIComponent(from)}`),
    [bridgeId, from],
  );
  const series = useAsync(
    () =>
      api<{ data: SeriesPoint[] }>(
        'GET',
        `/admin/v1/bridges/${bridgeId}/stats/series?interval=${interval}&from=${encodeURIComponent(from)}`,
      ),
    [bridgeId, from, interval],
  );
  const reload = useMemo(
    () => () => {
      stats.reload();
      series.reload();
    },
    [stats.reload, series.reload],
  );
  useAutoRefresh(reload);
  const points = series.data?.data ?? [];
  const config = useMemo<ChartConfiguration>(
    () => ({
      type: 'line',
      data: {
        labels: points.map((p) => label(p.t, interval)),
        datasets: METRICS.map((m) => ({
          label: m,
          data: points.map((p) => p[m]),
          borderColor: SERIES_COLOURS[m],
          backgroundColor: SERIES_COLOURS[m],
          tension: 0.2,
          pointRadius: 2,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        interaction: { mode: 'index', intersect: false },
      },
    }),
    [series.data, interval],
  );
  const s = stats.data;
  return (
    <section>
      <p class="crumbs">
        <a href="#/bridges">Bridges</a> / <a href={`#/bridges/${bridgeId}`}>{bridge.data?.name ?? bridgeId}</a> / Stats
      </p>
      <div class="title-row">
        <PageTitle>Sending stats{bridge.data ? ` — ${bridge.data.name}` : ''}</PageTitle>
        <label>
          Range{' '}
          <select value={hours} onChange={(e) => setHours(e.currentTarget.value)}>
            {RANGES.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          Interval{' '}
          <select value={interval} onChange={(e) => setInterval_(e.currentTarget.value as 'hour' | 'day')}>
            <option value="hour">Hour</option>
            <option value="day">Day</option>
          </select>
        </label>
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </div>
      <ErrorText error={stats.error ?? series.error} />
      <div class="tiles" aria-live="polite">
        <Tile label="Total Sent" value={s?.sent ?? '…'} sub={s ? `deferred ${s.deferred}` : undefined} />
        <Tile
          label="Delivered"
          value={s?.delivered ?? '…'}
          sub={s ? `${percent(s.rates.deliveryRate)} delivery rate` : undefined}
        />
        <Tile
          label="Bounced"
          value={s?.bounced ?? '…'}
          sub={s ? `${percent(s.rates.bounceRate)} bounce rate` : undefined}
        />
        <Tile
          label="Complaints"
          value={s?.complaints ?? '…'}
          sub={s ? `${percent(s.rates.complaintRate)} complaint rate` : undefined}
        />
        <Tile
          label="Opens"
          value={s?.uniqueOpens ?? '…'}
          sub={s ? `${percent(s.rates.openRate)} open rate` : undefined}
        />
        <Tile
          label="Clicks"
          value={s?.uniqueClicks ?? '…'}
          sub={s ? `${percent(s.rates.clickRate)} click rate` : undefined}
        />
      </div>
      <ChartCanvas config={config} label={`Sent, delivered, bounced, complaints, opens and clicks per ${interval}`} />
      <details>
        <summary>Data table</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{interval === 'day' ? 'Day' : 'Hour'}</th>
              {METRICS.map((m) => (
                <th scope="col" key={m}>
                  {m}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {points
              .filter((p) => METRICS.some((m) => p[m] > 0))
              .map((p) => (
                <tr key={p.t}>
                  <th scope="row">{label(p.t, interval)}</th>
                  {METRICS.map((m) => (
                    <td class="num" key={m}>
                      {p[m]}
                    </td>
                  ))}
                </tr>
              ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}

/** Every Bridge side by side (which app drives a rate change). */
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
  const bridges = useAsync(() => api<{ data: Bridge[] }>('GET', '/admin/v1/bridges'), []);
  useAutoRefresh(rows.reload);
  const name = (id: string) => bridges.data?.data.find((b) => b.id === id)?.name ?? id;
  const data = rows.data?.data ?? [];
  const config = useMemo<ChartConfiguration>(
    () => ({
      type: 'bar',
      data: {
        labels: data.map((r) => name(r.bridgeId)),
        datasets: (['sent', 'delivered', 'bounced', 'complaints'] as const).map((m) => ({
          label: m,
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
        <label>
          Range{' '}
          <select value={hours} onChange={(e) => setHours(e.currentTarget.value)}>
            {RANGES.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorText error={rows.error} />
      <ChartCanvas config={config} label="Sent, delivered, bounced and complaints per Bridge" />
      <table>
        <caption class="visually-hidden">Stats per Bridge, highest complaint rate first</caption>
        <thead>
          <tr>
            <th scope="col">Bridge</th>
            <th scope="col">Sent</th>
            <th scope="col">Delivered</th>
            <th scope="col">Bounced</th>
            <th scope="col">Complaints</th>
            <th scope="col">Delivery rate</th>
            <th scope="col">Bounce rate</th>
            <th scope="col">Complaint rate</th>
            <th scope="col">Open rate</th>
            <th scope="col">Click rate</th>
          </tr>
        </thead>
        <tbody>
          {data.map((r) => (
            <tr key={r.bridgeId}>
              <th scope="row">
                <a href={`#/bridges/${r.bridgeId}/stats`}>{name(r.bridgeId)}</a>
              </th>
              <td class="num">{r.sent}</td>
              <td class="num">{r.delivered}</td>
              <td class="num">{r.bounced}</td>
              <td class="num">{r.complaints}</td>
              <td class="num">{percent(r.rates.deliveryRate)}</td>
              <td class="num">{percent(r.rates.bounceRate)}</td>
              <td class="num">{percent(r.rates.complaintRate)}</td>
              <td class="num">{percent(r.rates.openRate)}</td>
              <td class="num">{percent(r.rates.clickRate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
