import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  createStore,
  EventPublisher,
  eventStreamKey,
  migrate,
  openPglite,
  readStreamGroups,
  SecretBox,
  spawnRedisServer,
  type SpawnedRedis,
  type SqlClient,
} from '../../core/index.js';
import { createWebhookStore, type WebhookStore } from '../../core/store/webhook-store.js';
import {
  createWebhookProcessor,
  queueEnqueuer,
  startWebhookFanout,
  verifyWebhookSignature,
  WEBHOOK_GROUP,
  WEBHOOK_QUEUE,
  type WebhookFanout,
  type WebhookJob,
} from '../../workers/webhooks/index.js';
import { streamEvents } from '../support/event-stream.js';
import { waitFor } from '../support/wait.js';
import { watchRedisCommands } from '../support/redis-monitor.js';

interface Received {
  path: string;
  eventId: string | undefined;
  keyId: string | undefined;
  body: string;
  signature: string | undefined;
}

describe('webhooks: signed, retried through BullMQ, exactly one acknowledged delivery', () => {
  const logger = createLogger({ level: 'silent' });
  const prefix = `bmh${randomBytes(4).toString('hex')}`;
  const clients: Redis[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  let dir: string;
  let spawned: SpawnedRedis | undefined;
  let redisUrl: string;
  let sql: SqlClient;
  let webhooks: WebhookStore;
  let bridgeA: string;
  let bridgeB: string;
  let poolId: string;
  let server: Server;
  let base: string;
  const received: Received[] = [];
  /** Answers per path: the n-th request to a path (1-based) gets `script(n)`. */
  const scripts = new Map<string, (n: number) => number>();

  const connect = () => {
    const r = new Redis(redisUrl, { maxRetriesPerRequest: null });
    clients.push(r);
    return r;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridgemail-webhooks-'));
    if (process.env.REDIS_URL) {
      redisUrl = process.env.REDIS_URL;
    } else {
      spawned = await spawnRedisServer({ dir: join(dir, 'redis'), logger });
      redisUrl = spawned.url;
    }
    sql = await openPglite(join(dir, 'pg'));
    await migrate(sql);
    const box = new SecretBox(randomBytes(32));
    const store = createStore(sql, box);
    webhooks = createWebhookStore(sql, box);
    const pool = await store.createPool({ name: 'wh-pool', ips: [{ ip: '127.0.0.2' }] });
    poolId = pool.id;
    bridgeA = (await store.createBridge({ name: 'wh-a', poolId, trackOpens: false, trackClicks: false })).id;
    bridgeB = (await store.createBridge({ name: 'wh-b', poolId, trackOpens: false, trackClicks: false })).id;

    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '';
        received.push({
          path,
          eventId: req.headers['bridgemail-event-id'] as string | undefined,
          keyId: req.headers['bridgemail-key-id'] as string | undefined,
          signature: req.headers['bridgemail-signature'] as string | undefined,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const n = received.filter((r) => r.path === path).length;
        res.statusCode = scripts.get(path)?.(n) ?? 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    const r = connect();
    const keys = [...(await r.keys(`${prefix}:*`)), ...(await r.keys(`${prefix}-flag:*`))];
    if (keys.length > 0) await r.del(...keys);
    for (const c of clients) c.disconnect();
    await new Promise((resolve) => server?.close(resolve));
    await sql?.close();
    await spawned?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Waits until the fan-out has read and acknowledged every entry of the stream. */
  const fanoutCaughtUp = async (reader: Redis, streamPrefix = prefix) => {
    const key = eventStreamKey(streamPrefix);
    await waitFor(
      async () => {
        const group = (await readStreamGroups(reader, key)).find((g) => g.name === WEBHOOK_GROUP);
        const last = (await reader.xrevrange(key, '+', '-', 'COUNT', 1))[0]?.[0];
        return group !== undefined && group.pending === 0 && group.lastDeliveredId === last;
      },
      20_000,
      'fan-out caught up with the stream',
    );
  };

  it('stores webhooks with sealed secrets, rotates them, lists attempts newest first', async () => {
    const { webhook, secret } = await webhooks.createWebhook({
      bridgeId: bridgeB,
      url: 'https://hooks.example.com/b',
      eventTypes: ['bounced', 'complained', 'bounced'],
    });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(webhook).toMatchObject({ bridgeId: bridgeB, eventTypes: ['bounced', 'complained'], active: true });
    const { rows } = await sql.query<{ secret_enc: string }>('SELECT secret_enc FROM webhooks WHERE id = $1', [
      webhook.id,
    ]);
    expect(rows[0]?.secret_enc).not.toContain(secret);
    expect((await webhooks.getWebhookTarget(webhook.id))?.secret).toBe(secret);
    expect((await webhooks.listWebhooks(bridgeB)).map((w) => w.id)).toEqual([webhook.id]);
    expect((await webhooks.webhooksFor(bridgeB, 'complained')).map((w) => w.id)).toEqual([webhook.id]);
    expect(await webhooks.webhooksFor(bridgeB, 'delivered')).toEqual([]);
    expect(await webhooks.webhooksFor(bridgeA, 'complained')).toEqual([]);

    const rotated = await webhooks.rotateWebhookSecret(webhook.id);
    expect(rotated.secret).not.toBe(secret);
    expect(rotated.webhook.keyId).not.toBe(webhook.keyId);
    expect((await webhooks.getWebhookTarget(webhook.id))?.secret).toBe(rotated.secret);

    for (const attempt of [1, 2]) {
      await webhooks.recordAttempt({
        webhookId: webhook.id,
        eventId: 'ev_x',
        attempt,
        statusCode: attempt === 2 ? 200 : 503,
        error: attempt === 2 ? null : 'x'.repeat(900),
        delivered: attempt === 2,
      });
    }
    const attempts = await webhooks.listAttempts(webhook.id, 10);
    expect(attempts.map((a) => [a.attempt, a.statusCode, a.delivered])).toEqual([
      [2, 200, true],
      [1, 503, false],
    ]);
    expect(attempts[1]?.error).toHaveLength(500);

    await expect(
      webhooks.createWebhook({ bridgeId: bridgeB, url: 'https://x.example/', eventTypes: ['nope' as 'sent'] }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(
      webhooks.createWebhook({ bridgeId: bridgeB, url: 'https://x.example/', eventTypes: [] }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(
      webhooks.createWebhook({ bridgeId: 'br_missing', url: 'https://x.example/', eventTypes: ['sent'] }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await webhooks.deleteWebhook(webhook.id);
    expect(await webhooks.listWebhooks(bridgeB)).toEqual([]);
    expect(await webhooks.listAttempts(webhook.id)).toEqual([]);
    await expect(webhooks.deleteWebhook(webhook.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('delivers a matching event once after two 500s, and nothing else; a re-read enqueues nothing twice', async () => {
    scripts.set('/a', (n) => (n <= 2 ? 500 : 200));
    const { webhook, secret } = await webhooks.createWebhook({
      bridgeId: bridgeA,
      url: `${base}/a`,
      eventTypes: ['delivered', 'bounced'],
    });
    const queue = new Queue<WebhookJob>(WEBHOOK_QUEUE, { connection: connect(), prefix });
    closers.push(() => queue.close());
    const worker = new Worker<WebhookJob>(
      WEBHOOK_QUEUE,
      createWebhookProcessor({
        getWebhook: (id) => webhooks.getWebhookTarget(id),
        recordAttempt: (a) => webhooks.recordAttempt(a),
        allowPrivate: true,
        timeoutMs: 5000,
        logger,
      }),
      { connection: connect(), prefix },
    );
    closers.push(() => worker.close());
    const startFanout = () =>
      startWebhookFanout({
        redis: connect(),
        prefix,
        webhooksFor: (b, t) => webhooks.webhooksFor(b, t),
        enqueue: queueEnqueuer(queue),
        logger,
        blockMs: 200,
      });
    let fanout: WebhookFanout = await startFanout();
    closers.push(() => fanout.close());

    const publisher = new EventPublisher(connect(), prefix);
    const base_ = { messageId: 'msg_1', poolId, recipient: 'r@example.test' };
    await publisher.publish([
      { ...base_, type: 'opened', bridgeId: bridgeA }, // a type the webhook did not ask for
      { ...base_, type: 'delivered', bridgeId: bridgeB }, // another Bridge
      { ...base_, type: 'delivered', bridgeId: bridgeA }, // the one to deliver
    ]);
    const reader = connect();
    const target = (await streamEvents(reader, eventStreamKey(prefix))).find(
      (e) => e.type === 'delivered' && e.bridgeId === bridgeA,
    );
    expect(target).toBeDefined();

    await waitFor(
      async () => (await webhooks.listAttempts(webhook.id)).some((a) => a.delivered),
      30_000,
      'delivered attempt',
    );
    await fanoutCaughtUp(reader);
    await waitFor(
      async () => {
        const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed');
        return c.waiting === 0 && c.active === 0 && c.delayed === 0 && c.completed === 1;
      },
      10_000,
      'queue drained',
    );

    const attempts = (await webhooks.listAttempts(webhook.id)).reverse();
    expect(attempts.map((a) => [a.attempt, a.statusCode, a.delivered, a.eventId])).toEqual([
      [1, 500, false, target?.id],
      [2, 500, false, target?.id],
      [3, 200, true, target?.id],
    ]);
    expect(fanout.enqueued).toBe(1);
    expect(received.map((r) => r.path)).toEqual(['/a', '/a', '/a']);
    for (const r of received) {
      expect(r.eventId).toBe(target?.id);
      expect(r.keyId).toBe(webhook.keyId);
      expect(verifyWebhookSignature(r.signature, r.body, secret, 300)).toBe(true);
      expect(verifyWebhookSignature(r.signature, r.body, 'whsec_wrong', 300)).toBe(false);
      expect(JSON.parse(r.body)).toMatchObject({ event: { id: target?.id, type: 'delivered', bridgeId: bridgeA } });
    }

    // A crash before the acknowledgement makes the fan-out read everything again: job ids absorb it.
    await fanout.close();
    await reader.xgroup('SETID', eventStreamKey(prefix), WEBHOOK_GROUP, '0');
    fanout = await startFanout();
    await fanoutCaughtUp(reader);
    expect(fanout.enqueued).toBe(1); // the delivery was handed to the queue again…
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed');
    expect(counts).toMatchObject({ waiting: 0, active: 0, delayed: 0, completed: 1 });
    expect(received).toHaveLength(3); // …which already had that job id
  });

  it('while no webhook is active, skips events without reading or matching them; matches again once one is', async () => {
    const reader = connect();
    // A stream of its own: the fan-out of the test above still reads the shared one.
    const own = `${prefix}-flag`;
    // The store's answer, as the platform caches it: no webhook anywhere after the earlier tests clean up.
    for (const b of [bridgeA, bridgeB])
      for (const w of await webhooks.listWebhooks(b)) await webhooks.deleteWebhook(w.id);
    expect(await webhooks.hasActiveWebhooks()).toBe(false);
    let any = false;
    const lookups: string[] = [];
    const jobs: WebhookJob[] = [];
    // Every command Redis runs, watched with MONITOR: while idle the fan-out moves its group, reading nothing.
    const ownKey = eventStreamKey(own);
    let reads = 0;
    const seen = new Set<string>();
    const monitor = watchRedisCommands(redisUrl, (args) => {
      if (args[0] === 'xreadgroup' && args.includes(ownKey)) reads++;
      if (args[0] === 'echo' && args[1] !== undefined) seen.add(args[1]);
    });
    closers.push(() => monitor.stop());
    await monitor.ready;
    // MONITOR reports commands in the order Redis ran them: once a marker is seen, so is every read before it.
    const readsSoFar = async (marker: string) => {
      await reader.echo(marker);
      await waitFor(() => seen.has(marker), 10_000, `MONITOR saw ${marker}`);
      return reads;
    };
    const fanout = await startWebhookFanout({
      redis: connect(),
      prefix: own,
      anyWebhooks: async () => any,
      webhooksFor: async (b, t) => {
        lookups.push(`${b}/${t}`);
        return b === bridgeA && t === 'bounced' ? [{ id: 'wh_test' }] : [];
      },
      enqueue: async (batch) => void jobs.push(...batch),
      logger,
      blockMs: 200,
    });
    closers.push(() => fanout.close());
    const publisher = new EventPublisher(connect(), own);
    const event = {
      messageId: 'msg_flag',
      poolId,
      recipient: 'r@example.test',
      type: 'bounced' as const,
      bridgeId: bridgeA,
    };
    await publisher.publish([event, event]);
    await fanoutCaughtUp(reader, own);
    expect(lookups).toEqual([]);
    expect(jobs).toEqual([]);
    // One read of its (empty) pending entries at start, none since.
    expect(await readsSoFar('idle')).toBe(1);

    const { webhook } = await webhooks.createWebhook({
      bridgeId: bridgeA,
      url: `${base}/flag`,
      eventTypes: ['bounced'],
    });
    expect(await webhooks.hasActiveWebhooks()).toBe(true);
    any = true;
    await publisher.publish([event]);
    await fanoutCaughtUp(reader, own);
    expect(lookups).toEqual([`${bridgeA}/bounced`]);
    expect(jobs.map((j) => [j.webhookId, j.event.messageId])).toEqual([['wh_test', 'msg_flag']]);
    await webhooks.deleteWebhook(webhook.id);
  });

  it('refuses a loopback target unless allowPrivate, failing the job for good', async () => {
    const before = received.length;
    const { webhook } = await webhooks.createWebhook({
      bridgeId: bridgeA,
      url: `${base}/private`,
      eventTypes: ['bounced'],
    });
    const name = `${WEBHOOK_QUEUE}-strict`;
    const queue = new Queue<WebhookJob>(name, { connection: connect(), prefix });
    closers.push(() => queue.close());
    const worker = new Worker<WebhookJob>(
      name,
      createWebhookProcessor({
        getWebhook: (id) => webhooks.getWebhookTarget(id),
        recordAttempt: (a) => webhooks.recordAttempt(a),
        allowPrivate: false,
        logger,
      }),
      { connection: connect(), prefix },
    );
    closers.push(() => worker.close());
    const event = {
      id: 'ev_private',
      type: 'bounced' as const,
      ts: Date.now(),
      messageId: 'msg_2',
      bridgeId: bridgeA,
      poolId,
      recipient: 'user@example.test',
    };
    await queueEnqueuer(queue)([{ webhookId: webhook.id, event }]);

    const job = await waitFor(
      async () => {
        const [failed] = await queue.getFailed();
        return failed;
      },
      10_000,
      'failed job',
    );
    expect(job.attemptsMade).toBe(1);
    const attempts = await webhooks.listAttempts(webhook.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ eventId: 'ev_private', attempt: 1, statusCode: null, delivered: false });
    expect(attempts[0]?.error).toMatch(/internal-address.*127\.0\.0\.1/);
    expect(received).toHaveLength(before);
  });
});
