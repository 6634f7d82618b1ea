import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, spawnRedisServer, type SpawnedRedis } from '../../core/index.js';
import { submissionTransport } from '../support/smtp-client.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { waitFor } from '../support/wait.js';

const MESSAGES = 300;
const LANES = 4;
const DOWN_MS = 3000;

/**
 * Fault: Redis (AOF, appendfsync everysec) is killed with SIGKILL mid-run and restarted on the same
 * AOF and port. While it is away the ingresses answer "try later" (REST 503 with Retry-After, SMTP
 * 451) instead of crashing; they recover on their own; every message that got a 202 is delivered.
 */
describe('fault: Redis killed (SIGKILL) and restarted on its AOF mid-run', () => {
  let dir: string;
  let redis: SpawnedRedis;
  let sink: SmtpSink;
  let platform: TestPlatform;
  const log = createLogger({ level: 'silent' });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridgemail-redis-kill-'));
    redis = await spawnRedisServer({ dir: join(dir, 'redis'), logger: log });
    sink = await startSmtpSink();
    platform = await startTestPlatform({ REDIS_URL: redis.url, BRIDGEMAIL_MX_OVERRIDE: sink.mxOverride });
  });
  afterAll(async () => {
    await platform?.stop();
    await redis?.stop();
    await sink?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses with 503 / 451 while Redis is away, recovers alone, and loses no accepted message', async () => {
    const pool = await platform.createPool('redis-kill', ['127.0.0.2']);
    const bridge = await platform.createBridge('redis-kill', pool.id);
    const accepted: string[] = [];
    const refusals: { status: number; code: string; retryAfter: string | null }[] = [];
    let next = 0;
    const deadline = Date.now() + 90_000;
    const lane = async () => {
      for (let i = next++; i < MESSAGES; i = next++) {
        const to = `r${i}@redis-kill.example`;
        for (;;) {
          if (Date.now() > deadline) throw new Error(`message ${i} never accepted`);
          const res = await platform.send(bridge.apiKey, {
            from: 'app@sender.test',
            to,
            subject: 'redis',
            text: String(i),
          });
          if (res.status === 202) {
            accepted.push(to);
            break;
          }
          const body = (await res.json()) as { error: { code: string } };
          refusals.push({ status: res.status, code: body.error.code, retryAfter: res.headers.get('retry-after') });
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    const sending = Promise.all(Array.from({ length: LANES }, lane));

    await waitFor(() => accepted.length >= 100, 60_000, '100 accepted before the kill');
    const url = new URL(redis.url);
    process.kill(redis.pid, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor(() => refusals.length > 0, 20_000, 'a refusal while Redis is away');
    // SMTP submission answers 451 (try again later) at the end of DATA.
    const smtpError = await submissionTransport(platform.ports.smtp, {
      user: bridge.smtp.username,
      pass: bridge.smtp.password,
    })
      .sendMail({ from: 'app@sender.test', to: 'smtp@redis-kill.example', subject: 'while down', text: 'x' })
      .then(
        () => undefined,
        (err: { responseCode?: number }) => err,
      );
    await new Promise((r) => setTimeout(r, Math.max(0, DOWN_MS - (Date.now() - killedAt))));
    redis = await spawnRedisServer({ dir: join(dir, 'redis'), logger: log, port: Number(url.port) });
    const restartedAt = Date.now();
    await sending;
    const acceptedAgainIn = Date.now() - restartedAt;

    expect(smtpError?.responseCode).toBe(451);
    expect(refusals.length).toBeGreaterThan(0);
    // QUEUE_UNAVAILABLE when the job could not be written, SERVICE_UNAVAILABLE when the auth limits could not be read.
    for (const r of refusals)
      expect(r).toEqual({
        status: 503,
        code: expect.stringMatching(/^(QUEUE|SERVICE)_UNAVAILABLE$/),
        retryAfter: expect.stringMatching(/^\d+$/),
      });
    expect(accepted).toHaveLength(MESSAGES);

    await waitFor(
      () => new Set(sink.messages.flatMap((m) => m.to)).size >= MESSAGES,
      90_000,
      'every accepted message at the sink',
    );
    const counts = new Map<string, number>();
    for (const m of sink.messages) for (const to of m.to) counts.set(to, (counts.get(to) ?? 0) + 1);
    const lost = accepted.filter((r) => !counts.has(r));
    const duplicates = [...counts.values()].reduce((n, c) => n + c - 1, 0);
    console.info(
      `[fault redis SIGKILL] accepted ${accepted.length}, refusals while down ${refusals.length}, lost ${lost.length}, duplicates ${duplicates}, all accepted again ${acceptedAgainIn} ms after restart, delivered ${Date.now() - killedAt} ms after the kill`,
    );
    expect(lost).toEqual([]);
    // The platform took new mail again without a restart of its own.
    expect(
      (
        await platform.send(bridge.apiKey, {
          from: 'app@sender.test',
          to: 'after@redis-kill.example',
          subject: 'after',
          text: 'ok',
        })
      ).status,
    ).toBe(202);
  }, 240_000);
});
