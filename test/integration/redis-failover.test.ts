import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyLayoutOf, poolQueueName, poolQueuePrefix } from '../../core/index.js';
import { expectTryLater, sendThroughFailover, stopPrintingWarnings } from '../support/failover-run.js';
import { startTestCluster, type TestCluster } from '../support/redis-cluster.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

const MESSAGES = 600;
// Starting the platform on a cluster takes a few seconds idle and close to a minute on a busy CI
// machine; closing waits at most 30 s for each part.
const HOOK_TIMEOUT_MS = 240_000;

/**
 * Fault: a Redis primary killed (SIGKILL) mid-run on a 3-primary cluster: its replica takes its
 * slots. Every message that got a 202 or a 250 is delivered; while the primary is away the
 * ingresses answer 503 / 451 with Retry-After. (The Sentinel case is redis-sentinel-failover.test.ts:
 * a file of its own, so that each runs in its own process with its own embedded engines.)
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
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await stopPrintingWarnings(platform, 'cluster failover');
    await sink?.close();
    await cluster?.stop();
  }, HOOK_TIMEOUT_MS);

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
    expectTryLater('cluster failover', figures, MESSAGES);
    await cluster.waitHealthy();
    expect(await cluster.primaries()).not.toContain(killed);
  }, 300_000);
});
