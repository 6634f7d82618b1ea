import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { describe, it, expect } from 'vitest';
import { envSchema } from './config-schema.js';
import { readConfigTable, renderConfigTable } from './config-table.js';
import { ConfigError, loadConfig, redactConfig } from './config.js';
import { DEFAULT_SHAPING_POLICY } from './shaping-policy.js';
import { FREE_PORTS_ENV } from '../test/support/free-ports.js';

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('applies every default to an empty environment', () => {
    const config = loadConfig({});
    expect(config.dataDir).toBe(resolve('./data'));
    expect(config.host).toBe('127.0.0.1');
    expect(config.publicHost).toBe('127.0.0.1');
    expect(config.ports).toEqual({ api: 8080, admin: 8081, smtp: 587, smtps: 465, mx: 25, ops: 9464 });
    expect(config.inbound).toEqual({
      maxBytes: 10 * 1024 * 1024,
      fblAddress: `fbl@${hostname().toLowerCase()}`,
      suppressionScope: 'bridge',
    });
    expect(config.adminToken).toBeUndefined();
    expect(config.masterKey).toBeUndefined();
    expect(config.tls).toEqual({ certPath: undefined, keyPath: undefined });
    expect(config.heloName).toBe(hostname());
    expect(config.limits).toEqual({
      maxMessageBytes: 25 * 1024 * 1024,
      maxRecipients: 50,
      smtpIdleTimeoutMs: 60_000,
      smtpSessionMaxMs: 600_000,
      smtpMaxClients: 5000,
    });
    expect(config.delivery).toEqual({
      mxOverride: undefined,
      concurrency: 50,
      queueBatchMax: 50,
      copyThreads: Math.min(8, availableParallelism() - 1),
      thread: availableParallelism() > 1,
      jobLockMs: 15_000,
      flushMs: 2,
      niceness: 10,
      retryBaseMs: 60_000,
      retryMaxMs: 3_600_000,
      retryMaxAgeMs: 48 * 3_600_000,
      smtpTimeoutMs: 60_000,
      maxTransactionsPerConnection: 100,
      shaping: DEFAULT_SHAPING_POLICY,
      requireTls: [],
    });
    expect(config.verp).toEqual({ prefix: 'bounces', domain: hostname().toLowerCase() });
    expect(config.spool).toEqual({ dir: resolve('./data/spool'), thresholdBytes: 64 * 1024 });
    expect(config.events).toEqual({ batchSize: 1000, flushMs: 1000, ttlDays: 0 });
    expect(config.redis).toEqual({ url: undefined, prefix: 'bm', eventShards: 1, waitReplicas: 0, waitMs: 500 });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.clickhouse).toEqual({ url: undefined, database: 'bridgemail' });
    expect(config.logLevel).toBe('info');
  });

  it('reads and coerces the values given', () => {
    const config = loadConfig({
      BRIDGEMAIL_DATA_DIR: '/srv/bridgemail',
      BRIDGEMAIL_HOST: '10.0.0.5',
      BRIDGEMAIL_API_PORT: '9000',
      BRIDGEMAIL_SMTP_PORT: '2525',
      BRIDGEMAIL_MAX_RECIPIENTS: '7',
      BRIDGEMAIL_REDIS_PREFIX: 'bm_test-1',
      BRIDGEMAIL_LOG_LEVEL: 'debug',
      BRIDGEMAIL_MX_OVERRIDE: '  *=127.0.0.1:2525  ',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(config.dataDir).toBe('/srv/bridgemail');
    expect(config.host).toBe('10.0.0.5');
    expect(config.publicHost).toBe('10.0.0.5');
    expect(config.ports.api).toBe(9000);
    expect(config.ports.smtp).toBe(2525);
    expect(config.limits.maxRecipients).toBe(7);
    expect(config.redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      prefix: 'bm_test-1',
      eventShards: 1,
      waitReplicas: 0,
      waitMs: 500,
    });
    expect(config.logLevel).toBe('debug');
    expect(config.delivery.mxOverride).toEqual(new Map([['*', [{ host: '127.0.0.1', port: 2525, priority: 0 }]]]));
  });

  it('parses lists, flags and the shaping policy at load', () => {
    const config = loadConfig({
      BRIDGEMAIL_REQUIRE_TLS: ' Example.com, ,gmail.com ',
      BRIDGEMAIL_DELIVERY_THREAD: '0',
      BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE: 'true',
      BRIDGEMAIL_SHAPING: '{ "ip": { "perSecond": 5 }, "destinations": { "Google.com": { "connections": 5 } } }',
    });
    expect(config.delivery.requireTls).toEqual(['example.com', 'gmail.com']);
    expect(config.delivery.thread).toBe(false);
    expect(config.webhooks.allowPrivate).toBe(true);
    expect(config.delivery.shaping.ip).toEqual({ perSecond: 5, connections: 50 });
    expect(config.delivery.shaping.destination).toEqual(DEFAULT_SHAPING_POLICY.destination);
    expect(config.delivery.shaping.destinations).toEqual({ 'google.com': { connections: 5 } });
    expect(loadConfig({ BRIDGEMAIL_DELIVERY_THREAD: '1' }).delivery.thread).toBe(true);
  });

  it('allows port 0 (any free port) for every listener', () => {
    // The tests' own setting for a platform on free ports: every listener's variable set to 0.
    const config = loadConfig(FREE_PORTS_ENV);
    expect(config.ports).toEqual({ api: 0, admin: 0, smtp: 0, smtps: 0, mx: 0, ops: 0 });
  });

  it('treats blank optional strings as unset', () => {
    const config = loadConfig({ BRIDGEMAIL_ADMIN_TOKEN: '   ', REDIS_URL: '', BRIDGEMAIL_PUBLIC_HOST: ' ' });
    expect(config.adminToken).toBeUndefined();
    expect(config.redis.url).toBeUndefined();
    expect(config.publicHost).toBe('127.0.0.1');
  });

  it('uses the machine hostname as public host when listening on 0.0.0.0, unless one is given', () => {
    expect(loadConfig({ BRIDGEMAIL_HOST: '0.0.0.0' }).publicHost).toBe(hostname());
    expect(loadConfig({ BRIDGEMAIL_HOST: '0.0.0.0', BRIDGEMAIL_PUBLIC_HOST: 'mail.example.com' }).publicHost).toBe(
      'mail.example.com',
    );
  });

  it('reports every bad key at once', () => {
    const err = configError({
      BRIDGEMAIL_API_PORT: 'abc',
      BRIDGEMAIL_SMTP_PORT: '70000',
      BRIDGEMAIL_ADMIN_PORT: '-1',
      BRIDGEMAIL_MAX_RECIPIENTS: '0',
      BRIDGEMAIL_REDIS_PREFIX: 'has space',
      BRIDGEMAIL_LOG_LEVEL: 'loud',
      CLICKHOUSE_DATABASE: '1bad',
    });
    expect(err.name).toBe('ConfigError');
    const keys = err.problems.map((p) => p.split(':')[0]);
    expect(keys.sort()).toEqual(
      [
        'BRIDGEMAIL_ADMIN_PORT',
        'BRIDGEMAIL_API_PORT',
        'BRIDGEMAIL_LOG_LEVEL',
        'BRIDGEMAIL_MAX_RECIPIENTS',
        'BRIDGEMAIL_REDIS_PREFIX',
        'BRIDGEMAIL_SMTP_PORT',
        'CLICKHOUSE_DATABASE',
      ].sort(),
    );
    expect(err.problems).toContain('BRIDGEMAIL_REDIS_PREFIX: letters, digits, _ and - only');
    for (const problem of err.problems) expect(err.message).toContain(problem);
  });

  it('reports a shaping policy that is not JSON, naming the variable', () => {
    const err = configError({ BRIDGEMAIL_SHAPING: '{ ip: 1' });
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(/^BRIDGEMAIL_SHAPING: not JSON \(/);
  });

  it('reports every bad key of a shaping policy with its path inside the variable', () => {
    const err = configError({
      BRIDGEMAIL_SHAPING: '{ "ip": { "perSecond": 0 }, "adaptive": { "patterns": ["("] }, "bogus": 1 }',
    });
    expect(err.problems).toHaveLength(3);
    expect(err.problems).toContainEqual(expect.stringMatching(/^BRIDGEMAIL_SHAPING: ip\.perSecond: /));
    expect(err.problems).toContainEqual('BRIDGEMAIL_SHAPING: adaptive.patterns.0: not a valid regular expression');
    expect(err.problems).toContainEqual(expect.stringMatching(/^BRIDGEMAIL_SHAPING: .*"bogus"/));
    expect(configError({ BRIDGEMAIL_SHAPING: '[1]' }).problems).toEqual([
      expect.stringMatching(/^BRIDGEMAIL_SHAPING: /),
    ]);
  });

  it('reports a bad MX override entry, naming the variable', () => {
    const err = configError({ BRIDGEMAIL_MX_OVERRIDE: 'example.test=127.0.0.1:2525,broken' });
    expect(err.problems).toEqual(['BRIDGEMAIL_MX_OVERRIDE: bad MX override entry "broken" (want domain=host:port)']);
  });

  it('reports bad structured values together with the other bad keys', () => {
    const err = configError({
      BRIDGEMAIL_SHAPING: '{',
      BRIDGEMAIL_MX_OVERRIDE: 'example.test=127.0.0.1:0',
      BRIDGEMAIL_DELIVERY_THREAD: 'yes',
      BRIDGEMAIL_API_PORT: 'abc',
    });
    const keys = err.problems.map((p) => p.split(':')[0]);
    expect(keys.sort()).toEqual([
      'BRIDGEMAIL_API_PORT',
      'BRIDGEMAIL_DELIVERY_THREAD',
      'BRIDGEMAIL_MX_OVERRIDE',
      'BRIDGEMAIL_SHAPING',
    ]);
  });

  it('refuses a non-integer port', () => {
    const err = configError({ BRIDGEMAIL_API_PORT: '80.5' });
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(/^BRIDGEMAIL_API_PORT: /);
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.ports)).toBe(true);
    expect(Object.isFrozen(config.delivery)).toBe(true);
    expect(Object.isFrozen(config.redis)).toBe(true);
    expect(() => {
      (config.ports as { api: number }).api = 1;
    }).toThrow(TypeError);
    expect(config.ports.api).toBe(8080);
  });
});

