import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { AGGREGATE_TABLE, typeIs } from '../schema/events-schema.js';

/** Totals of one Bridge's events, as the stats API returns them. */
export const BRIDGE_STATS_SCHEMA = z.object({
  sent: z.number().describe('Recipients handed to a first delivery attempt'),
  delivered: z.number().describe('Recipients whose MX accepted the message (2xx)'),
  deferred: z
    .number()
    .describe('Temporary failures, one per recipient and attempt (deferrals, not messages: see deferredMessages)'),
  bounced: z.number().describe('Recipients that finally failed (5xx, expired, undeliverable, or a DSN later)'),
  hardBounces: z.number().describe('Bounces saying the address itself is bad (user/host unknown, moved): suppressed'),
  softBounces: z
    .number()
    .describe('Every other bounce (policy, spam, reputation, mailbox full, expired): not suppressed'),
  complaints: z.number().describe('Spam complaints'),
  unsubscribes: z.number().describe('Recipients who unsubscribed through List-Unsubscribe (one-click or mailto)'),
  opens: z.number().describe('Opens by people (pixel loads, machine fetches excluded)'),
  uniqueOpens: z.number().describe('Messages (per recipient) opened at least once by a person'),
  machineOpens: z.number().describe('Pixel loads by machines: privacy proxies (Apple MPP), image prefetchers'),
  clicks: z.number().describe('Clicks by people (link scanners excluded)'),
  uniqueClicks: z.number().describe('Messages (per recipient) with at least one click by a person'),
  machineClicks: z.number().describe('Clicks by link scanners (known agents, or within seconds of sending)'),
});

/** Totals of one Bridge's events. */
export type BridgeStats = z.infer<typeof BRIDGE_STATS_SCHEMA>;

/**
 * Whose events a stats query counts: one Bridge, one Pool or one source IP; with `tag`, only messages
 * with that tag. Live sends only, unless `sandbox` (then sandbox sends only: the two never mix).
 */
export type StatsScope = (
  | { bridgeId: string }
  | { poolId: string }
  | { ip: string }
  /** Several Bridges together: an account's. */
  | { bridgeIds: readonly string[] }
) & {
  tag?: string;
  sandbox?: boolean;
};

/** `sandbox = 0` (live sends, the default everywhere) or `sandbox = 1`. */
export const sandboxIs = (sandbox = false): string => `sandbox = ${sandbox ? 1 : 0}`;

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
  unsubscribeRate: z.number().describe('unsubscribes / delivered'),
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
  unsubscribes: z.number(),
  opens: z.number().describe('Opens by people'),
  uniqueOpens: z.number().describe('Messages (per recipient) opened by a person in this bucket'),
  clicks: z.number().describe('Clicks by people'),
  uniqueClicks: z.number().describe('Messages (per recipient) with a click by a person in this bucket'),
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
  unsubscribes: `uniqExactMergeIf(keys, ${typeIs('unsubscribed')})`,
  opens: `uniqExactMergeIf(event_ids, ${typeIs('opened')} AND machine = 0)`,
  uniqueOpens: `uniqExactMergeIf(keys, ${typeIs('opened')} AND machine = 0)`,
  machineOpens: `uniqExactMergeIf(event_ids, ${typeIs('opened')} AND machine = 1)`,
  clicks: `uniqExactMergeIf(event_ids, ${typeIs('clicked')} AND machine = 0)`,
  uniqueClicks: `uniqExactMergeIf(keys, ${typeIs('clicked')} AND machine = 0)`,
  machineClicks: `uniqExactMergeIf(event_ids, ${typeIs('clicked')} AND machine = 1)`,
};
const TOTAL_KEYS = Object.keys(TOTALS_SQL) as (keyof BridgeStats)[];
const SERIES_KEYS = [
  'sent',
  'delivered',
  'bounced',
  'complaints',
  'unsubscribes',
  'opens',
  'uniqueOpens',
  'clicks',
  'uniqueClicks',
] as const;

function selectList(keys: readonly (keyof BridgeStats)[]): string {
  return keys.map((k) => `${TOTALS_SQL[k]} AS ${k}`).join(',\n');
}

/** `YYYY-MM-DD hh:mm:ss.sss` in UTC, as a DateTime64(3, 'UTC') parameter. */
function chTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

