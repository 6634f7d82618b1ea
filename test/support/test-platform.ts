import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { FREE_PORTS_ENV } from './free-ports.js';
import { startPlatform, type Platform, type Role } from '../../cli/platform.js';
import { LIFECYCLE_ORDER_SQL, type BridgeStats } from '../../analytics/index.js';
import {
  createLogger,
  keyLayoutOf,
  loadConfig,
  PoolQueuePrefixes,
  PoolQueues,
  type Config,
  type RedisTarget,
} from '../../core/index.js';

/** A platform started for one test file, with helpers to drive its admin API. */
export interface TestPlatform extends Platform {
  config: Config;
  dataDir: string;
  /** Every log line the platform wrote (debug level), for asserting what never reaches logs. */
  logs: string[];
  /** Admin API call: JSON in, `{ status, body }` out. */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  createPool(name: string, ips: string[]): Promise<{ id: string; name: string; ips: string[] }>;
  createBridge(name: string, poolId: string, extra?: Record<string, unknown>): Promise<any>;
  stats(bridgeId: string): Promise<BridgeStats>;
  /** `POST /v1/send` with a Bridge's API key and a JSON body. */
  send(apiKey: string, body: unknown): Promise<Response>;
  /** Messages held by the jobs of a Pool's queue in any state (0 means nothing was queued). */
  queuedJobs(poolId: string): Promise<number>;
  /** Rows of the events table for a message, oldest first. */
  events(where: string, params?: Record<string, unknown>): Promise<any[]>;
  /** Stops the platform and removes what the test created. */
  stop(): Promise<void>;
}

/**
 * Starts a platform for tests: ports 0, a temp data dir, embedded engines — or, when the
 * environment has `DATABASE_URL` / `REDIS_URL`, those servers, isolated by a fresh database
 * and a random key prefix.
 */
export async function startTestPlatform(
  env: Record<string, string> = {},
  options: {
    /** Reuse this data dir (a restart); the caller owns it and its Redis keys: stop() keeps both. */
    dataDir?: string;
    /** The roles to run (default: all). */
    roles?: readonly Role[];
  } = {},
): Promise<TestPlatform> {
  const keep = options.dataDir !== undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'bridgemail-test-')));
  const prefix = env.BRIDGEMAIL_REDIS_PREFIX ?? `bmt${randomBytes(4).toString('hex')}`;
  const cleanups: (() => Promise<unknown>)[] = keep ? [] : [() => rm(dataDir, { recursive: true, force: true })];
  let databaseUrl: string | undefined;
  if (process.env.DATABASE_URL && !env.DATABASE_URL) {
    const dbName = `bridgemail_${prefix}`;
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = `/${dbName}`;
    databaseUrl = url.toString();
    cleanups.push(async () => {
      const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
    });
  }
  const config = loadConfig({
    BRIDGEMAIL_DATA_DIR: dataDir,
    ...FREE_PORTS_ENV,
    BRIDGEMAIL_REDIS_PREFIX: prefix,
    BRIDGEMAIL_HELO_NAME: 'bridgemail.test',
    BRIDGEMAIL_RETRY_BASE_MS: '200',
    BRIDGEMAIL_RETRY_MAX_MS: '1000',
    BRIDGEMAIL_EVENTS_FLUSH_MS: '100',
    BRIDGEMAIL_SMTP_TIMEOUT_MS: '10000',
    // Generous limits: tests that are not about shaping must not wait on it.
    BRIDGEMAIL_SHAPING: JSON.stringify({
      ip: { perSecond: 10_000, connections: 500 },
      destination: { perSecond: 10_000, connections: 200 },
    }),
    BRIDGEMAIL_LOG_LEVEL: process.env.BRIDGEMAIL_TEST_LOG_LEVEL ?? 'debug',
    // A test on a cluster or Sentinel set of its own names it in `env`; REDIS_URL would clash with it.
    ...(process.env.REDIS_URL && !env.REDIS_CLUSTER_NODES && !env.REDIS_SENTINELS
      ? { REDIS_URL: process.env.REDIS_URL }
      : {}),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...(process.env.CLICKHOUSE_URL ? { CLICKHOUSE_URL: process.env.CLICKHOUSE_URL } : {}),
    ...env,
  });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ level: config.logLevel, destination });
  let platform: Platform;
  try {
    platform = await startPlatform(config, logger, options.roles ? { roles: options.roles } : {});
  } catch (err) {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
    throw err;
  }
  const redis = openTestRedis(platform.redisTarget);
  // Fault tests take Redis away on purpose; this helper connection just reconnects.
  redis.on('error', () => undefined);
  const poolQueues = new PoolQueues(redis, prefix, {
    prefixes: new PoolQueuePrefixes(keyLayoutOf(config.redis), platform.store),
  });

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${platform.urls.admin}${path}`, {
      method,
      headers: { authorization: `Bearer ${platform.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const expectOk = (r: { status: number; body: any }, status: number) => {
    if (r.status !== status) throw new Error(`admin call answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };

  return {
    ...platform,
    config,
    dataDir,
    logs,
    admin,
    createPool: async (name, ips) => expectOk(await admin('POST', '/admin/v1/pools', { name, ips }), 201),
    createBridge: async (name, poolId, extra = {}) =>
      expectOk(await admin('POST', '/admin/v1/bridges', { name, poolId, ...extra }), 201),
    stats: async (bridgeId) => expectOk(await admin('GET', `/admin/v1/bridges/${bridgeId}/stats`), 200),
    send: (apiKey, body) =>
      fetch(`${platform.urls.api}/v1/send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    queuedJobs: (poolId) => poolQueues.countMessages(poolId),
    async events(where, params = {}) {
      const r = await platform.clickhouse!.query({
        query: `SELECT * FROM ${config.clickhouse.database}.events FINAL WHERE ${where} ORDER BY ts, ${LIFECYCLE_ORDER_SQL}, event_id`,
        query_params: params,
        format: 'JSONEachRow',
      });
      return r.json();
    },
    async stop() {
      await poolQueues.close();
      if (process.env.REDIS_URL && !keep) {
        const keys = await redis.keys(`${prefix}:*`);
        if (keys.length) await redis.del(...keys);
      }
      redis.disconnect();
      await platform.close();
      for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
    },
  };
}

/**
 * A helper connection to the platform's Redis, whatever its kind (a Cluster client typed as `Redis`,
 * as the platform's own connections are).
 */
function openTestRedis(target: RedisTarget): Redis {
  if (target.kind === 'cluster')
    return new Cluster(target.nodes, { redisOptions: { maxRetriesPerRequest: 1 } }) as unknown as Redis;
  if (target.kind === 'sentinel')
    return new Redis({ sentinels: target.sentinels, name: target.name, maxRetriesPerRequest: 1 });
  return new Redis(target.url, { maxRetriesPerRequest: 1 });
}
