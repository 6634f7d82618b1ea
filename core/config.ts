import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** Zod schema of every environment key Bridgemail reads; each has a default or is optional. */
const envSchema = z.object({
  BRIDGEMAIL_DATA_DIR: z.string().default('./data'),
  BRIDGEMAIL_HOST: z.string().default('127.0.0.1'),
  BRIDGEMAIL_PUBLIC_HOST: optionalString,
  BRIDGEMAIL_API_PORT: port.default(8080),
  BRIDGEMAIL_ADMIN_PORT: port.default(8081),
  BRIDGEMAIL_SMTP_PORT: port.default(587),
  BRIDGEMAIL_SMTPS_PORT: port.default(465),
  BRIDGEMAIL_MX_PORT: port.default(25),
  BRIDGEMAIL_OPS_PORT: port.default(9464),
  BRIDGEMAIL_MX_MAX_BYTES: positiveInt.default(10 * 1024 * 1024),
  BRIDGEMAIL_FBL_ADDRESS: optionalString,
  BRIDGEMAIL_SUPPRESSION_SCOPE: z.enum(['bridge', 'account']).default('bridge'),
  BRIDGEMAIL_ADMIN_TOKEN: optionalString,
  BRIDGEMAIL_MASTER_KEY: optionalString,
  BRIDGEMAIL_TLS_CERT: optionalString,
  BRIDGEMAIL_TLS_KEY: optionalString,
  BRIDGEMAIL_HELO_NAME: z.string().default(hostname()),
  BRIDGEMAIL_MAX_MESSAGE_BYTES: positiveInt.default(25 * 1024 * 1024),
  BRIDGEMAIL_MAX_RECIPIENTS: positiveInt.default(50),
  BRIDGEMAIL_MX_OVERRIDE: optionalString,
  BRIDGEMAIL_DELIVERY_CONCURRENCY: positiveInt.default(50),
  BRIDGEMAIL_JOB_LOCK_MS: positiveInt.min(1000).max(600_000).default(15_000),
  BRIDGEMAIL_QUEUE_BATCH_MAX: positiveInt.max(1000).default(50),
  BRIDGEMAIL_COPY_THREADS: z.coerce.number().int().min(0).max(64).optional(),
  BRIDGEMAIL_DELIVERY_THREAD: z.enum(['0', '1', 'false', 'true']).optional(),
  BRIDGEMAIL_DELIVERY_FLUSH_MS: z.coerce.number().int().min(0).max(100).default(2),
  BRIDGEMAIL_RETRY_BASE_MS: positiveInt.default(60_000),
  BRIDGEMAIL_RETRY_MAX_MS: positiveInt.default(3_600_000),
  BRIDGEMAIL_RETRY_MAX_AGE_MS: positiveInt.default(48 * 3_600_000),
  BRIDGEMAIL_SMTP_TIMEOUT_MS: positiveInt.default(60_000),
  BRIDGEMAIL_EVENTS_BATCH_SIZE: positiveInt.default(1000),
  BRIDGEMAIL_EVENTS_FLUSH_MS: positiveInt.default(1000),
  BRIDGEMAIL_EVENTS_TTL_DAYS: z.coerce.number().int().min(0).default(0),
  BRIDGEMAIL_BOUNCE_DOMAIN: optionalString,
  BRIDGEMAIL_VERP_PREFIX: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,15}$/, 'lower-case letters, digits, . _ -').default('bounces'),
  BRIDGEMAIL_SMTP_MAX_TRANSACTIONS: positiveInt.default(100),
  BRIDGEMAIL_SMTP_IDLE_TIMEOUT_MS: positiveInt.default(60_000),
  BRIDGEMAIL_SMTP_SESSION_MAX_MS: positiveInt.default(600_000),
  BRIDGEMAIL_SMTP_MAX_CLIENTS: positiveInt.default(5000),
  BRIDGEMAIL_REQUIRE_TLS: optionalString,
  BRIDGEMAIL_SHAPING: optionalString.refine((v) => {
    if (v === undefined) return true;
    try {
      const parsed: unknown = JSON.parse(v);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
    } catch {
      return false;
    }
  }, 'a JSON object (see the README: shaping)'),
  BRIDGEMAIL_SPOOL_DIR: optionalString,
  BRIDGEMAIL_SPOOL_THRESHOLD_BYTES: z.coerce.number().int().min(0).default(64 * 1024),
  BRIDGEMAIL_TRACKING_BASE_URL: optionalString,
  BRIDGEMAIL_CONSOLE_DIR: optionalString,
  BRIDGEMAIL_TRACKING_SCANNER_WINDOW_MS: z.coerce.number().int().min(0).default(10_000),
  BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE: z.enum(['0', '1', 'false', 'true']).default('0'),
  BRIDGEMAIL_WEBHOOK_TIMEOUT_MS: positiveInt.default(10_000),
  BRIDGEMAIL_AUTH_FAIL_PER_ADDRESS: positiveInt.default(10),
  BRIDGEMAIL_AUTH_FAIL_PER_PRINCIPAL: positiveInt.default(20),
  BRIDGEMAIL_AUTH_FAIL_WINDOW_MS: positiveInt.default(300_000),
  BRIDGEMAIL_REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,40}$/, 'letters, digits, _ and - only')
    .default('bm'),
  BRIDGEMAIL_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REDIS_URL: optionalString,
  DATABASE_URL: optionalString,
  CLICKHOUSE_URL: optionalString,
  CLICKHOUSE_DATABASE: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/).default('bridgemail'),
});

