import { describe, expect, it, onTestFailed } from 'vitest';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

// 192.0.2.0/24 (TEST-NET-1) is no address of this host: it is only ever a local bind address here,
// which fails with EADDRNOTAVAIL before anything is sent. Every connection goes to the loopback sink.
describe('Pool IPs this host cannot send from', () => {
  const h = useHarness();
  const ops = (path: string) => fetch(`http://127.0.0.1:${h.platform.ports.ops}${path}`);
  const logLines = () =>
    h.platform.logs
      .flatMap((chunk) => chunk.split('\n').filter(Boolean))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const sendTo = async (apiKey: string, to: string | string[]) => {
    const res = await h.platform.send(apiKey, { from: 'app@sender.test', to, subject: 'source ip', text: 'hello' });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const dumpLogsOnFailure = () =>
    onTestFailed(() => {
      console.error(
        h.platform.logs
          .filter((l) => /"level":(40|50)|source-ips|delivery attempt/.test(l))
          .slice(-40)
          .join(''),
      );
    });

  it('delivers every message of a Pool from the IPs this host has, and never tries the other', async () => {
    dumpLogsOnFailure();
    const pool = await h.platform.createPool('mixed', ['127.0.0.2', '192.0.2.10']);
    const bridge = await h.platform.createBridge('mixed-app', pool.id);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await sendTo(bridge.apiKey, `m${i}@example.test`));

    // Each message's first outcome, delivered or deferred, whichever comes first.
    const events = await waitFor(
      async () => {
        const rows = await h.platform.events('bridge_id = {b:String}', { b: bridge.id });
        const settled = new Set(
          rows.filter((e) => e.type === 'delivered' || e.type === 'deferred').map((e) => e.message_id),
        );
        return ids.every((id) => settled.has(id)) ? rows : undefined;
      },
      30_000,
      'an outcome for each of the 20 messages',
    );
    expect(events.filter((e) => e.type === 'deferred')).toEqual([]);
    expect(events.filter((e) => e.type === 'delivered')).toHaveLength(20);
    const received = h.sink.messages.filter((m) => m.to[0]?.startsWith('m'));
    expect(received).toHaveLength(20);
    expect(new Set(received.map((m) => m.remoteAddress))).toEqual(new Set(['127.0.0.2']));
    const attempts = logLines().filter((l) => l.msg === 'delivery attempt' && l.poolId === pool.id);
    expect(attempts.length).toBeGreaterThanOrEqual(20);
    expect(attempts.filter((l) => l.ip !== '127.0.0.2')).toEqual([]);
    // One error line for the IP, not one per message.
    const unbindable = logLines().filter(
      (l) => l.level === 50 && l.component === 'source-ips' && l.ip === '192.0.2.10',
    );
    expect(unbindable).toHaveLength(1);
    expect(await h.platform.stats(bridge.id)).toMatchObject({ sent: 20, delivered: 20 });
  });

  it('defers the mail of a Pool with no IP left, once per retry with SOURCE_IP_UNAVAILABLE, never counting it as sent', async () => {
    dumpLogsOnFailure();
    const pool = await h.platform.createPool('unbindable', ['192.0.2.11', '192.0.2.12']);
    const bridge = await h.platform.createBridge('unbindable-app', pool.id);
    const id = await sendTo(bridge.apiKey, ['x@example.test', 'y@example.test']);

    const events = await waitFor(
      async () => {
        const rows = await h.platform.events('message_id = {id:String}', { id });
        const perRecipient = ['x@example.test', 'y@example.test'].map(
          (r) => rows.filter((e) => e.type === 'deferred' && e.recipient === r).length,
        );
        return perRecipient.every((n) => n >= 3) ? rows : undefined;
      },
      30_000,
      'three deferrals of each recipient',
    );
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['queued', 'deferred']));
    for (const recipient of ['x@example.test', 'y@example.test']) {
      const deferred = events.filter((e) => e.type === 'deferred' && e.recipient === recipient);
      for (const d of deferred) expect(d).toMatchObject({ reason: 'SOURCE_IP_UNAVAILABLE', ip: '' });
      // Exactly one deferral per attempt, not one per IP of the Pool.
      expect(deferred.map((e) => e.attempt)).toEqual(deferred.map((_, i) => i + 1));
    }
    expect(h.sink.offers.has('x@example.test')).toBe(false);
    expect(await h.platform.stats(bridge.id)).toMatchObject({ sent: 0, delivered: 0 });

    // Not taken out of service (ingress and the other Pools still work): ready, degraded, naming the IPs.
    const ready = await ops('/readyz');
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('degraded');
    expect(body.checks).toMatchObject({ redis: 'ok', database: 'ok', clickhouse: 'ok' });
    for (const ip of ['192.0.2.10', '192.0.2.11', '192.0.2.12']) expect(body.checks['source-ips']).toContain(ip);
    expect(body.checks['source-ips']).toContain(pool.id);
    const metrics = await (await ops('/metrics')).text();
    expect(metrics).toMatch(/^bridgemail_pool_ips_unbindable\{roles="all"\} 3$/m);
  });

  it('answers Pool changes with a warning naming each IP this host does not have', async () => {
    const created = await h.platform.admin('POST', '/admin/v1/pools', {
      name: 'warned',
      ips: ['127.0.0.20', '192.0.2.20'],
    });
    expect(created.status).toBe(201);
    expect(created.body.warnings).toEqual([
      { code: 'IP_NOT_ON_HOST', ip: '192.0.2.20', message: expect.stringContaining('192.0.2.20') },
    ]);
    const id = created.body.id as string;
    const added = await h.platform.admin('POST', `/admin/v1/pools/${id}/ips`, { ip: '192.0.2.21' });
    expect(added.status).toBe(201);
    expect(added.body.warnings.map((w: { ip: string }) => w.ip)).toEqual(['192.0.2.20', '192.0.2.21']);
    const renamed = await h.platform.admin('PATCH', `/admin/v1/pools/${id}`, { name: 'warned-again' });
    expect(renamed.body.warnings.map((w: { ip: string }) => w.ip)).toEqual(['192.0.2.20', '192.0.2.21']);
    const weighed = await h.platform.admin('PATCH', `/admin/v1/pools/${id}/ips/192.0.2.21`, { weight: 0.5 });
    expect(weighed.body.warnings.map((w: { ip: string }) => w.ip)).toEqual(['192.0.2.20', '192.0.2.21']);
    const clean = await h.platform.admin('POST', '/admin/v1/pools', { name: 'clean', ips: ['127.0.0.21', '::1'] });
    expect(clean.status).toBe(201);
    expect(clean.body.warnings).toEqual([]);
  });
});
