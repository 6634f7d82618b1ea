import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, spawnRedisServer, type SpawnedRedis } from '../../core/index.js';
import { FREE_PORTS_ENV } from './free-ports.js';
import { startTestPostgres, type TestPostgres } from './postgres-server.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';

/**
 * What makes a `bridgemail start` child listen on free loopback ports and log at info level, so
 * that its URLs can be read from its log (`BridgemailProcess.url`).
 */
export const CHILD_LISTEN_ENV: Readonly<Record<string, string>> = {
  BRIDGEMAIL_HOST: '127.0.0.1',
  ...FREE_PORTS_ENV,
  BRIDGEMAIL_LOG_LEVEL: 'info',
};

/** The servers the processes of one multi-process test share, and the env that points a process at them. */
export interface SharedServers {
  /** A temp dir for the processes' data dirs; stop() removes it. */
  dir: string;
  /** The remote mail server every process delivers to (through `BRIDGEMAIL_MX_OVERRIDE`). */
  sink: SmtpSink;
  /**
   * The master key, the MX override and the HELO name; with `engines` (the default) also the
   * PostgreSQL and Redis URLs and a spool dir.
   */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts an SMTP sink and, unless `engines` is false (each process then runs embedded engines in
 * its own data dir), a PostgreSQL database (`startTestPostgres`) and a Redis: the server of
 * `REDIS_URL` when set, else a redis-server spawned in the temp dir.
 */
export async function startSharedServers(
  name: string,
  extraEnv: Record<string, string> = {},
  options: { engines?: boolean } = {},
): Promise<SharedServers> {
  const dir = await mkdtemp(join(tmpdir(), `bridgemail-${name}-`));
  let pg: TestPostgres | undefined;
  let redis: SpawnedRedis | undefined;
  let sink: SmtpSink | undefined;
  const stop = async () => {
    await sink?.close();
    await redis?.stop();
    await pg?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const env: Record<string, string> = {};
    if (options.engines !== false) {
      pg = await startTestPostgres();
      env.DATABASE_URL = pg.url;
      env.REDIS_URL =
        process.env.REDIS_URL ??
        (redis = await spawnRedisServer({ dir: join(dir, 'redis'), logger: createLogger({ level: 'silent' }) })).url;
      env.BRIDGEMAIL_SPOOL_DIR = join(dir, 'spool');
    }
    sink = await startSmtpSink();
    Object.assign(env, {
      BRIDGEMAIL_MASTER_KEY: randomBytes(32).toString('hex'),
      BRIDGEMAIL_MX_OVERRIDE: sink.mxOverride,
      BRIDGEMAIL_HELO_NAME: 'bridgemail.test',
      ...extraEnv,
    });
    return { dir, sink, env, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
