import type { ClickHouseClient } from '../analytics/index.js';
import type { PublicEndpoints } from '../admin-api/index.js';
import {
  configuredRedisTarget,
  type Config,
  type Logger,
  type MailEvent,
  type RedisTarget,
  type Store,
} from '../core/index.js';
import { startOwning, type Closable } from './roles/close-stack.js';
import type { Role } from './roles/role.js';
import { urlHost } from './roles/http-listen.js';
import { startAdmin } from './roles/start-admin.js';
import { startAnalytics } from './roles/start-analytics.js';
import { startControlCaches, type ControlCaches } from './roles/start-control-caches.js';
import { startEngines, type AnalyticsStore, type Engines } from './roles/start-engines.js';
import { startIngress } from './roles/start-ingress.js';
import { startOps } from './roles/start-ops.js';
import { startQueues, type Queues } from './roles/start-queues.js';
import { startWorker } from './roles/start-worker.js';

export { ROLES, type Role } from './roles/role.js';

/** A running platform: the roles this process runs (every one by default). */
export interface Platform {
  /** Bound ports; 0 for a listener of a role this process does not run (and `sql` while the SQL endpoint is off). */
  ports: { api: number; admin: number; smtp: number; smtps: number; mx: number; ops: number; sql: number };
  urls: { api: string; admin: string };
  adminToken: string;
  /** The Redis URL in use (spawned or configured) when it is one server; empty on a cluster or Sentinel set. */
  redisUrl: string;
  /** The Redis in use: one server, a cluster or a Sentinel set. */
  redisTarget: RedisTarget;
  /** The analytics client this process owns (embedded chDB or a server); none in a worker process. */
  clickhouse: ClickHouseClient | undefined;
  /** The control-plane store of this process. */
  store: Store;
  /** Stops listeners, workers, the analytics writer and every engine this process started. */
  close(): Promise<void>;
}

/** Options of {@link startPlatform}. */
export interface PlatformOptions {
  /** Called once with a newly generated admin token (printed once, never logged). */
  onAdminTokenCreated?: (token: string) => void;
  /**
   * The roles to run. Anything but `all` alone scales out next to other processes: it needs the
   * shared servers (`REDIS_URL`, `DATABASE_URL`, and `CLICKHOUSE_URL` for ingress, analytics and
   * admin), the same master key and a shared spool dir.
   * @defaultValue ['all']
   */
  roles?: readonly Role[];
}

/** What every role of a process shares: its engines, control-plane caches and queues. */
interface Shared {
  config: Config;
  logger: Logger;
  engines: Engines;
  caches: ControlCaches;
  queues: Queues;
}

/** Whether this process runs a role (every role when it runs `all`). */
type Has = (role: Exclude<Role, 'all'>) => boolean;

/**
 * Starts the requested roles against the configured (or embedded) engines; the composition root.
 * Order: engines, the control-plane caches and queues every role shares, then ingress, worker,
 * admin, the ops endpoints and the analytics writer. Each starter returns a handle that owns its
 * `close()`; the platform's `close()` closes them in reverse order of start, so every role stops
 * before the shared services and engines it uses. A failed start closes what had started.
 */
