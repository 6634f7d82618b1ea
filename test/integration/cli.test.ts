import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FREE_PORTS_ENV } from '../support/free-ports.js';
import { waitFor } from '../support/wait.js';

const BIN = resolve(import.meta.dirname, '../../bin/bridgemail.js');

interface Run {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

function startCli(dataDir: string, extraEnv: NodeJS.ProcessEnv = {}): Run {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    BRIDGEMAIL_DATA_DIR: dataDir,
    ...FREE_PORTS_ENV,
    ...extraEnv,
  };
  const child = spawn(process.execPath, [BIN, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = {
    child,
    stdout: [],
    stderr: [],
    exited: new Promise((r) => child.once('close', (code) => r(code))),
  };
  let pending = '';
  child.stdout?.on('data', (d: Buffer) => {
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    run.stdout.push(...lines);
  });
  child.stderr?.on('data', (d: Buffer) => run.stderr.push(d.toString()));
  return run;
}

/** Runs the command to its end with `env` as its whole environment. */
async function runCli(args: string[], env: NodeJS.ProcessEnv, nodeArgs: string[] = []) {
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('close', r));
  return { code, stdout, stderr };
}

// Preload that reports every module the process resolves, one `RESOLVED <url>` line on stderr.
const RESOLVE_PROBE = resolve(import.meta.dirname, '../support/resolve-probe.mjs');

const logLines = (run: Run) =>
  run.stdout.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
const line = (run: Run, msg: string) => logLines(run).find((l) => l.msg === msg);
const alive = (pid: number) =>
  existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

describe('the bridgemail command', () => {
  let dataDir: string;
  const runs: Run[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bridgemail-cli-'));
  });
  afterAll(async () => {
    for (const r of runs) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('--help prints the usage and exits 0 without loading the platform', async () => {
    const { code, stdout, stderr } = await runCli(['--help'], {}, ['--import', RESOLVE_PROBE]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^Usage: bridgemail start/);
    const loaded = stderr
      .split('\n')
      .filter((l) => l.startsWith('RESOLVED file:'))
      .map((l) => l.slice('RESOLVED '.length));
    const ours = loaded
      .filter((u) => !u.includes('/node_modules/'))
      .map((u) => u.slice(u.lastIndexOf('/', u.lastIndexOf('/') - 1) + 1));
    // Plain JavaScript only: not even tsx, let alone an engine, a server or a schema library.
    expect([...new Set(ours)].sort()).toEqual(['bin/bridgemail.js', 'bin/usage.js']);
    expect(loaded.filter((u) => u.includes('/node_modules/'))).toEqual([]);
  });

  it('without a command prints the usage on stderr and exits 2', async () => {
    const { code, stdout, stderr } = await runCli([], {});
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^Usage: bridgemail start/);
  });

  it('a port already taken: one line naming the variable to change, exit 2', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    const busyDir = await mkdtemp(join(tmpdir(), 'bridgemail-cli-busy-'));
    try {
      const { code, stderr, stdout } = await runCli(['start'], {
        BRIDGEMAIL_DATA_DIR: busyDir,
        BRIDGEMAIL_HOST: '127.0.0.1',
        BRIDGEMAIL_ADMIN_TOKEN: 'bm_admin_cli_test_token_0123456789',
        BRIDGEMAIL_CONSOLE_DIR: busyDir,
        BRIDGEMAIL_API_PORT: String(port),
        BRIDGEMAIL_ADMIN_PORT: '0',
        BRIDGEMAIL_SMTP_PORT: '0',
        BRIDGEMAIL_SMTPS_PORT: '0',
        BRIDGEMAIL_MX_PORT: '0',
        BRIDGEMAIL_OPS_PORT: '0',
      });
      expect(code).toBe(2);
      expect(stderr).toBe(`port 127.0.0.1:${port} is already in use: set BRIDGEMAIL_API_PORT to a free port\n`);
      expect(stdout).not.toContain('start failed');
    } finally {
      await new Promise((r) => taken.close(r));
      await rm(busyDir, { recursive: true, force: true });
    }
  });

  it('starts every role, logs one line per listener, and stops cleanly on SIGTERM', async () => {
    // A misspelt setting next to a credentials-file variable an app's shell may also hold.
    const run = startCli(dataDir, {
      BRIDGEMAIL_HELO_NAME: 'mailhost',
      BRIDGEMAIL_SMTP_TIMEOUT: '5000',
      BRIDGEMAIL_API_KEY: 'bm_not_read_here',
    });
    runs.push(run);
    await waitFor(() => line(run, 'ready'), 60_000, 'ready');
    for (const msg of [
      'send API listening',
      'SMTP submission listening',
      'SMTPS submission listening',
      'admin API listening',
    ]) {
      expect(line(run, msg)?.url).toEqual(expect.any(String));
    }
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    expect(run.stderr.join('')).toContain(token);
    expect(run.stdout.join('\n')).not.toContain(token);
    const redisPid = Number(line(run, 'embedded redis-server started (AOF on)')?.redisPid);
    expect(redisPid, JSON.stringify(line(run, 'embedded redis-server started (AOF on)'))).toBeGreaterThan(0);
    expect(alive(redisPid)).toBe(true);
    // A short host name as HELO (and so as bounce domain) is warned about, naming the variables,
    // and so is the misspelt setting, with the one it meant.
    const warned = logLines(run).filter((l) => l.level === 40 && typeof l.variable === 'string');
    expect(warned.map((l) => [l.variable, l.value ?? l.meant])).toEqual([
      ['BRIDGEMAIL_HELO_NAME', 'mailhost'],
      ['BRIDGEMAIL_BOUNCE_DOMAIN', 'mailhost'],
      ['BRIDGEMAIL_SMTP_TIMEOUT', 'BRIDGEMAIL_SMTP_TIMEOUT_MS'],
    ]);
    for (const w of warned) expect(String(w.msg)).toContain(String(w.variable));

    const adminUrl = String(line(run, 'admin API listening')?.url);
    // The console is served by a plain `bridgemail start` (built at start when missing).
    const page = await fetch(new URL('/', adminUrl));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const res = await fetch(`${adminUrl}/pools`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: 'kept', ips: ['127.0.0.2'] }),
    });
    expect(res.status).toBe(201);

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(line(run, 'stopped')).toBeDefined();
    expect(alive(redisPid)).toBe(false);
  });

  it('restarts on the same data dir: migrations are idempotent, data and token kept', async () => {
    const run = startCli(dataDir, { BRIDGEMAIL_HELO_NAME: 'mail.example.test' });
    runs.push(run);
    await waitFor(() => line(run, 'ready'), 60_000, 'ready');
    expect(line(run, 'control-plane schema ready')?.applied).toEqual([]);
    expect(run.stderr.join('')).not.toContain('Admin token');
    expect(
      logLines(run).filter((l) => typeof l.variable === 'string' && String(l.variable).startsWith('BRIDGEMAIL_')),
    ).toEqual([]);
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const adminUrl = String(line(run, 'admin API listening')?.url);
    const pools = (await (
      await fetch(`${adminUrl}/pools`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      data: { name: string }[];
    };
    expect(pools.data.map((p) => p.name)).toEqual(['kept']);

    // Killed without a chance to clean up: the spawned redis-server must not outlive it.
    const redisPid = Number(line(run, 'embedded redis-server started (AOF on)')?.redisPid);
    run.child.kill('SIGKILL');
    await run.exited;
    await waitFor(() => !alive(redisPid), 15_000, 'redis-server to stop after its parent died');
  });

  it('rejects an invalid configuration with every bad key named', async () => {
    const child = spawn(process.execPath, [BIN, 'start'], {
      env: { PATH: process.env.PATH, BRIDGEMAIL_API_PORT: 'eighty', BRIDGEMAIL_LOG_LEVEL: 'loud' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((r) => child.once('close', r));
    expect(code).toBe(2);
    expect(stderr).toContain('BRIDGEMAIL_API_PORT');
    expect(stderr).toContain('BRIDGEMAIL_LOG_LEVEL');
  });
});
