import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridgemailProcess, stopProcesses } from '../support/bridgemail-process.js';
import { CHILD_LISTEN_ENV, startSharedServers, type SharedServers } from '../support/shared-servers.js';
import { submissionTransport } from '../support/smtp-client.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { waitFor } from '../support/wait.js';

/**
 * Waits, when the current fixed window of `windowMs` ends within `marginMs`, until the next one has
 * begun: the limits' windows are aligned on the clock (Redis TIME, the same machine's clock here), so
 * a burst kept inside one window must be exactly the limit, not the limit plus the next window's.
 */
async function awayFromBoundary(windowMs: number, marginMs = 15_000): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 200));
}

const message = (to: string, text = 'limits') => ({ from: 'app@sender.test', to, subject: 'limits', text });

/**
 * Per-Bridge sending limits at ingress, with two ingress processes on one Redis: this process (every
 * role) and a child `bridgemail start --role ingress,analytics`, on shared Redis and PostgreSQL.
 */
describe('per-Bridge sending limits', () => {
  let servers: SharedServers;
  let platform: TestPlatform;
  let child: ChildProcess | undefined;
  let childApi = '';
  let poolId = '';

  beforeAll(async () => {
    servers = await startSharedServers('limits');
    platform = await startTestPlatform(servers.env);
    const second = await startBridgemailProcess('ingress,analytics', {
      ...servers.env,
      ...CHILD_LISTEN_ENV,
      BRIDGEMAIL_REDIS_PREFIX: platform.config.redis.prefix,
      BRIDGEMAIL_DATA_DIR: join(servers.dir, 'second-data'),
    });
    child = second.child;
    childApi = second.url('send API listening').replace(/\/v1\/send$/, '');
    poolId = (await platform.createPool('limits', ['127.0.0.2'])).id;
  }, 120_000);
  afterAll(async () => {
    await stopProcesses([child]);
    await platform?.stop();
    await servers?.stop();
  });

  const sendVia = (base: string, apiKey: string, body: unknown, path = '/v1/send') =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const delivered = (domain: string) => servers.sink.messages.filter((m) => m.to.some((t) => t.endsWith(`@${domain}`)));

  it('two ingress processes hold one perMinute limit together: 20 of 40 accepted, the rest 429 with Retry-After', async () => {
    const bridge = await platform.createBridge('two-processes', poolId, { limits: { perMinute: 20 } });
    expect(bridge.limits).toEqual({ perMinute: 20 });
    await awayFromBoundary(60_000);
    const results = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const res = await sendVia(i % 2 ? childApi : platform.urls.api, bridge.apiKey, message(`m${i}@two.test`));
        return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any };
      }),
    );
    const accepted = results.filter((r) => r.status === 202);
    const refused = results.filter((r) => r.status !== 202);
    expect(accepted).toHaveLength(20);
    expect(refused).toHaveLength(20);
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(r.body.error).toMatchObject({ code: 'BRIDGE_RATE_LIMITED', limit: 'perMinute' });
      expect(r.body.error.message).toContain('perMinute');
      const seconds = Number(r.retryAfter);
      expect(seconds).toBeGreaterThanOrEqual(1);
      expect(seconds).toBeLessThanOrEqual(60);
      expect(r.body.error.retryAfter).toBe(seconds);
    }
    // Every accepted message reaches the sink; none refused does.
    await waitFor(() => delivered('two.test').length >= 20, 30_000, '20 messages at the sink');
    const recipients = new Set(delivered('two.test').flatMap((m) => m.to));
    expect(recipients.size).toBe(20);
    const acceptedTo = results.flatMap((r, i) => (r.status === 202 ? [`m${i}@two.test`] : []));
    expect([...recipients].sort()).toEqual(acceptedTo.sort());

    const usage = await platform.admin('GET', `/admin/v1/bridges/${bridge.id}/usage`);
    expect(usage.status).toBe(200);
    expect(usage.body.windows).toEqual([
      { limit: 'perMinute', max: 20, used: 20, resetsAt: expect.stringMatching(/:00\.000Z$/) },
    ]);
    expect(usage.body.rateLimited).toEqual({ total: 20, today: 20, byLimit: { perMinute: 20 } });
    expect((await platform.stats(bridge.id)) as unknown).toMatchObject({ rateLimited: 20 });
    const metrics = await (await fetch(`http://127.0.0.1:${platform.ports.ops}/metrics`)).text();
    const line = metrics
      .split('\n')
      .find((l) => l.startsWith('bridgemail_bridge_rate_limited_total{') && l.includes(`bridge="${bridge.id}"`));
    expect(line).toContain('limit="perMinute"');
    expect(line).toMatch(/ 20$/);
  }, 90_000);

  it('refuses over SMTP with 452 4.7.1 at the end of DATA, and the refused message is not delivered', async () => {
    const bridge = await platform.createBridge('smtp-limited', poolId, { limits: { perDay: 1 } });
    await awayFromBoundary(86_400_000);
    const transport = submissionTransport(platform.ports.smtp, {
      user: bridge.smtp.username,
      pass: bridge.smtp.password,
    });
    try {
      await transport.sendMail({ from: 'app@sender.test', to: 'first@smtp-limit.test', subject: 's', text: '1' });
      const refused = await transport
        .sendMail({ from: 'app@sender.test', to: 'second@smtp-limit.test', subject: 's', text: '2' })
        .then(
          () => undefined,
          (err: unknown) => err as { responseCode?: number; response?: string; command?: string },
        );
      expect(refused?.responseCode).toBe(452);
      expect(refused?.response).toContain('4.7.1');
      expect(refused?.response).toContain('perDay');
      expect(refused?.command).toBe('DATA');
    } finally {
      transport.close();
    }
    await waitFor(() => delivered('smtp-limit.test').length === 1, 30_000, 'the accepted message at the sink');
    expect(delivered('smtp-limit.test')[0]?.to).toEqual(['first@smtp-limit.test']);
  }, 60_000);

  it('refuses batch items one by one over the limit and accepts the others', async () => {
    const bridge = await platform.createBridge('batch-limited', poolId, { limits: { perDay: 3 } });
    await awayFromBoundary(86_400_000);
    const res = await sendVia(
      childApi,
      bridge.apiKey,
      Array.from({ length: 5 }, (_, i) => message(`b${i}@batch-limit.test`)),
      '/v1/send/batch',
    );
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: any[] };
    expect(data.map((d) => d.index)).toEqual([0, 1, 2, 3, 4]);
    expect(data.filter((d) => typeof d.id === 'string')).toHaveLength(3);
    const refused = data.filter((d) => d.error);
    expect(refused).toHaveLength(2);
    for (const r of refused) {
      expect(r.error).toMatchObject({ code: 'BRIDGE_RATE_LIMITED', limit: 'perDay' });
      expect(r.error.retryAfter).toBeGreaterThan(0);
    }
    await waitFor(() => delivered('batch-limit.test').length === 3, 30_000, 'the 3 accepted batch items delivered');
  }, 60_000);

  it('gives the count back when the acceptance fails after the check (an idempotency conflict)', async () => {
    const bridge = await platform.createBridge('refunded', poolId, { limits: { perDay: 2 } });
    await awayFromBoundary(86_400_000);
    const keyed = (text: string) =>
      fetch(`${platform.urls.api}/v1/send`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${bridge.apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': 'refund-1',
        },
        body: JSON.stringify(message('r@refund.test', text)),
      });
    expect((await keyed('first')).status).toBe(202);
    // Same key, another body: refused by the idempotency claim, after the limit counted it.
    const conflict = await keyed('second');
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as any).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const usage = await platform.admin('GET', `/admin/v1/bridges/${bridge.id}/usage`);
    expect(usage.body.windows).toMatchObject([{ limit: 'perDay', max: 2, used: 1 }]);
    expect((await platform.send(bridge.apiKey, message('r2@refund.test'))).status).toBe(202);
    expect((await platform.send(bridge.apiKey, message('r3@refund.test'))).status).toBe(429);
  });

  it('never refuses a Bridge without limits', async () => {
    const bridge = await platform.createBridge('unlimited', poolId);
    expect(bridge.limits).toBeNull();
    const res = await sendVia(
      platform.urls.api,
      bridge.apiKey,
      Array.from({ length: 30 }, (_, i) => message(`u${i}@unlimited.test`)),
      '/v1/send/batch',
    );
    const { data } = (await res.json()) as { data: any[] };
    expect(data.filter((d) => typeof d.id === 'string')).toHaveLength(30);
    const usage = await platform.admin('GET', `/admin/v1/bridges/${bridge.id}/usage`);
    expect(usage.body).toEqual({ limits: null, windows: [], rateLimited: { total: 0, today: 0, byLimit: {} } });
  }, 60_000);

  it('a limit set by PATCH reaches the other ingress process, and null removes it', async () => {
    const bridge = await platform.createBridge('patched', poolId);
    // Both processes have the Bridge cached (no limits) before the change.
    for (const base of [platform.urls.api, childApi])
      expect((await sendVia(base, bridge.apiKey, message('warm@patched.test'))).status).toBe(202);
    await awayFromBoundary(3_600_000);
    const patched = await platform.admin('PATCH', `/admin/v1/bridges/${bridge.id}`, { limits: { perHour: 1 } });
    expect(patched.status).toBe(200);
    expect(patched.body.limits).toEqual({ perHour: 1 });
    // The announcement invalidates the child's cache: it soon refuses over the limit.
    const refusal = await waitFor(
      async () => {
        const res = await sendVia(childApi, bridge.apiKey, message('again@patched.test'));
        return res.status === 429 ? ((await res.json()) as any) : undefined;
      },
      10_000,
      'the child ingress refusing over the new limit',
    );
    expect(refusal.error).toMatchObject({ code: 'BRIDGE_RATE_LIMITED', limit: 'perHour' });
    const cleared = await platform.admin('PATCH', `/admin/v1/bridges/${bridge.id}`, { limits: null });
    expect(cleared.body.limits).toBeNull();
    await waitFor(
      async () => (await sendVia(childApi, bridge.apiKey, message('free@patched.test'))).status === 202,
      10_000,
      'the child ingress accepting once the limit is removed',
    );
  }, 60_000);

  it('refuses limits that are not positive integers, naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ perMinute: 0 }, 'limits.perMinute'],
      [{ perHour: 2.5 }, 'limits.perHour'],
      [{ perSecond: '10' }, 'limits.perSecond'],
      [{ perWeek: 5 }, 'limits.perWeek'],
    ];
    for (const [limits, field] of cases) {
      const res = await platform.admin('POST', '/admin/v1/bridges', { name: `bad-${field}`, poolId, limits });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field });
      expect(res.body.error.message).toContain(field);
    }
    const bridge = await platform.createBridge('valid-limits', poolId, { limits: {} });
    expect(bridge.limits).toBeNull();
    const res = await platform.admin('PATCH', `/admin/v1/bridges/${bridge.id}`, { limits: { perDay: -1 } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'limits.perDay' });
  });
});
