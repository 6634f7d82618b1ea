/**
 * Postfix's own tools as benchmark baselines, on loopback only: installing the Debian package,
 * `smtp-sink` (a C sink that counts what it receives) and `smtp-source` (a C generator). The
 * private Postfix instance relaying to the sink is in private-postfix.ts.
 *
 * Nothing here touches the system Postfix: the package is installed with "No configuration", so
 * no daemon listens on port 25. Every child process is ended when this process exits (see
 * {@link stopOnExit}).
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

const SMTP_SINK = '/usr/sbin/smtp-sink';
const SMTP_SOURCE = '/usr/sbin/smtp-source';
const POSTFIX = '/usr/sbin/postfix';
/** The only address anything here listens on or sends to. */
export const LOOPBACK = '127.0.0.1';
/** The unprivileged user smtp-sink switches to (it refuses to run as root without `-u`). */
const SINK_USER = 'postfix';

// Children to end if this process exits early; cleared entry by entry as they are stopped.
const exitHooks = new Set<() => void>();
let exitHandlersInstalled = false;

/**
 * Registers a synchronous clean-up to run if the process exits (normally, on an uncaught error,
 * or on SIGINT / SIGTERM) before the caller removed it; returns the remover.
 */
export function stopOnExit(hook: () => void): () => void {
  if (!exitHandlersInstalled) {
    exitHandlersInstalled = true;
    const runAll = () => {
      for (const fn of [...exitHooks]) {
        exitHooks.delete(fn);
        try {
          fn();
        } catch {
          // Best effort at exit: the next hook must still run.
        }
      }
    };
    process.on('exit', runAll);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        runAll();
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
    }
  }
  exitHooks.add(hook);
  return () => exitHooks.delete(hook);
}

/**
 * Installs the Debian package `postfix` (which ships `smtp-sink` and `smtp-source`) unless
 * `smtp-sink` is already there. Preseeds "No configuration" so that no system Postfix is set up
 * or started; runs `apt-get update` only if the first install attempt fails. Needs root.
 */
export async function ensurePostfix(log: (line: string) => void = () => {}): Promise<void> {
  if (existsSync(SMTP_SINK) && existsSync(POSTFIX)) return;
  log('installing the Debian package postfix (No configuration: no system daemon)');
  const selections = [
    'postfix postfix/main_mailer_type select No configuration',
    'postfix postfix/mailname string bench.invalid',
    '',
  ].join('\n');
  const debconf = spawnSync('debconf-set-selections', { input: selections, encoding: 'utf8' });
  if (debconf.status !== 0) throw new Error(`debconf-set-selections failed: ${debconf.stderr}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    run('apt-get', ['install', '-y', '--no-install-recommends', 'postfix'], {
      env,
      maxBuffer: 64 << 20,
      timeout: 600_000,
    });
  try {
    await install();
  } catch {
    await run('apt-get', ['update'], { env, maxBuffer: 64 << 20, timeout: 600_000 });
    await install();
  }
  if (!existsSync(SMTP_SINK)) throw new Error(`postfix installed but ${SMTP_SINK} is missing`);
}

/** A free TCP port on 127.0.0.1 (free when asked; the caller binds it right away). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Resolves once something on 127.0.0.1:`port` answers an SMTP greeting (`220`); throws at the
 * deadline, or as soon as `exited()` returns why the server is gone.
 */
export async function waitForGreeting(
  port: number,
  timeoutMs: number,
  exited: () => string | undefined,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const why = exited();
    if (why !== undefined) throw new Error(why);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: LOOPBACK, port });
      const done = (result: boolean) => {
        socket.destroy();
        resolve(result);
      };
      socket.setTimeout(1_000, () => done(false));
      socket.once('error', () => done(false));
      socket.once('data', (chunk) => {
        socket.end('QUIT\r\n');
        done(chunk.toString('latin1').startsWith('220'));
      });
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing greeted on ${LOOPBACK}:${port} within ${timeoutMs} ms`);
}

/** A running `smtp-sink` and the number of messages it has received. */
export interface SmtpSink {
  port: number;
  /** Messages received so far (each completed DATA, whatever its recipients). */
  received(): number;
  /**
   * Resolves when `received()` reaches `count`, with the `performance.now()` of the update that
   * reached it, or with `undefined` at the deadline.
   */
  waitFor(count: number, deadline: number): Promise<number | undefined>;
  close(): Promise<void>;
}

/** Options of {@link startSmtpSink}. */
export interface SmtpSinkOptions {
  /**
   * Length of the listen queue (the `backlog` argument).
   * @defaultValue 1024
   */
  backlog?: number;
  /**
   * Simultaneous connections served (`-m`); more wait in the kernel's queue.
   * @defaultValue 1024
   */
  maxConnections?: number;
}

