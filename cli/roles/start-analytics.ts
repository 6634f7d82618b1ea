import { startEventWriter, startSqlEndpoint } from '../../analytics/index.js';
import {
  AppError,
  isAppError,
  type AuthFailureLimiter,
  type Config,
  type Logger,
  type RedisTarget,
  type MailEvent,
  type Store,
} from '../../core/index.js';
import { openRedis } from '../redis-connect.js';
import { startOwning } from './close-stack.js';
import type { AnalyticsStore } from './start-engines.js';

/** What {@link startAnalytics} is wired with. */
export interface AnalyticsWiring {
  config: Config;
  logger: Logger;
  redisTarget: RedisTarget;
  analytics: AnalyticsStore;
  /** Analyst credentials of the SQL endpoint. */
  store: Pick<Store, 'findAnalyst'>;
  /** Limits failed authentications of the SQL endpoint (the admin plane's limits). */
  limiter: AuthFailureLimiter;
  /** Told of every batch once it is in ClickHouse. */
  onInserted: (events: readonly MailEvent[]) => void;
  /** Told of each analyst query of the SQL endpoint: `ok` or the error name, and its duration. */
  onSqlQuery?: (outcome: string, seconds: number) => void;
}

/** The running analytics role. */
export interface AnalyticsRole {
  /** The SQL endpoint's port; undefined while it is off. */
  sqlPort: number | undefined;
  /** Stops the SQL endpoint, then the writer (its current batch inserted and acknowledged), then its Redis connection. */
  close(): Promise<void>;
}

/**
 * Analytics role: the one writer of the event stream into ClickHouse (one per chDB data dir). It
 * blocks on XREADGROUP, so it reads on a connection of its own, without auto-pipelining. With
 * `BRIDGEMAIL_SQL_PORT` set over embedded chDB, it also serves the analysts' read-only SQL endpoint.
 */
export function startAnalytics(wiring: AnalyticsWiring): Promise<AnalyticsRole> {
  const { config, logger, analytics } = wiring;
  return startOwning(logger, async (stack) => {
    const redis = openRedis(wiring.redisTarget, logger, 'writer', null, false);
    stack.defer(() => redis.disconnect());
    stack.own(
      await startEventWriter({
        onInserted: wiring.onInserted,
        beforeInsert: analytics.ensureSchema,
        redis,
        prefix: config.redis.prefix,
        shards: config.redis.eventShards,
        clickhouse: analytics.client,
        database: config.clickhouse.database,
        logger,
        batchSize: config.events.batchSize,
        flushMs: config.events.flushMs,
      }),
    );
    const plan = sqlEndpointPlan(config, analytics.chdbPath);
    if ('off' in plan) {
      if (plan.off === 'server') {
        logger.warn('BRIDGEMAIL_SQL_PORT is ignored with CLICKHOUSE_URL: analysts query the ClickHouse server');
      }
      return { sqlPort: undefined };
    }
    const endpoint = stack.own(
      await startSqlEndpoint({
        chdbPath: plan.chdbPath,
        database: config.clickhouse.database,
        host: config.host,
        port: plan.port,
        authenticate: async (user, password, address) => {
          try {
            await wiring.limiter.guard(
              'sql',
              address,
              // Shown cut, as an unknown SMTP username is: a user name may be a mistyped secret.
              () => ({ id: `sql:${user.toLowerCase()}`, display: `${user.slice(0, 3)}… (analyst)` }),
              async () => {
                const analyst = await wiring.store.findAnalyst(user, password);
                if (!analyst) throw new AppError('INVALID_CREDENTIALS', 'unknown analyst or wrong secret');
              },
            );
            return 'ok';
          } catch (err) {
            if (isAppError(err) && err.code === 'AUTH_RATE_LIMITED') return 'limited';
            if (isAppError(err) && err.code === 'INVALID_CREDENTIALS') return 'failed';
            throw err;
          }
        },
        limits: config.sqlEndpoint,
        logger,
        onQuery: wiring.onSqlQuery,
      }),
    );
    return { sqlPort: endpoint.port };
  });
}

/**
 * Whether the analysts' SQL endpoint runs: only with `BRIDGEMAIL_SQL_PORT` set and over embedded
 * chDB; with a ClickHouse server (`CLICKHOUSE_URL`) analysts query the server and it stays off.
 */
export function sqlEndpointPlan(
  config: Config,
  chdbPath: string | undefined,
): { port: number; chdbPath: string } | { off: 'unset' | 'server' } {
  const port = config.sqlEndpoint.port;
  if (port === undefined) return { off: 'unset' };
  if (config.clickhouse.url !== undefined || chdbPath === undefined) return { off: 'server' };
  return { port, chdbPath };
}
