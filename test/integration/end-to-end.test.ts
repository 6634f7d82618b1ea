import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { submissionTransport } from '../support/smtp-client.js';
import { useHarness } from '../support/harness.js';
import { VERP_SENDER } from '../support/verp.js';
import { parseMasterKey, recipientHash, VerpAddresses } from '../../core/index.js';
import { waitFor } from '../support/wait.js';

describe('one message end to end, by REST and by SMTP', () => {
  const h = useHarness();

  it('delivers a REST send and an SMTP send from the Pool IPs and counts both in the stats', async () => {
    const pool = await h.platform.createPool('main', ['127.0.0.2', '127.0.0.3']);
    expect(pool).toMatchObject({ name: 'main', ips: ['127.0.0.2', '127.0.0.3'] });
    const bridge = await h.platform.createBridge('shop', pool.id, { trackOpens: false, trackClicks: false });
    expect(bridge).toMatchObject({ name: 'shop', poolId: pool.id, trackOpens: false, trackClicks: false });
    expect(bridge.smtp).toMatchObject({
      host: '127.0.0.1',
      port: h.platform.ports.smtp,
      securePort: h.platform.ports.smtps,
    });
    expect(bridge.smtp.username).toEqual(expect.any(String));
    expect(bridge.smtp.password).toEqual(expect.any(String));
    expect(bridge.apiKey).toMatch(/^bm_/);

    const res = await h.platform.send(bridge.apiKey, {
      from: 'Shop <shop@sender.test>',
      to: 'alice@example.test',
      subject: 'Your receipt',
      text: 'Thanks for your order',
      html: '<p>Thanks for your order</p>',
      attachments: [{ filename: 'r.txt', content: Buffer.from('receipt').toString('base64') }],
    });
    expect(res.status).toBe(202);
    const { id: restId } = (await res.json()) as { id: string };
    expect(restId).toMatch(/^msg_/);

    const info = await submissionTransport(h.platform.ports.smtp, {
      user: bridge.smtp.username,
      pass: bridge.smtp.password,
    }).sendMail({
      from: 'shop@sender.test',
      to: 'bob@example.test',
      subject: 'Password reset',
      text: 'Click here to reset',
    });
    expect(info.response).toMatch(/^250 .*queued as msg_/);

    await waitFor(() => h.sink.messages.length >= 2, 20_000, 'two messages at the sink');
    const verp = new VerpAddresses(
      parseMasterKey(readFileSync(join(h.platform.dataDir, 'master.key'), 'utf8')),
      'bounces',
      'bridgemail.test',
    );
    const byRcpt = new Map(h.sink.messages.map((m) => [m.to[0], m]));
    const rest = byRcpt.get('alice@example.test');
    const smtp = byRcpt.get('bob@example.test');
    expect(rest?.raw.toString()).toContain('Subject: Your receipt');
    expect(rest?.raw.toString()).toContain(`Message-ID: <${restId}@bridgemail.test>`);
    expect(smtp?.raw.toString()).toContain('Subject: Password reset');
    for (const m of h.sink.messages) {
      expect(['127.0.0.2', '127.0.0.3']).toContain(m.remoteAddress);
      // The envelope sender is the message's VERP return path; the From header is the app's.
      expect(m.from).toMatch(VERP_SENDER);
      const target = verp.parse(m.from);
      expect(target?.recipientHash).toBe(recipientHash(m.to[0]!));
      expect(target?.messageId).toMatch(/^msg_/);
      expect(m.raw.toString()).toMatch(/^From: .*shop@sender\.test/m);
    }

    const stats = await waitFor(
      async () => {
        const s = await h.platform.stats(bridge.id);
        return s.sent === 2 && s.delivered === 2 ? s : undefined;
      },
      20_000,
      'stats sent=2 delivered=2',
    );
    expect(stats).toEqual({
      sent: 2,
      delivered: 2,
      deferred: 0,
      bounced: 0,
      hardBounces: 0,
      softBounces: 0,
      complaints: 0,
      unsubscribes: 0,
      opens: 0,
      uniqueOpens: 0,
      machineOpens: 0,
      clicks: 0,
      uniqueClicks: 0,
      machineClicks: 0,
      deferredMessages: 0,
      awaitingRetry: 0,
      rateLimited: 0,
      rates: { deliveryRate: 1, bounceRate: 0, complaintRate: 0, unsubscribeRate: 0, openRate: 0, clickRate: 0 },
    });
    // The Bridge's own key reads its message timeline; the Pool and IP views count the same mail.
    const timeline = await fetch(`${h.platform.urls.api}/v1/messages/${restId}`, {
      headers: { authorization: `Bearer ${bridge.apiKey}` },
    });
    expect(((await timeline.json()) as { data: { type: string }[] }).data.map((e) => e.type)).toEqual([
      'queued',
      'sent',
      'delivered',
    ]);
    const stranger = await h.platform.createBridge('stranger', pool.id);
    const foreign = await fetch(`${h.platform.urls.api}/v1/messages/${restId}`, {
      headers: { authorization: `Bearer ${stranger.apiKey}` },
    });
    expect(foreign.status).toBe(404);
    expect((await h.platform.admin('GET', `/admin/v1/messages/${restId}`)).body.data).toHaveLength(3);
    expect((await h.platform.admin('GET', `/admin/v1/pools/${pool.id}/stats`)).body).toMatchObject({
      sent: 2,
      delivered: 2,
    });
    const series = await h.platform.admin('GET', `/admin/v1/bridges/${bridge.id}/stats/series?interval=day`);
    expect(series.body.data.reduce((n: number, p: { delivered: number }) => n + p.delivered, 0)).toBe(2);
    const compared = await h.platform.admin('GET', '/admin/v1/stats/bridges');
    expect(compared.body.data.find((b: { bridgeId: string }) => b.bridgeId === bridge.id)).toMatchObject({
      delivered: 2,
    });

    const events = await h.platform.events('message_id = {id:String}', { id: restId });
    expect(events.map((e) => e.type)).toEqual(['queued', 'sent', 'delivered']);
    const delivered = events.find((e) => e.type === 'delivered');
    expect(delivered).toMatchObject({
      bridge_id: bridge.id,
      pool_id: pool.id,
      recipient: 'alice@example.test',
      reply_code: 250,
    });
    expect(['127.0.0.2', '127.0.0.3']).toContain(delivered.ip);
    expect(delivered.reply).toContain('Ok: stored');

    // Secrets never reach the logs, at any level.
    const logText = h.platform.logs.join('');
    expect(logText).toContain('delivery attempt');
    for (const secret of [bridge.smtp.password, bridge.apiKey, h.platform.adminToken])
      expect(logText).not.toContain(secret);
  });

  it('accepts mail on the implicit-TLS port too', async () => {
    const pool = await h.platform.createPool('tls', ['127.0.0.6']);
    const bridge = await h.platform.createBridge('tls-app', pool.id);
    const before = h.sink.messages.length;
    const info = await submissionTransport(
      h.platform.ports.smtps,
      { user: bridge.smtp.username, pass: bridge.smtp.password },
      true,
    ).sendMail({
      from: 'app@sender.test',
      to: 'carol@example.test',
      subject: 'via 465',
      text: 'hello',
    });
    expect(info.response).toMatch(/^250 /);
    const got = await waitFor(
      () => h.sink.messages.slice(before).find((m) => m.to.includes('carol@example.test')),
      20_000,
      'message via 465',
    );
    expect(got.remoteAddress).toBe('127.0.0.6');
  });
});
