import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis, type Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventStreamKeys, keyLayoutOf, poolQueueName, poolQueuePrefix } from '../../core/index.js';
import { clusterClient, commandCount, startTestCluster, type TestCluster } from '../support/redis-cluster.js';
import { authPlain, mailFromRefusedWithin, SmtpDialog, submissionTransport } from '../support/smtp-client.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { waitFor } from '../support/wait.js';

/**
 * Every role of one process on a real 3-primary, 3-replica Redis Cluster on loopback, the event
 * stream in 3 shards: REST and SMTP sends of three Pools reach the sink from their IPs, the stats
 * count them, webhooks post them, a revocation reaches ingress by pub/sub within 1 s; each Pool's
 * queue lives in a slot of its own, chosen at its creation so that the queues spread over the primaries.
 */
/** How long the platform waits for a replica before accepting without it. */
const WAIT_MS = 600;

/** The process id of the replica of the primary listening on `primaryPort`. */
async function replicaPidOf(primaryPort: number): Promise<number> {
  const primary = new Redis(primaryPort, '127.0.0.1', { maxRetriesPerRequest: 1 });
  try {
    const port = Number(/^slave0:.*port=(\d+)/m.exec(await primary.info('replication'))?.[1]);
    const replica = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      return Number(/^process_id:(\d+)/m.exec(await replica.info('server'))?.[1]);
    } finally {
      replica.disconnect();
    }
  } finally {
    primary.disconnect();
  }
}

