import { Redis } from 'ioredis';
import type { Logger } from '../core/index.js';

/**
 * Opens a Redis connection named `bridgemail-<name>` (in CLIENT LIST) that logs its errors.
 * Auto-pipelining by default: the commands issued in one tick leave in one write; a connection
 * that blocks (XREADGROUP) turns it off, or its blocked read would hold back every other command.
 */
export function openRedis(
  url: string,
  logger: Logger,
  name: string,
  maxRetriesPerRequest: number | null,
  enableAutoPipelining = true,
): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest, connectionName: `bridgemail-${name}`, enableAutoPipelining });
  redis.on('error', (err) => logger.warn({ err, connection: name }, 'redis connection error'));
  return redis;
}

/**
 * {@link openRedis} for a starter that collects its stop actions in `closers`: each connection
 * registers its disconnect there.
 */
export function redisConnector(url: string, logger: Logger, closers: (() => Promise<unknown>)[]) {
  return (name: string, maxRetriesPerRequest: number | null, enableAutoPipelining = true): Redis => {
    const redis = openRedis(url, logger, name, maxRetriesPerRequest, enableAutoPipelining);
    closers.push(() => Promise.resolve(redis.disconnect()));
    return redis;
  };
}
