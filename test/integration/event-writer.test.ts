import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySchema, openClickHouse, startEventWriter, type ClickHouseClient } from '../../analytics/index.js';
import {
  createLogger,
  decodeEventEntry,
  DERIVED_EVENT_COLUMNS,
  encodeEventEntry,
  EVENT_COLUMN_LIST,
  EventPublisher,
  eventStreamKey,
  EVENTS_PER_ENTRY,
  spawnRedisServer,
  type MailEvent,
  type SpawnedRedis,
} from '../../core/index.js';
import { streamEvents } from '../support/event-stream.js';
import { refusedPort } from '../support/refused-port.js';
import { waitFor } from '../support/wait.js';

describe('analytics writer while ClickHouse is unavailable', () => {
  let dir: string;
  let spawned: SpawnedRedis | undefined;
  let redisUrl: string;
  const prefix = `bmw${randomBytes(4).toString('hex')}`;
  const logger = createLogger({ level: 'silent' });
  const clients: Redis[] = [];
  const connect = () => {
    const r = new Redis(redisUrl, { maxRetriesPerRequest: null });
    clients.push(r);
    return r;
  };
  let chdb: ClickHouseClient | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridgemail-writer-'));
    if (process.env.REDIS_URL) {
      redisUrl = process.env.REDIS_URL;
    } else {
      spawned = await spawnRedisServer({ dir: join(dir, 'redis'), logger });
      redisUrl = spawned.url;
    }
  });
  afterAll(async () => {
    const r = connect();
    await r.del(eventStreamKey(prefix));
    for (const c of clients) c.disconnect();
    await chdb?.close();
    await spawned?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps every event in Redis while inserts fail, then back-fills them all', async () => {
    const key = eventStreamKey(prefix);
    const publisher = new EventPublisher(connect(), prefix);
    const event = (i: number) => ({
      type: 'delivered' as const,
      messageId: `msg_${i}`,
      bridgeId: 'br_writer',
      poolId: 'pool_writer',
      recipient: `r${i}@example.test`,
    });
    await publisher.publish(Array.from({ length: 50 }, (_, i) => event(i)));

    // A ClickHouse URL where nothing listens.
    const down = openClickHouse({ url: `http://127.0.0.1:${await refusedPort()}` });
    const reader = connect();
    const writerDown = await startEventWriter({
      redis: connect(),
      prefix,
      clickhouse: down,
      database: 'bridgemail',
      logger,
      flushMs: 50,
    });
    // One publish of 50 is one stream entry: read, and left pending.
    await waitFor(
      async () => {
        const [count] = (await reader.xpending(key, 'analytics-writer')) as [number];
        return count === 1;
      },
      10_000,
      'events read but left pending',
    );
    await publisher.publish(Array.from({ length: 25 }, (_, i) => event(50 + i)));
    expect(writerDown.inserted).toBe(0);
    expect(await reader.xlen(key)).toBe(2);
    expect((await streamEvents(reader, key)).map((e) => e.messageId)).toEqual(
      Array.from({ length: 75 }, (_, i) => `msg_${i}`),
    );
    await writerDown.close();
    await down.close();

    // ClickHouse is back (embedded chDB here): the backlog drains completely.
    chdb = openClickHouse({ chdbPath: join(dir, 'chdb') });
    await applySchema(chdb, 'bridgemail');
    const writerUp = await startEventWriter({
      redis: connect(),
      prefix,
      clickhouse: chdb,
      database: 'bridgemail',
      logger,
      flushMs: 50,
    });
    await waitFor(async () => (await reader.xlen(key)) === 0, 20_000, 'stream drained');
    await writerUp.close();
    const rows = await (
      await chdb.query({
        query: "SELECT uniqExact(message_id) AS n, count() AS c FROM bridgemail.events WHERE bridge_id = 'br_writer'",
        format: 'JSONEachRow',
      })
    ).json<{ n: string | number; c: string | number }>();
    expect(Number(rows[0]?.n)).toBe(75);
    expect(Number(rows[0]?.c)).toBe(75);
  });

  it('gathers a partial batch for up to flushMs, and writes and acknowledges it when closed early', async () => {
    const key = eventStreamKey(prefix);
    const ch = chdb ?? openClickHouse({ chdbPath: join(dir, 'chdb') });
    chdb = ch;
    await applySchema(ch, 'bridgemail');
    const publisher = new EventPublisher(connect(), prefix);
    const reader = connect();
    const count = async () =>
      Number(
        (
          await (
            await ch.query({
              query: "SELECT count() AS c FROM bridgemail.events WHERE bridge_id = 'br_gather'",
              format: 'JSONEachRow',
            })
          ).json<{ c: string }>()
        )[0]?.c,
      );
    // A long flushMs: the writer holds what it read, waiting for a fuller batch.
    const writer = await startEventWriter({
      redis: connect(),
      prefix,
      clickhouse: ch,
      database: 'bridgemail',
      logger,
      flushMs: 30_000,
    });
    await publisher.publish(
      Array.from({ length: 3 }, (_, i) => ({
        type: 'sent' as const,
        messageId: `msg_g${i}`,
        bridgeId: 'br_gather',
        poolId: 'p',
        recipient: `g${i}@example.test`,
      })),
    );
    await waitFor(
      async () => ((await reader.xpending(key, 'analytics-writer')) as [number])[0] === 1,
      10_000,
      'events read and held',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await count()).toBe(0);
    const started = Date.now();
    await writer.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await count()).toBe(3);
    expect(((await reader.xpending(key, 'analytics-writer')) as [number])[0]).toBe(0);
  });
  it('packs the events of one tick into entries of at most EVENTS_PER_ENTRY, and reads old one-event entries too', async () => {
    const r = connect();
    const p = `${prefix}pack`;
    const publisher = new EventPublisher(r, p);
    const streamKey = eventStreamKey(p);
    const n = EVENTS_PER_ENTRY * 2 + 20;
    // Separate calls in one tick share the tick's entries; the lone publish after gets an `e` entry.
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        publisher.publish([{ type: 'sent', messageId: `m${i}`, bridgeId: 'b', poolId: 'p', recipient: 'r@x.test' }]),
      ),
    );
    await publisher.publish([
      { type: 'delivered', messageId: 'last', bridgeId: 'b', poolId: 'p', recipient: 'r@x.test' },
    ]);
    const entries = (await r.xrange(streamKey, '-', '+')) as [string, string[]][];
    expect(entries.map(([, f]) => [f[0], decodeEventEntry(f).events.length])).toEqual([
      ['es', EVENTS_PER_ENTRY],
      ['es', EVENTS_PER_ENTRY],
      ['es', 20],
      ['e', 1],
    ]);
    const events = await streamEvents(r, streamKey);
    expect(events.map((e) => e.messageId)).toEqual([...Array.from({ length: n }, (_, i) => `m${i}`), 'last']);
    expect(new Set(events.map((e) => e.id)).size).toBe(n + 1);

    const one: MailEvent = {
      id: 'ev_1',
      ts: 1,
      type: 'sent',
      messageId: 'x',
      bridgeId: 'b',
      poolId: 'p',
      recipient: 'r',
    };
    expect(encodeEventEntry([one])).toEqual(['e', JSON.stringify(one)]);
    expect(decodeEventEntry(['e', JSON.stringify(one)])).toEqual({ events: [one], invalid: [] });
    expect(decodeEventEntry(encodeEventEntry([one, { ...one, id: 'ev_2' }])).events).toEqual([
      one,
      { ...one, id: 'ev_2' },
    ]);
    expect(() => decodeEventEntry(['x', '1'])).toThrow(/neither/);
    expect(() => decodeEventEntry(['es', '{}'])).toThrow(/not an array/);
    expect(decodeEventEntry(['e', JSON.stringify({ ...one, recipient: 7 })]).invalid).toEqual([
      { event: { ...one, recipient: 7 }, issue: expect.stringMatching(/^recipient: /) as unknown },
    ]);
    await r.del(streamKey);
  });

  it('skips an unreadable entry and writes the packed entries around it', async () => {
    const p = `${prefix}x`;
    const key = eventStreamKey(p);
    const ch = chdb ?? openClickHouse({ chdbPath: join(dir, 'chdb') });
    chdb = ch;
    await applySchema(ch, 'bridgemail');
    const r = connect();
    const publisher = new EventPublisher(r, p);
    const ev = (i: number) => ({
      type: 'sent' as const,
      messageId: `msg_s${i}`,
      bridgeId: 'br_skip',
      poolId: 'p',
      recipient: `s${i}@example.test`,
    });
    await publisher.publish(Array.from({ length: 4 }, (_, i) => ev(i)));
    await r.xadd(key, '*', 'es', 'not json');
    await publisher.publish([ev(4)]);
    const writer = await startEventWriter({
      redis: connect(),
      prefix: p,
      clickhouse: ch,
      database: 'bridgemail',
      logger,
      flushMs: 50,
    });
    await waitFor(async () => (await r.xlen(key)) === 0, 20_000, 'stream drained');
    await writer.close();
    const rows = await (
      await ch.query({
        query: "SELECT count() AS c FROM bridgemail.events WHERE bridge_id = 'br_skip'",
        format: 'JSONEachRow',
      })
    ).json<{ c: string | number }>();
    expect(Number(rows[0]?.c)).toBe(5);
    await r.del(key);
  });
  it('writes the valid events of an entry with every column of the schema, and skips only the invalid ones', async () => {
    const p = `${prefix}v`;
    const key = eventStreamKey(p);
    const ch = chdb ?? openClickHouse({ chdbPath: join(dir, 'chdb') });
    chdb = ch;
    await applySchema(ch, 'bridgemail');
    const r = connect();
    const base = {
      ts: 1_700_000_000_123,
      messageId: 'msg_v',
      bridgeId: 'br_valid',
      poolId: 'p',
      recipient: 'U@Mail.TEST',
    };
    const bounced: MailEvent = {
      ...base,
      id: 'ev_v1',
      type: 'bounced',
      ip: '127.0.0.2',
      mx: 'mx.test',
      replyCode: 550,
      reply: '550 5.1.1 no such user',
      reason: 'user-unknown',
      attempt: 2,
      hard: true,
      status: '5.1.1',
    };
    const clicked: MailEvent = { ...base, id: 'ev_v2', type: 'clicked', url: 'https://shop.test/', machine: false };
    // Written by hand: an unknown kind and an out-of-range attempt between two valid events.
    const bad = [
      { ...base, id: 'ev_bad1', type: 'exploded' },
      { ...base, id: 'ev_bad2', type: 'sent', attempt: -1 },
    ];
    await r.xadd(key, '*', 'es', JSON.stringify([bounced, ...bad, clicked]));
    const writer = await startEventWriter({
      redis: connect(),
      prefix: p,
      clickhouse: ch,
      database: 'bridgemail',
      logger,
      flushMs: 50,
    });
    await waitFor(async () => (await r.xlen(key)) === 0, 20_000, 'stream drained');
    await writer.close();
    const rows = await (
      await ch.query({
        query: "SELECT * EXCEPT ts FROM bridgemail.events WHERE bridge_id = 'br_valid' ORDER BY event_id",
        format: 'JSONEachRow',
      })
    ).json<Record<string, unknown>>();
    expect(rows).toEqual([
      expect.objectContaining({
        event_id: 'ev_v1',
        type: 'bounced',
        ip: '127.0.0.2',
        reply_code: 550,
        attempt: 2,
        hard: 1,
      }),
      expect.objectContaining({ event_id: 'ev_v2', type: 'clicked', url: 'https://shop.test/', machine: 0, ip: '' }),
    ]);
    const columns = [...EVENT_COLUMN_LIST.map((c) => c.column), ...Object.keys(DERIVED_EVENT_COLUMNS)];
    expect(Object.keys(rows[0] ?? {}).sort()).toEqual(columns.filter((c) => c !== 'ts').sort());
    expect(rows[0]?.recipient_domain).toBe('mail.test');
    await r.del(key);
  });
});
