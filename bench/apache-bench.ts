/**
 * ApacheBench (`ab`, Debian package apache2-utils) as a load generator for `POST /v1/send`: C, one
 * thread, keep-alive, outside the platform's process, so the figures measure the platform rather
 * than a JavaScript HTTP client sharing its CPU. Loopback only.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian installs ab. */
export const AB = '/usr/bin/ab';

/** Installs apache2-utils unless ab is there (needs root); `apt-get update` only if the first try fails. */
export function ensureApacheBench(log: (line: string) => void = () => {}): void {
  if (existsSync(AB)) return;
  log('installing the Debian package apache2-utils (ab)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'apache2-utils'], {
      env,
      encoding: 'utf8',
      timeout: 600_000,
    });
  if (install().status !== 0) {
    spawnSync('apt-get', ['update'], { env, encoding: 'utf8', timeout: 600_000 });
    const second = install();
    if (second.status !== 0) throw new Error(`apt-get install apache2-utils failed: ${second.stderr}`);
  }
  if (!existsSync(AB)) throw new Error(`apache2-utils installed but ${AB} is missing`);
}

/** What one ab run reports, plus the CPU seconds it used (sampled from /proc while it ran). */
export interface AbResult {
  complete: number;
  /** Requests answered 2xx: the messages accepted. */
  accepted: number;
  /** Connection failures, short reads and non-2xx answers. */
  refused: number;
  cpuSeconds: number;
}

/** Options of {@link runApacheBench}. */
export interface AbOptions {
  url: string;
  apiKey: string;
  /** The JSON body of every request. */
  body: unknown;
  requests: number;
  concurrency: number;
  timeoutMs: number;
}

const field = (out: string, label: string) => Number(new RegExp(`^${label}:\\s+(\\d+)`, 'm').exec(out)?.[1] ?? 0);

/**
 * ab's CPU seconds from what bash's `times` printed after it (its children's user and system
 * time, the second line), instead of polling /proc from the process being measured.
 */
function childCpuSeconds(stderr: string): number {
  const lines = stderr.trim().split('\n');
  const seconds = (lines.at(-1) ?? '').match(/(\d+)m([\d.]+)s/g) ?? [];
  return seconds.reduce((sum, t) => {
    const [, m, s] = /(\d+)m([\d.]+)s/.exec(t) ?? [];
    return sum + Number(m) * 60 + Number(s);
  }, 0);
}

/** Sends `requests` identical POSTs with `concurrency` keep-alive connections and parses ab's report. */
export async function runApacheBench(options: AbOptions): Promise<AbResult> {
  const dir = await mkdtemp(join(tmpdir(), 'bridgemail-ab-'));
  try {
    const bodyFile = join(dir, 'body.json');
    await writeFile(bodyFile, JSON.stringify(options.body));
    const args = [
      '-q',
      '-k',
      '-n',
      String(options.requests),
      '-c',
      String(options.concurrency),
      '-s',
      String(Math.ceil(options.timeoutMs / 1000)),
    ];
    args.push('-p', bodyFile, '-T', 'application/json', '-H', `Authorization: Bearer ${options.apiKey}`, options.url);
    // bash runs ab, then `times` reports ab's CPU time on stderr.
    const script = '"$0" "$@"; rc=$?; times >&2; exit $rc';
    const { out, cpu } = await new Promise<{ out: string; cpu: number }>((resolve, reject) => {
      execFile(
        'bash',
        ['-c', script, AB, ...args],
        { timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 20 },
        (err, stdout, stderr) =>
          err
            ? reject(new Error(`ab failed: ${stderr || err.message}`, { cause: err }))
            : resolve({ out: stdout, cpu: childCpuSeconds(stderr) }),
      );
    });
    const complete = field(out, 'Complete requests');
    // ab counts answers whose length differs from the first one's as failed ("Length"): those are
    // 202s all the same, so only connection, receive and exception failures and non-2xx count.
    const failures = /\(Connect: (\d+), Receive: (\d+), Length: \d+, Exceptions: (\d+)\)/.exec(out);
    const lost = failures
      ? Number(failures[1]) + Number(failures[2]) + Number(failures[3])
      : field(out, 'Failed requests');
    const refused = lost + field(out, 'Non-2xx responses');
    return { complete, accepted: Math.max(0, complete - refused), refused, cpuSeconds: cpu };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
