import { startEventWriter } from '../../analytics/index.js';
import type { Config, Logger, MailEvent } from '../../core/index.js';
import { openRedis } from '../redis-connect.js';
import { startOwning } from './close-stack.js';
import type { AnalyticsStore } from './start-engines.js';

/** What {@link startAnalytics} is wired with. */
export interface AnalyticsWiring {
  config: Config;
  logger: Logger;
  redisUrl: string;
  analytics: AnalyticsStore;
  /** Told of every batch once it is in ClickHouse. */
  onInserted: (events: readonly MailEvent[]) => void;
}

/** The running analytics role. */
export interface AnalyticsRole {
  /** Stops the writer (its current batch inserted and acknowledged), then its Redis connection. */
  close(): Promise<void>;
}

/**
 * Analytics role: the one writer of the event stream into ClickHouse (one per chDB data dir). It
 * blocks on XREADGROUP, so it reads on a connection of its own, without auto-pipelining.
 */
export function startAnalytics(wiring: AnalyticsWiring): Promise<AnalyticsRole> {
  const { config, logger, analytics } = wiring;
  return startOwning(logger, async (stack) => {
    const redis = openRedis(wiring.redisUrl, logger, 'writer', null, false);
    stack.defer(() => redis.disconnect());
    stack.own(
      await startEventWriter({
        onInserted: wiring.onInserted,
        beforeInsert: analytics.ensureSchema,
        redis,
        prefix: config.redis.prefix,
        clickhouse: analytics.client,
        database: config.clickhouse.database,
        logger,
        batchSize: config.events.batchSize,
        flushMs: config.events.flushMs,
      }),
    );
    return {};
  });
}
