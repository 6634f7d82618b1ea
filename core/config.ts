import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { envSchema, type ParsedEnv } from './config-schema.js';
import type { MxTarget } from './mx-override.js';
import type { ShapingPolicy } from './shaping-policy.js';

/**
 * Places each parsed variable in the configuration object and fills in the defaults computed from
 * other variables (public host, bounce domain, spool directory). Meanings live in `envSchema`.
 */
function toConfig(e: ParsedEnv) {
  const bounceDomain = (e.BRIDGEMAIL_BOUNCE_DOMAIN ?? e.BRIDGEMAIL_HELO_NAME).toLowerCase();
  return {
    dataDir: resolve(e.BRIDGEMAIL_DATA_DIR),
    host: e.BRIDGEMAIL_HOST,
    publicHost: e.BRIDGEMAIL_PUBLIC_HOST ?? (e.BRIDGEMAIL_HOST === '0.0.0.0' ? hostname() : e.BRIDGEMAIL_HOST),
    ports: {
      api: e.BRIDGEMAIL_API_PORT,
      admin: e.BRIDGEMAIL_ADMIN_PORT,
      smtp: e.BRIDGEMAIL_SMTP_PORT,
      smtps: e.BRIDGEMAIL_SMTPS_PORT,
      mx: e.BRIDGEMAIL_MX_PORT,
      ops: e.BRIDGEMAIL_OPS_PORT,
    },
    inbound: {
      maxBytes: e.BRIDGEMAIL_MX_MAX_BYTES,
      fblAddress: (e.BRIDGEMAIL_FBL_ADDRESS ?? `fbl@${bounceDomain}`).toLowerCase(),
      suppressionScope: e.BRIDGEMAIL_SUPPRESSION_SCOPE,
    },
    adminToken: e.BRIDGEMAIL_ADMIN_TOKEN,
    masterKey: e.BRIDGEMAIL_MASTER_KEY,
    tls: { certPath: e.BRIDGEMAIL_TLS_CERT, keyPath: e.BRIDGEMAIL_TLS_KEY },
    heloName: e.BRIDGEMAIL_HELO_NAME,
    limits: {
      maxMessageBytes: e.BRIDGEMAIL_MAX_MESSAGE_BYTES,
      maxRecipients: e.BRIDGEMAIL_MAX_RECIPIENTS,
      smtpIdleTimeoutMs: e.BRIDGEMAIL_SMTP_IDLE_TIMEOUT_MS,
      smtpSessionMaxMs: e.BRIDGEMAIL_SMTP_SESSION_MAX_MS,
      smtpMaxClients: e.BRIDGEMAIL_SMTP_MAX_CLIENTS,
    },
    delivery: {
      mxOverride: e.BRIDGEMAIL_MX_OVERRIDE,
      concurrency: e.BRIDGEMAIL_DELIVERY_CONCURRENCY,
      queueBatchMax: e.BRIDGEMAIL_QUEUE_BATCH_MAX,
      copyThreads: e.BRIDGEMAIL_COPY_THREADS,
      thread: e.BRIDGEMAIL_DELIVERY_THREAD,
      niceness: e.BRIDGEMAIL_DELIVERY_NICENESS,
      jobLockMs: e.BRIDGEMAIL_JOB_LOCK_MS,
      flushMs: e.BRIDGEMAIL_DELIVERY_FLUSH_MS,
      retryBaseMs: e.BRIDGEMAIL_RETRY_BASE_MS,
      retryMaxMs: e.BRIDGEMAIL_RETRY_MAX_MS,
      retryMaxAgeMs: e.BRIDGEMAIL_RETRY_MAX_AGE_MS,
      smtpTimeoutMs: e.BRIDGEMAIL_SMTP_TIMEOUT_MS,
      maxTransactionsPerConnection: e.BRIDGEMAIL_SMTP_MAX_TRANSACTIONS,
      shaping: e.BRIDGEMAIL_SHAPING,
      requireTls: e.BRIDGEMAIL_REQUIRE_TLS,
    },
    events: {
      batchSize: e.BRIDGEMAIL_EVENTS_BATCH_SIZE,
      flushMs: e.BRIDGEMAIL_EVENTS_FLUSH_MS,
      ttlDays: e.BRIDGEMAIL_EVENTS_TTL_DAYS,
    },
    verp: { prefix: e.BRIDGEMAIL_VERP_PREFIX, domain: bounceDomain },
    spool: {
      dir: resolve(e.BRIDGEMAIL_SPOOL_DIR ?? `${e.BRIDGEMAIL_DATA_DIR}/spool`),
      thresholdBytes: e.BRIDGEMAIL_SPOOL_THRESHOLD_BYTES,
    },
    tracking: { baseUrl: e.BRIDGEMAIL_TRACKING_BASE_URL, scannerWindowMs: e.BRIDGEMAIL_TRACKING_SCANNER_WINDOW_MS },
    consoleDir: e.BRIDGEMAIL_CONSOLE_DIR,
    webhooks: { allowPrivate: e.BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE, timeoutMs: e.BRIDGEMAIL_WEBHOOK_TIMEOUT_MS },
    authLimits: {
      perAddress: e.BRIDGEMAIL_AUTH_FAIL_PER_ADDRESS,
      perPrincipal: e.BRIDGEMAIL_AUTH_FAIL_PER_PRINCIPAL,
      windowMs: e.BRIDGEMAIL_AUTH_FAIL_WINDOW_MS,
    },
    redis: {
      url: e.REDIS_URL,
      prefix: e.BRIDGEMAIL_REDIS_PREFIX,
      clusterNodes: e.REDIS_CLUSTER_NODES,
      sentinels: e.REDIS_SENTINELS,
      sentinelName: e.REDIS_SENTINEL_NAME,
      eventShards: e.BRIDGEMAIL_EVENT_SHARDS,
      waitReplicas: e.BRIDGEMAIL_REDIS_WAIT_REPLICAS,
      waitMs: e.BRIDGEMAIL_REDIS_WAIT_MS,
    },
    databaseUrl: e.DATABASE_URL,
    clickhouse: { url: e.CLICKHOUSE_URL, database: e.CLICKHOUSE_DATABASE },
    sqlEndpoint: {
      port: e.BRIDGEMAIL_SQL_PORT,
      maxExecutionSeconds: e.BRIDGEMAIL_SQL_MAX_EXECUTION_SECONDS,
      maxRowsToRead: e.BRIDGEMAIL_SQL_MAX_ROWS_TO_READ,
      maxResultRows: e.BRIDGEMAIL_SQL_MAX_RESULT_ROWS,
      maxResultBytes: e.BRIDGEMAIL_SQL_MAX_RESULT_BYTES,
    },
    logLevel: e.BRIDGEMAIL_LOG_LEVEL,
  };
}

