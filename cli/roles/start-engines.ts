import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { applySchema, openClickHouse, type ClickHouseClient, type ClickHouseTarget } from '../../analytics/index.js';
import {
  createStore,
  lockDataDir,
  migrate,
  openPglite,
  openPostgres,
  parseMasterKey,
  readOrCreateSecret,
  SecretBox,
  spawnRedisServer,
  configuredRedisTarget,
  describeRedisTarget,
  type Config,
  type RedisTarget,
  type Logger,
  type SqlClient,
  type Store,
} from '../../core/index.js';
import { openRedis } from '../redis-connect.js';
import { startOwning, type CloseStack } from './close-stack.js';

/** Options of {@link startEngines}. */
export interface EngineOptions {
  /** Whether this process reads or writes ClickHouse (analytics, ingress and admin do; a worker with a server). */
  clickhouse: boolean;
  /** Called once with a newly generated admin token. */
  onAdminTokenCreated?: (token: string) => void;
}

/** ClickHouse as this process uses it: the client and the schema step the first insert waits on. */
export interface AnalyticsStore {
  client: ClickHouseClient;
  /** Applies the schema unless it is applied already; rejects while ClickHouse is away. */
  ensureSchema: () => Promise<void>;
  /** The embedded chDB data directory; none with a ClickHouse server. */
  chdbPath: string | undefined;
}

/** The engines of a process and its shared connections to them; `close()` stops what it started. */
export interface Engines {
  masterKey: Buffer;
  adminToken: string;
  /** The Redis in use: the spawned redis-server, or the configured server, cluster or Sentinel set. */
  redisTarget: RedisTarget;
  /** The URL of that Redis when it is one server; empty on a cluster or Sentinel set. */
  redisUrl: string;
  /** BullMQ producers and pub/sub; gives up quickly so ingress answers 503 / 451 while Redis is away. */
  producerRedis: Redis;
  /**
   * Our own commands (idempotency, auth limits, events), off BullMQ's connection: ioredis copies
   * BullMQ's scripts onto every pipeline of the connection that defined them.
   */
  commandsRedis: Redis;
  /** BullMQ workers; waits for Redis to come back instead of failing. */
  workerRedis: Redis;
  sql: SqlClient;
  store: Store;
  /** Present when {@link EngineOptions.clickhouse} asked for it. */
  analytics: AnalyticsStore | undefined;
  close(): Promise<void>;
}

/**
 * Engines role: locks the data dir, reads (or creates) the master key and admin token, spawns
 * redis-server unless `REDIS_URL` is set, opens the control plane (PostgreSQL or PGlite, migrated)
 * and ClickHouse (a server or embedded chDB). Closing stops them in reverse: ClickHouse, the
 * control plane, the Redis connections, the spawned redis-server (AOF flushed), the lock.
 */
export function startEngines(config: Config, logger: Logger, options: EngineOptions): Promise<Engines> {
  return startOwning(logger, async (stack) => {
    await mkdir(config.dataDir, { recursive: true });
    const lock = await lockDataDir(config.dataDir);
    stack.defer(() => lock.release());
    const { masterKey, adminToken } = await readSecrets(config, options);
    const redisTarget = await startRedis(config, logger, stack);
    const redisUrl = redisTarget.kind === 'single' ? redisTarget.url : '';
    const connect = (name: string, maxRetriesPerRequest: number | null) => {
      const redis = openRedis(redisTarget, logger, name, maxRetriesPerRequest);
      stack.defer(() => redis.disconnect());
      return redis;
    };
    const producerRedis = connect('producer', 2);
    const commandsRedis = connect('producer-commands', 2);
    const workerRedis = connect('worker', null);
    const sql = stack.own(await openControlPlane(config, logger));
    const store = createStore(sql, new SecretBox(masterKey));
    const analytics = options.clickhouse ? await openAnalytics(config, logger, stack) : undefined;
    return {
      masterKey,
      adminToken,
      redisTarget,
      redisUrl,
      producerRedis,
      commandsRedis,
      workerRedis,
      sql,
      store,
      analytics,
    };
  });
}

/** The master key and admin token: from config, else from the data dir (created on first start). */
async function readSecrets(config: Config, options: EngineOptions): Promise<{ masterKey: Buffer; adminToken: string }> {
  const masterKey = parseMasterKey(config.masterKey ?? (await readOrCreateSecret(config.dataDir, 'master.key')).value);
  if (config.adminToken) return { masterKey, adminToken: config.adminToken };
  const secret = await readOrCreateSecret(config.dataDir, 'admin-token');
  if (secret.created) options.onAdminTokenCreated?.(secret.value);
  return { masterKey, adminToken: secret.value };
}

/**
 * The configured Redis (`REDIS_URL`, `REDIS_CLUSTER_NODES`, `REDIS_SENTINELS`), or a redis-server
 * spawned in the data dir: the durability point of accepted mail.
 */
async function startRedis(config: Config, logger: Logger, stack: CloseStack): Promise<RedisTarget> {
  const configured = configuredRedisTarget(config.redis);
  if (configured) {
    logger.info({ redis: describeRedisTarget(configured) }, 'using the configured Redis');
    return configured;
  }
  const spawned = await spawnRedisServer({ dir: join(config.dataDir, 'redis'), logger });
  stack.defer(() => spawned.stop());
  logger.info({ redisPid: spawned.pid, url: spawned.url }, 'embedded redis-server started (AOF on)');
  return { kind: 'single', url: spawned.url };
}

/** PostgreSQL at `DATABASE_URL`, else PGlite in the data dir; migrated before anything reads it. */
async function openControlPlane(config: Config, logger: Logger): Promise<SqlClient> {
  const sql = config.databaseUrl
    ? await openPostgres(config.databaseUrl)
    : await openPglite(join(config.dataDir, 'pglite'));
  try {
    const applied = await migrate(sql);
    logger.info({ engine: sql.engine, applied }, 'control-plane schema ready');
    return sql;
  } catch (err) {
    await sql.close();
    throw err;
  }
}

/**
 * ClickHouse at `CLICKHOUSE_URL`, else chDB in the data dir. Its being down never stops mail:
 * events wait in Redis and the schema is applied before the first insert that gets through.
 */
async function openAnalytics(config: Config, logger: Logger, stack: CloseStack): Promise<AnalyticsStore> {
  const target: ClickHouseTarget = config.clickhouse.url
    ? { url: config.clickhouse.url }
    : { chdbPath: join(config.dataDir, 'chdb') };
  const client = stack.own(openClickHouse(target));
  const chdbPath = 'chdbPath' in target ? target.chdbPath : undefined;
  let schemaReady = false;
  const ensureSchema = async () => {
    if (schemaReady) return;
    await applySchema(client, config.clickhouse.database, { ttlDays: config.events.ttlDays });
    schemaReady = true;
  };
  await ensureSchema().catch((err: unknown) =>
    logger.warn({ err }, 'ClickHouse unavailable at start; events will wait in Redis'),
  );
  return { client, ensureSchema, chdbPath };
}
