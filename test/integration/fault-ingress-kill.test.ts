import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridgemailProcess, stopProcesses } from '../support/bridgemail-process.js';
import { CHILD_LISTEN_ENV, startSharedServers, type SharedServers } from '../support/shared-servers.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { waitFor } from '../support/wait.js';

const MESSAGES = 600;
const LANES = 16;
/** Acceptances before the kill. */
const KILL_AFTER = 150;

/**
 * Fault: `kill -9` of the ingress process while clients are sending. Ingress (with the analytics
 * writer and admin) runs in a child `bridgemail start --role ingress,analytics,admin`; delivery runs
 * in this process (`worker` role), on shared Redis and PostgreSQL. Requests cut by the kill get no
 * answer and are retried (same Idempotency-Key) once a new ingress is up. Every message that got a
 * 202 must be delivered, exactly once.
 */
describe('fault: kill -9 of the ingress between receiving and answering', () => {
  let servers: SharedServers;
  let worker: TestPlatform;
  let env: Record<string, string>;
  const children: ChildProcess[] = [];

  const startIngress = async () => {
    const ingress = await startBridgemailProcess('ingress,analytics,admin', env);
    children.push(ingress.child);
    return {
      child: ingress.child,
      api: ingress.url('send API listening').replace(/\/v1\/send$/, ''),
      admin: ingress.url('admin API listening').replace(/\/admin\/v1$/, ''),
    };
  };

  beforeAll(async () => {
    servers = await startSharedServers('ingress-kill', {
      BRIDGEMAIL_REDIS_PREFIX: `bmk${randomBytes(3).toString('hex')}`,
      BRIDGEMAIL_ADMIN_TOKEN: randomBytes(16).toString('hex'),
    });
    env = { ...servers.env, ...CHILD_LISTEN_ENV, BRIDGEMAIL_DATA_DIR: join(servers.dir, 'ingress-data') };
    worker = await startTestPlatform(
      { ...env, BRIDGEMAIL_DATA_DIR: join(servers.dir, 'worker-data') },
      { roles: ['worker'] },
    );
  });
  afterAll(async () => {
    await stopProcesses(children, 'SIGKILL');
    await worker?.stop();
    await servers?.stop();
  });

  it('never answers 202 for a message that is then lost', async () => {
    let ingress = await startIngress();
    const admin = async (path: string, body: unknown) => {
      const res = await fetch(`${ingress.admin}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${env.BRIDGEMAIL_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string; apiKey: string };
    };
    const pool = await admin('/admin/v1/pools', { name: 'kill', ips: ['127.0.0.2'] });
    const bridge = await admin('/admin/v1/bridges', { name: 'kill', poolId: pool.id });

    const accepted = new Map<string, string>();
    // The kill is fired from the lane that sees the 150th acceptance, not by polling: the ingress
    // accepts hundreds a second, so a poll could find all 600 accepted and nothing left to cut.
    let reachedKillPoint = () => {};
    const killPoint = new Promise<void>((resolve) => (reachedKillPoint = resolve));
    let cut = 0;
    let next = 0;
    let restarting: Promise<void> | undefined;
    const deadline = Date.now() + 150_000;
    const lane = async () => {
      for (let i = next++; i < MESSAGES; i = next++) {
        const to = `m${i}@ingress-kill.example`;
        for (;;) {
          if (Date.now() > deadline) throw new Error(`message ${i} never accepted`);
          await restarting;
          try {
            const res = await fetch(`${ingress.api}/v1/send`, {
              method: 'POST',
              headers: {
                authorization: `Bearer ${bridge.apiKey}`,
                'content-type': 'application/json',
                'idempotency-key': `k-${i}`,
              },
              body: JSON.stringify({ from: 'app@sender.test', to, subject: 'ingress kill', text: String(i) }),
            });
            const body = (await res.json()) as { id?: string };
            if (res.status === 202 && body.id) {
              accepted.set(to, body.id);
              if (accepted.size >= KILL_AFTER) reachedKillPoint();
              break;
            }
          } catch {
            // No answer: the connection died with the process. Retry with the same key.
            cut++;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    const sending = Promise.all(Array.from({ length: LANES }, lane));
    await Promise.race([killPoint, sending.then(() => undefined), new Promise((r) => setTimeout(r, 60_000))]);
    expect(accepted.size, `${KILL_AFTER} accepted before the kill, not all`).toBeLessThan(MESSAGES);
    restarting = (async () => {
      ingress.child.kill('SIGKILL');
      await new Promise((r) => ingress.child.once('exit', r));
      ingress = await startIngress();
    })();
    await restarting;
    restarting = undefined;
    await sending;
    expect(accepted.size).toBe(MESSAGES);

    await waitFor(
      () => new Set(servers.sink.messages.flatMap((m) => m.to)).size >= MESSAGES,
      120_000,
      'every accepted message at the sink',
    );
    const counts = new Map<string, number>();
    for (const m of servers.sink.messages) for (const to of m.to) counts.set(to, (counts.get(to) ?? 0) + 1);
    const lost = [...accepted.keys()].filter((to) => !counts.has(to));
    const duplicates = [...counts.values()].reduce((n, c) => n + c - 1, 0);
    console.info(
      `[fault kill -9 ingress] accepted ${accepted.size}, requests cut by the kill ${cut}, lost ${lost.length}, duplicates ${duplicates}`,
    );
    expect(cut).toBeGreaterThan(0);
    expect(lost).toEqual([]);
    // Exactly once. A request cut after its job was queued but before the Idempotency-Key was
    // marked done is answered, when retried, with the id of the queued message (the claim names
    // it, and a keyed message is a job of its own); one cut before queueing waits out its claim.
    expect(duplicates).toBe(0);
  }, 300_000);
});
