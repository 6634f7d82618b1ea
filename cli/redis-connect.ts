import { Redis } from 'ioredis';
import type { Logger } from '../core/index.js';

/**
 * Opens named Redis connections to `url` (`bridgemail-<name>` in CLIENT LIST), logs their errors
 * and registers their disconnect with `closers`. Auto-pipelining by default: the commands issued
 * in one tick leave in one write (a connection that blocks, e.g. on XREADGROUP, turns it off).
 */
export function redisConnector(url: string, logger: Logger, closers: (() => Promise<unknown>)[]) {
  return (name: string, maxRetriesPerRequest: number | null, enableAutoPipelining = true): Redis => {
    const r = new Redis(url, { maxRetriesPerRequest, connectionName: `bridgemail-${name}`, enableAutoPipelining });
    r.on('error', (err) => logger.warn({ err, connection: name }, 'redis connection error'));
    closers.push(async () => r.disconnect());
    return r;
  };
}