function scopeFilter(scope: StatsScope): { sql: string; params: Record<string, unknown> } {
  const tag: { sql: string; params: Record<string, string> } =
    scope.tag === undefined ? { sql: '', params: {} } : { sql: ' AND tag = {tag:String}', params: { tag: scope.tag } };
  const one = (sql: string, value: string | readonly string[]) => ({
    sql: `${sql}${tag.sql} AND ${sandboxIs(scope.sandbox)}`,
    params: { scope: value, ...tag.params },
  });
  if ('bridgeId' in scope) return one('bridge_id = {scope:String}', scope.bridgeId);
  // An empty list matches no Bridge (no id is empty).
  if ('bridgeIds' in scope)
    return one('bridge_id IN {scope:Array(String)}', scope.bridgeIds.length ? scope.bridgeIds : ['']);
  if ('poolId' in scope) return one('pool_id = {scope:String}', scope.poolId);
  return one('ip = {scope:String}', scope.ip);
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
    unsubscribeRate: ratio(t.unsubscribes, t.delivered),
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
    query_params: { ...filter.params, ...(range && { from: chTime(range.from), to: chTime(range.to) }) },
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
    query_params: { ...filter.params, from: chTime(options.from), to: chTime(options.to) },
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
      WHERE ${RANGE_SQL} AND ${sandboxIs()}
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

/** One tag of a Bridge in {@link queryTagStats}; the tag is '' for messages without one. */
export type TagStats = Stats & { tag: string };

/**
 * Totals and rates per tag of one Bridge over a range, from the per-minute aggregates (which keep
 * the tag): busiest first (most sent, then most delivered), then by tag.
 */
export async function queryTagStats(
  client: ClickHouseClient,
  database: string,
  options: StatsRange & { bridgeId: string },
): Promise<TagStats[]> {
  const result = await client.query({
    query: `SELECT tag, ${selectList(TOTAL_KEYS)}
      FROM ${database}.${AGGREGATE_TABLE}
      WHERE bridge_id = {bridgeId:String} AND ${RANGE_SQL} AND ${sandboxIs()}
      GROUP BY tag`,
    query_params: { bridgeId: options.bridgeId, from: chTime(options.from), to: chTime(options.to) },
    format: 'JSONEachRow',
  });
  const rows = await result.json<Record<keyof BridgeStats, string | number> & { tag: string }>();
  return rows
    .map((row) => {
      const totals = toTotals(row);
      return { tag: row.tag, totals, rates: computeRates(totals) };
    })
    .sort(
      (a, b) => b.totals.sent - a.totals.sent || b.totals.delivered - a.totals.delivered || a.tag.localeCompare(b.tag),
    );
}

/** Messages (per recipient) that met a temporary failure, counted once however many attempts failed. */
export const DEFERRALS_SCHEMA = z.object({
  deferredMessages: z.number().describe('Messages (per recipient) deferred at least once in the range'),
  awaitingRetry: z
    .number()
    .describe('Of those, messages (per recipient) with no delivery or bounce yet: waiting for a retry now'),
});

/** See {@link DEFERRALS_SCHEMA}. */
export type Deferrals = z.infer<typeof DEFERRALS_SCHEMA>;

/**
 * Deferred messages of a scope over a range. The aggregates count deferrals per attempt, so this
 * reads the raw `events`: the scope's deferrals in the range, and its deliveries and bounces from
 * the range's start on (an outcome after `to` still ends the wait).
 */
export async function queryDeferrals(
  client: ClickHouseClient,
  database: string,
  options: StatsRange & { scope: StatsScope },
): Promise<Deferrals> {
  const filter = scopeFilter(options.scope);
  const result = await client.query({
    query: `SELECT count() AS deferredMessages, countIf(done = 0) AS awaitingRetry
      FROM (
        SELECT message_id, recipient,
          max(${typeIs('deferred')} AND ts < {to:DateTime64(3, 'UTC')}) AS deferred,
          max(${typeIs('delivered', 'bounced')}) AS done
        FROM ${database}.events
        WHERE ${filter.sql} AND ${typeIs('deferred', 'delivered', 'bounced')}
          AND ts >= toStartOfMinute({from:DateTime64(3, 'UTC')})
        GROUP BY message_id, recipient
        HAVING deferred = 1
      )`,
    query_params: { ...filter.params, from: chTime(options.from), to: chTime(options.to) },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<Record<keyof Deferrals, string | number>>();
  return { deferredMessages: Number(row?.deferredMessages ?? 0), awaitingRetry: Number(row?.awaitingRetry ?? 0) };
}
