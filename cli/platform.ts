import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createAdminApp } from '../admin-api/index.js';
import {
  applySchema,
  openClickHouse,
  queryTimeline,
  startEventWriter,
  type ClickHouseClient,
} from '../analytics/index.js';
import {
  acceptMessage,
  AuthFailureLimiter,
  BridgeAuthCache,
  controlChannel,
  createAuthenticator,
  listenToControl,
  createStore,
  EventPublisher,
  migrate,
  openPglite,
  openPostgres,
  parseMasterKey,
  lockDataDir,
  PoolQueues,
  readEventBacklog,
  INBOUND_QUEUE,
  readOrCreateSecret,
  SecretBox,
  spawnRedisServer,
  TrackingTokens,
  TtlCache,
  SuppressionIndex,
  IdempotencyKeys,
  Spool,
  VerpAddresses,
  type ControlMessage,
  type Config,
  type Logger,
  type MailEvent,
  type Store,
} from '../core/index.js';
import { createSendApp, loadTlsMaterial, startSmtpIngress } from '../ingress/index.js';
import { startDelivery, type Delivery } from './delivery.js';
import { startDeliveryThread } from './delivery-host.js';
import { startInbound } from './inbound.js';
import { redisConnector } from './redis-connect.js';
import { startWebhooks } from './webhooks.js';
import { startOpsServer } from './ops-server.js';
import { checkWebhookUrl, WEBHOOK_QUEUE } from '../workers/webhooks/index.js';
import { readThrottleCounts } from '../workers/index.js';

/** A running platform: the roles this process runs (every one by default). */
export interface Platform {
  /** Bound ports; 0 for a listener of a role this process does not run. */
  ports: { api: number; admin: number; smtp: number; smtps: number; mx: number; ops: number };
  urls: { api: string; admin: string };
  adminToken: string;
  /** The Redis URL in use (spawned or configured). */
  redisUrl: string;
  /** The analytics client this process owns (embedded chDB or a server); none in a worker process. */
  clickhouse: ClickHouseClient | undefined;
  /** The control-plane store of this process. */
  store: Store;
  /** Stops listeners, workers, the analytics writer and every engine this process started. */
  close(): Promise<void>;
}

/**
 * What a process runs. `all` (the embedded default) is every role. `ingress`: REST and SMTP
 * submission, tracking endpoints, the inbound MX and its report processing. `worker`: delivery and
 * webhooks. `analytics`: the one writer of events into ClickHouse. `admin`: the admin API, web
 * console and bull-board.
 */
export type Role = 'all' | 'ingress' | 'worker' | 'analytics' | 'admin';

/** Every role name, for parsing `--role`. */
export const ROLES: readonly Role[] = ['all', 'ingress', 'worker', 'analytics', 'admin'];

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

/** Starts every role against the configured (or embedded) engines; the composition root. */
export async function startPlatform(config: Config, logger: Logger, options: PlatformOptions = {}): Promise<Platform> {
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const fn of closers.reverse()) {
      await fn().catch((err: unknown) => logger.warn({ err }, 'error while stopping'));
    }
    closers.length = 0;
  };
  try {
    return await start(config, logger, options, closers, close);
  } catch (err) {
    await close();
    throw err;
  }
}

