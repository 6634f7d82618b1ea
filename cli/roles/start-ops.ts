import type { ClickHouseClient } from '../../analytics/index.js';
import { readBridgeRefusals, type Config, type Logger, keyLayoutOf } from '../../core/index.js';
import { readThrottleCounts } from '../../workers/index.js';
import { startOpsServer, type OpsServer, type ReadinessCheck } from '../ops-server.js';
import { urlHost } from './http-listen.js';
import type { ControlCaches } from './start-control-caches.js';
import type { Engines } from './start-engines.js';
import type { Queues } from './start-queues.js';
import type { WorkerRole } from './start-worker.js';

/** What {@link startOps} is wired with: what this process runs and can report on. */
export interface OpsWiring {
  config: Config;
  logger: Logger;
  roles: readonly string[];
  engines: Pick<Engines, 'producerRedis' | 'commandsRedis' | 'sql'>;
  /** Checked for readiness when this process uses ClickHouse. */
  clickhouse: ClickHouseClient | undefined;
  caches: Pick<ControlCaches, 'limiter'>;
  queues: Pick<Queues, 'directory' | 'replicaAcks'>;
  /** The worker role, when this process runs it: its unbindable Pool IPs. */
  worker: Pick<WorkerRole, 'unbindableIps'> | undefined;
}

/**
 * Health, readiness and Prometheus metrics, in every process: `/readyz` checks the engines this
 * process uses, `/metrics` reports queue depths, the event backlog, authentication counts and
 * shaping throttles and Bridge sending-limit refusals.
 */
export async function startOps(wiring: OpsWiring): Promise<OpsServer> {
  const { config, logger, engines, queues } = wiring;
  const ops = await startOpsServer({
    host: config.host,
    port: config.ports.ops,
    logger,
    roles: wiring.roles,
    checks: readinessChecks(engines, wiring.clickhouse),
    queueDepths: async () => {
      const list = await queues.directory.list();
      const counts = await Promise.all(
        list.map(async (q) => ({
          name: q.name,
          counts: await q.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed'),
        })),
      );
      return counts.flatMap((q) => Object.entries(q.counts).map(([state, count]) => ({ queue: q.name, state, count })));
    },
    eventBacklog: () => queues.directory.eventBacklog(),
    unbindableIps: wiring.worker?.unbindableIps,
    authCounts: () => wiring.caches.limiter.counts(),
    replicaAcks: config.redis.waitReplicas > 0 ? () => queues.replicaAcks.counts : undefined,
    shapingThrottles: () => readThrottleCounts(engines.commandsRedis, config.redis.prefix),
    bridgeRateLimited: () => readBridgeRefusals(engines.commandsRedis, keyLayoutOf(config.redis)),
    accountRateLimited: () => readBridgeRefusals(engines.commandsRedis, keyLayoutOf(config.redis), 'account'),
  });
  logger.info(
    { url: `http://${urlHost(config)}:${ops.port}/metrics` },
    'ops endpoints listening (/healthz, /readyz, /metrics)',
  );
  return ops;
}

function readinessChecks(engines: OpsWiring['engines'], clickhouse: ClickHouseClient | undefined): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [
    { name: 'redis', check: () => Promise.all([engines.producerRedis.ping(), engines.commandsRedis.ping()]) },
    { name: 'database', check: () => engines.sql.query('SELECT 1') },
  ];
  if (clickhouse) {
    checks.push({
      name: 'clickhouse',
      check: async () => {
        if (!(await clickhouse.ping()).success) throw new Error('ping failed');
      },
    });
  }
  return checks;
}
