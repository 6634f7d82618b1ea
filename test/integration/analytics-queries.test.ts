import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applySchema,
  compareBridges,
  computeRates,
  eventsSchema,
  openClickHouse,
  queryBridgeStats,
  queryLastSends,
  querySeries,
  queryStats,
  queryTimeline,
  searchMessages,
  SERIES_SCHEMA,
  STATS_SCHEMA,
  TIMELINE_SCHEMA,
  toRow,
  type ClickHouseClient,
  type StatsScope,
} from '../../analytics/index.js';
import { EVENT_TYPES, MESSAGE_STATES, type EventType } from '../../core/index.js';
import { BASE, bruteForce, generateEvents, HOUR, matchScope, type MailEvent } from '../support/analytics-events.js';

const DB = 'bridgemail';

describe('analytics queries over the per-minute aggregates', () => {
  let dir: string;
  let ch: ClickHouseClient;
  const events = generateEvents();
  const duplicates = events.filter((_, i) => i % 7 === 3);
  const insert = (list: MailEvent[]) =>
    ch.insert({ table: `${DB}.events`, values: list.map(toRow), format: 'JSONEachRow' });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridgemail-analytics-'));
    ch = openClickHouse({ chdbPath: join(dir, 'chdb') });
    await applySchema(ch, DB);
    await applySchema(ch, DB); // idempotent
    for (let i = 0; i < events.length; i += 500) await insert(events.slice(i, i + 500));
    // At-least-once: some events reach the store a second time, in separate inserts.
    await insert(duplicates);
    await insert(duplicates.slice(0, 20));
  });
  afterAll(async () => {
    await ch?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores the generated events with duplicates', async () => {
    const [row] = await (
      await ch.query({
        query: `SELECT count() AS c, uniqExact(event_id) AS u FROM ${DB}.events`,
        format: 'JSONEachRow',
      })
    ).json<{ c: string; u: string }>();
    expect(Number(row?.u)).toBe(events.length);
    expect(Number(row?.c)).toBeGreaterThan(events.length); // not merged away yet: the stats must cope
    expect(duplicates.length).toBeGreaterThan(100);
  });

  it.each<[string, StatsScope]>([
    ['a Bridge', { bridgeId: 'br_b' }],
    ['a Pool', { poolId: 'pool_1' }],
    ['an IP', { ip: '127.0.0.3' }],
    ["an account's Bridges", { bridgeIds: ['br_a', 'br_c'] }],
  ])('queryStats for %s equals a brute-force count over the raw events', async (_, scope) => {
    const from = new Date(BASE);
    const to = new Date(BASE + 24 * HOUR);
    const stats = await queryStats(ch, DB, { scope, from, to });
    const expected = bruteForce(events, matchScope(scope));
    expect(stats.totals).toEqual(expected);
    expect(stats.rates).toEqual(computeRates(expected));
    expect(STATS_SCHEMA.parse(stats)).toEqual(stats);
    expect(expected.sent).toBeGreaterThan(0);
    expect(expected.bounced).toBeGreaterThan(0);
    // Opens, clicks, complaints and unsubscribes carry no source IP (they come back later, not from a Pool IP).
    if (!('ip' in scope))
      expect(
        Math.min(
          expected.opens,
          expected.uniqueClicks,
          expected.complaints,
          expected.unsubscribes,
          expected.machineOpens,
        ),
      ).toBeGreaterThan(0);

    // A sub-range, minute-aligned: only the events of those minutes.
    const subFrom = BASE + 30 * 60_000;
    const subTo = BASE + 90 * 60_000;
    const sub = await queryStats(ch, DB, { scope, from: new Date(subFrom), to: new Date(subTo) });
    expect(sub.totals).toEqual(bruteForce(events, matchScope(scope), subFrom, subTo));
  });

  it('queryBridgeStats (all time, from the aggregates) equals the brute-force count', async () => {
    for (const bridgeId of ['br_a', 'br_b', 'br_c']) {
      expect(await queryBridgeStats(ch, DB, bridgeId)).toEqual(bruteForce(events, (e) => e.bridgeId === bridgeId));
    }
  });

  it('puts events either side of an hour boundary in different buckets and fills empty buckets', async () => {
    const edge = { messageId: 'msg_edge', bridgeId: 'br_edge', poolId: 'pool_edge', ip: '127.0.0.9' };
    const t1059 = Date.UTC(2024, 2, 11, 10, 59, 59, 999);
    const t1100 = Date.UTC(2024, 2, 11, 11, 0, 0, 0);
    const t1330 = Date.UTC(2024, 2, 11, 13, 30, 0, 0);
    await insert([
      { ...edge, id: 'ev_edge_1', type: 'sent', ts: t1059, recipient: 'a@x.test' },
      { ...edge, id: 'ev_edge_2', type: 'sent', ts: t1100, recipient: 'b@x.test' },
      { ...edge, id: 'ev_edge_3', type: 'delivered', ts: t1100, recipient: 'b@x.test' },
      { ...edge, id: 'ev_edge_4', type: 'sent', ts: t1330, recipient: 'c@x.test' },
    ]);
    const scope = { bridgeId: 'br_edge' };
    const hours = await querySeries(ch, DB, {
      scope,
      from: new Date(Date.UTC(2024, 2, 11, 10)),
      to: new Date(Date.UTC(2024, 2, 11, 14)),
      interval: 'hour',
    });
    expect(SERIES_SCHEMA.parse(hours)).toEqual(hours);
    expect(hours.map((p) => [p.t, p.sent, p.delivered])).toEqual([
      ['2024-03-11T10:00:00.000Z', 1, 0],
      ['2024-03-11T11:00:00.000Z', 1, 1],
      ['2024-03-11T12:00:00.000Z', 0, 0],
      ['2024-03-11T13:00:00.000Z', 1, 0],
    ]);
    const minutes = await querySeries(ch, DB, {
      scope,
      from: new Date(Date.UTC(2024, 2, 11, 10, 58)),
      to: new Date(Date.UTC(2024, 2, 11, 11, 2)),
      interval: 'minute',
    });
    expect(minutes.map((p) => [p.t.slice(11, 16), p.sent])).toEqual([
      ['10:58', 0],
      ['10:59', 1],
      ['11:00', 1],
      ['11:01', 0],
    ]);
    const days = await querySeries(ch, DB, {
      scope,
      from: new Date(Date.UTC(2024, 2, 10)),
      to: new Date(Date.UTC(2024, 2, 13)),
      interval: 'day',
    });
    expect(days.map((p) => [p.t, p.sent])).toEqual([
      ['2024-03-10T00:00:00.000Z', 0],
      ['2024-03-11T00:00:00.000Z', 3],
      ['2024-03-12T00:00:00.000Z', 0],
    ]);
  });

  it('series over the generated mix add up to the totals', async () => {
    const scope = { bridgeId: 'br_a' };
    const from = new Date(BASE);
    const to = new Date(BASE + 6 * HOUR);
    const series = await querySeries(ch, DB, { scope, from, to, interval: 'hour' });
    expect(series).toHaveLength(6);
    const { totals } = await queryStats(ch, DB, { scope, from, to });
    // sent/delivered/bounced/complaints are per recipient, and each happens in one minute only.
    for (const k of ['sent', 'delivered', 'bounced', 'complaints', 'unsubscribes', 'opens', 'clicks'] as const) {
      expect(series.reduce((s, p) => s + p[k], 0)).toBe(totals[k]);
    }
  });

  it('reports rates of 0 when a denominator is 0', async () => {
    const empty = await queryStats(ch, DB, {
      scope: { bridgeId: 'br_none' },
      from: new Date(BASE),
      to: new Date(BASE + HOUR),
    });
    expect(Object.values(empty.totals).every((v) => v === 0)).toBe(true);
    expect(empty.rates).toEqual({
      deliveryRate: 0,
      bounceRate: 0,
      complaintRate: 0,
      unsubscribeRate: 0,
      openRate: 0,
      clickRate: 0,
    });
    // Sent but nothing delivered yet: delivery and bounce rates are defined, the others are 0.
    const sentOnly = await queryStats(ch, DB, {
      scope: { bridgeId: 'br_edge' },
      from: new Date(Date.UTC(2024, 2, 11, 13)),
      to: new Date(Date.UTC(2024, 2, 11, 14)),
    });
    expect(sentOnly.totals.sent).toBe(1);
    expect(sentOnly.rates).toEqual({
      deliveryRate: 0,
      bounceRate: 0,
      complaintRate: 0,
      unsubscribeRate: 0,
      openRate: 0,
      clickRate: 0,
    });
    const edgeAll = await queryStats(ch, DB, {
      scope: { bridgeId: 'br_edge' },
      from: new Date(Date.UTC(2024, 2, 11)),
      to: new Date(Date.UTC(2024, 2, 12)),
    });
    expect(edgeAll.rates.deliveryRate).toBeCloseTo(1 / 3);
  });

  it('compareBridges lists Bridges by complaint rate, highest first', async () => {
    const from = new Date(BASE);
    const to = new Date(BASE + 24 * HOUR);
    const list = await compareBridges(ch, DB, { from, to });
    expect(list.map((b) => b.bridgeId).sort()).toEqual(['br_a', 'br_b', 'br_c']);
    for (const b of list) expect(b.totals).toEqual(bruteForce(events, (e) => e.bridgeId === b.bridgeId));
    const rates = list.map((b) => b.rates.complaintRate);
    expect([...rates].sort((x, y) => y - x)).toEqual(rates);
    expect(list[0]?.bridgeId).toBe('br_b');
  });

  it('queryLastSends gives each Bridge the minute of its own last send, and no entry to one that never sent', async () => {
    const at = (minute: number, second: number) => Date.UTC(2024, 5, 1, 9, minute, second);
    const ev = (id: string, bridgeId: string, type: EventType, ts: number): MailEvent => ({
      id,
      bridgeId,
      type,
      ts,
      messageId: `msg_${id}`,
      poolId: 'pool_last',
      recipient: `${id}@x.test`,
    });
    await insert([
      ev('last_1', 'br_last', 'sent', at(10, 5)),
      ev('last_2', 'br_last', 'sent', at(12, 59)),
      // Later events that are not sends leave the last send where it is.
      ev('last_3', 'br_last', 'delivered', at(40, 0)),
      ev('last_4', 'br_last', 'queued', at(41, 0)),
      // A sibling that sends later (another Bridge, the same Pool) does not move it either.
      ev('last_5', 'br_last_sibling', 'sent', at(30, 1)),
      ev('last_6', 'br_never_sent', 'queued', at(50, 0)),
      ev('last_7', 'br_never_sent', 'bounced', at(51, 0)),
    ]);
    const last = await queryLastSends(ch, DB);
    expect(last.get('br_last')).toBe('2024-06-01T09:12:00.000Z');
    expect(last.get('br_last_sibling')).toBe('2024-06-01T09:30:00.000Z');
    expect(last.has('br_never_sent')).toBe(false);
    // The generated Bridges: the minute of their latest `sent` event, by brute force.
    for (const bridgeId of ['br_a', 'br_b', 'br_c']) {
      const newest = Math.max(...events.filter((e) => e.bridgeId === bridgeId && e.type === 'sent').map((e) => e.ts));
      expect(last.get(bridgeId)).toBe(new Date(Math.floor(newest / 60_000) * 60_000).toISOString());
    }
  });

  it('returns the timeline of a message in order, each event once, and only to its Bridge', async () => {
    const target = events.find((e) => e.type === 'deferred') ?? events[0];
    const messageId = target?.messageId ?? '';
    // Time, then lifecycle (same-millisecond events in the order they can happen), then event id.
    const rank = (type: EventType) => EVENT_TYPES.indexOf(type);
    const expected = events
      .filter((e) => e.messageId === messageId)
      .sort((a, b) => a.ts - b.ts || rank(a.type) - rank(b.type) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const timeline = await queryTimeline(ch, DB, messageId);
    expect(TIMELINE_SCHEMA.parse(timeline)).toEqual(timeline);
    expect(timeline.map((e) => [e.eventId, e.type, e.ts])).toEqual(
      expected.map((e) => [e.id, e.type, new Date(e.ts).toISOString()]),
    );
    const deferred = timeline.find((e) => e.type === 'deferred');
    expect(deferred).toMatchObject({
      replyCode: 451,
      reply: '451 4.7.1 try later',
      mx: 'mx.test',
      reason: 'greylisted',
    });
    expect(await queryTimeline(ch, DB, messageId, { bridgeId: target?.bridgeId ?? '' })).toEqual(timeline);
    expect(await queryTimeline(ch, DB, messageId, { bridgeId: 'br_other' })).toEqual([]);
    expect(await queryTimeline(ch, DB, 'msg_unknown')).toEqual([]);
  });

  it('sets and removes the TTL of events', async () => {
    const db = 'bm_ttl';
    await applySchema(ch, db, { ttlDays: 30 });
    const engine = async () =>
      (
        await (
          await ch.query({
            query: `SELECT engine_full FROM system.tables WHERE database = '${db}' AND name = 'events'`,
            format: 'JSONEachRow',
          })
        ).json<{ engine_full: string }>()
      )[0]?.engine_full ?? '';
    expect(await engine()).toMatch(/TTL toDateTime\(ts\) \+ toIntervalDay\(30\)/);
    await applySchema(ch, db, { ttlDays: 30 });
    await applySchema(ch, db);
    expect(await engine()).not.toMatch(/TTL/);
    await ch.command({ query: `DROP DATABASE ${db}` });
  });

  it('searchMessages equals a brute-force latest state per message, for a day long past and a recent one', async () => {
    const rank = (t: string) => EVENT_TYPES.indexOf(t as EventType);
    const states = new Set<string>(MESSAGE_STATES);
    const pairs = new Map<string, { bridgeId: string; accepted: number; state: string; at: number; rank: number }>();
    for (const e of events) {
      const key = `${e.messageId}\n${e.recipient}`;
      const pair = pairs.get(key) ?? { bridgeId: e.bridgeId, accepted: Infinity, state: '', at: -1, rank: -1 };
      if (e.type === 'queued') pair.accepted = Math.min(pair.accepted, e.ts);
      if (states.has(e.type) && (e.ts > pair.at || (e.ts === pair.at && rank(e.type) > pair.rank)))
        Object.assign(pair, { state: e.type, at: e.ts, rank: rank(e.type) });
      pairs.set(key, pair);
    }
    const day = Math.floor(BASE / 86_400_000) * 86_400_000;
    const from = new Date(day);
    const to = new Date(day + 86_400_000);
    for (const status of [undefined, 'bounced', 'delivered', 'complained'] as const) {
      const expected = [...pairs]
        .filter(([, p]) => p.bridgeId === 'br_a' && (status === undefined || p.state === status))
        .map(([key, p]) => ({ key, accepted: p.accepted, state: p.state }))
        .sort((a, b) => b.accepted - a.accepted || (b.key < a.key ? -1 : b.key > a.key ? 1 : 0))
        .map((p) => `${p.key.replace('\n', ' ')} ${p.state}`);
      expect(expected.length, String(status)).toBeGreaterThan(0);
      // A day long past (the candidates are the messages accepted in it) and the same day as today.
      for (const now of [Date.now(), to.getTime()]) {
        const page = await searchMessages(ch, DB, { bridgeId: 'br_a', status, from, to, limit: 1000 }, now);
        expect(
          page.rows.map((r) => `${r.messageId} ${r.recipient} ${r.state}`),
          `${status} ${now}`,
        ).toEqual(expected);
      }
    }
  });

  it('finds a recipient through the events_by_recipient projection, also on a table made before it', async () => {
    const db = 'bm_recipient';
    // The table as it was before the projection: the same columns, a bloom filter on recipient.
    const [createDatabase, createEvents] = eventsSchema(db);
    await ch.command({ query: createDatabase ?? '' });
    await ch.command({
      query: (createEvents ?? '')
        .replace(
          /PROJECTION events_by_recipient .*\n/,
          'INDEX events_recipient recipient TYPE bloom_filter(0.01) GRANULARITY 1\n',
        )
        .replace(/SETTINGS .*$/, ''),
    });
    const ddl = async () =>
      (
        await (
          await ch.query({
            query: `SELECT create_table_query AS q FROM system.tables WHERE database = '${db}' AND name = 'events'`,
            format: 'JSONEachRow',
          })
        ).json<{ q: string }>()
      )[0]?.q ?? '';
    expect(await ddl()).toContain('INDEX events_recipient');
    await applySchema(ch, db);
    await applySchema(ch, db);
    expect(await ddl()).toContain('PROJECTION events_by_recipient');
    expect(await ddl()).not.toContain('INDEX events_recipient');
    // Enough rows for many granules, each address on one row.
    await ch.command({
      query: `INSERT INTO ${db}.events (event_id, type, ts, message_id, bridge_id, recipient)
              SELECT concat('ev', toString(number)), 'queued', toDateTime64('2024-01-01 00:00:00', 3, 'UTC') + number,
                     concat('msg', toString(number)), concat('br_', toString(number % 7)),
                     concat('u', toString(number), '@example.test')
              FROM numbers(100000)`,
    });
    const recipient = 'u4242@example.test';
    // ClickHouse uses a projection index from 1 M rows on (min_table_rows_to_use_projection_index):
    // the test lowers that, and asks the plan whether the projection filters the read.
    const settings = { min_table_rows_to_use_projection_index: '0' };
    const plan = await (
      await ch.query({
        query: `EXPLAIN projections = 1 SELECT message_id FROM ${db}.events WHERE recipient = {r:String}`,
        query_params: { r: recipient },
        format: 'TabSeparatedRaw',
        clickhouse_settings: settings,
      })
    ).text();
    expect(plan).toMatch(/Name: events_by_recipient\s+Description: Projection has been analyzed and will be applied/);
    const rows = await (
      await ch.query({
        query: `SELECT message_id FROM ${db}.events WHERE recipient = {r:String}`,
        query_params: { r: recipient },
        format: 'JSONEachRow',
        clickhouse_settings: settings,
      })
    ).json<{ message_id: string }>();
    expect(rows).toEqual([{ message_id: 'msg4242' }]);
    await ch.command({ query: `DROP DATABASE ${db}` });
  });

  it('runs every example query of docs/analytics.md', async () => {
    const doc = await readFile(new URL('../../docs/analytics.md', import.meta.url), 'utf8');
    const blocks = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    for (const sql of blocks) {
      const result = await ch
        .query({ query: sql.trim().replace(/;\s*$/, ''), format: 'JSONEachRow' })
        .catch((err: unknown) => {
          throw new Error(`docs query failed: ${String(err)}\n${sql}`);
        });
      expect(Array.isArray(await result.json())).toBe(true);
    }
  });
});