async function start(
  config: Config,
  logger: Logger,
  options: PlatformOptions,
  closers: (() => Promise<unknown>)[],
  close: () => Promise<void>,
): Promise<Platform> {
  const roles = options.roles?.length ? [...new Set(options.roles)] : (['all'] as Role[]);
  const has = (role: Exclude<Role, 'all'>) => roles.includes('all') || roles.includes(role);
  const embedded = roles.length === 1 && roles[0] === 'all';
  if (!embedded && (!config.redis.url || !config.databaseUrl)) {
    throw new Error(
      `role ${roles.join(',')} needs REDIS_URL and DATABASE_URL: the embedded engines serve one process only`,
    );
  }
  // Embedded chDB belongs to the process that writes it (the analytics role); a process that only
  // reads ClickHouse (ingress, admin) without being that writer needs a server.
  if (!embedded && (has('ingress') || has('admin')) && !has('analytics') && !config.clickhouse.url) {
    throw new Error(`role ${roles.join(',')} needs CLICKHOUSE_URL: embedded chDB serves the analytics process only`);
  }
  await mkdir(config.dataDir, { recursive: true });
  const lock = await lockDataDir(config.dataDir);
  closers.push(() => lock.release());
  const masterKey = parseMasterKey(config.masterKey ?? (await readOrCreateSecret(config.dataDir, 'master.key')).value);
  const box = new SecretBox(masterKey);
  const tokens = new TrackingTokens(masterKey);
  let adminToken = config.adminToken;
  if (!adminToken) {
    const secret = await readOrCreateSecret(config.dataDir, 'admin-token');
    adminToken = secret.value;
    if (secret.created) options.onAdminTokenCreated?.(adminToken);
  }

  // Redis: the durability point of accepted mail.
  let redisUrl = config.redis.url;
  if (!redisUrl) {
    const spawned = await spawnRedisServer({ dir: join(config.dataDir, 'redis'), logger });
    closers.push(() => spawned.stop());
    redisUrl = spawned.url;
    logger.info({ redisPid: spawned.pid, url: spawned.url }, 'embedded redis-server started (AOF on)');
  }
  const connect = redisConnector(redisUrl, logger, closers); // the writer's blocks on XREADGROUP: no auto-pipelining
  // Ingress fails fast (503 / 451) while Redis is away; workers and the writer wait for it.
  const producerRedis = connect('producer', 2);
  // Plain commands (idempotency, auth limits, events) off BullMQ's connection: ioredis copies its scripts onto every pipeline.
  const commandsRedis = connect('producer-commands', 2);
  const workerRedis = connect('worker', null);
  const writerRedis = connect('writer', null, false);

  // Control plane.
  const sql = config.databaseUrl
    ? await openPostgres(config.databaseUrl)
    : await openPglite(join(config.dataDir, 'pglite'));
  closers.push(() => sql.close());
  const applied = await migrate(sql);
  logger.info({ engine: sql.engine, applied }, 'control-plane schema ready');
  const store = createStore(sql, box);

  // Analytics: one writer per chDB data dir (the analytics role); a query client for ingress and admin.
  let clickhouse: ClickHouseClient | undefined;
  let countEvents: (events: readonly MailEvent[]) => void = () => {};
  if (has('analytics') || has('ingress') || has('admin')) {
    const ch = openClickHouse(
      config.clickhouse.url ? { url: config.clickhouse.url } : { chdbPath: join(config.dataDir, 'chdb') },
    );
    clickhouse = ch;
    closers.push(() => ch.close());
    // ClickHouse being down never stops mail: events wait in Redis and the schema is applied
    // before the first insert that gets through.
    let schemaReady = false;
    const ensureSchema = async () => {
      if (schemaReady) return;
      await applySchema(ch, config.clickhouse.database, { ttlDays: config.events.ttlDays });
      schemaReady = true;
    };
    await ensureSchema().catch((err: unknown) =>
      logger.warn({ err }, 'ClickHouse unavailable at start; events will wait in Redis'),
    );
    if (has('analytics')) {
      const writer = await startEventWriter({
        onInserted: (events) => countEvents(events),
        beforeInsert: ensureSchema,
        redis: writerRedis,
        prefix: config.redis.prefix,
        clickhouse: ch,
        database: config.clickhouse.database,
        logger,
        batchSize: config.events.batchSize,
        flushMs: config.events.flushMs,
      });
      closers.push(() => writer.close());
    }
  }

  // Authentication: cached per process, invalidated on every Bridge change announced by any process.
  const authCache = new BridgeAuthCache(store);
  // Every event is matched against its Bridge's webhooks: read once per Bridge, not once per event.
  const bridgeWebhooks = new TtlCache((bridgeId) => store.listWebhooks(bridgeId), 30_000);
  const anyWebhooks = new TtlCache(() => store.hasActiveWebhooks(), 30_000);
  // Read on every acceptance: in memory, reloaded on the control channel's announcements.
  const suppressions = new SuppressionIndex(() => store.suppressionKeys());
  await suppressions.refresh();
  const isSuppressed = (bridgeId: string, recipients: readonly string[]) => suppressions.among(bridgeId, recipients);
  // Applied to this process's caches when any process announces a change (this one at once, see announce).
  const applyControl = (m: ControlMessage) => {
    if (m.type === 'suppression-changed')
      void suppressions.refresh().catch((err: unknown) => logger.warn({ err }, 'suppression list not reloaded'));
    if (m.type !== 'bridge-changed') return;
    authCache.invalidate(m.bridgeId);
    bridgeWebhooks.invalidate(m.bridgeId);
    anyWebhooks.clear();
  };
  const stopControl = await listenToControl({
    redis: producerRedis,
    prefix: config.redis.prefix,
    logger,
    onMessage: applyControl,
    onResubscribe: () => {
      authCache.clear();
      bridgeWebhooks.clear();
      anyWebhooks.clear();
      void suppressions.refresh().catch((err: unknown) => logger.warn({ err }, 'suppression list not reloaded'));
    },
  });
  closers.push(async () => stopControl());
  const limiter = new AuthFailureLimiter(
    commandsRedis,
    config.redis.prefix,
    config.authLimits,
    logger.child({ component: 'auth' }),
  );
  const auth = createAuthenticator(authCache, limiter);

  const events = new EventPublisher(commandsRedis, config.redis.prefix);
  const idempotency = new IdempotencyKeys(commandsRedis, config.redis.prefix);
  // A keyed message's claim learns its batch's job id before the add: a retry can then find it.
  const queues = new PoolQueues(producerRedis, config.redis.prefix, {
    maxBatch: config.delivery.queueBatchMax,
    beforeBatch: (id, keyed) => idempotency.assignJob(id, keyed),
  });
  closers.push(() => queues.close());
  const spool = new Spool(config.spool.dir);
  await spool.init();
  const acceptDeps = {
    queues,
    events,
    logger,
    idempotency,
    spool,
    maxMessageBytes: config.limits.maxMessageBytes,
    spoolThresholdBytes: config.spool.thresholdBytes,
  };

  const verp = new VerpAddresses(masterKey, config.verp.prefix, config.verp.domain);
  const deliveryWiring = (trackingBaseUrl: string) => ({ config, logger, store, redisUrl, masterKey, trackingBaseUrl });
  const urlHost = config.publicHost.includes(':') ? `[${config.publicHost}]` : config.publicHost;
  // Public ports: this process's own listeners when it runs ingress, else the configured ones.
  const ports = { api: 0, smtp: 0, smtps: 0, mx: 0, admin: 0, ops: 0 };
  let apiUrl = `http://${urlHost}:${config.ports.api}`;

  if (has('ingress')) {
    const analytics = clickhouse;
    if (!analytics) throw new Error('unreachable: the ingress role opens ClickHouse');
    // Ingress: REST and SMTP.
    const sendApp = createSendApp({
      auth,
      accept: (s) => acceptMessage(acceptDeps, s),
      logger: logger.child({ component: 'send-api' }),
      maxMessageBytes: config.limits.maxMessageBytes,
      maxRecipients: config.limits.maxRecipients,
      messageIdDomain: config.heloName,
      tracking: { tokens, events, logger, scannerWindowMs: config.tracking.scannerWindowMs },
      suppressed: isSuppressed,
      timeline: (messageId, bridgeId) => queryTimeline(analytics, config.clickhouse.database, messageId, { bridgeId }),
    });
    const apiServer = await listen(createServer(sendApp.callback()), config.ports.api, config.host);
    closers.push(() => closeServer(apiServer));
    const tls = await loadTlsMaterial({ ...config.tls, dataDir: config.dataDir, hostname: config.publicHost });
    const smtp = await startSmtpIngress({
      auth,
      accept: (s) => acceptMessage(acceptDeps, s),
      logger,
      tls,
      host: config.host,
      port: config.ports.smtp,
      securePort: config.ports.smtps,
      heloName: config.heloName,
      maxMessageBytes: config.limits.maxMessageBytes,
      maxRecipients: config.limits.maxRecipients,
      idleTimeoutMs: config.limits.smtpIdleTimeoutMs,
      sessionMaxMs: config.limits.smtpSessionMaxMs,
      maxClients: config.limits.smtpMaxClients,
      suppressed: isSuppressed,
    });
    closers.push(() => smtp.close());
    // Bounces and complaints: the inbound MX queues reports, a worker classifies and links them.
    const mx = await startInbound({
      config,
      logger,
      producerRedis,
      workerRedis,
      verp,
      analytics,
      events,
      store,
      tls,
      closers,
    });
    Object.assign(ports, {
      api: (apiServer.address() as AddressInfo).port,
      smtp: smtp.port,
      smtps: smtp.securePort,
      mx: mx.port,
    });
    apiUrl = `http://${urlHost}:${ports.api}`;
    logger.info({ url: `${apiUrl}/v1/send` }, 'send API listening');
    logger.info({ url: `smtp://${urlHost}:${ports.smtp}`, tls: 'STARTTLS' }, 'SMTP submission listening');
    logger.info({ url: `smtps://${urlHost}:${ports.smtps}`, tls: 'implicit' }, 'SMTPS submission listening');
    logger.info(
      { url: `smtp://${urlHost}:${ports.mx}`, fbl: config.inbound.fblAddress, bounceDomain: config.verp.domain },
      'inbound MX listening',
    );
  }

  let unbindableIps: Delivery['unbindableIps'] | undefined;
  if (has('worker')) {
    await startWebhooks({
      config,
      logger,
      redisUrl,
      producerRedis,
      workerRedis,
      store,
      webhooksFor: async (bridgeId, type) =>
        (await bridgeWebhooks.get(bridgeId)).filter((w) => w.active && w.eventTypes.includes(type)),
      // While no Bridge has a webhook (the usual case), the fan-out does not even decode the events.
      anyWebhooks: () => anyWebhooks.get(''),
      closers,
    });
    // Delivery: on a thread of its own when this process also serves ingress or admin and the
    // machine has a core for it; a worker-only process delivers on its main thread.
    const wiring = deliveryWiring(config.tracking.baseUrl ?? apiUrl);
    const onThread = config.delivery.thread && (has('ingress') || has('admin'));
    const delivery = onThread ? await startDeliveryThread(wiring) : await startDelivery(wiring);
    unbindableIps = () => delivery.unbindableIps();
    closers.push(() => delivery.close());
  }

  // Handles for operators: the same queues the workers use, read-only unless an operator acts in bull-board.
  const watched = [INBOUND_QUEUE, WEBHOOK_QUEUE].map((name) => {
    const q = new Queue(name, { connection: producerRedis, prefix: config.redis.prefix });
    closers.push(() => q.close());
    return { name, kind: name === INBOUND_QUEUE ? ('inbound' as const) : ('webhooks' as const), queue: q };
  });
  const queueDirectory = {
    list: async () => [
      ...(await store.listPools()).map((p) => ({
        name: queues.queue(p.id).name,
        kind: 'pool' as const,
        poolId: p.id,
        queue: queues.queue(p.id),
      })),
      ...watched,
    ],
    eventBacklog: () => readEventBacklog(producerRedis, config.redis.prefix),
  };

  let adminUrl = '';
  if (has('admin')) {
    const analytics = clickhouse;
    if (!analytics) throw new Error('unreachable: the admin role opens ClickHouse');
    const adminApp = createAdminApp({
      queues: queueDirectory,
      consoleDir: config.consoleDir ?? fileURLToPath(new URL('../admin-api/web/dist', import.meta.url)),
      store,
      analytics: { client: analytics, database: config.clickhouse.database },
      announce: async (message) => {
        applyControl(message);
        await producerRedis.publish(controlChannel(config.redis.prefix), JSON.stringify(message));
      },
      endpoints: () => ({
        host: config.publicHost,
        smtpPort: ports.smtp || config.ports.smtp,
        smtpsPort: ports.smtps || config.ports.smtps,
        apiUrl,
      }),
      adminToken,
      defaultShaping: config.delivery.shaping,
      checkWebhookUrl: (url) => checkWebhookUrl(url, { allowPrivate: config.webhooks.allowPrivate }),
      limiter,
      logger: logger.child({ component: 'admin-api' }),
    });
    const adminServer = await listen(createServer(adminApp.callback()), config.ports.admin, config.host);
    closers.push(() => closeServer(adminServer));
    ports.admin = (adminServer.address() as AddressInfo).port;
    adminUrl = `http://${urlHost}:${ports.admin}`;
    logger.info({ url: `${adminUrl}/admin/v1` }, 'admin API listening');
  }

  // Health, readiness and Prometheus metrics, in every process.
  const ops = await startOpsServer({
    host: config.host,
    port: config.ports.ops,
    logger,
    roles,
    checks: [
      { name: 'redis', check: async () => Promise.all([producerRedis.ping(), commandsRedis.ping()]) },
      { name: 'database', check: () => sql.query('SELECT 1') },
      ...(clickhouse
        ? [
            {
              name: 'clickhouse',
              check: async () => {
                const ch = clickhouse;
                if (ch && !(await ch.ping()).success) throw new Error('ping failed');
              },
            },
          ]
        : []),
    ],
    queueDepths: async () => {
      const list = await queueDirectory.list();
      const counts = await Promise.all(
        list.map(async (q) => ({
          name: q.name,
          counts: await q.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed'),
        })),
      );
      return counts.flatMap((q) => Object.entries(q.counts).map(([state, count]) => ({ queue: q.name, state, count })));
    },
    eventBacklog: queueDirectory.eventBacklog,
    unbindableIps,
    authCounts: () => limiter.counts(),
    shapingThrottles: () => readThrottleCounts(commandsRedis, config.redis.prefix),
  });
  closers.push(() => ops.close());
  countEvents = (batch) => ops.countEvents(batch);
  ports.ops = ops.port;
  logger.info(
    { url: `http://${urlHost}:${ports.ops}/metrics` },
    'ops endpoints listening (/healthz, /readyz, /metrics)',
  );
  logger.info({ dataDir: config.dataDir, roles }, 'ready');

  return {
    ports,
    urls: { api: has('ingress') ? apiUrl : '', admin: adminUrl },
    adminToken,
    redisUrl,
    clickhouse,
    store,
    close,
  };
}

function listen(server: Server, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
