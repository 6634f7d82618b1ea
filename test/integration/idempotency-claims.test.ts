import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acceptMessage,
  createLogger,
  eventStreamKey,
  EventPublisher,
  IdempotencyKeys,
  parseMxOverride,
  PoolQueues,
  Spool,
  spawnRedisServer,
  type DeliveryJob,
  type SpawnedRedis,
} from '../../core/index.js';
import { ConnectionPool, createMessagePass, createMxResolver } from '../../workers/index.js';
import { streamEvents } from '../support/event-stream.js';
import { startSmtpSink } from '../support/smtp-sink.js';

/**
 * Idempotency claims against a real redis-server and real BullMQ queues: what a retry gets when
 * the request that claimed the key died after queueing its message, or before.
 */
/** How long a claim with nothing queued counts as young here: wide enough for a few round trips on a loaded machine. */
const YOUNG_MS = 1500;

describe('idempotency claims survive the death of the request that made them', () => {
  let dir: string;
  let spawned: SpawnedRedis | undefined;
  let redis: Redis;
  let queues: PoolQueues;
  const prefix = `bmidem${randomBytes(4).toString('hex')}`;
  const POOL = 'pool1';
  let n = 0;
  const id = () => `msg_t${++n}${randomBytes(3).toString('hex')}`;
  const isQueued = (messageId: string) => queues.has(POOL, messageId);
  const job = (messageId: string, idem: string): DeliveryJob => ({
    messageId,
    bridgeId: 'b1',
    poolId: POOL,
    from: 'a@sender.test',
    recipients: ['r@example.test'],
    raw: Buffer.from('Subject: x\r\n\r\nx\r\n').toString('base64'),
    acceptedAt: Date.now(),
    attempt: 0,
    idem,
  });
  const begin = (keys: IdempotencyKeys, key: string, messageId: string, fp = 'fp') =>
    keys.begin('b1', key, fp, { messageId, isQueued });
  const record = async (ref: string) =>
    JSON.parse((await redis.get(ref)) ?? 'null') as { state: string; messageId: string } | null;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridgemail-idem-'));
    const url =
      process.env.REDIS_URL ??
      (spawned = await spawnRedisServer({ dir: join(dir, 'redis'), logger: createLogger({ level: 'silent' }) })).url;
    redis = new Redis(url, { maxRetriesPerRequest: null });
    queues = new PoolQueues(redis, prefix, { maxBatch: 20 });
  });
  afterAll(async () => {
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 500 })) {
      if (Array.isArray(keys) && keys.length > 0) await redis.del(...keys.map(String));
    }
    await queues.close();
    redis.disconnect();
    await spawned?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('replays the queued message when the first request died between queueing and recording it', async () => {
    const keys = new IdempotencyKeys(redis, prefix);
    const first = id();
    const start = await begin(keys, 'k-after-queue', first);
    if (start.kind !== 'new') throw new Error('expected a new claim');
    // Alone in its tick, the message is a job of its own.
    await queues.enqueue(job(first, start.ref));
    expect(await queues.has(POOL, first)).toBe(true);
    // ... and the process dies here, before `complete`. The retry comes at once.
    const replay = await begin(keys, 'k-after-queue', id());
    expect(replay).toMatchObject({ kind: 'replay', messageId: first });
    expect(replay.kind === 'replay' && replay.claimedAt).toBeGreaterThan(Date.now() - 5000);
    expect(await record(start.ref)).toMatchObject({ state: 'done', messageId: first });
    await expect(begin(keys, 'k-after-queue', id())).resolves.toEqual({ kind: 'replay', messageId: first });
  });

  it('finds keyed messages that shared a job, from their message ids alone', async () => {
    const keys = new IdempotencyKeys(redis, prefix);
    const ids = [id(), id(), id()];
    const refs: string[] = [];
    for (const [i, m] of ids.entries()) {
      const start = await begin(keys, `k-batch-${i}`, m);
      if (start.kind !== 'new') throw new Error('expected a new claim');
      refs.push(start.ref);
    }
    // Enqueued in one tick: they share a job; the requests die before settling their claims.
    await Promise.all(ids.map((m, i) => queues.enqueue(job(m, refs[i] ?? ''))));
    for (const [i, m] of ids.entries()) {
      expect(await record(refs[i] ?? '')).toMatchObject({ state: 'pending', messageId: m });
      await expect(begin(keys, `k-batch-${i}`, id())).resolves.toMatchObject({ kind: 'replay', messageId: m });
    }
  });

  it('publishes the `queued` events the dead request never sent, once, stamped with its claim time', async () => {
    const keys = new IdempotencyKeys(redis, prefix);
    const deps = {
      queues,
      events: new EventPublisher(redis, prefix),
      logger: createLogger({ level: 'silent' }),
      maxMessageBytes: 1_000_000,
      idempotency: keys,
      spool: new Spool(join(dir, 'spool')),
      spoolThresholdBytes: 65536,
    };
    const submission = {
      bridge: { id: 'b1', accountId: 'acc_default', poolId: POOL, name: 'b', generation: 1 },
      from: 'a@sender.test',
      recipients: ['r1@example.test', 'r2@example.test'],
      raw: Buffer.from('Subject: x\r\n\r\nx\r\n'),
      idempotency: { key: 'k-accept', fingerprint: 'fp' },
    };
    // The first request: claimed and queued, then killed before `complete` and its events.
    const first = id();
    const before = Date.now();
    const start = await begin(keys, 'k-accept', first);
    if (start.kind !== 'new') throw new Error('expected a new claim');
    await queues.enqueue({ ...job(first, start.ref), recipients: submission.recipients });
    const queuedOf = async (messageId: string) =>
      (await streamEvents(redis, eventStreamKey(prefix))).filter(
        (e) => e.messageId === messageId && e.type === 'queued',
      );
    expect(await queuedOf(first)).toEqual([]);
    await expect(acceptMessage(deps, { ...submission, messageId: id() })).resolves.toBe(first);
    const events = await queuedOf(first);
    expect(events.map((e) => e.recipient).sort()).toEqual(submission.recipients);
    for (const e of events) expect(Math.abs(e.ts - before)).toBeLessThan(1000);
    // A further retry replays without publishing them again.
    await expect(acceptMessage(deps, { ...submission, messageId: id() })).resolves.toBe(first);
    expect(await queuedOf(first)).toHaveLength(2);
    // A request that lives settles its own claim and publishes its own events, once.
    const live = { ...submission, idempotency: { key: 'k-accept-live', fingerprint: 'fp' } };
    const liveId = await acceptMessage(deps, { ...live, messageId: id() });
    expect(await queuedOf(liveId)).toHaveLength(2);
    await expect(acceptMessage(deps, { ...live, messageId: id() })).resolves.toBe(liveId);
    expect(await queuedOf(liveId)).toHaveLength(2);
  });

  it('answers IDEMPOTENCY_IN_PROGRESS while a claim with nothing queued is young, then lets a retry take it over', async () => {
    const keys = new IdempotencyKeys(redis, prefix, 3600, YOUNG_MS);
    const first = id();
    const start = await begin(keys, 'k-before-queue', first);
    expect(start.kind).toBe('new');
    // The first request died before queueing anything.
    await expect(begin(keys, 'k-before-queue', id())).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    await new Promise((r) => setTimeout(r, YOUNG_MS + 100));
    const second = id();
    const takeover = await begin(keys, 'k-before-queue', second);
    expect(takeover.kind).toBe('new');
    if (takeover.kind !== 'new') return;
    expect(await record(takeover.ref)).toMatchObject({ state: 'pending', messageId: second });
    // The dead request's cleanup (had it run late) must not drop the new claim.
    await keys.abandon(takeover.ref, first);
    expect(await record(takeover.ref)).toMatchObject({ messageId: second });
    await keys.complete(takeover.ref, second);
    await expect(begin(keys, 'k-before-queue', id())).resolves.toEqual({ kind: 'replay', messageId: second });
  });

  it("is answered from the worker's mark once the job is gone, and settled by the retry that finds it", async () => {
    const keys = new IdempotencyKeys(redis, prefix, 3600, YOUNG_MS);
    const first = id();
    const start = await begin(keys, 'k-worker', first);
    if (start.kind !== 'new') throw new Error('expected a new claim');
    // Another message's id marks nothing; the worker's first pass marks it once.
    expect(await keys.take(start.ref, 'msg_other')).toBe(false);
    expect(await keys.take(start.ref, first)).toBe(true);
    expect(await keys.take(start.ref, first)).toBe(false);
    expect(await record(start.ref)).toMatchObject({ state: 'pending', taken: true });
    // No job with this id exists (long removed) and the ingress died: the mark answers the retry,
    // which settles the claim (and so is the one to publish the `queued` events).
    await new Promise((r) => setTimeout(r, YOUNG_MS + 100));
    const replay = await begin(keys, 'k-worker', id());
    expect(replay).toMatchObject({ kind: 'replay', messageId: first });
    expect(replay.kind === 'replay' && replay.claimedAt).toBeGreaterThan(0);
    expect(await record(start.ref)).toMatchObject({ state: 'done', messageId: first });
    // Had the first request been alive after all, its late `complete` says it must not publish them.
    expect(await keys.complete(start.ref, first)).toBe(false);
    await expect(begin(keys, 'k-worker', id())).resolves.toEqual({ kind: 'replay', messageId: first });
    expect(await redis.ttl(start.ref)).toBeGreaterThan(3000);
  });

  it('refuses the key for a different request, and lets the owner abandon its own claim', async () => {
    const keys = new IdempotencyKeys(redis, prefix);
    const first = id();
    const start = await begin(keys, 'k-fp', first, 'fp-a');
    if (start.kind !== 'new') throw new Error('expected a new claim');
    await expect(begin(keys, 'k-fp', id(), 'fp-b')).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    await keys.abandon(start.ref, first);
    expect(await record(start.ref)).toBeNull();
    await expect(begin(keys, 'k-fp', id(), 'fp-b')).resolves.toMatchObject({ kind: 'new' });
  });

  it('gives one claim to concurrent requests with the same key', async () => {
    const keys = new IdempotencyKeys(redis, prefix);
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => begin(keys, 'k-race', id())));
    expect(outcomes.filter((o) => o.status === 'fulfilled' && o.value.kind === 'new')).toHaveLength(1);
    for (const o of outcomes)
      if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
  });

  it('is marked taken by the delivery pass that first takes the message up', async () => {
    const keys = new IdempotencyKeys(redis, prefix, 3600, YOUNG_MS);
    const sink = await startSmtpSink();
    const connections = new ConnectionPool({ maxTransactions: 10, maxIdlePerKey: 1 });
    try {
      const pass = createMessagePass({
        store: {
          getPool: async (poolId) => ({
            id: poolId,
            name: 'p',
            kind: 'shared',
            accountId: null,
            ips: [{ ip: '127.0.0.2', weight: 1 }],
            queueTag: null,
            createdAt: new Date(),
            deletedAt: null,
          }),
        },
        events: new EventPublisher(redis, prefix),
        logger: createLogger({ level: 'silent' }),
        retry: { baseMs: 1000, maxMs: 1000, maxAgeMs: 60_000 },
        spool: new Spool(join(dir, 'spool')),
        resolveMx: createMxResolver({ override: parseMxOverride(sink.mxOverride) }),
        heloName: 'bridgemail.test',
        timeoutMs: 10_000,
        pool: connections,
        markIdempotencyTaken: (ref, messageId) => keys.take(ref, messageId),
      });
      const first = id();
      const start = await begin(keys, 'k-pass', first);
      if (start.kind !== 'new') throw new Error('expected a new claim');
      // The ingress queued it and died before `complete`; the job is taken up and later removed.
      await pass(job(first, start.ref));
      expect(sink.messages.filter((m) => m.to.includes('r@example.test'))).toHaveLength(1);
      expect(await record(start.ref)).toMatchObject({ state: 'pending', taken: true, messageId: first });
      await new Promise((r) => setTimeout(r, YOUNG_MS + 100));
      await expect(begin(keys, 'k-pass', id())).resolves.toMatchObject({ kind: 'replay', messageId: first });
    } finally {
      connections.close();
      await sink.close();
    }
  });
});
