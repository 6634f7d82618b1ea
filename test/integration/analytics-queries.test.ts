import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applySchema,
  compareBridges,
  computeRates,
  openClickHouse,
  queryBridgeStats,
  querySeries,
  queryStats,
  queryTimeline,
  SERIES_SCHEMA,
  STATS_SCHEMA,
  TIMELINE_SCHEMA,
  toRow,
  type ClickHouseClient,
  type StatsScope,
} from '../../analytics/index.js';
import { EVENT_TYPES, type EventType } from '../../core/index.js';
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
    // Opens, clicks and complaints carry no source IP (they come back later, not from a Pool IP).
    if (!('ip' in scope))
      expect(
        Math.min(expected.opens, expected.uniqueClicks, expected.complaints, expected.machineOpens),
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
    for (const k of ['sent', 'delivered', 'bounced', 'complaints', 'opens', 'clicks'] as const) {
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
    expect(empty.rates).toEqual({ deliveryRate: 0, bounceRate: 0, complaintRate: 0, openRate: 0, clickRate: 0 });
    // Sent but nothing delivered yet: delivery and bounce rates are defined, the others are 0.
    const sentOnly = await queryStats(ch, DB, {
      scope: { bridgeId: 'br_edge' },
      from: new Date(Date.UTC(2024, 2, 11, 13)),
      to: new Date(Date.UTC(2024, 2, 11, 14)),
    });
    expect(sentOnly.totals.sent).toBe(1);
    expect(sentOnly.rates).toEqual({ deliveryRate: 0, bounceRate: 0, complaintRate: 0, openRate: 0, clickRate: 0 });
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