export function startPlatform(config: Config, logger: Logger, options: PlatformOptions = {}): Promise<Platform> {
  const roles = options.roles?.length ? [...new Set(options.roles)] : (['all'] as Role[]);
  const has: Has = (role) => roles.includes('all') || roles.includes(role);
  checkSharedEngines(config, roles, has);
  return startOwning(logger, async (stack) => {
    const engines = stack.own(
      await startEngines(config, logger, {
        // A worker reads it too when it can (a server): its webhooks give opens and clicks their labels.
        clickhouse: has('analytics') || has('ingress') || has('admin') || (has('worker') && !!config.clickhouse.url),
        onAdminTokenCreated: options.onAdminTokenCreated,
      }),
    );
    const { store, producerRedis, commandsRedis } = engines;
    const caches = stack.own(await startControlCaches({ config, logger, store, producerRedis, commandsRedis }));
    const queues = stack.own(await startQueues({ config, logger, store, producerRedis, commandsRedis }));
    const shared: Shared = { config, logger, engines, caches, queues };
    const roleHandles = await startServingRoles(shared, has, (role) => stack.own(role));
    const ops = stack.own(await startOps({ ...shared, roles, clickhouse: engines.analytics?.client, ...roleHandles }));
    let sqlPort = 0;
    // Last: the writer's inserted events feed the ops server's counters.
    if (has('analytics')) {
      const analytics = requireAnalytics(engines, 'analytics');
      const onInserted = (events: readonly MailEvent[]) => ops.countEvents(events);
      const role = stack.own(
        await startAnalytics({
          config,
          logger,
          redisTarget: engines.redisTarget,
          analytics,
          onInserted,
          onSqlQuery: (outcome, seconds) => ops.countSqlQuery(outcome, seconds),
          store,
          limiter: caches.limiter,
        }),
      );
      sqlPort = role.sqlPort ?? 0;
      // The admin API reads its endpoints on each request: from now on it names the SQL endpoint too.
      roleHandles.endpoints.sqlPort = role.sqlPort;
    }
    logger.info({ dataDir: config.dataDir, roles }, 'ready');
    const { ingress, admin, apiUrl } = roleHandles;
    return {
      ports: {
        api: 0,
        smtp: 0,
        smtps: 0,
        mx: 0,
        ...ingress?.ports,
        admin: admin?.port ?? 0,
        ops: ops.port,
        sql: sqlPort,
      },
      urls: { api: ingress ? apiUrl : '', admin: admin?.url ?? '' },
      adminToken: engines.adminToken,
      redisUrl: engines.redisUrl,
      redisTarget: engines.redisTarget,
      clickhouse: engines.analytics?.client,
      store,
    };
  });
}

/**
 * Starts ingress, worker and admin, those this process runs, in that order: the worker's tracking
 * links and the admin's endpoints point at the ingress listeners of this process when it runs them.
 */
async function startServingRoles(shared: Shared, has: Has, own: <T extends Closable>(role: T) => T) {
  const { config, engines } = shared;
  const ingress = has('ingress')
    ? own(await startIngress({ ...shared, clickhouse: requireAnalytics(engines, 'ingress').client }))
    : undefined;
  // Public ports: this process's own listeners when it runs ingress, else the configured ones.
  const apiUrl = ingress?.apiUrl ?? `http://${urlHost(config)}:${config.ports.api}`;
  const worker = has('worker')
    ? own(
        await startWorker({
          ...shared,
          trackingBaseUrl: config.tracking.baseUrl ?? apiUrl,
          // A thread of its own when this process also serves ingress or admin: each gets a core.
          deliveryThread: config.delivery.thread && (has('ingress') || has('admin')),
        }),
      )
    : undefined;
  const endpoints: PublicEndpoints = {
    host: config.publicHost,
    smtpPort: ingress?.ports.smtp ?? config.ports.smtp,
    smtpsPort: ingress?.ports.smtps ?? config.ports.smtps,
    apiUrl,
  };
  const admin = has('admin')
    ? own(await startAdmin({ ...shared, clickhouse: requireAnalytics(engines, 'admin').client, endpoints }))
    : undefined;
  return { ingress, worker, admin, apiUrl, endpoints };
}

/**
 * Refuses a split the embedded engines cannot serve: they belong to one process, and embedded
 * chDB to the process that writes it (the analytics role), so a process that only reads
 * ClickHouse (ingress, admin) without being that writer needs a server.
 */
function checkSharedEngines(config: Config, roles: readonly Role[], has: Has): void {
  const embedded = roles.length === 1 && roles[0] === 'all';
  if (embedded) return;
  if (!configuredRedisTarget(config.redis) || !config.databaseUrl) {
    throw new Error(
      `role ${roles.join(',')} needs REDIS_URL and DATABASE_URL (or a Redis Cluster or Sentinel set instead of ` +
        'REDIS_URL): the embedded engines serve one process only',
    );
  }
  if ((has('ingress') || has('admin')) && !has('analytics') && !config.clickhouse.url) {
    throw new Error(`role ${roles.join(',')} needs CLICKHOUSE_URL: embedded chDB serves the analytics process only`);
  }
}

/** ClickHouse, which the engines open for every role that reads or writes it. */
function requireAnalytics(engines: Engines, role: Exclude<Role, 'all'>): AnalyticsStore {
  if (!engines.analytics) throw new Error(`unreachable: the ${role} role opens ClickHouse`);
  return engines.analytics;
}