/**
 * Readonly all the way down, as `deepFreeze` makes it at run time. The shaping policy and the MX
 * override map keep the types their consumers take.
 */
type Frozen<T> = T extends ShapingPolicy | Map<string, MxTarget[]>
  ? T
  : T extends readonly (infer Item)[]
    ? readonly Frozen<Item>[]
    : T extends object
      ? { readonly [K in keyof T]: Frozen<T[K]> }
      : T;

/** Typed, frozen configuration of one Bridgemail process, derived from `envSchema` by `toConfig`. */
export type Config = Frozen<ReturnType<typeof toConfig>>;

/** Thrown when the environment does not parse; lists every bad key at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses configuration from an environment-like object (the only reader of `process.env`
 * is the caller in `cli/main.ts`; tests pass a plain object).
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // A key set to an empty string counts as unset (`FOO= cmd` is common in shells and compose files).
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map(describeIssue));
  const redisProblems = checkRedisChoice(parsed.data);
  if (redisProblems.length > 0) throw new ConfigError(redisProblems);
  return deepFreeze(toConfig(parsed.data));
}

/** One Redis at most: a server, a cluster, or a Sentinel-managed primary (which needs its name). */
function checkRedisChoice(e: ParsedEnv): string[] {
  const chosen = (['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const).filter((k) => e[k] !== undefined);
  const problems = chosen.length > 1 ? [`${chosen.join(', ')}: set one of them, not ${chosen.length}`] : [];
  if (e.REDIS_SENTINELS !== undefined && e.REDIS_SENTINEL_NAME === undefined)
    problems.push('REDIS_SENTINEL_NAME: required with REDIS_SENTINELS');
  if (e.REDIS_SENTINELS === undefined && e.REDIS_SENTINEL_NAME !== undefined)
    problems.push('REDIS_SENTINEL_NAME: only meaningful with REDIS_SENTINELS');
  if (e.BRIDGEMAIL_REDIS_WAIT_REPLICAS > 0 && chosen.length === 0)
    problems.push(
      'BRIDGEMAIL_REDIS_WAIT_REPLICAS: the redis-server the platform spawns has no replicas; set REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES',
    );
  return problems;
}

/** `VARIABLE: message`, with the path inside the value when it has one (`BRIDGEMAIL_SHAPING: ip.perSecond: …`). */
function describeIssue(issue: z.core.$ZodIssue): string {
  const [variable, ...inside] = issue.path.map(String);
  return inside.length > 0 ? `${variable}: ${inside.join('.')}: ${issue.message}` : `${variable}: ${issue.message}`;
}

/** The configuration with secrets replaced, safe to print. */
export function redactConfig(config: Config): Record<string, unknown> {
  const hide = (v: string | undefined) => (v === undefined ? undefined : '[redacted]');
  return {
    ...config,
    adminToken: hide(config.adminToken),
    masterKey: hide(config.masterKey),
    // A Map prints as `{}`: the override is shown as an object of its entries.
    delivery: {
      ...config.delivery,
      mxOverride: config.delivery.mxOverride && Object.fromEntries(config.delivery.mxOverride),
    },
    redis: { ...config.redis, url: redactUrl(config.redis.url) },
    databaseUrl: redactUrl(config.databaseUrl),
    clickhouse: { ...config.clickhouse, url: redactUrl(config.clickhouse.url) },
  };
}

function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const u = new URL(url);
    if (u.password) u.password = 'redacted';
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
