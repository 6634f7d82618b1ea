import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../core/index.js';
import { startOpsServer, type OpsServer } from './ops-server.js';

describe('ops server', () => {
  let server: OpsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const start = async (checks: Parameters<typeof startOpsServer>[0]['checks']) => {
    server = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      logger: createLogger({ level: 'silent' }),
      roles: ['worker'],
      checks,
    });
    return (path: string, method = 'GET') => fetch(`http://127.0.0.1:${server?.port}${path}`, { method });
  };

  it('is not ready while a dependency fails or hangs, and says which', async () => {
    const get = await start([
      { name: 'redis', check: async () => 'PONG' },
      { name: 'database', check: () => Promise.reject(new Error('connection refused')) },
      { name: 'clickhouse', check: () => new Promise(() => {}) },
    ]);
    const res = await get('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'unavailable',
      checks: { redis: 'ok', database: 'connection refused', clickhouse: 'timed out' },
    });
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz', 'POST')).status).toBe(405);
  });

  it('stays ready but degraded while delivery cannot bind a Pool IP, naming it, with a gauge of such IPs', async () => {
    let unbindable = [{ ip: '192.0.2.10', poolIds: ['pool_a'], code: 'EADDRNOTAVAIL' }];
    let database = Promise.resolve<unknown>('ok');
    server = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      logger: createLogger({ level: 'silent' }),
      roles: ['worker'],
      checks: [{ name: 'database', check: () => database }],
      unbindableIps: () => unbindable,
    });
    const get = (path: string) => fetch(`http://127.0.0.1:${server?.port}${path}`);
    const degraded = await get('/readyz');
    expect(degraded.status).toBe(200);
    expect(await degraded.json()).toEqual({
      status: 'degraded',
      checks: { database: 'ok', 'source-ips': 'cannot bind 192.0.2.10 (EADDRNOTAVAIL; pool pool_a)' },
    });
    expect(await (await get('/metrics')).text()).toContain('bridgemail_pool_ips_unbindable{roles="worker"} 1');
    database = Promise.reject(new Error('connection refused'));
    database.catch(() => undefined);
    expect((await get('/readyz')).status).toBe(503);
    database = Promise.resolve('ok');
    unbindable = [];
    expect(await (await get('/readyz')).json()).toEqual({
      status: 'ready',
      checks: { database: 'ok', 'source-ips': 'ok' },
    });
    expect(await (await get('/metrics')).text()).toContain('bridgemail_pool_ips_unbindable{roles="worker"} 0');
  });

  it('counts events and caps the domain label set', async () => {
    const get = await start([]);
    server?.countEvents([
      {
        id: 'ev_1',
        ts: 1,
        type: 'deferred',
        messageId: 'm',
        bridgeId: 'b',
        poolId: 'p',
        ip: '127.0.0.2',
        recipient: 'x@Slow.Example',
      },
      {
        id: 'ev_2',
        ts: 2,
        type: 'delivered',
        messageId: 'm',
        bridgeId: 'b',
        poolId: 'p',
        ip: '127.0.0.2',
        recipient: 'x@slow.example',
      },
    ] as never);
    server?.countEvents(
      Array.from({ length: 600 }, (_, i) => ({
        id: `e${i}`,
        ts: 3,
        type: 'deferred',
        messageId: 'm',
        bridgeId: 'b',
        poolId: 'p',
        ip: '127.0.0.3',
        recipient: `r@d${i}.example`,
      })) as never,
    );
    const text = await (await get('/metrics')).text();
    expect(text).toContain('bridgemail_deferrals_total{ip="127.0.0.2",domain="slow.example",roles="worker"} 1');
    expect(text).toContain('bridgemail_events_total{type="delivered",ip="127.0.0.2",roles="worker"} 1');
    const domains = new Set(
      [...text.matchAll(/bridgemail_deferrals_total\{ip="127\.0\.0\.3",domain="([^"]+)"/g)].map((m) => m[1]),
    );
    expect(domains.size).toBe(500);
    expect(domains.has('other')).toBe(true);
  });
});
