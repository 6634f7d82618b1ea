import { availableParallelism, hostname } from 'node:os';
import { z } from 'zod';
import { parseMxOverride } from './mx-override.js';
import { parseRedisNodes } from './redis-target.js';
import { parseShapingPolicy, shapingPolicyParser } from './shaping-policy.js';

declare module 'zod' {
  interface GlobalMeta {
    /** The default as the README's configuration table states it, where it is computed or unset. */
    defaultText?: string;
    /** Said after the default in the README's table, in parentheses: `25 MB`, `DNS`. */
    defaultNote?: string;
  }
}

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const flag = z.enum(['0', '1', 'false', 'true']).transform((v) => v === '1' || v === 'true');

/** A text turned into a value by `parse`; what `parse` throws is reported on the variable. */
function textParsedBy<T>(parse: (text: string) => T) {
  return z.string().transform((text, ctx): T => {
    try {
      return parse(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
      return z.NEVER;
    }
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
}

/**
 * Every environment variable Bridgemail reads, in the order of the README's configuration table:
 * its parsing, its default and, as `.describe()`, its meaning. `loadConfig` parses an environment
 * with it and `renderConfigTable` writes the README's table from it.
 */
export const envSchema = z.object({
  // Listeners and the names Bridgemail gives itself.
  BRIDGEMAIL_DATA_DIR: z
    .string()
    .default('./data')
    .describe('Data directory: embedded engines, master key, admin token, TLS certificate'),
  BRIDGEMAIL_HOST: z.string().default('127.0.0.1').describe('Bind address of every listener'),
  BRIDGEMAIL_PUBLIC_HOST: optionalString
    .describe('Host name shown in Bridge credentials')
    .meta({ defaultText: "the bind address (the machine's host name for `0.0.0.0`)" }),
  BRIDGEMAIL_API_PORT: port.default(8080).describe('Send API (`/v1/send`); `0` picks a free port'),
  BRIDGEMAIL_ADMIN_PORT: port.default(8081).describe('Admin API'),
  BRIDGEMAIL_SMTP_PORT: port.default(587).describe('SMTP submission, STARTTLS required before AUTH'),
  BRIDGEMAIL_SMTPS_PORT: port.default(465).describe('SMTP submission over implicit TLS'),
  BRIDGEMAIL_MX_PORT: port.default(25).describe('Inbound MX of the bounce domain (DSNs, feedback loops)'),
  BRIDGEMAIL_OPS_PORT: port.default(9464).describe('`/healthz`, `/readyz` and Prometheus `/metrics` (every process)'),
  BRIDGEMAIL_HELO_NAME: z
    .string()
    .default(hostname)
    .describe('EHLO name and Message-ID domain (a warning at start when not fully qualified)')
    .meta({ defaultText: "the machine's host name" }),

  // Secrets and certificates.
  BRIDGEMAIL_ADMIN_TOKEN: optionalString
    .describe('Bearer token of the admin API')
    .meta({ defaultText: 'generated into `<data>/admin-token`' }),
  BRIDGEMAIL_MASTER_KEY: optionalString
    .describe('32-byte key (64 hex digits or base64) encrypting stored secrets')
    .meta({ defaultText: 'generated into `<data>/master.key`' }),
  BRIDGEMAIL_TLS_CERT: optionalString
    .describe('PEM certificate file for the SMTP listeners')
    .meta({ defaultText: 'self-signed, generated into `<data>/tls`' }),
  BRIDGEMAIL_TLS_KEY: optionalString
    .describe('PEM private key file of `BRIDGEMAIL_TLS_CERT`')
    .meta({ defaultText: 'self-signed, generated into `<data>/tls`' }),

  // Submission (REST and SMTP ingress).
  BRIDGEMAIL_MAX_MESSAGE_BYTES: positiveInt
    .default(25 * 1024 * 1024)
    .describe('Largest accepted message')
    .meta({ defaultNote: '25 MB' }),
  BRIDGEMAIL_MAX_RECIPIENTS: positiveInt.default(50).describe('Most recipients per message'),
  BRIDGEMAIL_SMTP_IDLE_TIMEOUT_MS: positiveInt
    .default(60_000)
    .describe('SMTP submission: a silent session is closed (421)'),
  BRIDGEMAIL_SMTP_SESSION_MAX_MS: positiveInt
    .default(600_000)
    .describe('SMTP submission: longest session, however busy (slowly trickling clients)'),
  BRIDGEMAIL_SMTP_MAX_CLIENTS: positiveInt
    .default(5000)
    .describe('SMTP submission: concurrent sessions per port; beyond, 421'),
  BRIDGEMAIL_AUTH_FAIL_PER_ADDRESS: positiveInt
    .default(10)
    .describe(
      'Failed authentications per window from one address for one principal, or for principals that do not exist, before its further failures get 429 / 454',
    ),
  BRIDGEMAIL_AUTH_FAIL_PER_PRINCIPAL: positiveInt
    .default(20)
    .describe(
      'Failed authentications per window for one principal from two addresses or more before those addresses are refused unchecked',
    ),
  BRIDGEMAIL_AUTH_FAIL_WINDOW_MS: positiveInt.default(300_000).describe('Window of both counters'),

  // Delivery.
  BRIDGEMAIL_MX_OVERRIDE: textParsedBy(parseMxOverride)
    .optional()
    .describe('Test hook: `domain=host:port` pairs, `*` for any, e.g. `example.test=127.0.0.1:2526,*=127.0.0.1:2525`')
    .meta({ defaultNote: 'DNS' }),
  BRIDGEMAIL_DELIVERY_CONCURRENCY: positiveInt
    .default(50)
    .describe(
      'Concurrent deliveries per Pool queue per process (the messages of batch jobs count one each); connections stay capped by shaping (20 per IP and provider by default)',
    ),
  BRIDGEMAIL_JOB_LOCK_MS: positiveInt
    .min(1000)
    .max(600_000)
    .default(15_000)
    .describe(
      "A delivery job's lock, renewed while it runs; the jobs of a killed worker are taken up again within about twice this",
    ),
  BRIDGEMAIL_QUEUE_BATCH_MAX: positiveInt
    .max(1000)
    .default(50)
    .describe(
      'Most messages of one Pool, accepted in the same tick of the event loop, that share one queue job (`deliver-batch`); `1` gives every message a job of its own',
    ),
  BRIDGEMAIL_DELIVERY_THREAD: flag
    .default(() => availableParallelism() > 1)
    .describe('Run delivery on its own worker thread (`0`: on the main thread)')
    .meta({ defaultText: '`1` with more than one core' }),
  BRIDGEMAIL_DELIVERY_NICENESS: z.coerce
    .number()
    .int()
    .min(0)
    .max(19)
    .default(10)
    .describe(
      'How much lower than the rest of the process the delivery and copy threads are scheduled (Linux `nice`): when the cores are busy, accepting mail, whose client is waiting, goes first and queued work waits. `0`: the same priority',
    ),
  BRIDGEMAIL_DELIVERY_FLUSH_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(100)
    .default(2)
    .describe(
      'On a delivery thread, the shortest time between two of its batched Redis writes (events, progress marks, lease releases) and copy requests; under load they are gathered meanwhile. `0`: flush every loop turn',
    ),
  BRIDGEMAIL_COPY_THREADS: z.coerce
    .number()
    .int()
    .min(0)
    .max(64)
    .default(() => Math.min(8, availableParallelism() - 1))
    .describe(
      "Worker threads making each recipient's copy (tracking rewrite + DKIM signature); `0` makes copies on the main thread",
    )
    .meta({ defaultText: 'cores − 1 (at most 8)' }),
  BRIDGEMAIL_RETRY_BASE_MS: positiveInt.default(60_000).describe('First retry delay; doubles each attempt'),
  BRIDGEMAIL_RETRY_MAX_MS: positiveInt.default(3_600_000).describe('Longest delay between attempts'),
  BRIDGEMAIL_RETRY_MAX_AGE_MS: positiveInt
    .default(48 * 3_600_000)
    .describe('After this, deferred recipients bounce with reason `expired`')
    .meta({ defaultNote: '48 h' }),
  BRIDGEMAIL_SMTP_TIMEOUT_MS: positiveInt
    .default(60_000)
    .describe('Connect, greeting and idle timeout towards MX hosts'),
  BRIDGEMAIL_SMTP_MAX_TRANSACTIONS: positiveInt
    .default(100)
    .describe('Transactions per outbound connection before it is retired'),
  BRIDGEMAIL_REQUIRE_TLS: optionalString
    .transform((list) =>
      (list ?? '')
        .split(',')
        .map((d) => d.trim().toLowerCase())
        .filter(Boolean),
    )
    .describe('Comma-separated recipient domains or MX providers that must be reached over STARTTLS')
    .meta({ defaultText: 'unset' }),
  BRIDGEMAIL_SHAPING: textParsedBy(parseJson)
    .pipe(shapingPolicyParser)
    .default(() => parseShapingPolicy({}))
    .describe(
      'Shaping policy, JSON: `{ "ip": { "perSecond", "perHour", "connections" }, "destination": { "perSecond", "connections" }, "destinations": { "google.com": {…} }, "adaptive": {…} }`; rates only where set (see Shaping defaults)',
    )
    .meta({ defaultText: 'no rate limit; 50 connections per IP, 20 per (IP, provider); adaptive backoff on' }),
  BRIDGEMAIL_SPOOL_DIR: optionalString
    .describe('Where large bodies wait for delivery')
    .meta({ defaultText: '`<data>/spool`' }),
  BRIDGEMAIL_SPOOL_THRESHOLD_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(64 * 1024)
    .describe('Bodies larger than this are spooled instead of kept in Redis'),

  // Bounces and feedback loops.
  BRIDGEMAIL_BOUNCE_DOMAIN: optionalString
    .describe("Domain of VERP return paths (its MX should be Bridgemail's inbound MX)")
    .meta({ defaultText: 'the HELO name' }),
  BRIDGEMAIL_VERP_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,15}$/, 'lower-case letters, digits, . _ -')
    .default('bounces')
    .describe('Local-part prefix of VERP return paths'),
  BRIDGEMAIL_MX_MAX_BYTES: positiveInt.default(10 * 1024 * 1024).describe('Largest report the inbound MX accepts'),
  BRIDGEMAIL_FBL_ADDRESS: optionalString
    .describe('Address feedback-loop (ARF) reports are sent to')
    .meta({ defaultText: '`fbl@<bounce domain>`' }),
  BRIDGEMAIL_SUPPRESSION_SCOPE: z
    .enum(['bridge', 'account'])
    .default('bridge')
    .describe("Hard bounces and complaints suppress for the message's Bridge (`bridge`) or every Bridge (`account`)"),

  // Events, tracking, console and webhooks.
  BRIDGEMAIL_EVENTS_BATCH_SIZE: positiveInt.default(1000).describe('Most events per ClickHouse insert'),
  BRIDGEMAIL_EVENTS_FLUSH_MS: positiveInt.default(1000).describe('Longest wait before inserting a partial batch'),
  BRIDGEMAIL_EVENTS_TTL_DAYS: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Raw events older than this are dropped by ClickHouse; the per-minute aggregates stay')
    .meta({ defaultNote: 'keep' }),
  BRIDGEMAIL_TRACKING_BASE_URL: optionalString
    .describe("Base URL of the open/click endpoints (a Bridge's `trackingBaseUrl` overrides it)")
    .meta({ defaultText: "the send API's public URL" }),
  BRIDGEMAIL_TRACKING_SCANNER_WINDOW_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(10_000)
    .describe('Clicks sooner than this after sending count as link scanners'),
  BRIDGEMAIL_CONSOLE_DIR: optionalString
    .describe('Directory of the built web console served at `/` on the admin port')
    .meta({ defaultText: '`admin-api/web/dist`' }),
  BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE: flag
    .default(false)
    .describe('`1` allows webhook URLs on private or loopback addresses (tests)')
    .meta({ defaultText: '`0`' }),
  BRIDGEMAIL_WEBHOOK_TIMEOUT_MS: positiveInt.default(10_000).describe('Timeout of one webhook delivery'),

  // Engines and logs.
  BRIDGEMAIL_REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,40}$/, 'letters, digits, _ and - only')
    .default('bm')
    .describe('Prefix of every Redis key (queues, events, pub/sub)'),
  BRIDGEMAIL_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino level: `fatal` … `trace`, or `silent`'),
  REDIS_URL: optionalString.describe('Use this Redis server instead').meta({ defaultNote: 'spawn redis-server' }),
  REDIS_CLUSTER_NODES: textParsedBy(parseRedisNodes)
    .optional()
    .describe(
      'Run on this Redis Cluster instead (`host:port,host:port,…`, some of its nodes); not with `REDIS_URL` or `REDIS_SENTINELS`',
    )
    .meta({ defaultText: 'unset' }),
  REDIS_SENTINELS: textParsedBy(parseRedisNodes)
    .optional()
    .describe('Run on the Sentinel-managed primary `REDIS_SENTINEL_NAME`, asking these sentinels (`host:port,…`)')
    .meta({ defaultText: 'unset' }),
  REDIS_SENTINEL_NAME: optionalString.describe('Name of the primary the sentinels of `REDIS_SENTINELS` watch'),
  BRIDGEMAIL_EVENT_SHARDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(1)
    .describe('Event streams the events are spread over (by message id); more spread them over a cluster'),
  BRIDGEMAIL_REDIS_WAIT_REPLICAS: z.coerce
    .number()
    .int()
    .min(0)
    .max(16)
    .default(0)
    .describe(
      'Replicas that must hold an accepted message before the 202 / 250 (Redis `WAIT`), so a failover loses none; for `REDIS_SENTINELS`, `REDIS_CLUSTER_NODES` or a `REDIS_URL` with replicas',
    ),
  BRIDGEMAIL_REDIS_WAIT_MS: positiveInt
    .max(60_000)
    .default(500)
    .describe(
      'Longest wait for those replicas; past it the message is accepted held by the primary only (logged, counted in `/metrics`)',
    ),
  DATABASE_URL: optionalString.describe('Use this PostgreSQL server instead').meta({ defaultNote: 'PGlite' }),
  CLICKHOUSE_URL: optionalString
    .describe('Use this ClickHouse server (25.5 or later) instead (`http://user:pass@host:8123`)')
    .meta({ defaultNote: 'chDB' }),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/)
    .default('bridgemail')
    .describe('ClickHouse database of the events table'),
  BRIDGEMAIL_SQL_PORT: port
    .optional()
    .describe(
      'Read-only ClickHouse HTTP interface for analysts over embedded chDB (the analytics process; analyst credentials from `POST /admin/v1/analysts`); `0` picks a free port; off with `CLICKHOUSE_URL`',
    )
    .meta({ defaultText: 'off' }),
  BRIDGEMAIL_SQL_MAX_EXECUTION_SECONDS: positiveInt.default(30).describe('SQL endpoint: longest query, seconds'),
  BRIDGEMAIL_SQL_MAX_ROWS_TO_READ: positiveInt.default(100_000_000).describe('SQL endpoint: most rows a query reads'),
  BRIDGEMAIL_SQL_MAX_RESULT_ROWS: positiveInt.default(1_000_000).describe('SQL endpoint: most rows a result holds'),
  BRIDGEMAIL_SQL_MAX_RESULT_BYTES: positiveInt
    .default(100 * 1024 * 1024)
    .describe('SQL endpoint: largest result, bytes')
    .meta({ defaultNote: '100 MB' }),
});

/** The environment as {@link envSchema} parses it: every variable typed, defaults filled in. */
export type ParsedEnv = z.output<typeof envSchema>;
