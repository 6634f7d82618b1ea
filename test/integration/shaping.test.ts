import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { Shaper, type AcquireResult, type ShaperOptions } from '../../workers/delivery/shaping/shaper.js';
import { readThrottleCounts } from '../../workers/index.js';
import { createLogger, parseShapingPolicy, spawnRedisServer, type SpawnedRedis } from '../../core/index.js';
import { waitFor } from '../support/wait.js';
import { watchRedisCommands } from '../support/redis-monitor.js';

const HOUR = 3_600_000;
// Generous limits everywhere, so that each test constrains only what it measures.
const OPEN = {
  ip: { perSecond: 10_000, perHour: 1_000_000, connections: 10_000 },
  destination: { perSecond: 10_000, connections: 10_000 },
};

describe('delivery shaping against a real redis-server', () => {
  let dir: string;
  let spawned: SpawnedRedis | undefined;
  let redisUrl: string;
  const prefix = `bmshape${randomBytes(4).toString('hex')}`;
  const clients: Redis[] = [];
  const connect = () => {
    const r = new Redis(redisUrl, { maxRetriesPerRequest: null });
    clients.push(r);
    return r;
  };
  let ipCounter = 0;
  const freshIp = () => `127.0.0.${++ipCounter}`;
  // Refusals answer at once unless a test asks for the in-process wait for a connection slot.
  const shaper = (policy: unknown, options: ShaperOptions = {}, redis = connect()) =>
    new Shaper(redis, prefix, parseShapingPolicy(policy), { connectionWaitMs: 0, ...options });
  const grants = (results: AcquireResult[]) => results.filter((r) => r.granted).length;
  // For cases that count grants one round trip at a time: on a still clock no token refills meanwhile.
  const stillShaper = (policy: unknown, options: ShaperOptions = {}) => {
    const t = Date.now();
    return shaper(policy, { ...options, now: () => t });
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridgemail-shaping-'));
    if (process.env.REDIS_URL) {
      redisUrl = process.env.REDIS_URL;
    } else {
      spawned = await spawnRedisServer({ dir: join(dir, 'redis'), logger: createLogger({ level: 'silent' }) });
      redisUrl = spawned.url;
    }
  });
  afterAll(async () => {
    const r = connect();
    for await (const keys of r.scanStream({ match: `${prefix}:*`, count: 500 })) {
      if (Array.isArray(keys) && keys.length > 0) await r.del(...keys.map(String));
    }
    for (const c of clients) c.disconnect();
    await spawned?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('with the default policy (core/shaping-policy.test.ts) grants 20 connections per (IP, rollup) and counts refusals by reason', async () => {
    const redis = connect();
    const s = shaper({}, {}, redis);
    const ip = freshIp();
    // 200 sends to one provider, 20 at a time: none waits for a token.
    for (let round = 0; round < 10; round++) {
      const held = await Promise.all(Array.from({ length: 20 }, () => s.acquire(ip, 'google.com')));
      expect(grants(held)).toBe(20);
      for (const r of held) if (r.granted) await r.release();
    }
    // 30 at once: the 21st and later wait for a connection, nothing else.
    const burst = await Promise.all(Array.from({ length: 30 }, () => s.acquire(ip, 'google.com')));
    expect(grants(burst)).toBe(20);
    for (const r of burst) if (!r.granted) expect(r.reason).toBe('destination-connections');
    const counted = async () => (await readThrottleCounts(redis, prefix)).filter((c) => c.ip === ip);
    expect(
      await waitFor(async () => ((await counted())[0]?.count === 10 ? counted() : undefined), 5000, 'refusals counted'),
    ).toEqual([{ ip, rollup: 'google.com', reason: 'destination-connections', count: 10 }]);
    for (const r of burst) if (r.granted) await r.release();
  });

  it('lets an acquire refused for a full connection set wait for a slot released in this process', async () => {
    const redis = connect();
    const s = shaper(
      { ...OPEN, destination: { perSecond: 10_000, connections: 2 } },
      { connectionWaitMs: 60_000, connectionRetryMs: 60_000 },
      redis,
    );
    const ip = freshIp();
    const held = await Promise.all([s.acquire(ip, 'google.com'), s.acquire(ip, 'google.com')]);
    expect(grants(held)).toBe(2);
    // Two wait; each release hands its slot to one of them (no retry timer would fire within the test).
    const waiting = [s.acquire(ip, 'google.com'), s.acquire(ip, 'google.com')];
    for (const r of held) if (r.granted) await r.release();
    const handed = await Promise.all(waiting);
    expect(grants(handed)).toBe(2);
    for (const r of handed) if (r.granted) await r.release();
    expect((await readThrottleCounts(redis, prefix)).filter((c) => c.ip === ip)).toEqual([]);
    // Nothing released within the wait: refused after it, and counted.
    const short = shaper(
      { ...OPEN, destination: { perSecond: 10_000, connections: 1 } },
      { connectionWaitMs: 100 },
      redis,
    );
    const first = await short.acquire(ip, 'yahoo.com');
    expect(await short.acquire(ip, 'yahoo.com')).toMatchObject({ granted: false, reason: 'destination-connections' });
    if (first.granted) await first.release();
  });

  it('logs the start of throttling of a pair at info once, and each further refusal at debug', async () => {
    const lines: { level: number; msg: string; ip?: string; rollup?: string; reason?: string }[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const logger = createLogger({ level: 'debug', destination });
    const s = stillShaper({ ...OPEN, destinations: { 'yahoo.com': { perSecond: 1 } } }, { logger });
    const ip = freshIp();
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await s.acquire(ip, 'yahoo.com'));
    for (let i = 0; i < 3; i++) results.push(await s.acquire(ip, 'google.com'));
    expect(grants(results)).toBe(4);
    const infos = lines.filter((l) => l.level === 30);
    expect(infos.map((l) => [l.msg, l.ip, l.rollup, l.reason])).toEqual([
      ['shaping started throttling', ip, 'yahoo.com', 'destination-rate'],
    ]);
    expect(lines.filter((l) => l.level === 20 && l.msg === 'shaping throttled')).toHaveLength(3);
  });

  it('holds the per-IP rate over two seconds (burst = rate)', async () => {
    const s = shaper({ ...OPEN, ip: { ...OPEN.ip, perSecond: 10 } });
    const ip = freshIp();
    const started = Date.now();
    let granted = 0;
    while (Date.now() - started < 2000) {
      const r = await s.acquire(ip, 'example.com');
      if (r.granted) {
        granted++;
        await r.release();
      } else {
        expect(r.reason).toBe('ip-rate');
        expect(r.retryInMs).toBeGreaterThan(0);
        expect(r.retryInMs).toBeLessThanOrEqual(100);
        await sleep(r.retryInMs);
      }
    }
    const elapsed = (Date.now() - started) / 1000;
    expect(granted).toBeLessThanOrEqual(10 + Math.ceil(10 * elapsed) + 1);
    expect(granted).toBeGreaterThanOrEqual(25);
  });

  it('holds the per-destination rate and leaves other rollups alone', async () => {
    const s = stillShaper({ ...OPEN, destinations: { 'google.com': { perSecond: 5 } } });
    const ip = freshIp();
    const burst = [];
    for (let i = 0; i < 8; i++) burst.push(await s.acquire(ip, 'google.com'));
    expect(grants(burst)).toBe(5);
    const refused = burst[7];
    expect(refused).toMatchObject({ granted: false, reason: 'destination-rate' });
    if (refused && !refused.granted) expect(refused.retryInMs).toBeLessThanOrEqual(200);
    expect((await s.acquire(ip, 'yahoo.com')).granted).toBe(true);
  });

  it('caps messages per IP per hour, then grants again once the window has slid', async () => {
    let t = Math.ceil(1_700_000_000_000 / HOUR) * HOUR; // the start of an hour window
    const s = shaper({ ...OPEN, ip: { ...OPEN.ip, perHour: 5 } }, { now: () => t });
    const ip = freshIp();
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await s.acquire(ip, `d${i}.example`));
    expect(grants(results)).toBe(5);
    const refused = results[5];
    if (!refused || refused.granted) throw new Error('expected a refusal');
    expect(refused.reason).toBe('ip-hourly');
    // Next window: the previous hour's 5 weigh 5 × (1 − x/60 min); one more fits after x = 12 min.
    expect(refused.retryInMs).toBe(HOUR + 12 * 60_000);
    t += refused.retryInMs - 1000;
    expect(await s.acquire(ip, 'a.example')).toMatchObject({ granted: false, reason: 'ip-hourly' });
    t += 1000;
    expect((await s.acquire(ip, 'a.example')).granted).toBe(true);
  });

  it('takes nothing when any check fails (all-or-nothing)', async () => {
    const s = stillShaper({
      ...OPEN,
      ip: { ...OPEN.ip, perSecond: 3 },
      destinations: { 'google.com': { perSecond: 1 } },
    });
    const ip = freshIp();
    expect((await s.acquire(ip, 'google.com')).granted).toBe(true);
    for (let i = 0; i < 5; i++) {
      expect(await s.acquire(ip, 'google.com')).toMatchObject({ granted: false, reason: 'destination-rate' });
    }
    // The refusals above spent none of the IP's two remaining tokens.
    expect((await s.acquire(ip, 'yahoo.com')).granted).toBe(true);
    expect((await s.acquire(ip, 'yahoo.com')).granted).toBe(true);
    expect(await s.acquire(ip, 'yahoo.com')).toMatchObject({ granted: false, reason: 'ip-rate' });
  });

  it('limits concurrent connections per IP and per destination, and frees them on release', async () => {
    const s = shaper({
      ...OPEN,
      ip: { ...OPEN.ip, connections: 2 },
      destination: { perSecond: 10_000, connections: 1 },
    });
    const ip = freshIp();
    const a = await s.acquire(ip, 'google.com');
    expect(await s.acquire(ip, 'google.com')).toMatchObject({ granted: false, reason: 'destination-connections' });
    const b = await s.acquire(ip, 'yahoo.com');
    const c = await s.acquire(ip, 'outlook.com');
    expect(c).toMatchObject({ granted: false, reason: 'ip-connections' });
    if (!c.granted) expect(c.retryInMs).toBeLessThanOrEqual(1000);
    if (!a.granted || !b.granted) throw new Error('expected grants');
    await a.release();
    await a.release(); // idempotent: must not free someone else's slot
    expect((await s.acquire(ip, 'outlook.com')).granted).toBe(true);
    expect(await s.acquire(ip, 'google.com')).toMatchObject({ granted: false, reason: 'ip-connections' });
  });

  it('frees the releases of one tick with one ZREM per connection set', async () => {
    const s = shaper({ ...OPEN, ip: { ...OPEN.ip, connections: 20 } });
    const ip = freshIp();
    const held = await Promise.all(Array.from({ length: 12 }, () => s.acquire(ip, 'example.com')));
    expect(grants(held)).toBe(12);
    const zrems: string[][] = [];
    const monitor = watchRedisCommands(redisUrl, (args) => {
      if (args[0] === 'zrem' && args[1]?.startsWith(prefix)) zrems.push(args);
    });
    await monitor.ready;
    try {
      await Promise.all(held.map((r) => (r.granted ? r.release() : Promise.resolve())));
      // All 20 slots are free again: the 12 leases are gone from both sets.
      expect(grants(await Promise.all(Array.from({ length: 20 }, () => s.acquire(ip, 'example.com'))))).toBe(20);
      await waitFor(() => zrems.length >= 2, 5_000, 'monitor caught up');
      expect(zrems).toHaveLength(2);
      for (const z of zrems) expect(z).toHaveLength(2 + 12);
    } finally {
      await monitor.stop();
    }
  });

  it('coalesces a burst of acquires in one tick without granting more than any limit allows', async () => {
    const burst = (s: Shaper, ip: string, rollup: string, n: number) =>
      Promise.all(Array.from({ length: n }, () => s.acquire(ip, rollup)));
    // Connections: 30 at once, 7 slots.
    const conns = shaper({ ...OPEN, ip: { ...OPEN.ip, connections: 7 } });
    const ipA = freshIp();
    const first = await burst(conns, ipA, 'example.com', 30);
    expect(grants(first)).toBe(7);
    for (const r of first.filter((x) => !x.granted))
      expect(r).toMatchObject({ granted: false, reason: 'ip-connections' });
    await Promise.all(first.map((r) => (r.granted ? r.release() : Promise.resolve())));
    expect(grants(await burst(conns, ipA, 'example.com', 30))).toBe(7);
    // Rate: a bucket of 5 tokens, 12 at once; the refusals spend nothing.
    const rate = shaper({ ...OPEN, ip: { ...OPEN.ip, perSecond: 5 } });
    const ipB = freshIp();
    const rated = await burst(rate, ipB, 'example.com', 12);
    expect(grants(rated)).toBe(5);
    expect(rated.filter((r) => !r.granted).every((r) => !r.granted && r.reason === 'ip-rate' && r.retryInMs > 0)).toBe(
      true,
    );
    // Hourly cap of 3, and a destination limit of 2 connections for another IP, in the same tick.
    const mixed = shaper({
      ...OPEN,
      ip: { ...OPEN.ip, perHour: 3 },
      destinations: { 'google.com': { connections: 2 } },
    });
    const [hourly, dst] = await Promise.all([
      burst(mixed, freshIp(), 'example.com', 10),
      burst(mixed, freshIp(), 'google.com', 10),
    ]);
    expect(grants(hourly)).toBe(3);
    expect(hourly.find((r) => !r.granted)).toMatchObject({ reason: 'ip-hourly' });
    expect(grants(dst)).toBe(2);
    expect(dst.find((r) => !r.granted)).toMatchObject({ reason: 'destination-connections' });
  });

  it('reclaims a leaked connection slot when its lease expires', async () => {
    const s = shaper({ ...OPEN, ip: { ...OPEN.ip, connections: 1 } }, { leaseTtlMs: 300 });
    const ip = freshIp();
    expect((await s.acquire(ip, 'example.com')).granted).toBe(true); // never released: a crashed process
    const refused = await s.acquire(ip, 'example.com');
    expect(refused).toMatchObject({ granted: false, reason: 'ip-connections' });
    if (!refused.granted) expect(refused.retryInMs).toBeLessThanOrEqual(300);
    const started = Date.now();
    await waitFor(async () => (await s.acquire(ip, 'example.com')).granted, 5000, 'the leaked slot to be reclaimed');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('keeps two processes together within the rate and the connection limit', async () => {
    const policy = { ...OPEN, ip: { ...OPEN.ip, perSecond: 10, connections: 3 } };
    const one = shaper(policy);
    const two = shaper(policy); // its own ioredis connection, like another worker process
    const ip = freshIp();
    const held = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).acquire(ip, 'example.com')),
    );
    expect(grants(held)).toBe(3);
    for (const r of held) if (r.granted) await r.release();

    const ipRate = freshIp();
    const started = Date.now();
    const run = async (s: Shaper) => {
      let n = 0;
      while (Date.now() - started < 1500) {
        const r = await s.acquire(ipRate, 'example.com');
        if (r.granted) {
          n++;
          await r.release();
        } else await sleep(Math.min(r.retryInMs, 20));
      }
      return n;
    };
    const [a, b] = await Promise.all([run(one), run(two)]);
    const elapsed = (Date.now() - started) / 1000;
    expect(a + b).toBeLessThanOrEqual(10 + Math.ceil(10 * elapsed) + 1);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
  });

  it('suspends only the (IP, rollup) that answered "too fast"', async () => {
    const s = shaper({ ...OPEN, adaptive: { suspendMs: 60_000 } });
    const [ip, otherIp] = [freshIp(), freshIp()];
    expect(await s.recordReply(ip, 'google.com', 450, '450 4.2.1 mailbox busy')).toEqual({ suspended: false });
    expect(await s.recordReply(ip, 'google.com', 550, '550 5.7.1 rate limit exceeded')).toEqual({ suspended: false });
    expect(await s.recordReply(ip, 'google.com', undefined, 'connection refused')).toEqual({ suspended: false });
    expect((await s.acquire(ip, 'google.com')).granted).toBe(true);

    expect(await s.recordReply(ip, 'google.com', 421, '4.7.0 Try again later, closing connection.')).toEqual({
      suspended: true,
    });
    const refused = await s.acquire(ip, 'google.com');
    if (refused.granted) throw new Error('expected a refusal');
    expect(refused.reason).toBe('suspended');
    expect(refused.retryInMs).toBeGreaterThan(55_000);
    expect(refused.retryInMs).toBeLessThanOrEqual(60_000);
    expect((await s.acquire(ip, 'yahoo.com')).granted).toBe(true);
    expect((await s.acquire(otherIp, 'google.com')).granted).toBe(true);
    expect(await s.destinationState(otherIp, 'google.com')).toEqual({ factor: 1, suspendedForMs: 0 });
  });

  it('halves the factor per suspension down to the floor, then recovers it gradually', async () => {
    let t = 1_700_000_000_000;
    const suspendMs = 60_000;
    const s = shaper(
      {
        ...OPEN,
        destination: { perSecond: 8, connections: 10_000 },
        adaptive: { suspendMs, floor: 0.125, recoveryPerMinute: 0.1 },
      },
      { now: () => t },
    );
    const ip = freshIp();
    const defer = () =>
      s.recordReply(ip, 'yahoo.com', 421, '421 4.7.0 [TS01] Messages from 127.0.0.1 temporarily deferred');
    expect(await defer()).toEqual({ suspended: true });
    expect(await s.destinationState(ip, 'yahoo.com')).toEqual({ factor: 0.5, suspendedForMs: suspendMs });
    // A second 421 from a connection opened before the suspension counts once.
    t += 1000;
    await defer();
    expect(await s.destinationState(ip, 'yahoo.com')).toEqual({ factor: 0.5, suspendedForMs: suspendMs - 1000 });

    // When the suspension ends, the bucket holds rate × factor = 4 tokens.
    t += suspendMs - 1000;
    const burst = [];
    for (let i = 0; i < 5; i++) burst.push(await s.acquire(ip, 'yahoo.com'));
    expect(grants(burst)).toBe(4);
    expect(burst[4]).toMatchObject({ granted: false, reason: 'destination-rate' });

    for (const expected of [0.25, 0.125, 0.125]) {
      await defer();
      t += suspendMs;
      expect((await s.destinationState(ip, 'yahoo.com')).factor).toBeCloseTo(expected, 9);
    }
    t += 60_000; // one minute without deferrals: +10 % of the configured rate
    expect((await s.destinationState(ip, 'yahoo.com')).factor).toBeCloseTo(0.225, 9);
    t += 30_000;
    expect((await s.destinationState(ip, 'yahoo.com')).factor).toBeCloseTo(0.275, 9);
    t += 10 * 60_000;
    expect(await s.destinationState(ip, 'yahoo.com')).toEqual({ factor: 1, suspendedForMs: 0 });
  });

  it('lets every key it writes expire', async () => {
    const r = connect();
    const keys: string[] = [];
    for await (const batch of r.scanStream({ match: `${prefix}:*`, count: 500 })) {
      if (Array.isArray(batch)) keys.push(...batch.map(String));
    }
    expect(keys.length).toBeGreaterThan(10);
    // -1 would be a key without expiry; -2 is one that already expired between SCAN and PTTL.
    for (const key of keys) expect(await r.pttl(key), key).not.toBe(-1);
  });
});
