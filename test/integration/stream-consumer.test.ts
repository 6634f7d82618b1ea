import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  parsePendingSummary,
  readStreamGroups,
  spawnRedisServer,
  StreamConsumer,
  trimAcknowledged,
  type SpawnedRedis,
  type StreamConsumerOptions,
  type StreamEntry,
} from '../../core/index.js';
import { waitFor } from '../support/wait.js';

/** A promise opened from outside. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const ids = (entries: readonly StreamEntry[]) => entries.map((entry) => entry.id);

describe('StreamConsumer against redis-server', () => {
  const logger = createLogger({ level: 'silent' });
  const prefix = `bmsc${randomBytes(4).toString('hex')}`;
  const clients: Redis[] = [];
  const consumers: StreamConsumer[] = [];
  let dir: string;
  let spawned: SpawnedRedis | undefined;
  let redisUrl: string;
  let redis: Redis;
  let n = 0;
  /** A stream key of its own for each test. */
  let key = `${prefix}:s${n}`;

  const connect = () => {
    const r = new Redis(redisUrl, { maxRetriesPerRequest: null });
    clients.push(r);
    return r;
  };
  const consumerOf = (options: Partial<StreamConsumerOptions> = {}) => {
    const consumer = new StreamConsumer({
      redis: connect(),
      stream: key,
      group: 'g',
      consumer: 'worker',
      onError: () => undefined,
      ...options,
    });
    consumers.push(consumer);
    return consumer;
  };
  const add = async (count: number) => {
    const added: string[] = [];
    for (let i = 0; i < count; i++) added.push((await redis.xadd(key, '*', 'n', String(i))) ?? '');
    return added;
  };
  const pendingCount = async (group = 'g') => parsePendingSummary(await redis.xpending(key, group)).count;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridgemail-stream-consumer-'));
    if (process.env.REDIS_URL) {
      redisUrl = process.env.REDIS_URL;
    } else {
      spawned = await spawnRedisServer({ dir: join(dir, 'redis'), logger });
      redisUrl = spawned.url;
    }
    redis = connect();
  });

  afterEach(async () => {
    for (const consumer of consumers.splice(0)) await consumer.close();
    await redis.del(key);
    key = `${prefix}:s${++n}`;
  });

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await spawned?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the group and its stream when missing, from the end or the start; leaves one that exists', async () => {
    const fromEnd = consumerOf({ startAt: '$' });
    await fromEnd.createGroup();
    expect(await redis.exists(key)).toBe(1);
    expect(await readStreamGroups(redis, key)).toEqual([
      { name: 'g', consumers: 0, pending: 0, lastDeliveredId: '0-0', lag: 0 },
    ]);

    const added = await add(2);
    expect(await fromEnd.read()).toEqual([]); // its pending entries: none
    const read = await fromEnd.read(10, false);
    expect(read).toEqual([
      { id: added[0], fields: ['n', '0'] },
      { id: added[1], fields: ['n', '1'] },
    ]);
    await fromEnd.ack(read);
    // Creating it again (BUSYGROUP) is no error and moves nothing.
    await consumerOf({ startAt: '0' }).createGroup();
    const [group] = await readStreamGroups(redis, key);
    expect(group).toMatchObject({ name: 'g', pending: 0, lastDeliveredId: added[1] });

    // A group created from the start is handed the entries already there; one from the end is not.
    const fromStart = consumerOf({ group: 'g0', startAt: '0' });
    await fromStart.createGroup();
    await fromStart.read();
    expect(ids(await fromStart.read(10, false))).toEqual(added);
    const late = consumerOf({ group: 'g$', startAt: '$' });
    await late.createGroup();
    await late.read();
    expect(await late.read(10, false)).toEqual([]);
  });

  it('hands out again first the entries of a consumer that died before acknowledging, then the new ones', async () => {
    const first = consumerOf({ startAt: '0' });
    await first.createGroup();
    const before = await add(3);
    const got = gate();
    const crash = gate();
    void first.run(async (entries) => {
      got.open();
      await crash.opened;
      await first.ack(entries); // fails: the connection is gone by then
    });
    await got.opened;
    const closing = first.close();
    crash.open();
    await closing;
    expect(await pendingCount()).toBe(3);

    const after = await add(2);
    const restarted = consumerOf();
    const batches: { ids: string[]; pending: boolean }[] = [];
    void restarted.run(async (entries) => {
      batches.push({ ids: ids(entries), pending: restarted.readingPending });
      await restarted.ack(entries);
    });
    await waitFor(() => batches.flatMap((b) => b.ids).length === 5, 10_000, 'five entries handled');
    expect(batches).toEqual([
      { ids: before, pending: true },
      { ids: after, pending: false },
    ]);
    expect(await pendingCount()).toBe(0);
  });

  it('splits the entries of one group between two consumers, each entry to one of them', async () => {
    const handled = new Map<string, string[]>([
      ['a', []],
      ['b', []],
    ]);
    const bothBusy = gate();
    const start = (name: string) => {
      const consumer = consumerOf({ consumer: name, count: 5, blockMs: 200 });
      void consumer.run(async (entries) => {
        handled.get(name)?.push(...ids(entries));
        // Each holds its first batch until the other has one too: neither can take all the work.
        if ([...handled.values()].every((h) => h.length > 0)) bothBusy.open();
        await bothBusy.opened;
        await consumer.ack(entries);
      });
    };
    await consumerOf().createGroup();
    start('a');
    start('b');
    const added = await add(40);
    const allHandled = async () => [...handled.values()].flat().length === 40 && (await pendingCount()) === 0;
    await waitFor(allHandled, 10_000, 'all entries handled');
    const [a = [], b = []] = [handled.get('a'), handled.get('b')];
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect([...a, ...b].sort()).toEqual([...added].sort());
  });

  it('backs off on Redis errors, doubling up to the cap, and reads again once Redis answers', async () => {
    const failures: { retryInMs: number; at: number; message: string }[] = [];
    const handled: { ids: string[]; pending: boolean }[] = [];
    let failNext = false;
    const consumer = consumerOf({
      backoffMs: 20,
      maxBackoffMs: 80,
      blockMs: 50,
      onError: (err, retryInMs) => {
        failures.push({ retryInMs, at: Date.now(), message: err instanceof Error ? err.message : String(err) });
      },
    });
    await consumer.createGroup();
    void consumer.run(async (entries) => {
      handled.push({ ids: ids(entries), pending: consumer.readingPending });
      if (failNext) {
        failNext = false;
        throw new Error('handler failed');
      }
      await consumer.ack(entries);
    });
    // The stream and its group disappear: every read fails (NOGROUP).
    await redis.del(key);
    await waitFor(() => failures.length >= 5, 10_000, 'five failed reads');
    const streak = failures.slice(0, 5);
    expect(streak.map((f) => f.retryInMs)).toEqual([20, 40, 80, 80, 80]);
    expect(streak.every((f) => /NOGROUP/.test(f.message))).toBe(true);
    for (let i = 1; i < streak.length; i++) {
      const [previous, current] = [streak[i - 1], streak[i]];
      if (previous && current) expect(current.at - previous.at).toBeGreaterThanOrEqual(previous.retryInMs - 2);
    }

    // Redis answers again: the consumer reads on, and the next failure starts from the first wait.
    await redis.xgroup('CREATE', key, 'g', '$', 'MKSTREAM');
    const [first = ''] = await add(1);
    await waitFor(() => handled.some((h) => h.ids.includes(first)), 10_000, 'entry handled after recovery');
    failures.length = 0;
    failNext = true;
    const [second = ''] = await add(1);
    const handlings = () => handled.filter((h) => h.ids.includes(second));
    await waitFor(() => handlings().length === 2, 10_000, 'failed entry handed out again');
    expect(failures.map((f) => [f.retryInMs, f.message])).toEqual([[20, 'handler failed']]);
    expect(handlings().map((h) => h.pending)).toEqual([false, true]);
    await waitFor(async () => (await pendingCount()) === 0, 10_000, 'entry acknowledged');
  });

  it('trims, when asked, only the entries every group has acknowledged', async () => {
    const trimming = consumerOf({ startAt: '0', trimAcknowledged: true });
    await trimming.createGroup();
    const other = consumerOf({ group: 'other', startAt: '0' });
    await other.createGroup();
    const added = await add(5);
    // The other group has acknowledged the first entry and holds the second pending.
    await other.read();
    const [done, held] = await other.read(2, false);
    if (!done || !held) throw new Error('two entries expected');
    await other.ack([done]);

    await trimming.read();
    await trimming.ack(await trimming.read(10, false));
    expect(ids((await redis.xrange(key, '-', '+')).map(([id, fields]) => ({ id, fields })))).toEqual(added.slice(1));

    // Once the other group has acknowledged everything too, nothing is left.
    await other.ack([held]);
    await other.ack(await other.read(10, false));
    await trimAcknowledged(redis, key);
    expect(await redis.xlen(key)).toBe(0);
  });
});
