import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectTryLater, sendThroughFailover, stopPrintingWarnings } from '../support/failover-run.js';
import { startTestSentinels, type TestSentinels } from '../support/redis-cluster.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

const MESSAGES = 600;
const HOOK_TIMEOUT_MS = 240_000;

/**
 * Fault: the Redis primary of a Sentinel set killed (SIGKILL) mid-run: the sentinels promote its
 * replica. Every message that got a 202 or a 250 is delivered; while the primary is away the
 * ingresses answer 503 / 451 with Retry-After.
 */
describe('fault: a Sentinel-managed primary killed mid-run', () => {
  let sentinels: TestSentinels;
  let sink: SmtpSink;
  let platform: TestPlatform;

  beforeAll(async () => {
    sentinels = await startTestSentinels();
    sink = await startSmtpSink();
    platform = await startTestPlatform({
      REDIS_SENTINELS: sentinels.sentinelsText,
      REDIS_SENTINEL_NAME: sentinels.name,
      BRIDGEMAIL_MX_OVERRIDE: sink.mxOverride,
    });
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await stopPrintingWarnings(platform, 'sentinel failover');
    await sink?.close();
    await sentinels?.stop();
  }, HOOK_TIMEOUT_MS);

  it('loses no accepted message and answers "try later" while the sentinels promote the replica', async () => {
    expect(platform.redisTarget.kind).toBe('sentinel');
    // The platform logs through pino; nothing it runs may print raw errors while Redis is away.
    const rawErrors = vi.spyOn(console, 'error');
    const figures = await sendThroughFailover(platform, sink, {
      messages: MESSAGES,
      lanes: 6,
      label: 'sentinel-failover',
      ip: '127.0.0.2',
      kill: () => sentinels.primary.kill(),
    });
    expectTryLater('sentinel failover', figures, MESSAGES);
    expect(await sentinels.currentPrimary()).toBe(sentinels.replica.port);
    expect(rawErrors.mock.calls.map((args) => String(args[0]))).toEqual([]);
    rawErrors.mockRestore();
  }, 300_000);
});