describe('redactConfig', () => {
  const config = loadConfig({
    BRIDGEMAIL_ADMIN_TOKEN: 'admin-secret',
    BRIDGEMAIL_MASTER_KEY: 'master-secret',
    REDIS_URL: 'redis://:redis-secret@redis.internal:6379/0',
    DATABASE_URL: 'postgres://app:db-secret@db.internal:5432/bridgemail',
    CLICKHOUSE_URL: 'http://default:ch-secret@ch.internal:8123',
  });

  it('hides tokens, keys and URL passwords but keeps the rest of each URL', () => {
    const redacted = redactConfig(config);
    const text = JSON.stringify(redacted);
    for (const secret of ['admin-secret', 'master-secret', 'redis-secret', 'db-secret', 'ch-secret']) {
      expect(text).not.toContain(secret);
    }
    expect(redacted.adminToken).toBe('[redacted]');
    expect(redacted.masterKey).toBe('[redacted]');
    expect(redacted.redis).toEqual({
      url: 'redis://:redacted@redis.internal:6379/0',
      prefix: 'bm',
      eventShards: 1,
      waitReplicas: 0,
      waitMs: 500,
    });
    expect(redacted.databaseUrl).toBe('postgres://app:redacted@db.internal:5432/bridgemail');
    expect(redacted.clickhouse).toEqual({ url: 'http://default:redacted@ch.internal:8123/', database: 'bridgemail' });
    expect(redacted.ports).toEqual(config.ports);
  });

  it('shows the MX override as its entries (a Map would print as {})', () => {
    const redacted = redactConfig(loadConfig({ BRIDGEMAIL_MX_OVERRIDE: 'example.test=127.0.0.1:2525' }));
    expect(JSON.parse(JSON.stringify(redacted.delivery))).toMatchObject({
      mxOverride: { 'example.test': [{ host: '127.0.0.1', port: 2525, priority: 0 }] },
    });
  });

  it('leaves unset secrets undefined and URLs without a password unchanged', () => {
    const redacted = redactConfig(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }));
    expect(redacted.adminToken).toBeUndefined();
    expect(redacted.masterKey).toBeUndefined();
    expect(redacted.redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      prefix: 'bm',
      eventShards: 1,
      waitReplicas: 0,
      waitMs: 500,
    });
    expect(redacted.databaseUrl).toBeUndefined();
  });

  it('does not echo an unparseable URL, which may hold a secret', () => {
    const redacted = redactConfig(loadConfig({ DATABASE_URL: 'not a url with secret' }));
    expect(redacted.databaseUrl).toBe('[unparseable url]');
  });

  it('does not alter the configuration it is given', () => {
    redactConfig(config);
    expect(config.adminToken).toBe('admin-secret');
    expect(config.redis.url).toBe('redis://:redis-secret@redis.internal:6379/0');
  });
});

