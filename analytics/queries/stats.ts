import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { AGGREGATE_TABLE, typeIs } from '../schema/events-schema.js';

/** Totals of one Bridge's events, as the stats API returns them. */
export const BRIDGE_STATS_SCHEMA = z.object({
  sent: z.number().describe('Recipients handed to a first delivery attempt'),
  delivered: z.number().describe('Recipients whose MX accepted the message (2xx)'),
  deferred: z.number().describe('Temporary failures, one per recipient and attempt'),
  bounced: z.number().describe('Recipients that finally failed (5xx, expired, undeliverable, or a DSN later)'),
  hardBounces: z.number().describe('Bounces saying the address itself is bad (user/host unknown, moved): suppressed'),
  softBounces: z
    .number()
    .describe('Every other bounce (policy, spam, reputation, mailbox full, expired): not suppressed'),
  complaints: z.number().describe('Spam complaints'),
  opens: z.number().describe('Opens by people (pixel loads, machine fetches excluded)'),
  uniqueOpens: z.number().describe('Messages (per recipient) opened at least once by a person'),
  machineOpens: z.number().describe('Pixel loads by machines: privacy proxies (Apple MPP), image prefetchers'),
  clicks: z.number().describe('Clicks by people (link scanners excluded)'),
  uniqueClicks: z.number().describe('Messages (per recipient) with at least one click by a person'),
  machineClicks: z.number().describe('Clicks by link scanners (known agents, or within seconds of sending)'),
});

/** Totals of one Bridge's events. */
export type BridgeStats = z.infer<typeof BRIDGE_STATS_SCHEMA>;

/** Whose events a stats query counts: one Bridge, one Pool or one source IP. */
export type StatsScope = { bridgeId: string } | { poolId: string } | { ip: string };

/**
 * A time range. The aggregates are per minute, so both ends are rounded down to the minute:
 * the range covers every minute that starts at or after `from`'s minute and before `to`.
 */
export interface StatsRange {
  from: Date;
  to: Date;
}

/** Bucket width of {@link querySeries}. */
export type SeriesInterval = 'minute' | 'hour' | 'day';

/** Rates derived from the totals; each is 0 when its denominator is 0. */
export const RATES_SCHEMA = z.object({
  deliveryRate: z.number().describe('delivered / sent'),
  bounceRate: z.number().describe('bounced / sent'),
  complaintRate: z.number().describe('complaints / delivered'),
  openRate: z.number().describe('uniqueOpens / delivered (opens by people only)'),
  clickRate: z.number().describe('uniqueClicks / delivered (clicks by people only)'),
});

/** Rates of one scope, see {@link RATES_SCHEMA}. */
export type StatsRates = z.infer<typeof RATES_SCHEMA>;

/** Totals and rates of one scope over a time range, as the stats API returns them. */
export const STATS_SCHEMA = z.object({ totals: BRIDGE_STATS_SCHEMA, rates: RATES_SCHEMA });

/** Totals and rates of one scope. */
export type Stats = z.infer<typeof STATS_SCHEMA>;

/** One bucket of a time series; counts as in {@link BRIDGE_STATS_SCHEMA}. */
export const SERIES_POINT_SCHEMA = z.object({
  t: z.string().describe('Start of the bucket, ISO 8601 in UTC'),
  sent: z.number(),
  delivered: z.number(),
  bounced: z.number(),
  complaints: z.number(),
  opens: z.number().describe('Opens by people'),
  clicks: z.number().describe('Clicks by people'),
});

/** A time series, every bucket of the range present (empty ones as zeros), oldest first. */
export const SERIES_SCHEMA = z.array(SERIES_POINT_SCHEMA);

/** One bucket of a time series. */
export type SeriesPoint = z.infer<typeof SERIES_POINT_SCHEMA>;

/** One Bridge in {@link compareBridges}. */
export type BridgeComparison = Stats & { bridgeId: string };

/** Merges of the aggregate states into the totals of {@link BRIDGE_STATS_SCHEMA}. */
const TOTALS_SQL: Record<keyof BridgeStats, string> = {
  sent: `uniqExactMergeIf(keys, ${typeIs('sent')})`,
  delivered: `uniqExactMergeIf(keys, ${typeIs('delivered')})`,
  deferred: `uniqExactMergeIf(keys, ${typeIs('deferred')})`,
  bounced: `uniqExactMergeIf(keys, ${typeIs('bounced')})`,
  hardBounces: `uniqExactMergeIf(keys, ${typeIs('bounced')} AND hard = 1)`,
  softBounces: `uniqExactMergeIf(keys, ${typeIs('bounced')} AND hard = 0)`,
  complaints: `uniqExactMergeIf(keys, ${typeIs('complained')})`,
  opens: `uniqExactMergeIf(event_ids, ${typeIs('opened')} AND machine = 0)`,
  uniqueOpens: `uniqExactMergeIf(keys, ${typeIs('opened')} AND machine = 0)`,
  machineOpens: `uniqExactMergeIf(event_ids, ${typeIs('opened')} AND machine = 1)`,
  clicks: `uniqExactMergeIf(event_ids, ${typeIs('clicked')} AND machine = 0)`,
  uniqueClicks: `uniqExactMergeIf(keys, ${typeIs('clicked')} AND machine = 0)`,
  machineClicks: `uniqExactMergeIf(event_ids, ${typeIs('clicked')} AND machine = 1)`,
};
const TOTAL_KEYS = Object.keys(TOTALS_SQL) as (keyof BridgeStats)[];
const SERIES_KEYS = ['sent', 'delivered', 'bounced', 'complaints', 'opens', 'clicks'] as const;

function selectList(keys: readonly (keyof BridgeStats)[]): string {
  return keys.map((k) => `${TOTALS_SQL[k]} AS ${k}`).join(',\n');
}

