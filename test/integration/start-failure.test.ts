import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestPlatform } from '../support/test-platform.js';

/** Pids of the redis-server processes spawned in `dataDir` (redis-server works in the dir of its AOF). */
function redisServersIn(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const command = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (command === 'redis-server' && readlinkSync(`/proc/${entry}/cwd`) === join(dataDir, 'redis')) {
        pids.push(Number(entry));
      }
    } catch {
      // The process ended while the list was read.
    }
  }
  return pids;
}

describe('a start that fails on its last listener', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  it('closes every role and engine it had started, and the data dir serves the next start', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bridgemail-start-failure-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => taken.close(r)));
    const port = (taken.address() as { port: number }).port;

    // The admin port comes after the engines, ingress and the worker have started.
    const failed = startTestPlatform(
      { BRIDGEMAIL_HOST: '127.0.0.1', BRIDGEMAIL_ADMIN_PORT: String(port) },
      { dataDir },
    );
    await expect(failed).rejects.toMatchObject({ code: 'EADDRINUSE', port });
    if (!process.env.REDIS_URL) expect(redisServersIn(dataDir)).toEqual([]);

    // The data dir lock is released and the engines start again on the same data.
    const platform = await startTestPlatform({}, { dataDir });
    expect(platform.ports.admin).toBeGreaterThan(0);
    if (!process.env.REDIS_URL) expect(redisServersIn(dataDir)).toHaveLength(1);
    await platform.stop();
    if (!process.env.REDIS_URL) expect(redisServersIn(dataDir)).toEqual([]);
  }, 240_000);
});
