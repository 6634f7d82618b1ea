import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';

const BIN = resolve(import.meta.dirname, '../../bin/bridgemail.js');

interface Run {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

function startCli(dataDir: string): Run {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    BRIDGEMAIL_DATA_DIR: dataDir,
    BRIDGEMAIL_API_PORT: '0',
    BRIDGEMAIL_ADMIN_PORT: '0',
    BRIDGEMAIL_SMTP_PORT: '0',
    BRIDGEMAIL_SMTPS_PORT: '0',
    BRIDGEMAIL_MX_PORT: '0',
    BRIDGEMAIL_OPS_PORT: '0',
  };
  const child = spawn(process.execPath, [BIN, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = { child, stdout: [], stderr: [], exited: new Promise((r) => child.once('exit', (code) => r(code))) };
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

const logLines = (run: Run) => run.stdout.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
const line = (run: Run, msg: string) => logLines(run).find((l) => l.msg === msg);
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

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

  it('starts every role, logs one line per listener, and stops cleanly on SIGTERM', async () => {
    const run = startCli(dataDir);
    runs.push(run);
    await waitFor(() => line(run, 'ready'), 60_000, 'ready');
    for (const msg of ['send API listening', 'SMTP submission listening', 'SMTPS submission listening', 'admin API listening']) {
      expect(line(run, msg)?.url).toEqual(expect.any(String));
    }
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    expect(run.stderr.join('')).toContain(token);
    expect(run.stdout.join('\n')).not.toContain(token);
    const redisPid = Number(line(run, 'embedded redis-server started (AOF on)')?.redisPid);
    expect(redisPid, JSON.stringify(line(run, 'embedded redis-server started (AOF on)'))).toBeGreaterThan(0);
    expect(alive(redisPid)).toBe(true);

    const adminUrl = String(line(run, 'admin API listening')?.url);
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
    const run = startCli(dataDir);
    runs.push(run);
    await waitFor(() => line(run, 'ready'), 60_000, 'ready');
    expect(line(run, 'control-plane schema ready')?.applied).toEqual([]);
    expect(run.stderr.join('')).not.toContain('Admin token');
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const adminUrl = String(line(run, 'admin API listening')?.url);
    const pools = (await (await fetch(`${adminUrl}/pools`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
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
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(2);
    expect(stderr).toContain('BRIDGEMAIL_API_PORT');
    expect(stderr).toContain('BRIDGEMAIL_LOG_LEVEL');
  });
});
