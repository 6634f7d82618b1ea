import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridgemailProcess, stopProcesses } from '../support/bridgemail-process.js';
import { CHILD_LISTEN_ENV, startSharedServers, type SharedServers } from '../support/shared-servers.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { waitFor } from '../support/wait.js';

const MESSAGES = 2000;
const BATCH = 100;
const JOB_LOCK_MS = 5000;

/**
 * Fault: `kill -9` of the worker process while 2,000 accepted messages are in flight. Ingress,
 * analytics and admin run in this process; delivery runs only in a `bridgemail start --role worker`
 * child on shared Redis and PostgreSQL. After the kill a new worker starts; every accepted message
 * must reach the sink (at least once). Duplicates are counted and reported, losses must be zero.
 */
describe('fault: kill -9 of the worker process with 2,000 messages in flight', () => {
  let servers: SharedServers;
  let platform: TestPlatform;
  const workers: ChildProcess[] = [];

  const startWorker = async (name: string) => {
    const worker = await startBridgemailProcess('worker', {
      ...servers.env,
      ...CHILD_LISTEN_ENV,
      BRIDGEMAIL_REDIS_PREFIX: platform.config.redis.prefix,
      BRIDGEMAIL_DATA_DIR: join(servers.dir, name),
    });
    workers.push(worker.child);
    return worker.child;
  };

  beforeAll(async () => {
    servers = await startSharedServers('kill', {
      BRIDGEMAIL_DELIVERY_CONCURRENCY: '20',
      // The killed worker's jobs are taken up again once their lock lapses (BullMQ's own default
      // of 30 s lock + 30 s check would take about a minute).
      BRIDGEMAIL_JOB_LOCK_MS: String(JOB_LOCK_MS),
      BRIDGEMAIL_SHAPING: JSON.stringify({
        ip: { perSecond: 10_000, connections: 100 },
        destination: { perSecond: 10_000, connections: 100 },
      }),
    });
    platform = await startTestPlatform(servers.env, { roles: ['ingress', 'analytics', 'admin'] });
  });
  afterAll(async () => {
    await stopProcesses(workers, 'SIGKILL');
    await platform?.stop();
    await servers?.stop();
  });

  it('loses nothing: every accepted message reaches the sink after a new worker starts', async () => {
    const pool = await platform.createPool('kill', ['127.0.0.2', '127.0.0.3']);
    const bridge = await platform.createBridge('kill', pool.id);
    const first = await startWorker('worker-1');

    // 2,000 messages accepted through the batch API, one recipient each.
    const accepted: string[] = [];
    for (let b = 0; b < MESSAGES / BATCH; b++) {
      const body = Array.from({ length: BATCH }, (_, i) => ({
        from: 'app@sender.test',
        to: `k${b * BATCH + i}@kill.example`,
        subject: 'kill -9',
        text: `message ${b * BATCH + i}`,
      }));
      const res = await fetch(`${platform.urls.api}/v1/send/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bridge.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
      const answer = (await res.json()) as { data: { id?: string }[] };
      for (const [i, d] of answer.data.entries()) if (d.id) accepted.push(`k${b * BATCH + i}@kill.example`);
    }
    expect(accepted).toHaveLength(MESSAGES);

    // Kill the worker while deliveries are in flight: some delivered, most not yet.
    await waitFor(() => servers.sink.messages.length >= 200, 60_000, '200 messages delivered before the kill');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = servers.sink.messages.length;
    expect(atKill).toBeLessThan(MESSAGES);

    const killedAt = Date.now();
    await startWorker('worker-2');
    const seen = () => new Set(servers.sink.messages.flatMap((m) => m.to));
    await waitFor(() => seen().size >= MESSAGES, 120_000, 'every accepted message at the sink');
    const recovery = Date.now() - killedAt;
    const counts = new Map<string, number>();
    for (const m of servers.sink.messages) for (const to of m.to) counts.set(to, (counts.get(to) ?? 0) + 1);
    const lost = accepted.filter((r) => !counts.has(r));
    const duplicates = [...counts.values()].reduce((n, c) => n + c - 1, 0);
    console.info(
      `[fault kill -9 worker] accepted ${MESSAGES}, delivered before kill ${atKill}, lost ${lost.length}, duplicates ${duplicates}, recovered in ${recovery} ms`,
    );
    expect(lost).toEqual([]);
    // Lock lapse + stalled check (2 × JOB_LOCK_MS at most), the restart, then the rest of the mail.
    expect(recovery).toBeLessThan(2 * JOB_LOCK_MS + 30_000);
    // At-least-once: a duplicate is a message the killed worker had sent but not yet marked done.
    expect(duplicates).toBeLessThanOrEqual(100);
  }, 240_000);
});
