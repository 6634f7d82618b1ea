import type { ChartConfiguration } from 'chart.js';
import { useEffect, useMemo, useState } from 'preact/hooks';
import {
  api,
  hoursAgo,
  NONE,
  RATE_DEFINITIONS,
  ratio,
  STAT_LABELS,
  type Bridge,
  type BridgeStats,
  type SeriesPoint,
  type Stats,
} from '../api.js';
import { ChartCanvas, SERIES_COLOURS } from '../chart.js';
import { ErrorText, isNotFound, Loading, PageTitle, RangeSelect, Tile, useAsync } from '../ui.js';
import { NoSuchBridge } from './bridge-detail.js';

/** The series the chart and its table show, under the labels the tiles use. */
const METRICS = ['sent', 'delivered', 'bounced', 'complaints', 'uniqueOpens', 'uniqueClicks'] as const;
const COLOURS: Record<(typeof METRICS)[number], string | undefined> = {
  sent: SERIES_COLOURS.sent,
  delivered: SERIES_COLOURS.delivered,
  bounced: SERIES_COLOURS.bounced,
  complaints: SERIES_COLOURS.complaints,
  uniqueOpens: SERIES_COLOURS.opens,
  uniqueClicks: SERIES_COLOURS.clicks,
};
const REFRESH_MS = 5000;

/** Re-runs `reload` every few seconds while the page is open. */
function useAutoRefresh(reload: () => void) {
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
}

