import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { submissionTransport } from '../support/smtp-client.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { waitFor } from '../support/wait.js';

describe('one message end to end, by REST and by SMTP', () => {
  let sink: SmtpSink;
  let platform: TestPlatform;

  beforeAll(async () => {
    sink = await startSmtpSink();
    platform = await startTestPlatform({ BRIDGEMAIL_MX_OVERRIDE: sink.mxOverride });
  });
  afterAll(async () => {
    await platform?.stop();
    await sink?.close();
  });

  it('delivers a REST send and an SMTP send from the Pool IPs and counts both in the stats', async () => {
    const pool = await platform.createPool('main', ['127.0.0.2', '127.0.0.3']);
    expect(pool).toMatchObject({ name: 'main', ips: ['127.0.0.2', '127.0.0.3'] });
    const bridge = await platform.createBridge('shop', pool.id, { trackOpens: false, trackClicks: false });
    expect(bridge).toMatchObject({ name: 'shop', poolId: pool.id, trackOpens: false, trackClicks: false });
    expect(bridge.smtp).toMatchObject({ host: '127.0.0.1', port: platform.ports.smtp, securePort: platform.ports.smtps });
    expect(bridge.smtp.username).toEqual(expect.any(String));
    expect(bridge.smtp.password).toEqual(expect.any(String));
    expect(bridge.apiKey).toMatch(/^bm_/);

    const res = await fetch(`${platform.urls.api}/v1/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bridge.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        from: 'Shop <shop@sender.test>',
        to: 'alice@example.test',
        subject: 'Your receipt',
        text: 'Thanks for your order',
        html: '<p>Thanks for your order</p>',
        attachments: [{ filename: 'r.txt', content: Buffer.from('receipt').toString('base64') }],
      }),
    });
    expect(res.status).toBe(202);
    const { id: restId } = (await res.json()) as { id: string };
    expect(restId).toMatch(/^msg_/);

    const info = await submissionTransport(platform.ports.smtp, { user: bridge.smtp.username, pass: bridge.smtp.password }).sendMail({
      from: 'shop@sender.test',
      to: 'bob@example.test',
      subject: 'Password reset',
      text: 'Click here to reset',
    });
    expect(info.response).toMatch(/^250 .*queued as msg_/);

    await waitFor(() => sink.messages.length >= 2, 20_000, 'two messages at the sink');
    const byRcpt = new Map(sink.messages.map((m) => [m.to[0], m]));
    const rest = byRcpt.get('alice@example.test');
    const smtp = byRcpt.get('bob@example.test');
    expect(rest?.raw.toString()).toContain('Subject: Your receipt');
    expect(rest?.raw.toString()).toContain(`Message-ID: <${restId}@bridgemail.test>`);
    expect(smtp?.raw.toString()).toContain('Subject: Password reset');
    for (const m of sink.messages) {
      expect(['127.0.0.2', '127.0.0.3']).toContain(m.remoteAddress);
      expect(m.from).toBe('shop@sender.test');
    }

    const stats = await waitFor(
      async () => {
        const s = await platform.stats(bridge.id);
        return s.sent === 2 && s.delivered === 2 ? s : undefined;
      },
      20_000,
      'stats sent=2 delivered=2',
    );
    expect(stats).toEqual({ sent: 2, delivered: 2, deferred: 0, bounced: 0, complaints: 0, opens: 0, clicks: 0 });

    const events = await platform.events('message_id = {id:String}', { id: restId });
    expect(events.map((e) => e.type)).toEqual(['queued', 'sent', 'delivered']);
    const delivered = events.find((e) => e.type === 'delivered');
    expect(delivered).toMatchObject({ bridge_id: bridge.id, pool_id: pool.id, recipient: 'alice@example.test', reply_code: 250 });
    expect(['127.0.0.2', '127.0.0.3']).toContain(delivered.ip);
    expect(delivered.reply).toContain('Ok: stored');

    // Secrets never reach the logs, at any level.
    const logText = platform.logs.join('');
    expect(logText).toContain('delivery attempt');
    for (const secret of [bridge.smtp.password, bridge.apiKey, platform.adminToken]) expect(logText).not.toContain(secret);
  });

  it('accepts mail on the implicit-TLS port too', async () => {
    const pool = await platform.createPool('tls', ['127.0.0.6']);
    const bridge = await platform.createBridge('tls-app', pool.id);
    const before = sink.messages.length;
    const info = await submissionTransport(platform.ports.smtps, { user: bridge.smtp.username, pass: bridge.smtp.password }, true).sendMail({
      from: 'app@sender.test',
      to: 'carol@example.test',
      subject: 'via 465',
      text: 'hello',
    });
    expect(info.response).toMatch(/^250 /);
    const got = await waitFor(() => sink.messages.slice(before).find((m) => m.to.includes('carol@example.test')), 20_000, 'message via 465');
    expect(got.remoteAddress).toBe('127.0.0.6');
  });
});
