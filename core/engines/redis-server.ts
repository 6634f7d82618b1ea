import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { freePort } from './free-port.js';

const SETPRIV = '/usr/bin/setpriv';

/** A redis-server process this platform started and owns. */
export interface SpawnedRedis {
  url: string;
  pid: number;
  /** Stops the server gracefully (AOF flushed) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Options of {@link spawnRedisServer}. */
export interface SpawnRedisOptions {
  /** Directory for the AOF, the pid file and the log. */
  dir: string;
  logger: Logger;
  /** @defaultValue 'redis-server' */
  binary?: string;
  /** @defaultValue 'everysec' */
  appendfsync?: 'always' | 'everysec' | 'no';
  /** A fixed loopback port (a restart on the same AOF and address); default: a free one. */
  port?: number;
}

/**
 * Starts the Debian `redis-server` on a free loopback port with AOF on, in `dir`.
 * A server left behind by a previous run in the same dir (e.g. after a crash) is stopped first,
 * so that two servers never share one AOF.
 */
export async function spawnRedisServer(options: SpawnRedisOptions): Promise<SpawnedRedis> {
  const { dir, logger } = options;
  await mkdir(dir, { recursive: true });
  await stopLeftover(join(dir, 'redis.pid'), logger);
  if (options.port !== undefined) return startOnPort(options, options.port);
  let lastError: unknown;
  for (let tries = 0; tries < 3; tries++) {
    const port = await freePort();
    try {
      return await startOnPort(options, port);
    } catch (err) {
      lastError = err;
      logger.warn({ err, port }, 'redis-server did not start, retrying on another port');
    }
  }
  throw lastError;
}

async function startOnPort(options: SpawnRedisOptions, port: number): Promise<SpawnedRedis> {
  const { dir } = options;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    options.appendfsync ?? 'everysec',
    '--save',
    '',
    '--daemonize',
    'no',
    '--pidfile',
    join(dir, 'redis.pid'),
    '--logfile',
    join(dir, 'redis.log'),
    '--maxmemory-policy',
    'noeviction',
  ];
  const binary = options.binary ?? 'redis-server';
  // With setpriv (util-linux), the server gets SIGTERM when this process dies, even by SIGKILL:
  // it then shuts down cleanly (AOF flushed) instead of living on as an orphan. In a process group
  // of its own (detached), a signal sent to ours (Ctrl-C in a terminal) reaches only this process,
  // which stops the server last, once nothing needs it any more.
  const spawnOptions = { stdio: 'ignore', detached: true } as const;
  const child = existsSync(SETPRIV)
    ? spawn(SETPRIV, ['--pdeathsig', 'SIGTERM', '--', binary, ...args], spawnOptions)
    : spawn(binary, args, spawnOptions);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  const url = `redis://127.0.0.1:${port}`;
  await Promise.race([
    waitForPing(url),
    spawnError,
    exited.then((code) => {
      throw new Error(`redis-server exited with code ${code} during start; see ${join(dir, 'redis.log')}`);
    }),
  ]);
  await writeFile(join(dir, 'redis.pid'), String(child.pid));
  return {
    url,
    pid: child.pid ?? -1,
    stop: () => stopChild(child, exited),
  };
}

async function waitForPing(url: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      // Loading a large AOF answers LOADING until done; PING succeeds only when ready.
      if ((await client.ping()) === 'PONG') return;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server at ${url} did not answer within 15 s`);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      client.disconnect();
    }
  }
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function stopLeftover(pidFile: string, logger: Logger): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes('redis-server')) {
    await rm(pidFile, { force: true });
    return;
  }
  logger.warn({ pid }, 'stopping a redis-server left behind by a previous run');
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (!(await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  process.kill(pid, 'SIGKILL');
}
