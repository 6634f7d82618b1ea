import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DELIVER_BATCH_JOB,
  DELIVER_JOB,
  PoolQueues,
  poolQueueName,
  type DeliveryBatch,
  type DeliveryJob,
} from '../../core/index.js';
import { BatchProgress, DeliverySlots, processBatch, type PassOutcome } from '../../workers/index.js';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

const message = (poolId: string, n: number): DeliveryJob => ({
  messageId: `msg_b${n}_${randomBytes(3).toString('hex')}`,
  bridgeId: 'br_batch',
  poolId,
  from: 'app@sender.test',
  recipients: [`r${n}@example.test`],
  raw: Buffer.from('Subject: x\r\n\r\nhi\r\n').toString('base64'),
  acceptedAt: Date.now(),
  attempt: 0,
});

describe('delivery batches: messages accepted in one tick share a queue job', () => {
  const h = useHarness({}, (rcpt, n) => {
    if (rcpt.startsWith('greylist') && n === 1) return { code: 451, message: '4.7.1 Greylisted, try again later' };
    if (rcpt.startsWith('unknown')) return { code: 550, message: '5.1.1 User unknown' };
    return undefined;
  });
  let redis: Redis;
  let prefix: string;
  const queues: Queue[] = [];
  const queueOf = (poolId: string, p = prefix) => {
    const q = new Queue(poolQueueName(poolId), { connection: redis, prefix: p });
    queues.push(q);
    return q;
  };

  beforeAll(() => {
    redis = new Redis(h.platform.redisUrl, { maxRetriesPerRequest: null });
    prefix = h.platform.config.redis.prefix;
  });
  afterAll(async () => {
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
  });

  it('delivers, retries and bounces each message of a batch on its own, once', async () => {
    const pool = await h.platform.createPool('batch-pool', ['127.0.0.2']);
    const bridge = await h.platform.createBridge('batch-app', pool.id);
    const kinds = ['ok', 'greylist', 'unknown'] as const;
    const to = Array.from({ length: 30 }, (_, i) => `${kinds[i % 3]}-${i}@example.test`);
    // One POST /v1/send/batch: its messages are accepted side by side, so they share few jobs.
    const res = await fetch(`${h.platform.urls.api}/v1/send/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bridge.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(to.map((rcpt) => ({ from: 'app@sender.test', to: rcpt, subject: 'batch', text: 'hello' }))),
    });
    expect(res.status).toBe(200);
    const ids = ((await res.json()) as { data: { id: string }[] }).data.map((d) => d.id);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);

    const finals = await waitFor(
      async () => {
        const rows = await h.platform.events("bridge_id = {b:String} AND type IN ('delivered', 'bounced')", {
          b: bridge.id,
        });
        return rows.length >= 30 ? rows : undefined;
      },
      30_000,
      'a final event for each of the 30 messages',
    );
    expect(finals).toHaveLength(30);
    const byRecipient = new Map(finals.map((e) => [e.recipient, e]));
    for (const [i, rcpt] of to.entries()) {
      const e = byRecipient.get(rcpt);
      expect(e?.message_id).toBe(ids[i]);
      if (rcpt.startsWith('unknown')) expect(e).toMatchObject({ type: 'bounced', reply_code: 550, attempt: 1 });
      else if (rcpt.startsWith('greylist')) expect(e).toMatchObject({ type: 'delivered', attempt: 2 });
      else expect(e).toMatchObject({ type: 'delivered', attempt: 1 });
      // Offered once, or twice after the greylisting: nothing is sent twice.
      expect(h.sink.offers.get(rcpt)).toBe(rcpt.startsWith('greylist') ? 2 : 1);
    }

    const q = queueOf(pool.id);
    const jobs = await q.getJobs(['completed', 'failed', 'delayed', 'waiting', 'active']);
    const batches = jobs.filter((j) => j.name === DELIVER_BATCH_JOB);
    expect(batches.length).toBeGreaterThan(0);
    expect(jobs.filter((j) => j.name === DELIVER_BATCH_JOB || j.data.attempt === 0).length).toBeLessThan(30);
    // Each greylisted message continued as a delayed job of its own, named by message and attempt.
    for (const [i, rcpt] of to.entries()) {
      if (!rcpt.startsWith('greylist')) continue;
      const inBatch = batches.some((b) => (b.data as DeliveryBatch).batch.some((m) => m.messageId === ids[i]));
      if (inBatch) expect(await q.getJob(`${ids[i]}-a1`)).toMatchObject({ name: DELIVER_JOB });
    }
    // Finished batches leave no progress record behind.
    for (const b of batches) expect(await redis.exists(`${prefix}:batch-done:${b.id ?? ''}`)).toBe(0);
  });

  it('shares one job per Pool and tick, up to maxBatch messages and about 1 MiB of bodies, and answers each caller', async () => {
    const p = `bmb${randomBytes(3).toString('hex')}`;
    const producer = new PoolQueues(redis, p, { maxBatch: 50 });
    try {
      const a = Array.from({ length: 120 }, (_, i) => message('pool_a', i));
      const b = [message('pool_b', 200)];
      await Promise.all([...a, ...b].map((m) => producer.enqueue(m)));
      const jobsA = await queueOf('pool_a', p).getJobs(['waiting']);
      const sizes = jobsA
        .map((j) => (j.name === DELIVER_BATCH_JOB ? (j.data as DeliveryBatch).batch.length : 1))
        .sort((x, y) => x - y);
      expect(sizes).toEqual([20, 50, 50]);
      const held = new Set(jobsA.flatMap((j) => (j.data as DeliveryBatch).batch.map((m) => m.messageId)));
      expect(held.size).toBe(120);
      // Large inline bodies: about 1 MiB of base64 a job at most, so 10 of 300 KB make jobs of 3, 3, 3 and 1.
      const big = Array.from({ length: 10 }, (_, i) => ({
        ...message('pool_big', 300 + i),
        raw: 'A'.repeat(300 * 1024),
      }));
      await Promise.all(big.map((m) => producer.enqueue(m)));
      const jobsBig = await queueOf('pool_big', p).getJobs(['waiting']);
      const bigSizes = jobsBig
        .map((j) => (j.name === DELIVER_BATCH_JOB ? (j.data as DeliveryBatch).batch.length : 1))
        .sort((x, y) => x - y);
      expect(bigSizes).toEqual([1, 3, 3, 3]);
      // A message alone in its tick keeps the one-message job, named by its id.
      const jobsB = await queueOf('pool_b', p).getJobs(['waiting']);
      expect(jobsB.map((j) => [j.name, j.id])).toEqual([[DELIVER_JOB, b[0]?.messageId]]);
    } finally {
      await producer.close();
    }
  });

  it('runs a batch again after a failure without repeating its finished messages', async () => {
    const p = `bmb${randomBytes(3).toString('hex')}`;
    const retries = new PoolQueues(redis, p);
    const progress = new BatchProgress(redis, p);
    const batch: DeliveryBatch = { batch: Array.from({ length: 6 }, (_, i) => message('pool_c', i)) };
    const [ok0, ok1, deferred, broken] = batch.batch;
    const calls = new Map<string, number>();
    let failBroken = true;
    const pass = async (m: DeliveryJob): Promise<PassOutcome> => {
      calls.set(m.messageId, (calls.get(m.messageId) ?? 0) + 1);
      if (m.messageId === broken?.messageId && failBroken) throw new Error('copy thread exited');
      if (m.messageId === deferred?.messageId) return { retry: { data: { ...m, attempt: 1 }, delayMs: 60_000 } };
      return {};
    };
    const deps = { retries, progress, slots: new DeliverySlots(2) };
    try {
      await expect(processBatch(deps, 'batch-x', batch, pass)).rejects.toThrow(
        /1 of 6 messages of batch batch-x failed: copy thread exited/,
      );
      const finished = await progress.finished('batch-x');
      expect(finished.size).toBe(5);
      expect(finished.has(broken?.messageId ?? '')).toBe(false);
      expect(await redis.pttl(`${p}:batch-done:batch-x`)).toBeGreaterThan(0);
      expect((await progress.unfinished('batch-x', batch)).map((m) => m.messageId)).toEqual([broken?.messageId]);

      failBroken = false;
      await processBatch(deps, 'batch-x', batch, pass);
      expect(calls.get(broken?.messageId ?? '')).toBe(2);
      for (const m of [ok0, ok1, deferred]) expect(calls.get(m?.messageId ?? '')).toBe(1);
      expect(await redis.exists(`${p}:batch-done:batch-x`)).toBe(0);
      const retry = await queueOf('pool_c', p).getJob(`${deferred?.messageId ?? ''}-a1`);
      expect(retry?.name).toBe(DELIVER_JOB);
      expect(await retry?.isDelayed()).toBe(true);
    } finally {
      await retries.close();
    }
  });

  it('writes the marks of one tick together, each call resolving once its member is in Redis', async () => {
    const p = `bmm${randomBytes(3).toString('hex')}`;
    const progress = new BatchProgress(redis, p);
    const key = `${p}:batch-done:batch-m`;
    const monitor = await redis.monitor();
    const seen: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[1] === key) seen.push(String(args[0]).toLowerCase());
    });
    try {
      // 30 marks in one tick (the first sets the expiry), then one more in a later tick.
      await Promise.all(Array.from({ length: 30 }, (_, i) => progress.mark('batch-m', `m${i}`, i === 0)));
      expect((await progress.finished('batch-m')).size).toBe(30);
      await progress.mark('batch-m', 'late', false);
      expect([...(await progress.finished('batch-m'))].sort()).toEqual(
        [...Array.from({ length: 30 }, (_, i) => `m${i}`), 'late'].sort(),
      );
      expect(await redis.pttl(key)).toBeGreaterThan(6 * 24 * 3600 * 1000);
      await waitFor(() => seen.filter((c) => c === 'smembers').length === 2, 5_000, 'monitor caught up');
      expect(seen.filter((c) => c === 'sadd')).toHaveLength(2);
      expect(seen.filter((c) => c === 'pexpire')).toHaveLength(1);
    } finally {
      monitor.disconnect();
      await progress.clear('batch-m');
    }
  });

  it('runs at most the Pool slots at once', async () => {
    const slots = new DeliverySlots(3);
    let running = 0;
    let peak = 0;
    const task = () =>
      slots.run('pool_d', async () => {
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
      });
    await Promise.all([
      ...Array.from({ length: 20 }, task),
      slots.run('pool_e', async () => expect(running).toBeLessThanOrEqual(3)),
    ]);
    expect(peak).toBe(3);
  });
});