/** Typed, frozen configuration of one Bridgemail process. */
export interface Config {
  readonly dataDir: string;
  readonly host: string;
  readonly publicHost: string;
  /** Listening ports; `ops` serves /healthz, /readyz and /metrics in every process. */
  readonly ports: { readonly api: number; readonly admin: number; readonly smtp: number; readonly smtps: number; readonly mx: number; readonly ops: number };
  readonly inbound: {
    readonly maxBytes: number;
    /** The feedback-loop address ARF reports are sent to. */
    readonly fblAddress: string;
    /** Hard bounces and complaints suppress the recipient for its Bridge, or for every Bridge. */
    readonly suppressionScope: 'bridge' | 'account';
  };
  readonly adminToken: string | undefined;
  readonly masterKey: string | undefined;
  readonly tls: { readonly certPath: string | undefined; readonly keyPath: string | undefined };
  readonly heloName: string;
  readonly limits: {
    readonly maxMessageBytes: number;
    readonly maxRecipients: number;
    /** SMTP ingress: a session silent this long is closed (421). */
    readonly smtpIdleTimeoutMs: number;
    /** SMTP ingress: no session lasts longer, however busy (slow trickling clients). */
    readonly smtpSessionMaxMs: number;
    /** SMTP ingress: concurrent sessions per listener; beyond, new ones get 421. */
    readonly smtpMaxClients: number;
  };
  readonly delivery: {
    readonly mxOverride: string | undefined;
    readonly concurrency: number;
    /** Most messages of one Pool, accepted in the same tick, that share one queue job; 1: a job per message. */
    readonly queueBatchMax: number;
    /** Worker threads making copies (tracking rewrite + DKIM); 0 makes them on the main thread. Default: one per core beyond the first, at most 8. */
    readonly copyThreads: number;
    /** Runs delivery on a worker thread of its own (ingress keeps the main thread). Default: on with more than one core. */
    readonly thread: boolean;
    /** On a delivery thread: shortest time between two of its batched writes (events, marks, copy requests); 0: every tick. */
    readonly flushMs: number;
    /** How long a worker's lock on a job lasts unrenewed, and how often stalled jobs are looked for: a killed worker's jobs resume within about twice this. */
    readonly jobLockMs: number;
    readonly retryBaseMs: number;
    readonly retryMaxMs: number;
    readonly retryMaxAgeMs: number;
    readonly smtpTimeoutMs: number;
    readonly maxTransactionsPerConnection: number;
    /** Recipient domains or MX provider rollups that must be reached over STARTTLS. */
    readonly requireTls: readonly string[];
    /** Shaping policy as JSON (parsed and checked by the delivery role); undefined: defaults. */
    readonly shaping: string | undefined;
  };
  readonly events: { readonly batchSize: number; readonly flushMs: number; readonly ttlDays: number };
  readonly verp: { readonly prefix: string; readonly domain: string };
  readonly spool: { readonly dir: string; readonly thresholdBytes: number };
  readonly tracking: { readonly baseUrl: string | undefined; readonly scannerWindowMs: number };
  /** Directory of the built web console; default: the build inside this package (`admin-api/web/dist`). */
  readonly consoleDir: string | undefined;
  readonly webhooks: { readonly allowPrivate: boolean; readonly timeoutMs: number };
  readonly authLimits: { readonly perAddress: number; readonly perPrincipal: number; readonly windowMs: number };
  readonly redis: { readonly url: string | undefined; readonly prefix: string };
  readonly databaseUrl: string | undefined;
  readonly clickhouse: { readonly url: string | undefined; readonly database: string };
  readonly logLevel: z.infer<typeof envSchema>['BRIDGEMAIL_LOG_LEVEL'];
}

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
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const config: Config = {
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
      fblAddress: (e.BRIDGEMAIL_FBL_ADDRESS ?? `fbl@${e.BRIDGEMAIL_BOUNCE_DOMAIN ?? e.BRIDGEMAIL_HELO_NAME}`).toLowerCase(),
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
      copyThreads: e.BRIDGEMAIL_COPY_THREADS ?? Math.min(8, availableParallelism() - 1),
      thread: e.BRIDGEMAIL_DELIVERY_THREAD === undefined ? availableParallelism() > 1 : e.BRIDGEMAIL_DELIVERY_THREAD === '1' || e.BRIDGEMAIL_DELIVERY_THREAD === 'true',
      jobLockMs: e.BRIDGEMAIL_JOB_LOCK_MS,
      flushMs: e.BRIDGEMAIL_DELIVERY_FLUSH_MS,
      retryBaseMs: e.BRIDGEMAIL_RETRY_BASE_MS,
      retryMaxMs: e.BRIDGEMAIL_RETRY_MAX_MS,
      retryMaxAgeMs: e.BRIDGEMAIL_RETRY_MAX_AGE_MS,
      smtpTimeoutMs: e.BRIDGEMAIL_SMTP_TIMEOUT_MS,
      maxTransactionsPerConnection: e.BRIDGEMAIL_SMTP_MAX_TRANSACTIONS,
      shaping: e.BRIDGEMAIL_SHAPING,
      requireTls: (e.BRIDGEMAIL_REQUIRE_TLS ?? '').split(',').map((d) => d.trim().toLowerCase()).filter(Boolean),
    },
    events: { batchSize: e.BRIDGEMAIL_EVENTS_BATCH_SIZE, flushMs: e.BRIDGEMAIL_EVENTS_FLUSH_MS, ttlDays: e.BRIDGEMAIL_EVENTS_TTL_DAYS },
    verp: { prefix: e.BRIDGEMAIL_VERP_PREFIX, domain: (e.BRIDGEMAIL_BOUNCE_DOMAIN ?? e.BRIDGEMAIL_HELO_NAME).toLowerCase() },
    spool: {
      dir: resolve(e.BRIDGEMAIL_SPOOL_DIR ?? `${e.BRIDGEMAIL_DATA_DIR}/spool`),
      thresholdBytes: e.BRIDGEMAIL_SPOOL_THRESHOLD_BYTES,
    },
    tracking: { baseUrl: e.BRIDGEMAIL_TRACKING_BASE_URL, scannerWindowMs: e.BRIDGEMAIL_TRACKING_SCANNER_WINDOW_MS },
    consoleDir: e.BRIDGEMAIL_CONSOLE_DIR,
    webhooks: {
      allowPrivate: e.BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE === '1' || e.BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE === 'true',
      timeoutMs: e.BRIDGEMAIL_WEBHOOK_TIMEOUT_MS,
    },
    authLimits: {
      perAddress: e.BRIDGEMAIL_AUTH_FAIL_PER_ADDRESS,
      perPrincipal: e.BRIDGEMAIL_AUTH_FAIL_PER_PRINCIPAL,
      windowMs: e.BRIDGEMAIL_AUTH_FAIL_WINDOW_MS,
    },
    redis: { url: e.REDIS_URL, prefix: e.BRIDGEMAIL_REDIS_PREFIX },
    databaseUrl: e.DATABASE_URL,
    clickhouse: { url: e.CLICKHOUSE_URL, database: e.CLICKHOUSE_DATABASE },
    logLevel: e.BRIDGEMAIL_LOG_LEVEL,
  };
  return deepFreeze(config);
}

/** The configuration with secrets replaced, safe to print. */
export function redactConfig(config: Config): Record<string, unknown> {
  const hide = (v: string | undefined) => (v === undefined ? undefined : '[redacted]');
  return {
    ...config,
    adminToken: hide(config.adminToken),
    masterKey: hide(config.masterKey),
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
