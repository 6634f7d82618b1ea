import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGGREGATE_TABLE,
  applySchema,
  openClickHouse,
  queryStats,
  queryTagStats,
  toRow,
  type ClickHouseClient,
} from '../../analytics/index.js';
import type { MailEvent } from '../../core/index.js';

const DB = 'bridgemail';
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
const RANGE = { from: new Date(T0 - 3_600_000), to: new Date(T0 + 3_600_000) };

/** `events` and `events_per_minute` as an installation from before tags created them (the DDL of then). */
const OLD_SCHEMA = [
  `CREATE DATABASE ${DB}`,
  `CREATE TABLE ${DB}.events (
    event_id String, type LowCardinality(String), ts DateTime64(3, 'UTC'), message_id String,
    bridge_id LowCardinality(String), pool_id LowCardinality(String), recipient String,
    ip LowCardinality(String), attempt UInt16, hard UInt8, machine UInt8
  ) ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(ts) ORDER BY (bridge_id, type, ts, event_id)`,
  `CREATE TABLE ${DB}.events_per_minute (
    bridge_id LowCardinality(String), minute DateTime('UTC'), pool_id LowCardinality(String),
    ip LowCardinality(String), type LowCardinality(String), machine UInt8, hard UInt8,
    keys AggregateFunction(uniqExact, UInt64), event_ids AggregateFunction(uniqExact, UInt64)
  ) ENGINE = AggregatingMergeTree PARTITION BY toYYYYMM(minute)
  ORDER BY (bridge_id, minute, type, pool_id, ip, machine, hard)`,
  `CREATE MATERIALIZED VIEW ${DB}.events_per_minute_mv TO ${DB}.events_per_minute AS
  SELECT bridge_id, toStartOfMinute(ts) AS minute, pool_id, ip, type, machine, hard,
    uniqExactState(sipHash64(message_id, recipient, if(type = 'deferred', attempt, toUInt16(0)))) AS keys,
    uniqExactStateIf(sipHash64(event_id), type IN ('opened', 'clicked')) AS event_ids
  FROM ${DB}.events GROUP BY bridge_id, minute, pool_id, ip, type, machine, hard`,
];

const sent = (i: number, extra: Partial<MailEvent> = {}): MailEvent => ({
  id: `ev_${i}`,
  type: 'sent',
  ts: T0 + i * 1000,
  messageId: `msg_${i}`,
  bridgeId: 'br_m',
  poolId: 'pool_m',
  recipient: `r${i}@example.test`,
  ip: '127.0.0.2',
  attempt: 1,
  ...extra,
});

// An installation upgraded in place: the aggregate without the tag is migrated into the one keyed
// on it at start, its totals kept (also those of raw events a TTL removed), nothing counted twice.
describe('per-minute aggregate migration to the tag-keyed table', () => {
  let dir: string;
  let ch: ClickHouseClient;
  const tables = async () =>
    (
      await (
        await ch.query({
          query: 'SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name',
          query_params: { db: DB },
          format: 'JSONEachRow',
        })
      ).json<{ name: string }>()
    ).map((r) => r.name);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridgemail-aggregate-'));
    ch = openClickHouse({ chdbPath: join(dir, 'chdb') });
    for (const query of OLD_SCHEMA) await ch.command({ query });
    const values = [0, 1, 2].map((i) => {
      const e = sent(i);
      return {
        event_id: e.id,
        type: e.type,
        ts: e.ts,
        message_id: e.messageId,
        bridge_id: e.bridgeId,
        pool_id: e.poolId,
        recipient: e.recipient,
        ip: '127.0.0.2',
        attempt: 1,
      };
    });
    await ch.insert({ table: `${DB}.events`, values, format: 'JSONEachRow' });
    // A TTL removed one raw event already: only the old aggregate still counts it.
    await ch.command({ query: `ALTER TABLE ${DB}.events DELETE WHERE event_id = 'ev_0' SETTINGS mutations_sync = 1` });
  });
  afterAll(async () => {
    await ch?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('copies the old totals under an empty tag, drops the old table and view, and is idempotent', async () => {
    await applySchema(ch, DB);
    expect(await tables()).toEqual(['events', AGGREGATE_TABLE, `${AGGREGATE_TABLE}_mv`]);
    await applySchema(ch, DB);
    const stats = await queryStats(ch, DB, { scope: { bridgeId: 'br_m' }, ...RANGE });
    expect(stats.totals.sent).toBe(3);

    // New events are aggregated with their tag; one inserted twice counts once.
    const tagged = [sent(3, { tag: 'welcome' }), sent(4, { tag: 'welcome' }), sent(5, { tag: 'promo' })];
    await ch.insert({ table: `${DB}.events`, values: tagged.map(toRow), format: 'JSONEachRow' });
    await ch.insert({ table: `${DB}.events`, values: tagged.slice(0, 1).map(toRow), format: 'JSONEachRow' });
    const byTag = await queryTagStats(ch, DB, { bridgeId: 'br_m', ...RANGE });
    expect(byTag.map((r) => [r.tag, r.totals.sent])).toEqual([
      ['', 3],
      ['welcome', 2],
      ['promo', 1],
    ]);
    const welcome = await queryStats(ch, DB, { scope: { bridgeId: 'br_m', tag: 'welcome' }, ...RANGE });
    expect(welcome.totals.sent).toBe(2);
  });
});
