import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { submissionTransport } from '../support/smtp-client.js';
import { waitFor } from '../support/wait.js';

const SIM = 'simulator.bridgemail.test';
const FINAL = ['delivered', 'bounced', 'suppressed'];

// Sandbox Bridges and the mailbox simulator, on one platform whose MX override points every domain
// at a loopback sink: whatever a sandbox send does, the sink must never see a connection.
describe('sandbox Bridges and simulator addresses', () => {
  // The retry delays of the test platform (BRIDGEMAIL_RETRY_BASE_MS 200, max 1000) keep defer@ short;
  // the default (60 s, doubling) would take three minutes.
  const h = useHarness();
  let pool: { id: string };
  let sandbox: any;
  let live: any;

  const send = async (bridge: any, to: string | string[], subject = 'sandbox test') => {
    const res = await h.platform.send(bridge.apiKey, {
      from: 'app@sender.test',
      to,
      subject,
      html: '<p>Hello <a href="https://example.com/x">link</a></p>',
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const eventsOf = (id: string) => h.platform.events('message_id = {id:String}', { id });
  /** The events of message `id` once each of its `n` recipients has a final outcome. */
  const settled = (id: string, n: number) =>
    waitFor(
      async () => {
        const e = await eventsOf(id);
        const done = new Set(e.filter((x) => FINAL.includes(x.type)).map((x) => x.recipient));
        return done.size >= n ? e : undefined;
      },
      20_000,
      `${n} final outcomes of ${id}`,
    );
  const stats = async (kind: 'bridges' | 'pools', id: string, sandboxView: boolean) => {
    const r = await h.platform.admin('GET', `/admin/v1/${kind}/${id}/stats${sandboxView ? '?sandbox=true' : ''}`);
    expect(r.status).toBe(200);
    return r.body;
  };

  beforeAll(async () => {
    pool = await h.platform.createPool('sandbox-pool', ['127.0.0.1']);
    sandbox = await h.platform.createBridge('sandbox-app', pool.id, {
      mode: 'sandbox',
      trackOpens: true,
      trackClicks: true,
    });
    live = await h.platform.createBridge('live-app', pool.id);
  });

  it('creates a Bridge in sandbox mode (default live) and lists the mode', async () => {
    expect(sandbox.mode).toBe('sandbox');
    expect(live.mode).toBe('live');
    const list = await h.platform.admin('GET', '/admin/v1/bridges');
    const modes = Object.fromEntries(list.body.data.map((b: any) => [b.id, b.mode]));
    expect(modes).toMatchObject({ [sandbox.id]: 'sandbox', [live.id]: 'live' });
    const bad = await h.platform.admin('PATCH', `/admin/v1/bridges/${live.id}`, { mode: 'test' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'mode' });
  });

  it('settles every simulator address with its events, over REST and SMTP, and no connection reaches the sink', async () => {
    const recipients = [
      'person@example.com',
      ...['bounce', 'softbounce', 'complaint', 'defer', 'suppressed', 'success'].map((l) => `${l}@${SIM}`),
    ];
    const id = await send(sandbox, recipients);
    const smtp = await submissionTransport(h.platform.ports.smtp, {
      user: sandbox.smtp.username,
      pass: sandbox.smtp.password,
    }).sendMail({ from: 'app@sender.test', to: 'other@example.com', subject: 'sandbox smtp', text: 'hi' });
    const smtpId = /queued as (\S+)/.exec(smtp.response)?.[1] ?? '';
    expect(smtpId).toMatch(/^msg_/);

    const events = await settled(id, recipients.length);
    const smtpEvents = await settled(smtpId, 1);
    // Every event of a sandbox Bridge's message says so, from `queued` on.
    expect([...events, ...smtpEvents].every((e) => e.sandbox === 1)).toBe(true);
    const typesOf = (r: string) => events.filter((e) => e.recipient === r).map((e) => e.type);
    expect(typesOf('person@example.com')).toEqual(['queued', 'sent', 'delivered']);
    expect(typesOf(`success@${SIM}`)).toEqual(['queued', 'sent', 'delivered']);
    expect(typesOf(`bounce@${SIM}`)).toEqual(['queued', 'sent', 'bounced']);
    expect(typesOf(`softbounce@${SIM}`)).toEqual(['queued', 'sent', 'bounced']);
    expect(typesOf(`complaint@${SIM}`)).toEqual(['queued', 'sent', 'delivered', 'complained']);
    expect(typesOf(`defer@${SIM}`)).toEqual(['queued', 'sent', 'deferred', 'deferred', 'delivered']);
    expect(typesOf(`suppressed@${SIM}`)).toEqual(['queued', 'suppressed']);
    expect(smtpEvents.map((e) => e.type)).toEqual(['queued', 'sent', 'delivered']);

    const one = (r: string, type: string) => events.find((e) => e.recipient === r && e.type === type);
    // Classified like a real reply: 550 5.1.1 at RCPT is a hard userunknown, 552 5.2.2 a soft mailbox full.
    expect(one(`bounce@${SIM}`, 'bounced')).toMatchObject({ reply_code: 550, hard: 1, reason: 'userunknown' });
    expect(one(`bounce@${SIM}`, 'bounced').reply).toMatch(/^550 5\.1\.1 /);
    expect(one(`softbounce@${SIM}`, 'bounced')).toMatchObject({ reply_code: 552, hard: 0 });
    expect(one(`complaint@${SIM}`, 'complained')).toMatchObject({ feedback_type: 'abuse' });
    // defer@ went through the real retry path: attempts 1 and 2 deferred, delivered on the third.
    const deferEvents = events.filter((e) => e.recipient === `defer@${SIM}` && e.type !== 'queued');
    expect(deferEvents.filter((e) => e.type !== 'sent').map((e) => e.attempt)).toEqual([1, 2, 3]);
    const [first, second] = deferEvents.filter((e) => e.type === 'deferred');
    expect(Date.parse(second.ts) - Date.parse(first.ts)).toBeGreaterThanOrEqual(150);

    // Nothing left the platform.
    expect(h.sink.connections).toBe(0);
    expect(h.sink.messages).toHaveLength(0);

    // The message timeline (admin API) shows the events with their sandbox flag.
    const timeline = await h.platform.admin('GET', `/admin/v1/messages/${id}`);
    expect(timeline.status).toBe(200);
    expect(timeline.body.data.length).toBe(events.length);
    expect(timeline.body.data.every((e: any) => e.sandbox === true)).toBe(true);
  });

  it('suppresses the hard bounce and the complaint for that Bridge only, as real ones would be', async () => {
    const list = await h.platform.admin('GET', `/admin/v1/suppressions?bridgeId=${sandbox.id}`);
    const reasons = Object.fromEntries(list.body.data.map((s: any) => [s.address, s.reason]));
    expect(reasons).toEqual({ [`bounce@${SIM}`]: 'hard-bounce-userunknown', [`complaint@${SIM}`]: 'complaint' });
    const refused = await waitFor(async () => {
      const res = await h.platform.send(sandbox.apiKey, {
        from: 'app@sender.test',
        to: `bounce@${SIM}`,
        subject: 'again',
        text: 'x',
      });
      return res.status === 422 ? res : undefined;
    });
    expect(((await refused.json()) as any).error.code).toBe('RECIPIENT_SUPPRESSED');
    const elsewhere = await h.platform.admin('GET', `/admin/v1/suppressions?bridgeId=${live.id}`);
    expect(elsewhere.body.data).toEqual([]);
  });

  it('counts sandbox sends apart: a sandbox view, and nothing in the live stats', async () => {
    const expected = { sent: 7, delivered: 5, bounced: 2, hardBounces: 1, softBounces: 1, complaints: 1, deferred: 2 };
    const view = await waitFor(async () => {
      const s = await stats('bridges', sandbox.id, true);
      return s.delivered === 5 && s.complaints === 1 ? s : undefined;
    });
    expect(view).toMatchObject(expected);
    const liveView = await stats('bridges', sandbox.id, false);
    expect(liveView).toMatchObject({ sent: 0, delivered: 0, bounced: 0, complaints: 0, deferred: 0 });
    expect(await stats('pools', pool.id, true)).toMatchObject(expected);
    expect(await stats('pools', pool.id, false)).toMatchObject({ sent: 0, delivered: 0 });
    const compare = await h.platform.admin('GET', '/admin/v1/stats/bridges');
    const row = compare.body.data.find((r: any) => r.bridgeId === sandbox.id);
    expect(row).toMatchObject({ sent: 0, delivered: 0, lastSentAt: null });
  });

  it('simulates simulator addresses on a live Bridge too, apart from its live sends', async () => {
    const id = await send(live, ['real@example.com', `bounce@${SIM}`]);
    const events = await settled(id, 2);
    const flag = Object.fromEntries(events.filter((e) => FINAL.includes(e.type)).map((e) => [e.recipient, e.sandbox]));
    expect(flag).toEqual({ 'real@example.com': 0, [`bounce@${SIM}`]: 1 });
    // The live recipient reached the sink; the simulator address was never offered to it.
    expect(h.sink.messages.map((m) => m.to)).toEqual([['real@example.com']]);
    expect(h.sink.offers.has(`bounce@${SIM}`)).toBe(false);
    // The sink does count connections: the zero above is no blind spot.
    expect(h.sink.connections).toBeGreaterThan(0);
    const liveStats = await waitFor(async () => {
      const s = await stats('bridges', live.id, false);
      return s.delivered === 1 ? s : undefined;
    });
    expect(liveStats).toMatchObject({ sent: 1, delivered: 1, bounced: 0 });
    expect(await stats('bridges', live.id, true)).toMatchObject({ sent: 1, delivered: 0, bounced: 1, hardBounces: 1 });
    expect(await stats('pools', pool.id, false)).toMatchObject({ sent: 1, delivered: 1, bounced: 0 });
  });

  it('applies a mode switched by PATCH to the next message, over REST and SMTP', async () => {
    const toLive = await h.platform.admin('PATCH', `/admin/v1/bridges/${sandbox.id}`, { mode: 'live' });
    expect(toLive.body.mode).toBe('live');
    const toSandbox = await h.platform.admin('PATCH', `/admin/v1/bridges/${live.id}`, { mode: 'sandbox' });
    expect(toSandbox.body.mode).toBe('sandbox');
    const before = h.sink.messages.length;
    // Sandbox Bridge now live: its next message is delivered for real.
    const nowLive = await send(sandbox, 'switched-live@example.com');
    const liveEvents = await settled(nowLive, 1);
    expect(liveEvents.map((e) => [e.type, e.sandbox])).toEqual([
      ['queued', 0],
      ['sent', 0],
      ['delivered', 0],
    ]);
    // Live Bridge now sandbox: its next message (REST and SMTP) stays in.
    const nowSandbox = await send(live, 'switched-sandbox@example.com');
    const smtp = await submissionTransport(h.platform.ports.smtp, {
      user: live.smtp.username,
      pass: live.smtp.password,
    }).sendMail({ from: 'app@sender.test', to: 'switched-smtp@example.com', subject: 'switched', text: 'hi' });
    const smtpId = /queued as (\S+)/.exec(smtp.response)?.[1] ?? '';
    for (const id of [nowSandbox, smtpId]) {
      const e = await settled(id, 1);
      expect(e.map((x) => [x.type, x.sandbox])).toEqual([
        ['queued', 1],
        ['sent', 1],
        ['delivered', 1],
      ]);
    }
    expect(h.sink.messages.slice(before).map((m) => m.to)).toEqual([['switched-live@example.com']]);
  });

  it('makes each sandbox copy as a live one is made: tracked and DKIM-signed, or left as it was', async () => {
    expect((await h.platform.admin('POST', '/admin/v1/domains', { domain: 'sandbox-signed.example' })).status).toBe(
      201,
    );
    const tracked = await h.platform.createBridge('sandbox-tracked', pool.id, {
      mode: 'sandbox',
      trackOpens: true,
      trackClicks: true,
    });
    const untracked = await h.platform.createBridge('sandbox-untracked', pool.id, {
      mode: 'sandbox',
      trackOpens: false,
      trackClicks: false,
    });
    const connectionsBefore = h.sink.connections;
    const html = '<p>Hello <a href="https://example.com/x">link</a></p>';
    const res = await h.platform.send(tracked.apiKey, {
      from: 'app@sandbox-signed.example',
      to: 'reader@example.com',
      subject: 'copy',
      html,
    });
    expect(res.status).toBe(202);
    const signedId = ((await res.json()) as { id: string }).id;
    const plainId = await send(untracked, 'plain-reader@example.com');
    await settled(signedId, 1);
    await settled(plainId, 1);
    // The copy goes nowhere; the worker says at debug level what it held.
    const copies = h.platform.logs
      .map((line) => JSON.parse(line) as { msg: string; messageId?: string })
      .filter((l) => l.msg === 'sandbox copy made');
    expect(copies.find((c) => c.messageId === signedId)).toMatchObject({ signed: true, tracked: true });
    expect(copies.find((c) => c.messageId === plainId)).toMatchObject({ signed: false, tracked: false });
    expect(h.sink.connections).toBe(connectionsBefore);
  });
});
