import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyLayoutOf, poolQueueName, poolQueuePrefix } from '../../core/index.js';
import { sendThroughFailover, type FailoverFigures } from '../support/failover-run.js';
import {
  startTestCluster,
  startTestSentinels,
  type TestCluster,
  type TestSentinels,
} from '../support/redis-cluster.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

const MESSAGES = 600;

/** What every failover must show: nothing accepted lost, refusals "try later" (never a 500). */
function expectTryLater(label: string, figures: FailoverFigures): void {
  const byAnswer = new Map<string, number>();
  for (const r of figures.refusals) {
    const key = `${r.via} ${r.status} ${r.code}`;
    byAnswer.set(key, (byAnswer.get(key) ?? 0) + 1);
  }
  console.info(
    `[${label}] accepted ${figures.accepted.length}, lost ${figures.lost.length}, duplicates ${figures.duplicates}, ` +
      `accepting again ${figures.recoveredMs} ms after the kill, refusals ${JSON.stringify(Object.fromEntries(byAnswer))}`,
  );
  expect(figures.accepted).toHaveLength(MESSAGES);
  expect(figures.lost).toEqual([]);
  for (const r of figures.refusals) {
    if (r.via === 'rest') {
      expect(r).toMatchObject({ status: 503, code: expect.stringMatching(/^(QUEUE|SERVICE)_UNAVAILABLE$/) });
      expect(r.retryAfter).toMatch(/^\d+$/);
    } else expect(r.status).toBe(451);
  }
}

/**
 * Fault: a Redis primary killed (SIGKILL) mid-run, on a 3-primary cluster (its replica takes its
 * slots) and on a Sentinel set (the sentinels promote the replica). Every message that got a 202 or
 * a 250 is delivered; while the primary is away the ingresses answer 503 / 451 with Retry-After.
 */
describe('fault: a Redis Cluster primary killed mid-run', () => {
  let cluster: TestCluster;
  let sink: SmtpSink;
  let platform: TestPlatform;

  beforeAll(async () => {
    cluster = await startTestCluster(3);
    sink = await startSmtpSink();
    platform = await startTestPlatform({
      REDIS_CLUSTER_NODES: cluster.nodesText,
      BRIDGEMAIL_EVENT_SHARDS: '3',
      BRIDGEMAIL_MX_OVERRIDE: sink.mxOverride,
    });
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    await sink?.close();
    await cluster?.stop();
  });

  it('loses no accepted message and answers "try later" while the replica takes over', async () => {
    let killed = 0;
    const figures = await sendThroughFailover(platform, sink, {
      messages: MESSAGES,
      lanes: 6,
      label: 'cluster-failover',
      ip: '127.0.0.2',
      kill: async (poolId) => {
        const pool = await platform.store.getPool(poolId);
        const prefix = poolQueuePrefix(keyLayoutOf(platform.config.redis), pool!);
        killed = await cluster.primaryFor(`${prefix}:${poolQueueName(poolId)}:wait`);
        await cluster.processes.get(killed)?.kill();
      },
    });
    expectTryLater('cluster failover', figures);
    await cluster.waitHealthy();
    expect(await cluster.primaries()).not.toContain(killed);
  }, 300_000);
});

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
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    await sink?.close();
    await sentinels?.stop();
  });

  it('loses no accepted message and answers "try later" while the sentinels promote the replica', async () => {
    expect(platform.redisTarget.kind).toBe('sentinel');
    const figures = await sendThroughFailover(platform, sink, {
      messages: MESSAGES,
      lanes: 6,
      label: 'sentinel-failover',
      ip: '127.0.0.2',
      kill: () => sentinels.primary.kill(),
    });
    expectTryLater('sentinel failover', figures);
    expect(await sentinels.currentPrimary()).toBe(sentinels.replica.port);
  }, 300_000);
});