/**
 * Starts `smtp-sink` on 127.0.0.1 and a free port. It is counted through `-c`: the sink writes
 * `sess=N quit=N mesg=N\r` to stdout after each session, QUIT and final `.` (one small write,
 * no disk), and the last `mesg=` seen is the count. The pipe holds a few thousand updates, so
 * only an event loop stalled for seconds at thousands of msg/s could slow the sink down.
 */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const backlog = options.backlog ?? 1024;
  const maxConnections = options.maxConnections ?? 1024;
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await spawnSink(port, backlog, maxConnections);
    } catch (err) {
      // Another process may have taken the port between freePort() and the bind.
      if (attempt >= 3) throw err;
    }
  }
}

async function spawnSink(port: number, backlog: number, maxConnections: number): Promise<SmtpSink> {
  const args = [
    '-c',
    '-4',
    '-u',
    SINK_USER,
    '-h',
    'sink.bench.invalid',
    '-m',
    String(maxConnections),
    `${LOOPBACK}:${port}`,
    String(backlog),
  ];
  const child = spawn(SMTP_SINK, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const removeHook = stopOnExit(() => child.kill('SIGKILL'));
  let count = 0;
  let countedAt = 0;
  let tail = '';
  let stderr = '';
  let exit: string | undefined;
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('latin1');
  child.stdout.on('data', (chunk: string) => {
    // Only the last complete record matters; keep the unfinished one for the next chunk.
    const text = tail + chunk;
    const end = text.lastIndexOf('\r');
    tail = text.slice(end + 1).slice(-200);
    if (end < 0) return;
    const match = /mesg=(\d+)\s*$/.exec(text.slice(0, end));
    if (match?.[1] === undefined) return;
    count = Number(match[1]);
    countedAt = performance.now();
    for (const wake of waiters) wake();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2_000);
  });
  child.once('exit', (code, signal) => {
    exit = `smtp-sink exited (${signal ?? code}): ${stderr.trim()}`;
    removeHook();
    for (const wake of waiters) wake();
  });
  try {
    await waitForGreeting(port, 5_000, () => exit);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    port,
    received: () => count,
    async waitFor(target, deadline) {
      while (count < target && exit === undefined) {
        const left = deadline - performance.now();
        if (left <= 0) return undefined;
        let wake = () => {};
        const woken = new Promise<void>((resolve) => {
          wake = resolve;
        });
        waiters.add(wake);
        await Promise.race([woken, sleep(Math.min(left, 250))]);
        waiters.delete(wake);
      }
      return count >= target ? countedAt : undefined;
    },
    async close() {
      if (exit === undefined) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(2_000)]);
        if (exit === undefined) child.kill('SIGKILL');
      }
      removeHook();
    },
  };
}

/** Options of {@link runSmtpSource}. */
export interface SmtpSourceOptions {
  port: number;
  /** Messages to send (`-m`). */
  messages: number;
  /**
   * Parallel SMTP sessions (`-s`).
   * @defaultValue 20
   */
  sessions?: number;
  /**
   * Payload bytes per message, headers not included (`-l`).
   * @defaultValue 4096
   */
  size?: number;
  /**
   * Send every message of a session over one connection (`-d`), as a pooled client does.
   * @defaultValue true
   */
  reuseConnections?: boolean;
  /**
   * Kill the generator after this long.
   * @defaultValue 120000
   */
  timeoutMs?: number;
}

/**
 * Runs `smtp-source` against 127.0.0.1:`port` and resolves with its wall time in seconds once it
 * exits; rejects if it fails or times out.
 */
export async function runSmtpSource(options: SmtpSourceOptions): Promise<number> {
  const args = [
    '-4',
    ...((options.reuseConnections ?? true) ? ['-d'] : []),
    '-s',
    String(options.sessions ?? 20),
    '-m',
    String(options.messages),
    '-l',
    String(options.size ?? 4096),
    '-M',
    'source.bench.invalid',
    '-f',
    'bench@source.bench.invalid',
    '-t',
    'rcpt@sink.bench.invalid',
    '-S',
    'bench',
    `${LOOPBACK}:${options.port}`,
  ];
  const start = performance.now();
  try {
    await run(SMTP_SOURCE, args, { timeout: options.timeoutMs ?? 120_000, killSignal: 'SIGKILL', maxBuffer: 1 << 20 });
  } catch (err) {
    const detail = err instanceof Error && 'stderr' in err ? String(err.stderr).trim() : String(err);
    throw new Error(`smtp-source failed: ${detail}`, { cause: err });
  }
  return (performance.now() - start) / 1000;
}
