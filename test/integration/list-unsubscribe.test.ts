import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

/** The top-level header block of a message, continuation lines unfolded. */
const headerOf = (raw: Buffer) =>
  raw
    .toString('latin1')
    .split(/\r?\n\r?\n/)[0]!
    .replace(/\r?\n[ \t]+/g, ' ');
/** Every value of a header field, in order. */
const fieldValues = (raw: Buffer, name: string) =>
  [...headerOf(raw).matchAll(new RegExp(`^${name}:[ \\t]*(.*)$`, 'gim'))].map((m) => m[1]!.trim());

const ONE_CLICK = { 'content-type': 'application/x-www-form-urlencoded' };

// One platform: delivery on its own thread with a copy thread (the copies cross a thread), the
// inbound MX for the mailto: path, and webhooks allowed to the loopback receiver.
describe('one-click unsubscribe (RFC 8058), per Bridge', () => {
  const h = useHarness({
    BRIDGEMAIL_DELIVERY_THREAD: '1',
    BRIDGEMAIL_COPY_THREADS: '1',
    BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE: '1',
  });
  const dns = new Map<string, string>();
  const verify = async (raw: Buffer) =>
    (
      await dkimVerify(raw, {
        resolver: async (name: string, rr: string) => {
          const value = rr === 'TXT' ? dns.get(name) : undefined;
          if (!value) throw Object.assign(new Error(`no ${rr} for ${name}`), { code: 'ENOTFOUND' });
          return [[value]];
        },
      })
    ).results;
  const hooks: string[] = [];
  let receiver: Server;
  let on: any;
  let off: any;

  /** Sends through `bridge` and returns the message id and the copy the sink received. */
  const deliver = async (bridge: any, to: string, extra: Record<string, unknown> = {}) => {
    const res = await h.platform.send(bridge.apiKey, {
      from: 'News <news@unsub.example>',
      to,
      subject: 'weekly',
      text: 'hello',
      ...extra,
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const copy = await waitFor(() => h.sink.messages.find((m) => m.to.includes(to)), 20_000, `${to} delivered`);
    h.sink.messages.splice(h.sink.messages.indexOf(copy), 1);
    return { id, raw: copy.raw };
  };
  /** The two URIs of our List-Unsubscribe field. */
  const linksOf = (raw: Buffer) => {
    const [value] = fieldValues(raw, 'List-Unsubscribe');
    const m = /^<(https?:\/\/[^>]+\/u\/([A-Za-z0-9_-]+))>, <mailto:([^>]+)>$/.exec(value ?? '');
    expect(m, `List-Unsubscribe: ${value}`).not.toBeNull();
    return { url: m![1]!, token: m![2]!, mailto: m![3]! };
  };
  const eventsOf = (id: string, type: string) =>
    h.platform.events('message_id = {id:String} AND type = {type:String}', { id, type });
  const suppressionsOf = async (bridgeId: string, address: string) =>
    (await h.platform.admin('GET', `/admin/v1/suppressions?bridgeId=${bridgeId}&search=${address}`)).body.data;
  const sendStatus = async (bridge: any, to: string) =>
    (await h.platform.send(bridge.apiKey, { from: 'news@unsub.example', to, subject: 's', text: 't' })).status;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hooks.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    const domain = await h.platform.admin('POST', '/admin/v1/domains', { domain: 'unsub.example' });
    expect(domain.status).toBe(201);
    dns.set(domain.body.dnsRecord.name, domain.body.dnsRecord.value);
    const pool = await h.platform.createPool('unsub-pool', ['127.0.0.2']);
    on = await h.platform.createBridge('unsub-on', pool.id);
    off = await h.platform.createBridge('unsub-off', pool.id);
    const hook = await h.platform.admin('POST', `/admin/v1/bridges/${on.id}/webhooks`, {
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
      eventTypes: ['unsubscribed'],
    });
    expect(hook.status).toBe(201);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  });

  it('is off by default and turned on per Bridge through the admin API', async () => {
    expect(on.listUnsubscribe).toBe(false);
    const patched = await h.platform.admin('PATCH', `/admin/v1/bridges/${on.id}`, { listUnsubscribe: true });
    expect(patched.status).toBe(200);
    expect(patched.body.listUnsubscribe).toBe(true);
    expect((await h.platform.admin('GET', `/admin/v1/bridges/${off.id}`)).body.listUnsubscribe).toBe(false);
    expect(
      (await h.platform.admin('PATCH', `/admin/v1/bridges/${on.id}`, { listUnsubscribe: 'yes' })).body.error.field,
    ).toBe('listUnsubscribe');
  });

  it('adds both fields to each copy, covered by a DKIM signature that verifies; off: no field', async () => {
    const { raw } = await deliver(on, 'Reader@Example.test');
    const links = linksOf(raw);
    expect(fieldValues(raw, 'List-Unsubscribe-Post')).toEqual(['List-Unsubscribe=One-Click']);
    // Opaque: neither the recipient nor the Bridge in either URI; the mailto local part fits RFC 5321.
    expect(`${links.url} ${links.mailto}`).not.toMatch(/reader|example\.test|br_/i);
    expect(links.url.startsWith(`${h.platform.urls.api}/u/`)).toBe(true);
    expect(links.mailto).toMatch(/^unsub-[a-z2-7]{42}@/);
    // mailauth's result carries the fields the signature covers (its typings leave them out).
    const [result] = (await verify(raw)) as (Awaited<ReturnType<typeof verify>>[number] & {
      signingHeaders: { keys: string; headers: string[] };
    })[];
    expect(result).toMatchObject({ signingDomain: 'unsub.example', status: { result: 'pass' } });
    const signed = result!.signingHeaders.keys.toLowerCase().split(/:\s*/);
    expect(signed).toEqual(expect.arrayContaining(['list-unsubscribe', 'list-unsubscribe-post']));
    expect(result!.signingHeaders.headers.join('\n')).toContain(links.token);

    const plain = await deliver(off, 'reader@example.test');
    expect(plain.raw.toString('latin1')).not.toMatch(/List-Unsubscribe/i);
    expect((await verify(plain.raw))[0]?.status.result).toBe('pass');
  });

  it("keeps a sender's own List-Unsubscribe and adds none of ours", async () => {
    const { raw } = await deliver(on, 'own@example.test', {
      headers: { 'List-Unsubscribe': '<mailto:leave@unsub.example>' },
    });
    expect(fieldValues(raw, 'List-Unsubscribe')).toEqual(['<mailto:leave@unsub.example>']);
    expect(fieldValues(raw, 'List-Unsubscribe-Post')).toEqual([]);
    expect((await verify(raw))[0]?.status.result).toBe('pass');
  });

  it('GET shows a confirmation page and unsubscribes nobody; a forged token is a 404 page', async () => {
    const { id, raw } = await deliver(on, 'looker@example.test');
    const { url, token } = linksOf(raw);
    for (let i = 0; i < 2; i++) {
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await page.text();
      expect(html).toMatch(/<form method="post">/);
      expect(html).toContain('name="List-Unsubscribe" value="One-Click"');
      expect(html).not.toContain('looker');
    }
    const forged = `${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}`;
    // A 404 that tells nothing: the JSON error, or a page for a browser.
    for (const method of ['GET', 'POST']) {
      for (const accept of ['*/*', 'text/html,application/xhtml+xml,*/*;q=0.8']) {
        const res = await fetch(url.replace(token, forged), {
          method,
          headers: { accept, ...(method === 'POST' ? ONE_CLICK : {}) },
          ...(method === 'POST' ? { body: 'List-Unsubscribe=One-Click' } : {}),
        });
        expect(res.status, `${method} forged`).toBe(404);
        expect(res.headers.get('content-type')).toMatch(accept === '*/*' ? /^application\/json/ : /^text\/html/);
        expect(await res.text()).not.toMatch(/looker|msg_|br_/);
      }
    }
    // Nor is a token that is not one at all.
    expect((await fetch(`${h.platform.urls.api}/u/${'A'.repeat(40)}`)).status).toBe(404);
    expect(await suppressionsOf(on.id, 'looker@example.test')).toEqual([]);
    expect(await eventsOf(id, 'unsubscribed')).toEqual([]);
    expect(await sendStatus(on, 'looker@example.test')).toBe(202);
  });

  it('POST List-Unsubscribe=One-Click suppresses for that Bridge, records one event, calls the webhook', async () => {
    const { id, raw } = await deliver(on, 'leaver@example.test', { tag: 'weekly' });
    const { url } = linksOf(raw);
    const wrong = await fetch(url, { method: 'POST', headers: ONE_CLICK, body: 'List-Unsubscribe=Later' });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', field: 'List-Unsubscribe' } });
    expect(await suppressionsOf(on.id, 'leaver@example.test')).toEqual([]);

    const res = await fetch(url, { method: 'POST', headers: ONE_CLICK, body: 'List-Unsubscribe=One-Click' });
    expect(res.status).toBe(200);
    expect(await suppressionsOf(on.id, 'leaver@example.test')).toMatchObject([
      { bridgeId: on.id, address: 'leaver@example.test', reason: 'unsubscribed' },
    ]);
    const [event] = await waitFor(
      async () => ((await eventsOf(id, 'unsubscribed')).length > 0 ? eventsOf(id, 'unsubscribed') : undefined),
      20_000,
      'unsubscribed event',
    );
    // The link carries no tag: the event gets its message's, as opens and clicks do.
    expect(event).toMatchObject({
      bridge_id: on.id,
      recipient: 'leaver@example.test',
      reason: 'one-click',
      tag: 'weekly',
    });
    // The message's timeline (admin API, as the console shows it) lists it after the delivery.
    const timeline = await h.platform.admin('GET', `/admin/v1/messages/${id}`);
    expect(timeline.body.data.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['delivered', 'unsubscribed']),
    );
    const hook = await waitFor(() => hooks.find((b) => b.includes(id)), 20_000, 'unsubscribed webhook');
    expect(JSON.parse(hook)).toMatchObject({
      event: { type: 'unsubscribed', messageId: id, bridgeId: on.id, recipient: 'leaver@example.test' },
    });

    // The next send to that recipient through that Bridge is refused, as for any suppressed recipient.
    await waitFor(async () => (await sendStatus(on, 'leaver@example.test')) === 422, 10_000, 'next send refused');
    // Only for that Bridge.
    expect(await sendStatus(off, 'leaver@example.test')).toBe(202);

    // Idempotent: a second POST (this time multipart/form-data, which RFC 8058 allows too) answers 200
    // and records nothing more; a multipart body with another value is refused.
    const form = (value: string) => {
      const data = new FormData();
      data.set('List-Unsubscribe', value);
      return data;
    };
    expect((await fetch(url, { method: 'POST', body: form('Later') })).status).toBe(400);
    const again = await fetch(url, { method: 'POST', body: form('One-Click') });
    expect(again.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await eventsOf(id, 'unsubscribed')).toHaveLength(1);
    expect(hooks.filter((b) => b.includes(id))).toHaveLength(1);

    // Stats: the unsubscribe and its rate over delivered.
    const stats = await waitFor(
      async () => {
        const s = await h.platform.admin('GET', `/admin/v1/bridges/${on.id}/stats`);
        return s.body.unsubscribes >= 1 ? s.body : undefined;
      },
      20_000,
      'unsubscribes in stats',
    );
    expect(stats.unsubscribes).toBe(1);
    expect(stats.rates.unsubscribeRate).toBeCloseTo(1 / stats.delivered);
  });

  it('a mail to the mailto: address through the inbound MX does the same', async () => {
    const { id, raw } = await deliver(on, 'mailer@example.test');
    const { mailto } = linksOf(raw);
    await waitFor(async () => (await eventsOf(id, 'queued')).length > 0, 20_000, 'queued event stored');
    const mx = nodemailer.createTransport({
      host: '127.0.0.1',
      port: h.platform.ports.mx,
      secure: false,
      tls: { rejectUnauthorized: false },
    });
    // A forged address is refused at RCPT, like any address the MX does not serve.
    const forged = mailto.replace(/^unsub-(.)/, (_, c: string) => `unsub-${c === 'a' ? 'b' : 'a'}`);
    await expect(
      mx.sendMail({ envelope: { from: 'mailer@example.test', to: [forged] }, raw: 'Subject: unsubscribe\r\n\r\nx' }),
    ).rejects.toMatchObject({ responseCode: 550 });
    await mx.sendMail({
      envelope: { from: 'mailer@example.test', to: [mailto] },
      raw: `From: mailer@example.test\r\nTo: ${mailto}\r\nSubject: unsubscribe\r\n\r\nunsubscribe\r\n`,
    });
    const [event] = await waitFor(
      async () => ((await eventsOf(id, 'unsubscribed')).length > 0 ? eventsOf(id, 'unsubscribed') : undefined),
      20_000,
      'unsubscribed event (mailto)',
    );
    expect(event).toMatchObject({ bridge_id: on.id, recipient: 'mailer@example.test', reason: 'mailto' });
    expect(await suppressionsOf(on.id, 'mailer@example.test')).toMatchObject([{ reason: 'unsubscribed' }]);
    await waitFor(async () => (await sendStatus(on, 'mailer@example.test')) === 422, 10_000, 'next send refused');
    await waitFor(() => hooks.find((b) => b.includes(id)), 20_000, 'unsubscribed webhook (mailto)');
  });
});
