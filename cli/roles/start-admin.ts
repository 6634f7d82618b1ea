import { fileURLToPath } from 'node:url';
import { createAdminApp, type PublicEndpoints } from '../../admin-api/index.js';
import { queryTimeline, type ClickHouseClient } from '../../analytics/index.js';
import {
  BridgeLimiter,
  cancelMessage,
  choosePoolQueueTag,
  EventPublisher,
  Spool,
  type Config,
  type Logger,
  keyLayoutOf,
} from '../../core/index.js';
import { checkWebhookUrl } from '../../workers/webhooks/index.js';
import { startOwning } from './close-stack.js';
import { listenHttp, urlHost } from './http-listen.js';
import type { ControlCaches } from './start-control-caches.js';
import type { Engines } from './start-engines.js';
import type { Queues } from './start-queues.js';

/** What {@link startAdmin} is wired with. */
export interface AdminWiring {
  config: Config;
  logger: Logger;
  engines: Pick<Engines, 'store' | 'adminToken' | 'commandsRedis'>;
  /** Stats and timelines. */
  clickhouse: ClickHouseClient;
  caches: Pick<ControlCaches, 'announce' | 'limiter'>;
  queues: Pick<Queues, 'directory' | 'pools'>;
  /** Where applications reach the platform, shown in the console and the code samples. */
  endpoints: PublicEndpoints;
}

/** The running admin role. */
export interface AdminRole {
  port: number;
  /** Base URL of the admin port (the API under `/admin/v1`, the console at `/`). */
  url: string;
  close(): Promise<void>;
}

/** The console build of this checkout, served when `BRIDGEMAIL_CONSOLE_DIR` is not set. */
const DEFAULT_CONSOLE_DIR = new URL('../../admin-api/web/dist', import.meta.url);

/** Admin role: the admin API, the web console and bull-board, on the admin port. */
export function startAdmin(wiring: AdminWiring): Promise<AdminRole> {
  const { config, logger, engines, caches } = wiring;
  return startOwning(logger, async (stack) => {
    const { database } = config.clickhouse;
    const cancelDeps = {
      queues: wiring.queues.pools,
      events: new EventPublisher(engines.commandsRedis, config.redis.prefix, { shards: config.redis.eventShards }),
      spool: new Spool(config.spool.dir),
      logger,
      known: async (messageId: string) => (await queryTimeline(wiring.clickhouse, database, messageId)).length > 0,
    };
    const app = createAdminApp({
      cancelMessage: (messageId, bridgeId) => cancelMessage(cancelDeps, messageId, bridgeId),
      scheduledBridge: (messageId) => wiring.queues.pools.scheduledBridge(messageId),
      queues: wiring.queues.directory,
      consoleDir: config.consoleDir ?? fileURLToPath(DEFAULT_CONSOLE_DIR),
      store: engines.store,
      analytics: { client: wiring.clickhouse, database: config.clickhouse.database },
      announce: caches.announce,
      endpoints: () => wiring.endpoints,
      adminToken: engines.adminToken,
      defaultShaping: config.delivery.shaping,
      checkWebhookUrl: (url) => checkWebhookUrl(url, { allowPrivate: config.webhooks.allowPrivate }),
      limiter: caches.limiter,
      // Reads usage only: the limits come from the store, never from this lookup.
      bridgeLimits: new BridgeLimiter(engines.commandsRedis, keyLayoutOf(config.redis), () => Promise.resolve(null)),
      ...(keyLayoutOf(config.redis).cluster
        ? { choosePoolQueueTag: (poolId, live) => choosePoolQueueTag(poolId, live, engines.commandsRedis) }
        : {}),
      logger: logger.child({ component: 'admin-api' }),
    });
    const listener = stack.own(await listenHttp(app.callback(), config.ports.admin, config.host));
    const url = `http://${urlHost(config)}:${listener.port}`;
    logger.info({ url: `${url}/admin/v1` }, 'admin API listening');
    return { port: listener.port, url };
  });
}