describe('the platform on a Redis Cluster', () => {
  let cluster: TestCluster;
  let client: Cluster;
  let sink: SmtpSink;
  let platform: TestPlatform;
  let receiver: Server;
  let hookUrl: string;
  const posted: { type: string; messageId: string }[] = [];

  beforeAll(async () => {
    cluster = await startTestCluster(3);
    client = clusterClient(cluster);
    sink = await startSmtpSink();
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const { event } = JSON.parse(body) as { event: { type: string; messageId: string } };
        posted.push({ type: event.type, messageId: event.messageId });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    platform = await startTestPlatform({
      REDIS_CLUSTER_NODES: cluster.nodesText,
      BRIDGEMAIL_EVENT_SHARDS: '3',
      BRIDGEMAIL_MX_OVERRIDE: sink.mxOverride,
      BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE: '1',
      // Every 202 waits for the queue primary's replica (one WAIT shared by concurrent sends).
      BRIDGEMAIL_REDIS_WAIT_REPLICAS: '1',
      BRIDGEMAIL_REDIS_WAIT_MS: String(WAIT_MS),
    });
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    client?.disconnect();
    await sink?.close();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    await cluster?.stop();
  });

  // First, on the fresh platform: the six Pools are all the Pools there are.
  it('spreads the commands of 6 Pools sending 3,000 messages over every primary, none above 60%', async () => {
    const primaries = await cluster.primaries();
    expect(primaries).toHaveLength(3);
    // Six Pools created the ordinary way, all at once: each new Pool's queue tag is chosen for the
    // primary holding the fewest queues, one Pool after another, so the six sit two on each primary
    // (by chance, the tags `pool-<id>` would put 3 or more on one about a third of the time).
    const layout = keyLayoutOf(platform.config.redis);
    const perPrimary = new Map(primaries.map((port) => [port, 0]));
    const bridges: { apiKey: string }[] = [];
    const pools = await Promise.all(
      Array.from({ length: 6 }, (_, i) => platform.createPool(`spread-${i + 1}`, [`127.0.1.${i + 1}`])),
    );
    for (const [i, pool] of pools.entries()) {
      const k = i + 1;
      const stored = await platform.store.getPool(pool.id);
      const name = poolQueueName(pool.id);
      const primary = await cluster.primaryFor(`${poolQueuePrefix(layout, stored!)}:${name}:wait`);
      perPrimary.set(primary, (perPrimary.get(primary) ?? 0) + 1);
      bridges.push(await platform.createBridge(`spread-${k}`, pool.id, { trackOpens: false, trackClicks: false }));
    }
    const placement = primaries.map((port) => `${port} ${perPrimary.get(port)}`).join(', ');
    console.info(`[cluster spread] queues of the 6 Pools per primary: ${placement}`);
    expect([...perPrimary.values()]).toEqual([2, 2, 2]);
    const before = await Promise.all(primaries.map(commandCount));
    const atSink = sink.messages.length;
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < 3000; i = next++) {
        const bridge = bridges[i % 6] as { apiKey: string };
        const res = await platform.send(bridge.apiKey, {
          from: 'app@sender.test',
          to: `spread-${i}@example.test`,
          subject: 'spread',
          text: String(i),
        });
        expect(res.status).toBe(202);
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 16 }, lane));
    await waitFor(() => sink.messages.length - atSink >= 3000, 120_000, '3,000 messages at the sink');
    const after = await Promise.all(primaries.map(commandCount));
    const served = after.map((n, i) => n - (before[i] ?? 0));
    const total = served.reduce((a, b) => a + b, 0);
    const shares = served.map((n) => n / total);
    console.info(
      `[cluster spread] 6 Pools (queue tags chosen at creation), 3,000 messages, ${total} commands: ${primaries
        .map((port, i) => `${port} ${((shares[i] ?? 0) * 100).toFixed(1)}% (${served[i]})`)
        .join(', ')}`,
    );
    for (const share of shares) expect(share).toBeGreaterThan(0.1);
    for (const share of shares) expect(share).toBeLessThanOrEqual(0.6);
  }, 300_000);

  it('delivers REST and SMTP sends of 3 Pools, counts them in the stats and posts their webhooks', async () => {
    expect(platform.redisTarget.kind).toBe('cluster');
    const ips = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
    const bridges = [];
    for (const [i, ip] of ips.entries()) {
      const pool = await platform.createPool(`cluster-${i}`, [ip]);
      const bridge = await platform.createBridge(`cluster-${i}`, pool.id, { trackOpens: false, trackClicks: false });
      const hook = await platform.admin('POST', `/admin/v1/bridges/${bridge.id}/webhooks`, {
        url: hookUrl,
        eventTypes: ['delivered'],
      });
      expect(hook.status).toBe(201);
      bridges.push({ pool, bridge, ip });
    }
    const ids = new Map<string, string>();
    const atSink = sink.messages.length;
    for (const { bridge, ip } of bridges) {
      for (let n = 0; n < 3; n++) {
        const res = await platform.send(bridge.apiKey, {
          from: 'app@sender.test',
          to: `rest-${n}-${bridge.id}@example.test`,
          subject: 'on a cluster',
          text: 'hello',
        });
        expect(res.status).toBe(202);
        ids.set(((await res.json()) as { id: string }).id, ip);
      }
      const info = await submissionTransport(platform.ports.smtp, {
        user: bridge.smtp.username,
        pass: bridge.smtp.password,
      }).sendMail({ from: 'app@sender.test', to: `smtp-${bridge.id}@example.test`, subject: 'smtp', text: 'hi' });
      expect(info.response).toMatch(/^250 .*queued as msg_/);
      ids.set(/queued as (msg_\S+)/.exec(info.response)?.[1] ?? '', ip);
    }
    await waitFor(() => sink.messages.length - atSink >= 12, 30_000, '12 messages at the sink');
    expect(sink.messages).toHaveLength(atSink + 12);
    for (const { bridge, ip } of bridges) {
      const mine = sink.messages.filter((m) => m.to[0]?.endsWith(`-${bridge.id}@example.test`));
      expect(mine).toHaveLength(4);
      for (const m of mine) expect(m.remoteAddress).toBe(ip);
    }
    for (const { bridge } of bridges) {
      await waitFor(
        async () => {
          const s = await platform.stats(bridge.id);
          return s.sent === 4 && s.delivered === 4 ? s : undefined;
        },
        20_000,
        `stats of ${bridge.name}: sent=4 delivered=4`,
      );
    }
    await waitFor(() => posted.length >= 12, 20_000, '12 delivered webhooks');
    expect(new Set(posted.map((p) => p.messageId))).toEqual(new Set(ids.keys()));
    expect(posted.every((p) => p.type === 'delivered')).toBe(true);

    // The layout: each Pool's queue under the hash tag chosen at its creation (stored with it), so
    // in a slot of its own; the 3 Pools, created on top of 2 queues per primary, one on each primary.
    const slots = new Set<number>();
    const primaries = new Set<number>();
    for (const { pool } of bridges) {
      const tag = (await platform.store.getPool(pool.id))?.queueTag ?? '';
      expect(tag).toMatch(new RegExp(`^pool-${pool.id}-\\d+$`));
      const name = poolQueueName(pool.id);
      const prefix = poolQueuePrefix(keyLayoutOf(platform.config.redis), { id: pool.id, queueTag: tag });
      expect(prefix).toBe(`${platform.config.redis.prefix}:{${tag}}`);
      expect(await client.exists(`${prefix}:${name}:meta`)).toBe(1);
      slots.add(Number(await client.call('CLUSTER', 'KEYSLOT', `${prefix}:${name}:wait`)));
      primaries.add(await cluster.primaryFor(`${prefix}:${name}:wait`));
    }
    expect(slots.size).toBe(3);
    expect(primaries.size).toBe(3);
    const shards = eventStreamKeys(platform.config.redis.prefix, 3);
    const lengths = await Promise.all(shards.map((key) => client.xlen(key)));
    // 12 messages over 3 shards by id: each shard got the events of some of them (or was trimmed
    // after the writer read them, which needs it to have had some).
    const groups = await Promise.all(shards.map((key) => client.xinfo('GROUPS', key) as Promise<unknown[]>));
    for (const [i, g] of groups.entries()) expect(g.length, `groups of ${shards[i]} (length ${lengths[i]})`).toBe(2);
  }, 120_000);

  it('refuses an authenticated SMTP session within 1 s of a revocation (pub/sub on the cluster)', async () => {
    const pool = await platform.createPool('revoke', ['127.0.0.5']);
    const bridge = await platform.createBridge('revoke', pool.id);
    const { dialog } = await SmtpDialog.open(platform.ports.smtp);
    try {
      await dialog.command('EHLO client.test');
      await dialog.startTls();
      await dialog.command('EHLO client.test');
      expect(await dialog.command(`AUTH PLAIN ${authPlain(bridge.smtp.username, bridge.smtp.password)}`)).toMatch(
        /^235 /,
      );
      expect(await dialog.command('MAIL FROM:<app@sender.test>')).toMatch(/^250 /);
      expect(await dialog.command('RSET')).toMatch(/^250 /);
      const revoked = await platform.admin('POST', `/admin/v1/bridges/${bridge.id}/revoke`, { what: 'smtp' });
      expect(revoked.status).toBe(200);
      const revokedAt = Date.now();
      expect(await mailFromRefusedWithin(dialog, revokedAt, 1000)).toMatch(/^5\d\d /);
    } finally {
      dialog.close();
    }
    const rest = await platform.send(bridge.apiKey, {
      from: 'a@sender.test',
      to: 'x@example.test',
      subject: 's',
      text: 't',
    });
    expect(rest.status).toBe(202);
  });

  it("answers 202 only once the replica of the queue's primary holds the message (WAIT sent to that primary)", async () => {
    const pool = await platform.createPool('replica-wait', ['127.0.0.6']);
    const bridge = await platform.createBridge('replica-wait', pool.id, { trackOpens: false, trackClicks: false });
    const stored = await platform.store.getPool(pool.id);
    const queueKey = `${poolQueuePrefix(keyLayoutOf(platform.config.redis), stored!)}:${poolQueueName(pool.id)}:meta`;
    const send = async (to: string) => {
      const started = Date.now();
      const res = await platform.send(bridge.apiKey, { from: 'app@sender.test', to, subject: 'wait', text: 'x' });
      expect(res.status).toBe(202);
      return Date.now() - started;
    };
    await send('first@replica-wait.test');
    // With that replica stopped, the WAIT on its primary runs to the timeout: a WAIT sent to
    // another node (which saw no write from this connection) would return at once.
    const pid = await replicaPidOf(await cluster.primaryFor(queueKey));
    process.kill(pid, 'SIGSTOP');
    let took: number;
    try {
      took = await send('slow@replica-wait.test');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect(took).toBeGreaterThanOrEqual(WAIT_MS - 50);
    await waitFor(
      () => sink.messages.filter((m) => m.to.some((t) => t.endsWith('@replica-wait.test'))).length === 2,
      30_000,
      'both messages at the sink',
    );
  });
});
