import { Cluster, Redis } from 'ioredis';
import type { Logger, RedisTarget } from '../core/index.js';

/**
 * Opens a Redis connection named `bridgemail-<name>` (in CLIENT LIST) that logs its errors: to one
 * server, to a Redis Cluster (ioredis' Cluster client: a connection per node, commands routed by
 * slot, MOVED / ASK followed) or to a Sentinel-managed primary (found again after a failover).
 * Auto-pipelining by default: the commands issued in one tick leave in one write (per node on a
 * cluster); a connection that blocks (XREADGROUP) turns it off, or its blocked read would hold back
 * every other command.
 *
 * A Cluster client is handed out typed as `Redis`: the commands Bridgemail sends, `duplicate`,
 * `defineCommand` and pub/sub are the same on both, and BullMQ takes either.
 */
export function openRedis(
  target: RedisTarget,
  logger: Logger,
  name: string,
  maxRetriesPerRequest: number | null,
  enableAutoPipelining = true,
): Redis {
  const options = { maxRetriesPerRequest, connectionName: `bridgemail-${name}` };
  let redis: Redis;
  if (target.kind === 'cluster') {
    const cluster = new Cluster(target.nodes, { redisOptions: options, enableAutoPipelining });
    redis = cluster as unknown as Redis;
  } else if (target.kind === 'sentinel') {
    redis = new Redis({ ...options, sentinels: target.sentinels, name: target.name, enableAutoPipelining });
  } else {
    redis = new Redis(target.url, { ...options, enableAutoPipelining });
  }
  redis.on('error', (err) => logger.warn({ err, connection: name }, 'redis connection error'));
  return redis;
}

/**
 * {@link openRedis} for a starter that collects its stop actions in `closers`: each connection
 * registers its disconnect there.
 */
export function redisConnector(target: RedisTarget, logger: Logger, closers: (() => Promise<unknown>)[]) {
  return (name: string, maxRetriesPerRequest: number | null, enableAutoPipelining = true): Redis => {
    const redis = openRedis(target, logger, name, maxRetriesPerRequest, enableAutoPipelining);
    closers.push(() => Promise.resolve(redis.disconnect()));
    return redis;
  };
}
