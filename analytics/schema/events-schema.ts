import type { ClickHouseClient } from '@clickhouse/client';
import { DERIVED_EVENT_COLUMNS, EVENT_COLUMN_LIST, type EventType } from '../../core/index.js';

/** Settings of {@link applySchema}. */
export interface SchemaOptions {
  /**
   * Days raw `events` rows are kept; 0 keeps them for ever. The per-minute aggregates have no TTL,
   * so totals and series outlive the raw events. @defaultValue 0
   */
  ttlDays?: number;
}

/** Per-minute aggregates the stats queries read instead of raw events. */
export const AGGREGATE_TABLE = 'events_per_minute';

/** The materialized view that feeds {@link AGGREGATE_TABLE} from every insert into `events`. */
export const AGGREGATE_VIEW = 'events_per_minute_mv';

/**
 * What the view aggregates.
 * `keys` holds what counts once per outcome: (message, recipient), plus the attempt for deferrals.
 * `event_ids` holds open and click event ids. Both are exact sets (uniqExact) of 64-bit SipHashes
 * of those keys, so an event the writer inserted twice (at-least-once from Redis) lands in the same
 * set twice and counts once. Hashing halves the state against uniqExact's own 128-bit hash of
 * strings; a collision needs ~4·10⁹ keys in one count to become likely (birthday bound on 2⁶⁴).
 */
function aggregateSelect(database: string): string {
  return `
    SELECT
      bridge_id,
      toStartOfMinute(ts) AS minute,
      pool_id,
      ip,
      type,
      machine,
      hard,
      uniqExactState(sipHash64(message_id, recipient, if(${typeIs('deferred')}, attempt, toUInt16(0)))) AS keys,
      uniqExactStateIf(sipHash64(event_id), ${typeIs('opened', 'clicked')}) AS event_ids
    FROM ${database}.events
    GROUP BY bridge_id, minute, pool_id, ip, type, machine, hard`;
}

/**
 * DDL of the analytics store, applied at start on chDB and on a server alike (idempotent).
 * `events` holds every event; ReplacingMergeTree on the event id collapses a batch the writer
 * inserted twice (at-least-once delivery from Redis), and the stats queries count distinct keys.
 * `events_per_minute` (AggregatingMergeTree, fed by `events_per_minute_mv`) holds per-minute,
 * per-Bridge/Pool/IP/type sets of those keys: stats merge them and never scan raw events.
 */
export function eventsSchema(database: string): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${database}`,
    `CREATE TABLE IF NOT EXISTS ${database}.events (
      ${eventColumnsDdl().join(',\n      ')},
      -- Bounces and complaints are tied back to their message by id: a skip index keeps that cheap.
      INDEX events_message_id message_id TYPE bloom_filter GRANULARITY 4
    )
    ENGINE = ReplacingMergeTree
    PARTITION BY toYYYYMM(ts)
    ORDER BY (bridge_id, type, ts, event_id)`,
    ...aggregateSchema(database),
  ];
}

/** The columns of `events`: one per field of the event schema (core/event-schema.ts), then the derived ones. */
export function eventColumnsDdl(): string[] {
  return [
    ...EVENT_COLUMN_LIST.map((c) => `${c.column} ${c.type}`),
    ...Object.entries(DERIVED_EVENT_COLUMNS).map(([column, c]) => `${column} ${c.type}`),
  ];
}

/** `type = '<kind>'` (or `type IN (…)`) for SQL: the compiler checks each kind against the event schema. */
export function typeIs(...kinds: [EventType, ...EventType[]]): string {
  const list = kinds.map((k) => `'${k}'`).join(', ');
  return kinds.length === 1 ? `type = ${list}` : `type IN (${list})`;
}

/** DDL of {@link AGGREGATE_TABLE} and {@link AGGREGATE_VIEW}. */
function aggregateSchema(database: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${database}.${AGGREGATE_TABLE} (
      bridge_id  LowCardinality(String),
      minute     DateTime('UTC'),
      pool_id    LowCardinality(String),
      ip         LowCardinality(String),
      type       LowCardinality(String),
      machine    UInt8,
      hard       UInt8,
      keys       AggregateFunction(uniqExact, UInt64),
      event_ids  AggregateFunction(uniqExact, UInt64)
    )
    ENGINE = AggregatingMergeTree
    PARTITION BY toYYYYMM(minute)
    ORDER BY (bridge_id, minute, type, pool_id, ip, machine, hard)`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.${AGGREGATE_VIEW}
    TO ${database}.${AGGREGATE_TABLE} AS ${aggregateSelect(database)}`,
  ];
}

/** The TTL clause `events` should carry, or undefined for none. */
function ttlClause(ttlDays: number): string | undefined {
  return ttlDays > 0 ? `toDateTime(ts) + toIntervalDay(${Math.floor(ttlDays)})` : undefined;
}

/** Sets or removes the TTL of `events`, only when it differs (a change rewrites parts). */
async function applyTtl(client: ClickHouseClient, database: string, ttlDays: number): Promise<void> {
  const result = await client.query({
    query: "SELECT engine_full FROM system.tables WHERE database = {database:String} AND name = 'events'",
    query_params: { database },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ engine_full: string }>();
  const current = /\bTTL (.+?)(?: SETTINGS |$)/.exec(row?.engine_full ?? '')?.[1]?.trim();
  const wanted = ttlClause(ttlDays);
  if (wanted === current) return;
  if (wanted) await client.command({ query: `ALTER TABLE ${database}.events MODIFY TTL ${wanted}` });
  else await client.command({ query: `ALTER TABLE ${database}.events REMOVE TTL` });
}

/** Applies {@link eventsSchema} and the TTL of `events`. */
export async function applySchema(
  client: ClickHouseClient,
  database: string,
  options: SchemaOptions = {},
): Promise<void> {
  for (const statement of eventsSchema(database)) await client.command({ query: statement });
  await applyTtl(client, database, options.ttlDays ?? 0);
}
