/**
 * A private Postfix instance for benchmarks: its own config, queue and data directories under a
 * temp dir, SMTP on a free 127.0.0.1 port, relaying every message to one loopback port. It never
 * touches the system Postfix (`postfix -c DIR` for every command) and is stopped, and its
 * directory removed, by `stop()` or at process exit.
 */
import { execFile, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort, LOOPBACK, stopOnExit, waitForGreeting } from './postfix.js';

const run = promisify(execFile);
const POSTFIX = '/usr/sbin/postfix';

/** A private Postfix instance listening on 127.0.0.1 and relaying everything to one loopback port. */
export interface PrivatePostfix {
  /** Its SMTP port on 127.0.0.1. */
  port: number;
  /** The instance's root (config in `etc/`, queue in `spool/`, data in `data/`, log in `maillog`). */
  dir: string;
  /** Stops the instance (waits for its master to exit) and removes its directory. */
  stop(): Promise<void>;
}

/** Options of {@link startPrivatePostfix}. */
export interface PrivatePostfixOptions {
  /** Where every message goes: `relayhost = [127.0.0.1]:relayPort`. */
  relayPort: number;
  /**
   * Parallel deliveries to the relay host (`smtp_destination_concurrency_limit`).
   * @defaultValue 20
   */
  concurrency?: number;
  /**
   * Processes per service (`default_process_limit`).
   * @defaultValue 100
   */
  processLimit?: number;
}

/** main.cf of the private instance; a relay for 127.0.0.0/8 that delivers nothing locally. */
function mainCf(dir: string, port: number, o: Required<PrivatePostfixOptions>): string {
  return `# Private benchmark instance, written by bench/private-postfix.ts.
compatibility_level = 3.6
queue_directory = ${dir}/spool
data_directory = ${dir}/data
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-bench-${port}
maillog_file = ${dir}/maillog
maillog_file_prefixes = ${dir}
myhostname = postfix.bench.invalid
mydomain = bench.invalid
myorigin = $myhostname
mydestination =
local_recipient_maps =
relay_domains =
alias_maps =
alias_database =
relayhost = [${LOOPBACK}]:${o.relayPort}
inet_interfaces = ${LOOPBACK}
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
smtpd_tls_security_level = none
smtp_tls_security_level = none
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
biff = no
default_process_limit = ${o.processLimit}
smtp_destination_concurrency_limit = ${o.concurrency}
default_destination_concurrency_limit = ${o.concurrency}
`;
}

/** master.cf of the private instance: one SMTP listener on loopback, nothing chrooted. */
function masterCf(port: number): string {
  const services = [
    [`${LOOPBACK}:${port}`, 'inet', 'n', '-', 'n', '-', '-', 'smtpd'],
    ['pickup', 'unix', 'n', '-', 'n', '60', '1', 'pickup'],
    ['cleanup', 'unix', 'n', '-', 'n', '-', '0', 'cleanup'],
    ['qmgr', 'unix', 'n', '-', 'n', '300', '1', 'qmgr'],
    ['rewrite', 'unix', '-', '-', 'n', '-', '-', 'trivial-rewrite'],
    ['bounce', 'unix', '-', '-', 'n', '-', '0', 'bounce'],
    ['defer', 'unix', '-', '-', 'n', '-', '0', 'bounce'],
    ['trace', 'unix', '-', '-', 'n', '-', '0', 'bounce'],
    ['verify', 'unix', '-', '-', 'n', '-', '1', 'verify'],
    ['flush', 'unix', 'n', '-', 'n', '1000?', '0', 'flush'],
    ['proxymap', 'unix', '-', '-', 'n', '-', '-', 'proxymap'],
    ['smtp', 'unix', '-', '-', 'n', '-', '-', 'smtp'],
    ['relay', 'unix', '-', '-', 'n', '-', '-', 'smtp'],
    ['showq', 'unix', 'n', '-', 'n', '-', '-', 'showq'],
    ['error', 'unix', '-', '-', 'n', '-', '-', 'error'],
    ['retry', 'unix', '-', '-', 'n', '-', '-', 'error'],
    ['discard', 'unix', '-', '-', 'n', '-', '-', 'discard'],
    ['local', 'unix', '-', 'n', 'n', '-', '-', 'local'],
    ['anvil', 'unix', '-', '-', 'n', '-', '1', 'anvil'],
    ['scache', 'unix', '-', '-', 'n', '-', '1', 'scache'],
    // Writes maillog_file: no syslog daemon is needed.
    ['postlog', 'unix-dgram', 'n', '-', 'n', '-', '1', 'postlogd'],
  ];
  return `# Private benchmark instance, written by bench/private-postfix.ts.\n${services.map((s) => s.join('  ')).join('\n')}\n`;
}

