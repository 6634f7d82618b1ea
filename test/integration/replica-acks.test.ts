import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  PoolQueues,
  ReplicaAcks,
  spawnRedisServer,
  type DeliveryJob,
  type SpawnedRedis,
} from '../../core/index.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { startTestPlatform } from '../support/test-platform.js';
import { waitFor } from '../support/wait.js';

/** Calls of WAIT the server has run so far (INFO commandstats). */
async function waitCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  return Number(/cmdstat_wait:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

/** Runs `body` with the replica's process stopped (SIGSTOP): it neither applies nor acknowledges writes. */
async function withReplicaStopped<T>(replica: SpawnedRedis, body: () => Promise<T>): Promise<T> {
  process.kill(replica.pid, 'SIGSTOP');
  try {
    return await body();
  } finally {
    process.kill(replica.pid, 'SIGCONT');
  }
}

/**
 * Waiting for replicas before a message counts as accepted, on a real primary and replica
 * (Debian's redis-server, replicating over loopback).
 */
describe('ReplicaAcks: a write counts once a replica holds it', () => {
  let dir: string;
  let primary: SpawnedRedis;
  let replica: SpawnedRedis;
  let writer: Redis;
  let onReplica: Redis;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridgemail-replica-acks-'));
    const logger = createLogger({ level: 'silent' });
    primary = await spawnRedisServer({ dir: join(dir, 'primary'), logger });
    replica = await spawnRedisServer({ dir: join(dir, 'replica'), logger });
    writer = new Redis(primary.url, { maxRetriesPerRequest: null });
    onReplica = new Redis(replica.url);
    const { hostname, port } = new URL(primary.url);
    await onReplica.replicaof(hostname, port);
    await waitFor(
      async () => (await onReplica.info('replication')).includes('master_link_status:up'),
      30_000,
      'the replica linked to the primary',
    );
  }, 60_000);
  afterAll(async () => {
    writer?.disconnect();
    onReplica?.disconnect();
    await replica?.stop();
    await primary?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('resolves once the replica holds every write before it, one WAIT for many concurrent writers', async () => {
    const acks = new ReplicaAcks(writer, { replicas: 1, timeoutMs: 5000 });
    const before = await waitCalls(writer);
    await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        await writer.set(`acked:${i}`, String(i));
        await acks.after('acked:0');
      }),
    );
    // What the wait promised: the replica has all 50, read right away.
    expect(await onReplica.mget(Array.from({ length: 50 }, (_, i) => `acked:${i}`))).toEqual(
      Array.from({ length: 50 }, (_, i) => String(i)),
    );
    const calls = (await waitCalls(writer)) - before;
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(3);
    expect(acks.counts).toEqual({ acked: calls, short: 0 });
  });

  it('with the replica stopped, waits up to its timeout, then resolves and reports the wait short', async () => {
    const shorts: { acked: number; wanted: number }[] = [];
    const acks = new ReplicaAcks(writer, { replicas: 1, timeoutMs: 400, onShort: (s) => shorts.push(s) });
    const took = await withReplicaStopped(replica, async () => {
      await writer.set('short:1', 'x');
      const started = Date.now();
      await acks.after('short:1');
      return Date.now() - started;
    });
    expect(took).toBeGreaterThanOrEqual(350);
    expect(took).toBeLessThan(5000);
    expect(shorts).toEqual([expect.objectContaining({ key: 'short:1', acked: 0, wanted: 1 })]);
    expect(acks.counts).toEqual({ acked: 0, short: 1 });
    // Once the replica runs again it catches up, and the next wait sees it.
    await acks.after('short:1');
    expect(acks.counts).toEqual({ acked: 1, short: 1 });
    expect(await onReplica.get('short:1')).toBe('x');
  });

  it('asks for more replicas than there are: short, never rejected; with 0 it sends no WAIT at all', async () => {
    const two = new ReplicaAcks(writer, { replicas: 2, timeoutMs: 100 });
    await writer.set('two', '2');
    await expect(two.after('two')).resolves.toBeUndefined();
    expect(two.counts).toEqual({ acked: 0, short: 1 });

    const none = new ReplicaAcks(writer, { replicas: 0, timeoutMs: 100 });
    const before = await waitCalls(writer);
    await none.after('two');
    expect(await waitCalls(writer)).toBe(before);
    expect(none.counts).toEqual({ acked: 0, short: 0 });
  });

  it('counts a wait on a closed connection as short, with the error', async () => {
    const closed = new Redis(primary.url, { lazyConnect: true, enableOfflineQueue: false });
    const shorts: { error?: unknown }[] = [];
    const acks = new ReplicaAcks(closed, { replicas: 1, timeoutMs: 100, onShort: (s) => shorts.push(s) });
    await acks.after('any');
    expect(acks.counts).toEqual({ acked: 0, short: 1 });
    expect(shorts[0]?.error).toBeInstanceOf(Error);
    closed.disconnect();
  });

  it('PoolQueues.enqueue resolves only once the replica holds the job', async () => {
    const acks = new ReplicaAcks(writer, { replicas: 1, timeoutMs: 10_000 });
    const queues = new PoolQueues(writer, 'bmra', { replicaAcks: acks, maxBatch: 10 });
    try {
      const messages: DeliveryJob[] = Array.from({ length: 10 }, (_, i) => ({
        messageId: `msg_ra${i}`,
        bridgeId: 'br_ra',
        poolId: 'pool_ra',
        from: 'app@sender.test',
        recipients: [`r${i}@replica.test`],
        raw: Buffer.from(`Subject: ${i}\r\n\r\nbody`).toString('base64'),
        acceptedAt: Date.now(),
        attempt: 1,
      }));
      const queue = await queues.queue('pool_ra');
      // With the replica stopped the primary holds the job at once, but enqueue does not resolve.
      // (Read on another connection: the WAIT blocks the one that wrote until it returns.)
      const reader = new Redis(primary.url);
      const accepted = await withReplicaStopped(replica, async () => {
        const all = Promise.all(messages.map((m) => queues.enqueue(m)));
        await waitFor(async () => (await reader.llen(queue.toKey('wait'))) > 0, 5000, 'the job on the primary');
        const state = await Promise.race([
          all.then(() => 'accepted'),
          new Promise((r) => setTimeout(r, 300, 'waiting')),
        ]);
        return { all, state };
      });
      reader.disconnect();
      expect(accepted.state).toBe('waiting');
      await accepted.all;
      expect(await onReplica.llen(queue.toKey('wait'))).toBe(await writer.llen(queue.toKey('wait')));
      // The first message's WAIT, and one the nine others share.
      expect(acks.counts.short).toBe(0);
      expect(acks.counts.acked).toBeGreaterThanOrEqual(1);
      expect(acks.counts.acked).toBeLessThanOrEqual(2);
    } finally {
      await queues.close();
    }
  });

  it('the platform with BRIDGEMAIL_REDIS_WAIT_REPLICAS answers 202 once the replica holds the message, and after the wait without it', async () => {
    const sink = await startSmtpSink();
    const platform = await startTestPlatform({
      REDIS_URL: primary.url,
      BRIDGEMAIL_REDIS_WAIT_REPLICAS: '1',
      // Long enough that a live replica's acknowledgement never misses it on a loaded machine.
      BRIDGEMAIL_REDIS_WAIT_MS: '1500',
      BRIDGEMAIL_MX_OVERRIDE: sink.mxOverride,
    });
    try {
      const metric = async (outcome: string) => {
        const text = await (await fetch(`http://127.0.0.1:${platform.ports.ops}/metrics`)).text();
        const line = text
          .split('\n')
          .find((l) => l.startsWith(`bridgemail_redis_replica_waits_total{`) && l.includes(`outcome="${outcome}"`));
        return Number(line?.split(' ').pop() ?? 0);
      };
      const pool = await platform.createPool('replica-wait', ['127.0.0.2']);
      const bridge = await platform.createBridge('replica-wait', pool.id);
      const send = (to: string) =>
        platform.send(bridge.apiKey, { from: 'app@sender.test', to, subject: 'wait', text: to });

      expect((await send('held@replica.test')).status).toBe(202);
      expect(await metric('acked')).toBeGreaterThanOrEqual(1);
      expect(await metric('short')).toBe(0);

      // Replica stopped: the 202 still comes, once the wait is over, and the short wait is told.
      const took = await withReplicaStopped(replica, async () => {
        const started = Date.now();
        expect((await send('primary-only@replica.test')).status).toBe(202);
        return Date.now() - started;
      });
      expect(took).toBeGreaterThanOrEqual(1400);
      expect(await metric('short')).toBeGreaterThanOrEqual(1);
      expect(platform.logs.join('')).toContain(
        'held by fewer Redis replicas than BRIDGEMAIL_REDIS_WAIT_REPLICAS asks for',
      );
      await waitFor(() => sink.messages.length === 2, 30_000, 'both messages at the sink');
    } finally {
      await platform.stop();
      await sink.close();
    }
  });
});
