import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

const BIN = resolve(import.meta.dirname, '../../bin/bridgemail.js');

/** The value of one Prometheus sample, e.g. `bridgemail_events_total{type="delivered",ip="127.0.0.2"}`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.indexOf('}'));
    const got = Object.fromEntries([...body.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(line.slice(line.indexOf('}') + 1).trim());
  }
  return undefined;
}

describe('ops endpoints: health, readiness, Prometheus metrics', () => {
  // The first attempt to greylisted addresses is deferred, the second delivered.
  const h = useHarness({}, (rcpt, n) =>
    rcpt.startsWith('grey') && n === 1 ? { code: 451, message: '4.7.1 Greylisted, try again later' } : undefined,
  );
  const ops = (path: string) => fetch(`http://127.0.0.1:${h.platform.ports.ops}${path}`);

  it('answers /healthz and /readyz with every dependency checked', async () => {
    expect(h.platform.ports.ops).toBeGreaterThan(0);
    const health = await ops('/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', roles: ['all'] });
    const ready = await ops('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { redis: 'ok', database: 'ok', clickhouse: 'ok', 'source-ips': 'ok' },
    });
    expect((await ops('/nope')).status).toBe(404);
    expect((await ops('/metrics')).headers.get('content-type')).toMatch(/^text\/plain/);
  });

  it('counts deliveries by type and IP, deferrals by IP and domain, and shows queue depths and the event backlog', async () => {
    const pool = await h.platform.createPool('ops', ['127.0.0.2']);
    const bridge = await h.platform.createBridge('ops', pool.id);
    for (const to of ['a@ok.example', 'b@ok.example', 'grey@slow.example']) {
      expect(
        (await h.platform.send(bridge.apiKey, { from: 'app@sender.test', to, subject: 'ops', text: 'hi' })).status,
      ).toBe(202);
    }
    await waitFor(() => h.sink.messages.length >= 3, 30_000, 'three messages at the sink');
    const text = await waitFor(
      async () => {
        const t = await (await ops('/metrics')).text();
        return (sample(t, 'bridgemail_events_total', { type: 'delivered', ip: '127.0.0.2' }) ?? 0) >= 3 ? t : undefined;
      },
      30_000,
      'three delivered events counted',
    );
    expect(sample(text, 'bridgemail_events_total', { type: 'queued', ip: '' })).toBe(3);
    expect(sample(text, 'bridgemail_deferrals_total', { ip: '127.0.0.2', domain: 'slow.example' })).toBe(1);
    expect(sample(text, 'bridgemail_deferrals_total', { ip: '127.0.0.2', domain: 'ok.example' })).toBeUndefined();
    // The last job completes a moment after the pass that published its event: read the depths again until then.
    const depths = await waitFor(
      async () => {
        const t = await (await ops('/metrics')).text();
        const states = ['waiting', 'active', 'delayed', 'failed'];
        return states.every((state) => sample(t, 'bridgemail_queue_jobs', { queue: `pool-${pool.id}`, state }) === 0)
          ? t
          : undefined;
      },
      10_000,
      'the Pool queue empty',
    );
    for (const state of ['waiting', 'active', 'delayed', 'failed']) {
      expect(sample(depths, 'bridgemail_queue_jobs', { queue: `pool-${pool.id}`, state })).toBe(0);
    }
    expect(sample(text, 'bridgemail_queue_jobs', { queue: 'webhooks', state: 'waiting' })).toBe(0);
    expect(sample(text, 'bridgemail_event_backlog', { reader: 'analytics-writer', kind: 'pending' })).toEqual(
      expect.any(Number),
    );
    expect(text).toMatch(/^bridgemail_process_resident_memory_bytes\{roles="all"\} \d+/m);
    expect(text).toMatch(/^bridgemail_nodejs_eventloop_lag_p99_seconds\{roles="all"\}/m);
  });
});

describe('bridgemail start --role', () => {
  const run = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      const child = spawn(process.execPath, [BIN, 'start', ...args], {
        env: { PATH: process.env.PATH, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('close', (code) => done({ code, stdout, stderr }));
    });

  it('refuses an unknown role, and split roles without the shared servers they need', async () => {
    const unknown = await run(['--role', 'ingress,mailer'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown role "mailer"; roles are all, ingress, worker, analytics, admin');
    const dataDir = await mkdtemp(join(tmpdir(), 'bridgemail-role-'));
    try {
      const noServers = await run(['--role', 'admin'], { BRIDGEMAIL_DATA_DIR: dataDir, BRIDGEMAIL_OPS_PORT: '0' });
      expect(noServers.code).toBe(1);
      expect(noServers.stdout).toContain('role admin needs REDIS_URL and DATABASE_URL');
      const noClickHouse = await run(['--role', 'ingress,worker'], {
        BRIDGEMAIL_DATA_DIR: dataDir,
        BRIDGEMAIL_OPS_PORT: '0',
        REDIS_URL: 'redis://127.0.0.1:1',
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      });
      expect(noClickHouse.code).toBe(1);
      expect(noClickHouse.stdout).toContain(
        'role ingress,worker needs CLICKHOUSE_URL: embedded chDB serves the analytics process only',
      );
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