/** Runs `postfix -c etc <args>`; throws with its output on failure. */
async function postfix(dir: string, ...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(POSTFIX, ['-c', join(dir, 'etc'), ...args], {
      timeout: 60_000,
      maxBuffer: 1 << 20,
    });
    return `${stdout}${stderr}`;
  } catch (err) {
    const detail = err instanceof Error && 'stderr' in err ? `${String(err.stderr)}` : String(err);
    throw new Error(`postfix ${args.join(' ')} failed: ${detail.trim()}`, { cause: err });
  }
}

/** The pid in the instance's master.pid, when its master is alive. */
async function masterPid(dir: string): Promise<number | undefined> {
  const text = await readFile(join(dir, 'spool', 'pid', 'master.pid'), 'latin1').catch(() => '');
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * Starts a private Postfix instance under a new temp dir: 127.0.0.1 on a free port, relaying
 * every message to `[127.0.0.1]:relayPort`, with its own disk queue (fsync per message, as in
 * production). Stopped by `stop()`, or at process exit if the caller never got that far.
 */
export async function startPrivatePostfix(options: PrivatePostfixOptions): Promise<PrivatePostfix> {
  const o: Required<PrivatePostfixOptions> = { concurrency: 20, processLimit: 100, ...options };
  const dir = await mkdtemp(join(tmpdir(), 'bridgemail-postfix-'));
  // Postfix daemons run as `postfix` and read etc/ and data/ by absolute path.
  await chmod(dir, 0o755);
  const port = await freePort();
  // etc/ and spool/ belong to root; `postfix start` creates data/ and the queue's subdirectories
  // with the owners and modes Postfix wants (post-install create-missing).
  await mkdir(join(dir, 'etc'));
  await mkdir(join(dir, 'spool'), { mode: 0o755 });
  await writeFile(join(dir, 'etc', 'main.cf'), mainCf(dir, port, o));
  await writeFile(join(dir, 'etc', 'master.cf'), masterCf(port));
  const configDir = join(dir, 'etc');
  const removeHook = stopOnExit(() => {
    spawnSync(POSTFIX, ['-c', configDir, 'abort'], { stdio: 'ignore', timeout: 20_000 });
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      const pid = await masterPid(dir);
      if (pid !== undefined) {
        await postfix(dir, 'stop')
          .catch(() => postfix(dir, 'abort'))
          .catch(() => undefined);
        // `postfix stop` only signals the master; wait (bounded) until it has gone.
        for (let i = 0; i < 100 && (await masterPid(dir)) !== undefined; i++) await sleep(100);
        if ((await masterPid(dir)) !== undefined) process.kill(pid, 'SIGKILL');
      }
    } finally {
      removeHook();
      await rm(dir, { recursive: true, force: true });
    }
  };
  try {
    // `start` runs Postfix's own integrity check first: no separate check / set-permissions.
    await postfix(dir, 'start');
    await waitForGreeting(port, 15_000, () => undefined);
  } catch (err) {
    const log = await readFile(join(dir, 'maillog'), 'utf8').catch(() => '');
    await stop().catch(() => undefined);
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}${log ? `\nmaillog:\n${log.slice(-2_000)}` : ''}`,
      { cause: err },
    );
  }
  return { port, dir, stop };
}
