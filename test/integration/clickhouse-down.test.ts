import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventStreamKey } from '../../core/index.js';
import { refusedPort } from '../support/refused-port.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres-server.js';
import { streamEvents } from '../support/event-stream.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { waitFor } from '../support/wait.js';

/**
 * The platform runs with an unreachable CLICKHOUSE_URL: mail flows, events wait in Redis. Restarted
 * on the embedded engine (same data dir, same Redis), every event is back-filled and counted.
 */
describe('ClickHouse unavailable', () => {
  let dir: string;
  let pg: TestPostgres;
  let sink: SmtpSink;
  let running: TestPlatform | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridgemail-chdown-'));
    pg = await startTestPostgres();
    sink = await startSmtpSink();
    env = {
      BRIDGEMAIL_MX_OVERRIDE: sink.mxOverride,
      DATABASE_URL: pg.url,
      BRIDGEMAIL_REDIS_PREFIX: `bmch${Date.now().toString(36)}`,
    };
  });
  afterAll(async () => {
    await running?.stop();
    await sink?.close();
    await pg?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers while ClickHouse is down, keeps every event in Redis, and back-fills them all', async () => {
    running = await startTestPlatform(
      { ...env, CLICKHOUSE_URL: `http://127.0.0.1:${await refusedPort()}` },
      { dataDir: dir },
    );
    const pool = await running.createPool('ch-down', ['127.0.0.2']);
    const bridge = await running.createBridge('ch-down', pool.id);
    for (let i = 0; i < 5; i++) {
      expect(
        (
          await running.send(bridge.apiKey, {
            from: 'a@sender.test',
            to: `down-${i}@example.test`,
            subject: 's',
            text: 't',
          })
        ).status,
      ).toBe(202);
    }
    await waitFor(() => sink.messages.length === 5, 20_000, 'mail delivered while ClickHouse is down');
    const redis = new Redis(running.redisUrl);
    const key = eventStreamKey(env.BRIDGEMAIL_REDIS_PREFIX!);
    // queued + sent + delivered per message: all waiting in the stream.
    await waitFor(async () => (await streamEvents(redis, key)).length >= 15, 10_000, 'events waiting in Redis');
    redis.disconnect();
    await running.stop();
    running = undefined;

    running = await startTestPlatform(env, { dataDir: dir });
    const stats = await waitFor(
      async () => {
        const s = await running!.stats(bridge.id);
        return s.delivered === 5 ? s : undefined;
      },
      30_000,
      'back-filled stats',
    );
    expect(stats).toMatchObject({ sent: 5, delivered: 5, bounced: 0 });
    const queued = await running.events("bridge_id = {b:String} AND type = 'queued'", { b: bridge.id });
    expect(queued).toHaveLength(5);
    const after = new Redis(running.redisUrl);
    await waitFor(async () => (await after.xlen(key)) === 0, 10_000, 'stream drained');
    after.disconnect();
  });
});
