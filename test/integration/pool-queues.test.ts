import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolJobRunner, PoolQueues, type DeliveryJob, type PassOutcome } from '../../core/index.js';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

const message = (poolId: string, n: number, extra: Partial<DeliveryJob> = {}): DeliveryJob => ({
  messageId: `msg_b${n}_${randomBytes(3).toString('hex')}`,
  bridgeId: 'br_batch',
  poolId,
  from: 'app@sender.test',
  recipients: [`r${n}@example.test`],
  raw: Buffer.from('Subject: x\r\n\r\nhi\r\n').toString('base64'),
  acceptedAt: Date.now(),
  attempt: 0,
  ...extra,
});

describe('Pool queues: messages accepted in one tick share jobs, each message delivered on its own', () => {
  const h = useHarness({}, (rcpt, n) => {
    if (rcpt.startsWith('greylist') && n === 1) return { code: 451, message: '4.7.1 Greylisted, try again later' };
    if (rcpt.startsWith('unknown')) return { code: 550, message: '5.1.1 User unknown' };
    return undefined;
  });
  let redis: Redis;
  const producers: PoolQueues[] = [];
  const producer = (maxBatch = 50) => {
    const p = new PoolQueues(redis, `bmb${randomBytes(3).toString('hex')}`, { maxBatch });
    producers.push(p);
    return p;
  };
  const waitingJobs = async (queues: PoolQueues, poolId: string) =>
    (await (await queues.queue(poolId)).getWaiting()).length;

  beforeAll(() => {
    redis = new Redis(h.platform.redisUrl, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    await Promise.all(producers.map((p) => p.close()));
    redis.disconnect();
  });

  it('delivers, retries and bounces each message of a POST /v1/send/batch on its own, once', async () => {
    const pool = await h.platform.createPool('batch-pool', ['127.0.0.2']);
    const bridge = await h.platform.createBridge('batch-app', pool.id);
    const kinds = ['ok', 'greylist', 'unknown'] as const;
    const to = Array.from({ length: 30 }, (_, i) => `${kinds[i % 3]}-${i}@example.test`);
    const res = await fetch(`${h.platform.urls.api}/v1/send/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bridge.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(to.map((rcpt) => ({ from: 'app@sender.test', to: rcpt, subject: 'batch', text: 'hello' }))),
    });
    expect(res.status).toBe(200);
    const ids = ((await res.json()) as { data: { id: string }[] }).data.map((d) => d.id);
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
    // The 30 messages shared jobs; the greylisted ones continued in jobs of their own.
    const platformQueues = new PoolQueues(redis, h.platform.config.redis.prefix);
    producers.push(platformQueues);
    const jobs = await (await platformQueues.queue(pool.id)).getJobs(['completed', 'delayed', 'waiting', 'active']);
    expect(jobs.length).toBeLessThan(await platformQueues.countMessages(pool.id));
  });

  it('shares one job per Pool and tick, up to maxBatch messages and about 1 MiB of bodies', async () => {
    const queues = producer(50);
    // Every tenth message comes with an idempotency claim: those are found by id although they share a job.
    const a = Array.from({ length: 120 }, (_, i) => message('pool_a', i, i % 10 ? {} : { idem: `claim-${i}` }));
    const b = message('pool_b', 200);
    await Promise.all([...a, b].map((m) => queues.enqueue(m)));
    expect(await waitingJobs(queues, 'pool_a')).toBe(3);
    expect(await queues.countMessages('pool_a')).toBe(120);
    for (const m of [...a.filter((m) => m.idem !== undefined), b])
      expect(await queues.has(m.poolId, m.messageId)).toBe(true);
    expect(await waitingJobs(queues, 'pool_b')).toBe(1);
    // 10 bodies of 300 KB: jobs of 3, 3, 3 and 1.
    const big = Array.from({ length: 10 }, (_, i) => message('pool_big', 300 + i, { raw: 'A'.repeat(300 * 1024) }));
    await Promise.all(big.map((m) => queues.enqueue(m)));
    expect(await waitingJobs(queues, 'pool_big')).toBe(4);
    expect(await queues.countMessages('pool_big')).toBe(10);
    expect(await queues.has('pool_a', 'msg_never_queued')).toBe(false);
  });

  it('runs a batch again after a failure without repeating its finished messages', async () => {
    const queues = producer(50);
    const batch = Array.from({ length: 6 }, (_, i) => message('pool_c', i));
    const [ok0, ok1, deferred, broken] = batch;
    await Promise.all(batch.map((m) => queues.enqueue(m)));
    const [job] = await (await queues.queue('pool_c')).getWaiting();
    if (!job) throw new Error('expected one job');
    const calls = new Map<string, number>();
    let failBroken = true;
    const pass = async (m: DeliveryJob): Promise<PassOutcome> => {
      calls.set(m.messageId, (calls.get(m.messageId) ?? 0) + 1);
      if (m.messageId === broken?.messageId && failBroken) throw new Error('copy thread exited');
      if (m.messageId === deferred?.messageId) return { retry: { data: { ...m, attempt: 1 }, delayMs: 60_000 } };
      return {};
    };
    const runner = new PoolJobRunner({
      retries: queues,
      redis,
      prefix: `bmr${randomBytes(3).toString('hex')}`,
      concurrency: 2,
    });
    const run = runner.processor(pass);
    await expect(run(job)).rejects.toThrow(/1 of 6 messages of batch .* failed: copy thread exited/);
    expect((await runner.unfinished(job)).map((m) => m.messageId)).toEqual([broken?.messageId]);
    failBroken = false;
    await run(job);
    expect(calls.get(broken?.messageId ?? '')).toBe(2);
    for (const m of [ok0, ok1, deferred]) expect(calls.get(m?.messageId ?? '')).toBe(1);
    expect(await runner.unfinished(job)).toHaveLength(6);
    // The deferred message continues in a delayed job of its own.
    expect(await (await queues.queue('pool_c')).getDelayedCount()).toBe(1);
    expect(await queues.countMessages('pool_c')).toBe(7);
  });

  it('gives a scheduled message a delayed job of its own; a cancel and the worker never both win', async () => {
    const prefix = `bms${randomBytes(3).toString('hex')}`;
    const queues = new PoolQueues(redis, prefix, { maxBatch: 50 });
    producers.push(queues);
    const sendAt = Date.now() + 60_000;
    const scheduled = Array.from({ length: 10 }, (_, i) => message('pool_s', i, { sendAt }));
    await Promise.all([...scheduled, message('pool_s', 99)].map((m) => queues.enqueue(m)));
    // The ten scheduled ones are not batched: one delayed job each, its id the message id.
    expect(await (await queues.queue('pool_s')).getDelayedCount()).toBe(10);
    const delay = (await (await queues.queue('pool_s')).getJob(scheduled[0]!.messageId))?.opts.delay ?? 0;
    expect(delay).toBeGreaterThan(50_000);

    const passes = new Map<string, number>();
    const run = new PoolJobRunner({ retries: queues, redis, prefix, concurrency: 4 }).processor((m) => {
      passes.set(m.messageId, (passes.get(m.messageId) ?? 0) + 1);
      return Promise.resolve({});
    });
    const queue = await queues.queue('pool_s');
    const jobs = await Promise.all(scheduled.map((m) => queue.getJob(m.messageId)));
    // Cancel and the worker's pass race, each going first half of the time: exactly one wins.
    const outcomes = await Promise.all(
      scheduled.map(async (m, i) => {
        const job = jobs[i]!;
        const cancel =
          i % 2 === 0
            ? (await Promise.all([queues.cancel(m.messageId), run(job)]))[0]
            : (await Promise.all([run(job), queues.cancel(m.messageId)]))[1];
        return { cancel, passes: passes.get(m.messageId) ?? 0 };
      }),
    );
    for (const o of outcomes) {
      if (o.cancel.kind === 'cancelled') expect([o.cancel.first, o.passes]).toEqual([true, 0]);
      else expect([o.cancel.kind, o.passes]).toEqual(['started', 1]);
    }
    // A second cancel answers the same; another Bridge's cancel finds nothing; a claimed job runs again (a
    // worker died) and is still sent.
    const first = scheduled[0]!;
    const again = await queues.cancel(first.messageId, first.bridgeId);
    expect(again.kind === 'cancelled' ? again.first : again.kind).toBe(
      outcomes[0]!.cancel.kind === 'cancelled' ? false : 'started',
    );
    expect((await queues.cancel(first.messageId, 'br_other')).kind).toBe('unknown');
    const started = outcomes.findIndex((o) => o.cancel.kind === 'started');
    if (started !== -1) {
      await run(jobs[started]!);
      expect(passes.get(scheduled[started]!.messageId)).toBe(2);
    }
  });

  it('runs at most `concurrency` passes of a Pool at once, batched or not', async () => {
    const queues = producer(50);
    await Promise.all(Array.from({ length: 20 }, (_, i) => queues.enqueue(message('pool_d', i))));
    const [job] = await (await queues.queue('pool_d')).getWaiting();
    if (!job) throw new Error('expected one job');
    let running = 0;
    let peak = 0;
    const runner = new PoolJobRunner({
      retries: queues,
      redis,
      prefix: `bmr${randomBytes(3).toString('hex')}`,
      concurrency: 3,
    });
    await runner.processor(async () => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return {};
    })(job);
    expect(peak).toBe(3);
  });
});