describe('loadConfig empty values', () => {
  it('treats an empty variable as unset', () => {
    const config = loadConfig({ BRIDGEMAIL_API_PORT: '', BRIDGEMAIL_MAX_RECIPIENTS: ' ' });
    expect(config.ports.api).toBe(8080);
    expect(config.limits.maxRecipients).toBe(50);
  });
});

describe('the README configuration table', () => {
  it('is the table rendered from the schema', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    expect(readConfigTable(readme), 'README.md differs from envSchema: run `npm run docs:config`').toBe(
      renderConfigTable(),
    );
  });

  it('has a row for every variable, with the human text of computed defaults', () => {
    const rows = renderConfigTable().split('\n').slice(2);
    expect(rows.map((row) => /^\| `(\w+)` \|/.exec(row)?.[1])).toEqual(Object.keys(envSchema.shape));
    expect(rows).toContain(
      "| `BRIDGEMAIL_HELO_NAME` | the machine's host name | EHLO name and Message-ID domain (a warning at start when not fully qualified) |",
    );
    expect(rows).toContain('| `BRIDGEMAIL_MAX_MESSAGE_BYTES` | `26214400` (25 MB) | Largest accepted message |');
    expect(rows).toContain('| `REDIS_URL` | unset (spawn redis-server) | Use this Redis server instead |');
  });
});