/** `YYYY-MM-DD hh:mm:ss.sss` in UTC, as a DateTime64(3, 'UTC') parameter. */
function chTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

function scopeFilter(scope: StatsScope): { sql: string; value: string } {
  if ('bridgeId' in scope) return { sql: 'bridge_id = {scope:String}', value: scope.bridgeId };
  if ('poolId' in scope) return { sql: 'pool_id = {scope:String}', value: scope.poolId };
  return { sql: 'ip = {scope:String}', value: scope.ip };
}

const RANGE_SQL = `minute >= toStartOfMinute({from:DateTime64(3, 'UTC')}) AND minute < {to:DateTime64(3, 'UTC')}`;

function toTotals(row: Partial<Record<keyof BridgeStats, string | number>> | undefined): BridgeStats {
  return Object.fromEntries(TOTAL_KEYS.map((k) => [k, Number(row?.[k] ?? 0)])) as BridgeStats;
}

const ratio = (n: number, d: number): number => (d === 0 ? 0 : n / d);

/** Rates of {@link RATES_SCHEMA} from totals. */
export function computeRates(t: BridgeStats): StatsRates {
  return {
    deliveryRate: ratio(t.delivered, t.sent),
    bounceRate: ratio(t.bounced, t.sent),
    complaintRate: ratio(t.complaints, t.delivered),
    openRate: ratio(t.uniqueOpens, t.delivered),
    clickRate: ratio(t.uniqueClicks, t.delivered),
  };
}

/**
 * Totals of a scope over a range (all time without one), merged from `events_per_minute`
 * only: events inserted twice count once.
 */
export async function queryTotals(
  client: ClickHouseClient,
  database: string,
  scope: StatsScope,
  range?: StatsRange,
): Promise<BridgeStats> {
  const filter = scopeFilter(scope);
  const result = await client.query({
    query: `SELECT ${selectList(TOTAL_KEYS)}
      FROM ${database}.${AGGREGATE_TABLE}
      WHERE ${filter.sql}${range ? ` AND ${RANGE_SQL}` : ''}`,
    query_params: { scope: filter.value, ...(range && { from: chTime(range.from), to: chTime(range.to) }) },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<Record<keyof BridgeStats, string | number>>();
  return toTotals(row);
}

/** Totals and rates of a Bridge, Pool or IP over a time range, from the per-minute aggregates. */
export async function queryStats(
  client: ClickHouseClient,
  database: string,
  options: StatsRange & { scope: StatsScope },
): Promise<Stats> {
  const totals = await queryTotals(client, database, options.scope, options);
  return { totals, rates: computeRates(totals) };
}

const INTERVAL_SQL: Record<SeriesInterval, string> = {
  minute: 'INTERVAL 1 MINUTE',
  hour: 'INTERVAL 1 HOUR',
  day: 'INTERVAL 1 DAY',
};

/**
 * A time series of a Bridge, Pool or IP: one bucket per interval starting at `from`'s bucket and
 * ending before `to`, empty buckets filled with zeros (ORDER BY … WITH FILL).
 */
export async function querySeries(
  client: ClickHouseClient,
  database: string,
  options: StatsRange & { scope: StatsScope; interval: SeriesInterval },
): Promise<SeriesPoint[]> {
  const filter = scopeFilter(options.scope);
  const step = INTERVAL_SQL[options.interval];
  const bucket = (expr: string) => `toDateTime(toStartOfInterval(${expr}, ${step}), 'UTC')`;
  const result = await client.query({
    query: `SELECT ${bucket('minute')} AS t, ${selectList(SERIES_KEYS)}
      FROM ${database}.${AGGREGATE_TABLE}
      WHERE ${filter.sql} AND ${RANGE_SQL}
      GROUP BY t
      ORDER BY t WITH FILL
        FROM ${bucket("toDateTime({from:DateTime64(3, 'UTC')}, 'UTC')")}
        TO toDateTime({to:DateTime64(3, 'UTC')}, 'UTC')
        STEP ${step}`,
    query_params: { scope: filter.value, from: chTime(options.from), to: chTime(options.to) },
    format: 'JSONEachRow',
  });
  const rows = await result.json<Record<(typeof SERIES_KEYS)[number], string | number> & { t: string }>();
  return rows.map((row) => ({
    t: new Date(`${row.t.replace(' ', 'T')}Z`).toISOString(),
    ...(Object.fromEntries(SERIES_KEYS.map((k) => [k, Number(row[k])])) as Record<
      (typeof SERIES_KEYS)[number],
      number
    >),
  }));
}

/**
 * Totals and rates of every Bridge with events in the range, highest complaint rate first (then
 * highest bounce rate, then Bridge id): which app drives a complaint spike.
 */
export async function compareBridges(
  client: ClickHouseClient,
  database: string,
  options: StatsRange,
): Promise<BridgeComparison[]> {
  const result = await client.query({
    query: `SELECT bridge_id, ${selectList(TOTAL_KEYS)}
      FROM ${database}.${AGGREGATE_TABLE}
      WHERE ${RANGE_SQL}
      GROUP BY bridge_id`,
    query_params: { from: chTime(options.from), to: chTime(options.to) },
    format: 'JSONEachRow',
  });
  const rows = await result.json<Record<keyof BridgeStats, string | number> & { bridge_id: string }>();
  return rows
    .map((row) => {
      const totals = toTotals(row);
      return { bridgeId: row.bridge_id, totals, rates: computeRates(totals) };
    })
    .sort(
      (a, b) =>
        b.rates.complaintRate - a.rates.complaintRate ||
        b.rates.bounceRate - a.rates.bounceRate ||
        a.bridgeId.localeCompare(b.bridgeId),
    );
}
