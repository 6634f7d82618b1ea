import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedPort } from '../support/refused-port.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { waitFor } from '../support/wait.js';

/**
 * MX failover, per-IP rate limits held at the sink, and adaptive backoff that suspends only the
 * (IP, provider) that asked for it. Two sinks on two loopback addresses are two "providers".
 */
describe('delivery engine: MX failover, shaping, adaptive backoff', () => {
  let primary: SmtpSink; // 127.0.0.1: answers "421 4.7.0 try again later" to slow-* recipients once
  let other: SmtpSink; // 127.0.0.9: always accepts
  let plainOnly: SmtpSink; // 127.0.0.10: no STARTTLS
  let greeter421: import('node:net').Server;
  let platform: TestPlatform;
  let bridge: any;

  beforeAll(async () => {
    primary = await startSmtpSink((rcpt, n) =>
      rcpt.startsWith('slow') && n === 1
        ? { code: 421, message: '4.7.0 Too many messages, try again later' }
        : undefined,
    );
    other = await startSmtpSink(undefined, '127.0.0.9');
    plainOnly = await startSmtpSink(undefined, '127.0.0.10', { starttls: false });
    // A server that greets with 421 and hangs up (RFC 5321 §3.1): the client must try the next MX.
    const { createServer } = await import('node:net');
    greeter421 = createServer((socket) => socket.end('421 4.3.2 Service not available, closing channel\r\n'));
    await new Promise<void>((resolve) => greeter421.listen(0, '127.0.0.1', () => resolve()));
    const closedPort = await refusedPort();
    const greeterPort = (greeter421.address() as import('node:net').AddressInfo).port;
    platform = await startTestPlatform({
      BRIDGEMAIL_MX_OVERRIDE: [
        `refused.test=127.0.0.1:${closedPort}`,
        `refused.test=127.0.0.1:${primary.port}`,
        `greet421.test=127.0.0.1:${greeterPort}`,
        `greet421.test=127.0.0.1:${primary.port}`,
        `other.test=127.0.0.9:${other.port}`,
        `tls-required.test=127.0.0.10:${plainOnly.port}`,
        `tls-optional.test=127.0.0.10:${plainOnly.port}`,
        `tls-offered.test=127.0.0.1:${primary.port}`,
        `*=127.0.0.1:${primary.port}`,
      ].join(','),
      BRIDGEMAIL_RETRY_BASE_MS: '300',
      BRIDGEMAIL_REQUIRE_TLS: 'tls-required.test,tls-offered.test',
      BRIDGEMAIL_SHAPING: JSON.stringify({
        ip: { perSecond: 4, connections: 50 },
        destination: { perSecond: 1000, connections: 50 },
        adaptive: { suspendMs: 3000 },
      }),
    });
    const pool = await platform.createPool('engine', ['127.0.0.2']);
    bridge = await platform.createBridge('engine', pool.id);
  });
  afterAll(async () => {
    await platform?.stop();
    await primary?.close();
    await other?.close();
    await plainOnly?.close();
    await new Promise<void>((resolve) => greeter421?.close(() => resolve()));
  });

  const send = async (to: string) => {
    const res = await platform.send(bridge.apiKey, { from: 'app@sender.test', to, subject: 's', text: 't' });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };

  it('fails over to the next MX when the first refuses connections or greets with 421', async () => {
    await send('a@refused.test');
    await send('b@greet421.test');
    await waitFor(
      () => primary.messages.some((m) => m.to.includes('a@refused.test')),
      20_000,
      'delivery via MX 2 (refused)',
    );
    await waitFor(
      () => primary.messages.some((m) => m.to.includes('b@greet421.test')),
      20_000,
      'delivery via MX 2 (421 greeting)',
    );
  });

  it('holds the per-IP rate: 12 messages at 4/s take at least 2 s at the sink', async () => {
    const before = primary.messages.length;
    for (let i = 0; i < 12; i++) await send(`rate-${i}@rate.test`);
    const got = await waitFor(
      () => {
        const arrived = primary.messages.slice(before).filter((m) => m.to[0]?.startsWith('rate-'));
        return arrived.length === 12 ? arrived : undefined;
      },
      30_000,
      '12 rate-limited messages',
    );
    const times = got.map((m) => m.receivedAt).sort((a, b) => a - b);
    // Token bucket of 4/s with a burst of 4: 12 messages need at least (12 - 4) / 4 = 2 s.
    // (1.4 s, not 2: the first copies may reach the sink late, over new connections on a busy machine.)
    expect(times[times.length - 1]! - times[0]!).toBeGreaterThanOrEqual(1400);
    // No one-second window holds more than rate + burst.
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(8);
  });

  it('suspends only the (IP, provider) that answered "try again later"; another provider keeps flowing', async () => {
    const slowId = await send('slow-1@slow.test');
    const [deferral] = await waitFor(
      async () => {
        const found = await platform.events("message_id = {id:String} AND type = 'deferred'", { id: slowId });
        return found.length > 0 ? found : undefined;
      },
      20_000,
      'deferral',
    );
    // ClickHouse gives the event's time in UTC without a zone.
    const deferredAt = Date.parse(`${String(deferral.ts).replace(' ', 'T')}Z`);
    expect(deferredAt).toBeGreaterThan(0);
    // The same provider is now suspended (3 s): a new message to it waits (throttled, no attempt).
    await send('slow-2@slow.test');
    await send('fast-1@other.test');
    const fast = await waitFor(
      () => other.messages.find((m) => m.to.includes('fast-1@other.test')),
      20_000,
      'other provider delivered',
    );
    const slow2 = await waitFor(
      () => primary.messages.find((m) => m.to.includes('slow-2@slow.test')),
      20_000,
      'suspended provider resumes',
    );
    expect(fast.receivedAt).toBeLessThan(slow2.receivedAt);
    expect(slow2.receivedAt - deferredAt).toBeGreaterThanOrEqual(2500);
    // The first message is retried and delivered after the suspension, with its deferral recorded.
    await waitFor(() => primary.messages.some((m) => m.to.includes('slow-1@slow.test')), 20_000, 'slow-1 delivered');
    // The sink has the message before its `delivered` event is in ClickHouse (events are written in batches).
    const events = await waitFor(
      async () => {
        const e = await platform.events('message_id = {id:String}', { id: slowId });
        return e.some((x: { type: string }) => x.type === 'delivered') ? e : undefined;
      },
      20_000,
      'delivered event of slow-1',
    );
    expect(events.map((e: { type: string }) => e.type)).toEqual(['queued', 'sent', 'deferred', 'delivered']);
  });

  it('requires STARTTLS where configured: no TLS → deferred, never sent in clear; elsewhere opportunistic', async () => {
    const required = await send('x@tls-required.test');
    await send('y@tls-optional.test');
    await send('z@tls-offered.test');
    await waitFor(
      () => plainOnly.messages.some((m) => m.to.includes('y@tls-optional.test')),
      20_000,
      'optional TLS delivered in clear',
    );
    await waitFor(
      () => primary.messages.some((m) => m.to.includes('z@tls-offered.test')),
      20_000,
      'required TLS delivered over TLS',
    );
    const deferred = await waitFor(
      async () => {
        const e = await platform.events("message_id = {id:String} AND type = 'deferred'", { id: required });
        return e.length > 0 ? e : undefined;
      },
      20_000,
      'deferral for missing STARTTLS',
    );
    expect(deferred[0].reply).toMatch(/STARTTLS|TLS/i);
    expect(plainOnly.messages.some((m) => m.to.includes('x@tls-required.test'))).toBe(false);
  });

  it('takes a new shaping policy from the admin API at once, and audits it', async () => {
    const before = await platform.admin('GET', '/admin/v1/shaping');
    expect(before.body).toMatchObject({ source: 'config', policy: { ip: { perSecond: 4 } } });
    const put = await platform.admin('PUT', '/admin/v1/shaping', {
      ip: { perSecond: 2 },
      destination: { perSecond: 1000, connections: 50 },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      source: 'admin',
      policy: { ip: { perSecond: 2, connections: 50 }, adaptive: { suspendMs: 300_000 } },
    });
    expect((await platform.admin('PUT', '/admin/v1/shaping', { ip: { perSecond: -1 } })).body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'ip.perSecond',
    });
    const audit = await platform.admin('GET', '/admin/v1/audit?targetId=shaping');
    expect(audit.body.data[0]).toMatchObject({ action: 'shaping.update', targetType: 'settings' });

    // Let the previous bucket refill, then 6 messages at 2/s (burst 2) need at least 2 s.
    await new Promise((r) => setTimeout(r, 1100));
    const start = primary.messages.length;
    for (let i = 0; i < 6; i++) await send(`policy-${i}@policy.test`);
    const got = await waitFor(
      () => {
        const arrived = primary.messages.slice(start).filter((m) => m.to[0]?.startsWith('policy-'));
        return arrived.length === 6 ? arrived : undefined;
      },
      30_000,
      '6 messages under the new policy',
    );
    const times = got.map((m) => m.receivedAt).sort((a, b) => a - b);
    expect(times[5]! - times[0]!).toBeGreaterThanOrEqual(1300);
  });
});