/** A bucket's label in UTC (the API buckets by UTC hour and day). */
function label(t: string, interval: 'hour' | 'day'): string {
  const iso = new Date(t).toISOString();
  return interval === 'day' ? iso.slice(0, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

/** A tile's value: the count, `—` when unavailable or not tracked, `…` while loading. */
function count(s: BridgeStats | undefined, failed: boolean, value: (s: BridgeStats) => number, tracked = true) {
  if (!tracked || failed) return NONE;
  return s ? value(s) : '…';
}

/** One tag's row of `GET /admin/v1/bridges/:id/stats/tags` ('' for messages without a tag). */
type TagRow = Stats & { tag: string };

/** Totals and rates per tag, busiest first; choosing a tag filters the page by it. */
function TagTable({ rows, tag, onPick }: { rows: TagRow[]; tag: string; onPick: (tag: string) => void }) {
  return (
    <table data-testid="tag-table">
      <caption>By tag (busiest first)</caption>
      <thead>
        <tr>
          <th scope="col">Tag</th>
          {(['sent', 'delivered', 'bounced', 'complaints', 'uniqueOpens', 'uniqueClicks'] as const).map((m) => (
            <th scope="col" key={m}>
              {STAT_LABELS[m]}
            </th>
          ))}
          <th scope="col">Delivery rate</th>
          <th scope="col">Bounce rate</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.tag} aria-current={r.tag !== '' && r.tag === tag ? 'true' : undefined}>
            <th scope="row">
              {r.tag === '' ? (
                <span class="hint">(no tag)</span>
              ) : (
                <button type="button" onClick={() => onPick(r.tag)} aria-label={`Show only tag ${r.tag}`}>
                  {r.tag}
                </button>
              )}
            </th>
            <td class="num">{r.sent}</td>
            <td class="num">{r.delivered}</td>
            <td class="num">{r.bounced}</td>
            <td class="num">{r.complaints}</td>
            <td class="num">{r.uniqueOpens}</td>
            <td class="num">{r.uniqueClicks}</td>
            <td class="num">{ratio(r.delivered, r.sent)}</td>
            <td class="num">{ratio(r.bounced, r.sent)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One Bridge's stats panel: tiles, rates, a time series chart (hour / day), filtered by tag or not, and a table per tag. */
export function StatsPage({ bridgeId }: { bridgeId: string }) {
  const [hours, setHours] = useState<string>('24');
  const [interval, setInterval_] = useState<'hour' | 'day'>('hour');
  const [tag, setTag] = useState<string>('');
  const from = useMemo(() => hoursAgo(Number(hours)), [hours]);
  const tagQuery = tag ? `&tag=${encodeURIComponent(tag)}` : '';
  const bridge = useAsync(() => api<Bridge>('GET', `/admin/v1/bridges/${bridgeId}`), [bridgeId]);
  const stats = useAsync(
    () => api<BridgeStats>('GET', `/admin/v1/bridges/${bridgeId}/stats?from=${encodeURIComponent(from)}${tagQuery}`),
    [bridgeId, from, tagQuery],
  );
  const series = useAsync(
    () =>
      api<{ data: SeriesPoint[] }>(
        'GET',
        `/admin/v1/bridges/${bridgeId}/stats/series?interval=${interval}&from=${encodeURIComponent(from)}${tagQuery}`,
      ),
    [bridgeId, from, interval, tagQuery],
  );
  const tags = useAsync(
    () => api<{ data: TagRow[] }>('GET', `/admin/v1/bridges/${bridgeId}/stats/tags?from=${encodeURIComponent(from)}`),
    [bridgeId, from],
  );
  const reload = useMemo(
    () => () => {
      stats.reload();
      series.reload();
      tags.reload();
    },
    [stats.reload, series.reload, tags.reload],
  );
  const tagRows = tags.data?.data ?? [];
  const tagNames = tagRows.map((r) => r.tag).filter((t) => t !== '');
  // A chosen tag stays offered even when the range holds none of its messages.
  if (tag && !tagNames.includes(tag)) tagNames.push(tag);
  useAutoRefresh(reload);
  const points = series.data?.data ?? [];
  const config = useMemo<ChartConfiguration>(
    () => ({
      // Counts per bucket are bars: a line would draw values between buckets that do not exist.
      type: 'bar',
      data: {
        labels: points.map((p) => label(p.t, interval)),
        datasets: METRICS.map((m) => ({
          label: STAT_LABELS[m],
          data: points.map((p) => p[m]),
          backgroundColor: COLOURS[m],
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { title: { display: true, text: `${interval === 'day' ? 'Day' : 'Hour'} (UTC)` } },
          y: { beginAtZero: true, ticks: { precision: 0 } },
        },
        interaction: { mode: 'index', intersect: false },
      },
    }),
    [series.data, interval],
  );
  if (isNotFound(bridge.error) || isNotFound(stats.error)) return <NoSuchBridge id={bridgeId} />;
  const s = stats.data;
  const failed = stats.error !== undefined;
  const b = bridge.data;
  // Tracking off: opens and clicks are not counted, so no number (not even 0) is right.
  const opens = b?.trackOpens !== false;
  const clicks = b?.trackClicks !== false;
  /** A tile's rate, its denominator named: "12.5% of delivered". */
  const rate = (n: (s: BridgeStats) => number, over: 'sent' | 'delivered', off?: string) =>
    off ? `${off} tracking off` : s ? `${ratio(n(s), s[over])} of ${over}` : undefined;
  return (
    <section>
      <p class="crumbs">
        <a href="#/bridges">Bridges</a> / <a href={`#/bridges/${bridgeId}`}>{b?.name ?? bridgeId}</a> / Stats
      </p>
      <div class="title-row">
        <PageTitle>Sending stats{b ? ` — ${b.name}` : ''}</PageTitle>
        <RangeSelect hours={hours} onChange={setHours} />
        <label>
          Tag{' '}
          <select value={tag} onChange={(e) => setTag(e.currentTarget.value)} data-testid="tag-filter">
            <option value="">All messages</option>
            {tagNames.map((t) => (
              <option value={t} key={t}>
                {t}
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
      {failed && <p class="error">Numbers unavailable: the stats could not be read.</p>}
      <ErrorText error={stats.error ?? series.error} />
      {stats.loading && <Loading what="the numbers" />}
      <div class="tiles" aria-live="polite">
        <Tile label="Total Sent" value={count(s, failed, (x) => x.sent)} />
        <Tile label="Delivered" value={count(s, failed, (x) => x.delivered)} sub={rate((x) => x.delivered, 'sent')} />
        <Tile
          label="Deferred"
          value={count(s, failed, (x) => x.deferredMessages)}
          sub={s ? `${s.awaitingRetry} waiting for a retry now` : undefined}
        />
        <Tile label="Bounced" value={count(s, failed, (x) => x.bounced)} sub={rate((x) => x.bounced, 'sent')} />
        <Tile
          label="Complaints"
          value={count(s, failed, (x) => x.complaints)}
          sub={rate((x) => x.complaints, 'delivered')}
        />
        <Tile
          label={STAT_LABELS.unsubscribes}
          value={count(s, failed, (x) => x.unsubscribes)}
          sub={rate((x) => x.unsubscribes, 'delivered')}
        />
        <Tile
          label={STAT_LABELS.uniqueOpens}
          value={count(s, failed, (x) => x.uniqueOpens, opens)}
          sub={rate((x) => x.uniqueOpens, 'delivered', opens ? undefined : 'Open')}
        />
        <Tile
          label={STAT_LABELS.uniqueClicks}
          value={count(s, failed, (x) => x.uniqueClicks, clicks)}
          sub={rate((x) => x.uniqueClicks, 'delivered', clicks ? undefined : 'Click')}
        />
      </div>
      <p class="hint">
        Deferred counts messages (per recipient) that met a temporary failure at least once, not attempts.{' '}
        {RATE_DEFINITIONS} Times are UTC.
      </p>
      {series.loading && <Loading what="the chart" />}
      <ChartCanvas
        config={config}
        label={`Sent, delivered, bounced, complaints, unique opens and unique clicks per ${interval} (UTC)`}
      />
      <ErrorText error={tags.error} />
      {tagRows.length > 0 && <TagTable rows={tagRows} tag={tag} onPick={setTag} />}
      <details>
        <summary>Data table</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{interval === 'day' ? 'Day (UTC)' : 'Hour (UTC)'}</th>
              {METRICS.map((m) => (
                <th scope="col" key={m}>
                  {STAT_LABELS[m]}
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
                      {(m === 'uniqueOpens' && !opens) || (m === 'uniqueClicks' && !clicks) ? NONE : p[m]}
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

export { ComparePage } from './compare.js';
