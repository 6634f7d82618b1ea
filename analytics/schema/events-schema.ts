import type { ClickHouseClient } from '@clickhouse/client';
import { DERIVED_EVENT_COLUMNS, EVENT_COLUMN_LIST, EVENT_COLUMNS, type EventType } from '../../core/index.js';

/** Settings of {@link applySchema}. */
export interface SchemaOptions {
  /**
   * Days raw `events` rows are kept; 0 keeps them for ever. The per-minute aggregates have no TTL,
   * so totals and series outlive the raw events. @defaultValue 0
   */
  ttlDays?: number;
}

/**
 * Per-minute aggregates the stats queries read instead of raw events. Version 2 keeps the tag in
 * its sort key (stats by tag), and the sandbox flag (sandbox sends are counted apart from live ones); version 1 (`events_per_minute`, without the tag) is migrated into it
 * at start, see {@link migrateAggregateV1}.
 */
export const AGGREGATE_TABLE = 'events_per_minute_v2';

/** The materialized view that feeds {@link AGGREGATE_TABLE} from every insert into `events`. */
export const AGGREGATE_VIEW = 'events_per_minute_v2_mv';

/** The aggregate table and view before the tag: dropped once their rows are in {@link AGGREGATE_TABLE}. */
const AGGREGATE_V1 = { table: 'events_per_minute', view: 'events_per_minute_mv' } as const;

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
      tag,
      sandbox,
      uniqExactState(sipHash64(message_id, recipient, if(${typeIs('deferred')}, attempt, toUInt16(0)))) AS keys,
      uniqExactStateIf(sipHash64(event_id), ${typeIs('opened', 'clicked')}) AS event_ids
    FROM ${database}.events
    GROUP BY bridge_id, minute, pool_id, ip, type, machine, hard, tag, sandbox`;
}

/**
 * The activity search finds a recipient's messages among all events; the table is ordered by
 * Bridge, type and time, so one address is spread over many granules. A projection that holds only
 * the address and the row's offset in its part, ordered by address, is an index on it: ClickHouse
 * finds the address's rows through the projection's primary key and reads just those from the part.
 * (It needs ClickHouse 25.5 or later; a ReplacingMergeTree rebuilds it when it merges parts.)
 */
const RECIPIENT_PROJECTION = 'events_by_recipient (SELECT _part_offset ORDER BY recipient)';

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
      INDEX events_message_id message_id TYPE bloom_filter GRANULARITY 4,
      PROJECTION ${RECIPIENT_PROJECTION}
    )
    ENGINE = ReplacingMergeTree
    PARTITION BY toYYYYMM(ts)
    ORDER BY (bridge_id, type, ts, event_id)
    SETTINGS deduplicate_merge_projection_mode = 'rebuild'`,
    // A table created before the projection existed gets it for the parts written from now on, and
    // loses the bloom filter on recipient that served before it.
    `ALTER TABLE ${database}.events MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild'`,
    `ALTER TABLE ${database}.events ADD PROJECTION IF NOT EXISTS ${RECIPIENT_PROJECTION}`,
    `ALTER TABLE ${database}.events DROP INDEX IF EXISTS events_recipient`,
    // Tag and metadata came later: a table created before gets the columns (empty for older rows).
    ...EVENT_COLUMN_LIST.filter((c) => c.field === 'tag' || c.field === 'metadata').map(
      (c) => `ALTER TABLE ${database}.events ADD COLUMN IF NOT EXISTS ${c.column} ${c.type}`,
    ),
    // So did the due time of scheduled messages.
    `ALTER TABLE ${database}.events ADD COLUMN IF NOT EXISTS ${EVENT_COLUMNS.sendAt.column} ${EVENT_COLUMNS.sendAt.type}`,
    // And the sandbox flag (0 for older rows: nothing was sandboxed before).
    `ALTER TABLE ${database}.events ADD COLUMN IF NOT EXISTS ${EVENT_COLUMNS.sandbox.column} ${EVENT_COLUMNS.sandbox.type}`,
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
      tag        LowCardinality(String),
      sandbox    UInt8,
      keys       AggregateFunction(uniqExact, UInt64),
      event_ids  AggregateFunction(uniqExact, UInt64)
    )
    ENGINE = AggregatingMergeTree
    PARTITION BY toYYYYMM(minute)
    ORDER BY (bridge_id, minute, type, tag, pool_id, ip, machine, hard, sandbox)`,
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
  await migrateAggregateV1(client, database);
  await applyTtl(client, database, options.ttlDays ?? 0);
}

/**
 * Moves an installation from `events_per_minute` (no tag) to {@link AGGREGATE_TABLE}; nothing once
 * done. The new view feeds the new table already (eventsSchema), so the old view is dropped first,
 * then the old table's states are copied (their tag is empty: no event had one before) and the old
 * table is dropped. Copying states rather than re-aggregating raw events keeps the totals of events
 * a TTL has removed. Being interrupted is harmless: a minute copied twice, or counted by both
 * views, merges into the same uniqExact sets and counts once.
 */
export async function migrateAggregateV1(client: ClickHouseClient, database: string): Promise<void> {
  const result = await client.query({
    query: 'SELECT count() AS n FROM system.tables WHERE database = {database:String} AND name = {table:String}',
    query_params: { database, table: AGGREGATE_V1.table },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: number | string }>();
  if (Number(row?.n ?? 0) === 0) return;
  await client.command({ query: `DROP VIEW IF EXISTS ${database}.${AGGREGATE_V1.view}` });
  await client.command({
    query: `INSERT INTO ${database}.${AGGREGATE_TABLE}
        (bridge_id, minute, pool_id, ip, type, machine, hard, tag, keys, event_ids)
      SELECT bridge_id, minute, pool_id, ip, type, machine, hard, '', keys, event_ids
      FROM ${database}.${AGGREGATE_V1.table}`,
  });
  await client.command({ query: `DROP TABLE IF EXISTS ${database}.${AGGREGATE_V1.table}` });
}
