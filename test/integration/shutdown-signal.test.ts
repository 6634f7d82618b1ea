import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FREE_PORTS_ENV } from '../support/free-ports.js';
import { waitFor } from '../support/wait.js';

const BIN = resolve(import.meta.dirname, '../../bin/bridgemail.js');

const alive = (pid: number) =>
  existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

/**
 * Ctrl-C in a terminal (or a supervisor signalling a process group) sends the signal to every
 * process of the group: the spawned redis-server must not be among them, or it would stop before
 * the workers that still need it and the shutdown would wait on Redis for ever.
 */
describe('bridgemail start stopped by a signal to its whole process group', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('closes every role, then the redis-server, and exits 0', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bridgemail-sigint-'));
    dirs.push(dataDir);
    const child = spawn(process.execPath, [BIN, 'start'], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        BRIDGEMAIL_DATA_DIR: dataDir,
        BRIDGEMAIL_CONSOLE_DIR: dataDir,
        BRIDGEMAIL_HELO_NAME: 'bridgemail.test',
        ...FREE_PORTS_ENV,
      },
      // A process group of its own, as a shell gives a foreground job.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.resume();
    // Complete lines only: the last one may still be arriving.
    const lines = () =>
      stdout
        .split('\n')
        .slice(0, -1)
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    try {
      await waitFor(() => lines().some((l) => l.msg === 'ready'), 120_000, 'ready');
      const redisPid = Number(lines().find((l) => l.msg === 'embedded redis-server started (AOF on)')?.redisPid);
      expect(alive(redisPid)).toBe(true);
      process.kill(-(child.pid ?? 0), 'SIGINT');
      expect(await exited).toBe(0);
      expect(lines().map((l) => l.msg)).toContain('stopped');
      expect(alive(redisPid)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 240_000);
});
