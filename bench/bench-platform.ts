/**
 * What the Bridgemail benchmarks share: the ~4 KB test message, a platform started in this
 * process that delivers every recipient domain to one loopback sink, and its two Bridges
 * (`plain`: no tracking, From a domain without a DKIM key; `tracked`: opens and clicks tracked,
 * From a DKIM domain).
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { startPlatform, type Platform } from '../cli/platform.js';
import { createLogger, loadConfig } from '../core/index.js';
import { FREE_PORTS_ENV } from '../test/support/free-ports.js';

/** Links in {@link orderHtml}; each one is rewritten when clicks are tracked. */
export const MESSAGE_LINKS = 10;

/** An HTML message of about 4 KB with {@link MESSAGE_LINKS} links. */
export function orderHtml(): string {
  const text = 'Thanks for your order. Your parcel is being prepared and will ship within two working days. ';
  const rows = Array.from(
    { length: MESSAGE_LINKS },
    (_, i) =>
      `<p style="font:15px/22px Arial,sans-serif;">${text.repeat(3)}<a href="https://shop.example/orders/${i}?utm_source=mail&amp;pos=${i}">Item ${i}</a></p>\n`,
  );
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Your order</title></head><body>\n${rows.join('')}</body></html>\n`;
}

/** From address of the `plain` Bridge: a domain without a signing key, so nothing is signed. */
export const PLAIN_FROM = 'shop@nokey.example';
/** From address of the `tracked` Bridge: `bench.example` has a DKIM key. */
export const TRACKED_FROM = 'shop@bench.example';

const created = z.object({ id: z.string() });
const bridgeSchema = created.extend({
  apiKey: z.string(),
  smtp: z.object({ username: z.string(), password: z.string() }),
});

/** A Bridge as the admin API created it: its REST key and SMTP credentials. */
export type BenchBridge = z.infer<typeof bridgeSchema>;

/** A platform running in this process, its Bridges, and how to stop it. */
export interface BenchPlatform {
  platform: Platform;
  /** Tracking off; send From {@link PLAIN_FROM}. */
  plain: BenchBridge;
  /** Opens and clicks tracked; send From {@link TRACKED_FROM} (DKIM-signed). */
  tracked: BenchBridge;
  /** `http://127.0.0.1:<port>/v1/send`. */
  sendUrl: string;
  /** `POST`s `body` to an admin route (`/admin/v1/…`), expecting 201. */
  adminPost(path: string, body: unknown): Promise<unknown>;
  /** Stops the platform and removes its data dir. */
  close(): Promise<void>;
}

/** Options of {@link startBenchPlatform}. */
export interface BenchPlatformOptions {
  /** The loopback port every recipient domain is delivered to (`BRIDGEMAIL_MX_OVERRIDE`). */
  sinkPort: number;
  /** Variables set beyond the defaults (`REDIS_CLUSTER_NODES` for bench/cluster.ts). */
  env?: Record<string, string>;
}

function pick(env: NodeJS.ProcessEnv, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.flatMap((k) => (env[k] === undefined ? [] : [[k, env[k] ?? '']])));
}

/**
 * Starts every role of Bridgemail in this process with its defaults, as `npx bridgemail start`
 * runs it, except for loopback ports chosen by the OS (the inbound MX too: never port 25), a temp
 * data dir and the MX override; logs are written at the default level to /dev/null (written, so
 * their cost is paid; not shown, so they do not bury the figures). Then creates a Pool on
 * 127.0.0.2, the two Bridges and the DKIM domain through the admin API.
 */
export async function startBenchPlatform(options: BenchPlatformOptions): Promise<BenchPlatform> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bridgemail-bench-'));
  const config = loadConfig({
    ...loopbackEnv(dataDir),
    BRIDGEMAIL_MX_OVERRIDE: `*=127.0.0.1:${options.sinkPort}`,
    ...(process.env.BENCH_LOG_LEVEL ? { BRIDGEMAIL_LOG_LEVEL: process.env.BENCH_LOG_LEVEL } : {}),
    // Settings under test when set in the environment (unset: the platform's defaults for this machine).
    ...pick(process.env, [
      'BRIDGEMAIL_DELIVERY_THREAD',
      'BRIDGEMAIL_COPY_THREADS',
      'BRIDGEMAIL_DELIVERY_FLUSH_MS',
      'BRIDGEMAIL_DELIVERY_CONCURRENCY',
      'BRIDGEMAIL_SHAPING',
      'BRIDGEMAIL_DELIVERY_NICENESS',
      'BRIDGEMAIL_QUEUE_BATCH_MAX',
    ]),
    ...options.env,
  });
  let platform: Platform;
  try {
    platform = await startPlatform(
      config,
      createLogger({ level: config.logLevel, destination: createWriteStream('/dev/null') }),
    );
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const close = async () => {
    await platform.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const admin = async <T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<T> => {
      const res = await fetch(`${platform.urls.admin}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${platform.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`admin ${path} answered ${res.status}: ${await res.text()}`);
      return schema.parse(await res.json());
    };
    const pool = await admin('/admin/v1/pools', { name: 'bench', ips: ['127.0.0.2'] }, created);
    const plain = await admin(
      '/admin/v1/bridges',
      { name: 'plain', poolId: pool.id, trackOpens: false, trackClicks: false },
      bridgeSchema,
    );
    const tracked = await admin(
      '/admin/v1/bridges',
      { name: 'tracked', poolId: pool.id, trackOpens: true, trackClicks: true },
      bridgeSchema,
    );
    await admin('/admin/v1/domains', { domain: TRACKED_FROM.slice(TRACKED_FROM.indexOf('@') + 1) }, created);
    const adminPost = (path: string, body: unknown) => admin(path, body, z.unknown());
    return { platform, plain, tracked, sendUrl: `${platform.urls.api}/v1/send`, adminPost, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Connections the benchmark clients reuse (keep-alive, up to 64 per host). The load generator
 * shares the machine with the platform, so it uses node:http directly: `fetch` (undici with web
 * streams) costs several times more CPU per request, which would be charged to the platform.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One JSON `POST` with a Bridge's API key; resolves with the parsed body, throws on a non-2xx. */
export async function postJson(
  url: string,
  apiKey: string,
  body: unknown,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<unknown> {
  const payload = Buffer.from(JSON.stringify(body));
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      agent,
      timeout: timeoutMs,
      headers: {
        ...headers,
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        'content-length': payload.length,
      },
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.end(payload);
  });
  if (status < 200 || status > 299) throw new Error(`HTTP ${status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

/** A platform's environment on loopback: every listener on a port the OS picks, data in `dataDir`. */
export function loopbackEnv(dataDir: string): Record<string, string> {
  return {
    BRIDGEMAIL_DATA_DIR: dataDir,
    BRIDGEMAIL_HOST: '127.0.0.1',
    ...FREE_PORTS_ENV,
  };
}
