import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { authPlain, SmtpDialog } from '../support/smtp-client.js';
import { waitFor } from '../support/wait.js';
import { arfComplaint } from '../support/arf.js';

// Tags and metadata end to end on one platform delivering to a loopback sink: REST and SMTP in,
// every event (timeline), a webhook payload, the stats by tag (exact under a duplicate insert),
// the control header fields stripped before delivery, bad values refused naming the field.
describe('tags and metadata', () => {
  const h = useHarness({ BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE: '1', BRIDGEMAIL_TRACKING_SCANNER_WINDOW_MS: '0' });
  const hooks: string[] = [];
  let receiver: Server;
  let bridge: any;
  let poolId = '';

  const arrival = (to: string) =>
    waitFor(() => h.sink.messages.find((m) => m.to.includes(to)), 20_000, `mail to ${to}`);
  const timeline = (id: string, types: string[]) =>
    waitFor(
      async () => {
        const res = await h.platform.admin('GET', `/admin/v1/messages/${id}`);
        const data = (res.body?.data ?? []) as { type: string }[];
        return types.every((t) => data.some((e) => e.type === t)) ? data : undefined;
      },
      20_000,
      `events ${types.join(', ')} of ${id}`,
    );
  const smtpSession = async () => {
    const { dialog } = await SmtpDialog.open(h.platform.ports.smtp);
    await dialog.command('EHLO client.test');
    await dialog.startTls();
    await dialog.command('EHLO client.test');
    expect(await dialog.command(`AUTH PLAIN ${authPlain(bridge.smtp.username, bridge.smtp.password)}`)).toMatch(
      /^235 /,
    );
    return dialog;
  };
  /** Submits one message over SMTP and returns the reply to its DATA. */
  const smtpSend = async (to: string, headerLines: string[]) => {
    const d = await smtpSession();
    try {
      expect(await d.command('MAIL FROM:<app@sender.test>')).toMatch(/^250 /);
      expect(await d.command(`RCPT TO:<${to}>`)).toMatch(/^250 /);
      expect(await d.command('DATA')).toMatch(/^354 /);
      const head = ['From: app@sender.test', `To: ${to}`, 'Subject: smtp', ...headerLines].join('\r\n');
      d.write(`${head}\r\n\r\nhello\r\n.\r\n`);
      return await d.readReply();
    } finally {
      d.close();
    }
  };

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
    poolId = (await h.platform.createPool('tags', ['127.0.0.2'])).id;
    bridge = await h.platform.createBridge('tagged', poolId, { trackOpens: true, trackClicks: false });
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const created = await h.platform.admin('POST', `/admin/v1/bridges/${bridge.id}/webhooks`, {
      url,
      eventTypes: ['delivered', 'opened'],
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  });

  it('REST: every event of the message (an open too) and its webhooks carry the tag and metadata', async () => {
    const metadata = { orderId: '42', plan: 'pro ✓' };
    const res = await h.platform.send(bridge.apiKey, {
      from: 'app@sender.test',
      to: 'rest@example.test',
      subject: 'welcome',
      html: '<p>Hello</p>',
      tag: 'welcome',
      metadata,
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const mail = await arrival('rest@example.test');
    const html = String((await simpleParser(mail.raw)).html);
    const pixel = /<img src="([^"]*\/t\/o\/[^"]+)"/.exec(html)?.[1];
    expect(pixel).toBeDefined();
    // The tracking link carries neither the tag nor the metadata in a readable form.
    const token = pixel!.slice(pixel!.lastIndexOf('/') + 1);
    for (const text of [token, Buffer.from(token, 'base64url').toString('latin1')])
      expect(text).not.toMatch(/welcome|orderId|plan/);
    await (await fetch(pixel!, { headers: { 'user-agent': 'Mozilla/5.0 (Macintosh) Safari/605.1.15' } })).arrayBuffer();
    const events = await timeline(id, ['queued', 'sent', 'delivered', 'opened']);
    for (const e of events) expect(e, e.type).toMatchObject({ tag: 'welcome', metadata });
    // Both webhooks carry them: the open's comes from the message's queued event, as in ClickHouse.
    const payloads = await waitFor(
      () => {
        const mine = hooks
          .filter((b) => b.includes(id))
          .map((b) => (JSON.parse(b) as { event: { type: string } }).event);
        return mine.length >= 2 ? mine : undefined;
      },
      20_000,
      'webhooks of the delivery and the open',
    );
    expect(payloads.sort((a, b) => a.type.localeCompare(b.type))).toMatchObject([
      { type: 'delivered', messageId: id, tag: 'welcome', metadata },
      { type: 'opened', messageId: id, tag: 'welcome', metadata },
    ]);
  });

  it('REST multipart/form-data: tag as a text field, metadata as a JSON object', async () => {
    const form = new FormData();
    for (const [k, v] of Object.entries({ from: 'app@sender.test', to: 'form@example.test', subject: 's', text: 't' }))
      form.append(k, v);
    form.append('tag', 'form-tag');
    form.append('metadata', JSON.stringify({ source: 'form' }));
    const res = await fetch(`${h.platform.urls.api}/v1/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bridge.apiKey}` },
      body: form,
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const events = await timeline(id, ['queued', 'delivered']);
    for (const e of events) expect(e).toMatchObject({ tag: 'form-tag', metadata: { source: 'form' } });
  });

  it('SMTP: X-Bridgemail-* and X-PM-* set them, never reach the recipient; a complaint carries them', async () => {
    const reply = await smtpSend('smtp@example.test', [
      'X-Bridgemail-Tag: receipt',
      'X-Bridgemail-Metadata-Customer: c-17',
      'X-PM-Metadata-order: 7',
    ]);
    expect(reply).toMatch(/^250 /);
    const id = /queued as (\S+)/.exec(reply)?.[1] ?? '';
    const mail = await arrival('smtp@example.test');
    const header = mail.raw.subarray(0, mail.raw.indexOf('\r\n\r\n')).toString('latin1');
    expect(header).not.toMatch(/x-bridgemail|x-pm-/i);
    expect(header).toMatch(/^Subject: smtp$/m);
    const events = await timeline(id, ['queued', 'sent', 'delivered']);
    for (const e of events) expect(e).toMatchObject({ tag: 'receipt', metadata: { Customer: 'c-17', order: '7' } });
    // Its delivery webhook carries them as a REST message's does.
    const hook = await waitFor(() => hooks.find((body) => body.includes(id)), 20_000, 'webhook of the SMTP message');
    expect((JSON.parse(hook) as { event: unknown }).event).toMatchObject({
      type: 'delivered',
      messageId: id,
      tag: 'receipt',
      metadata: { Customer: 'c-17', order: '7' },
    });
    // An ARF complaint at the inbound MX: its event gets the labels with its message.
    const mx = nodemailer.createTransport({
      host: '127.0.0.1',
      port: h.platform.ports.mx,
      secure: false,
      tls: { rejectUnauthorized: false },
    });
    await mx.sendMail({
      envelope: { from: 'feedback@isp.example.test', to: ['fbl@bridgemail.test'] },
      raw: arfComplaint('smtp@example.test', id),
    });
    const complained = await timeline(id, ['complained']);
    expect(complained.find((e) => e.type === 'complained')).toMatchObject({
      tag: 'receipt',
      metadata: { Customer: 'c-17', order: '7' },
    });
    // Postmark's tag field alone works too.
    const pm = await smtpSend('pm@example.test', ['X-PM-Tag: promo']);
    expect(pm).toMatch(/^250 /);
    const pmEvents = await timeline(/queued as (\S+)/.exec(pm)?.[1] ?? '', ['delivered']);
    expect(pmEvents.every((e) => (e as { tag?: string }).tag === 'promo')).toBe(true);
  });

  it('refuses bad values: 400 naming the field over REST, 550 5.7.0 with the reason over SMTP', async () => {
    const base = { from: 'app@sender.test', to: 'bad@example.test', subject: 's', text: 't' };
    const refused = async (body: unknown) => {
      const res = await h.platform.send(bridge.apiKey, body);
      return { status: res.status, error: ((await res.json()) as { error: { code: string; field?: string } }).error };
    };
    expect(await refused({ ...base, tag: 'no spaces' })).toMatchObject({
      status: 400,
      error: { code: 'VALIDATION_FAILED', field: 'tag' },
    });
    expect(await refused({ ...base, tag: 'x'.repeat(65) })).toMatchObject({ status: 400, error: { field: 'tag' } });
    expect(await refused({ ...base, metadata: { n: 1 } })).toMatchObject({
      status: 400,
      error: { field: 'metadata.n' },
    });
    expect(await refused({ ...base, metadata: { note: 'v'.repeat(1001) } })).toMatchObject({
      status: 400,
      error: { field: 'metadata.note' },
    });
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));
    expect(await refused({ ...base, metadata: many })).toMatchObject({ status: 400, error: { field: 'metadata' } });
    expect(await refused({ ...base, headers: { 'X-Bridgemail-Tag': 'x' } })).toMatchObject({
      status: 400,
      error: { field: 'headers.X-Bridgemail-Tag' },
    });
    // Batch: each message on its own, the field prefixed with its index.
    const batch = await fetch(`${h.platform.urls.api}/v1/send/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bridge.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify([
        { ...base, to: 'batch-ok@example.test', tag: 'batch' },
        { ...base, tag: 'bad tag' },
      ]),
    });
    const { data } = (await batch.json()) as { data: { id?: string; error?: { field?: string } }[] };
    expect(data[0]?.id).toBeDefined();
    expect(data[1]?.error?.field).toBe('[1].tag');
    const smtpTag = await smtpSend('bad-smtp@example.test', ['X-Bridgemail-Tag: two words']);
    expect(smtpTag).toMatch(/^550 5\.7\.0 X-Bridgemail-Tag: /);
    const smtpMeta = await smtpSend('bad-smtp@example.test', [`X-Bridgemail-Metadata-Note: ${'v'.repeat(1001)}`]);
    expect(smtpMeta).toMatch(/^550 5\.7\.0 X-Bridgemail-Metadata-Note: .*1000/);
    const twoTags = await smtpSend('bad-smtp@example.test', ['X-Bridgemail-Tag: a', 'X-PM-Tag: b']);
    expect(twoTags).toMatch(/^550 5\.7\.0 .*one tag/);
    expect(h.sink.messages.some((m) => m.to.includes('bad-smtp@example.test'))).toBe(false);
  });

  it('counts stats by tag exactly from the aggregate, a duplicate insert counted once', async () => {
    const counted = await h.platform.createBridge('counted', poolId);
    const plan = [
      ['a', 'a1'],
      ['a', 'a2'],
      ['a', 'a3'],
      ['b', 'b1'],
      [undefined, 'none1'],
    ] as const;
    const ids: string[] = [];
    for (const [tag, to] of plan) {
      const res = await h.platform.send(counted.apiKey, {
        from: 'app@sender.test',
        to: `${to}@example.test`,
        subject: 's',
        text: 't',
        ...(tag ? { tag } : {}),
      });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    await waitFor(
      async () =>
        (await h.platform.events(`bridge_id = '${counted.id}' AND type = 'delivered'`)).length === 5 ? 1 : 0,
      20_000,
      'five deliveries in ClickHouse',
    );
    // At-least-once from Redis: every row of this Bridge inserted a second time.
    const db = h.platform.config.clickhouse.database;
    const rows = await (
      await h.platform.clickhouse!.query({
        query: `SELECT * FROM ${db}.events WHERE bridge_id = {b:String}`,
        query_params: { b: counted.id },
        format: 'JSONEachRow',
      })
    ).json<Record<string, unknown>>();
    expect(rows.filter((r) => r.tag === 'a' && r.type === 'sent')).toHaveLength(3);
    // The materialized view aggregates this insert as any other; uniqExact keys count each once.
    await h.platform.clickhouse!.insert({ table: `${db}.events`, values: rows, format: 'JSONEachRow' });

    const stats = await h.platform.admin('GET', `/admin/v1/bridges/${counted.id}/stats?tag=a`);
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ sent: 3, delivered: 3, bounced: 0, rates: { deliveryRate: 1 } });
    expect((await h.platform.admin('GET', `/admin/v1/bridges/${counted.id}/stats?tag=b`)).body.sent).toBe(1);
    expect((await h.platform.admin('GET', `/admin/v1/bridges/${counted.id}/stats`)).body.sent).toBe(5);
    const series = await h.platform.admin('GET', `/admin/v1/bridges/${counted.id}/stats/series?tag=a&interval=hour`);
    expect(series.body.data.reduce((n: number, p: { delivered: number }) => n + p.delivered, 0)).toBe(3);
    const tags = await h.platform.admin('GET', `/admin/v1/bridges/${counted.id}/stats/tags`);
    expect(tags.status).toBe(200);
    expect(tags.body.data.map((r: { tag: string; sent: number }) => [r.tag, r.sent])).toEqual([
      ['a', 3],
      ['', 1],
      ['b', 1],
    ]);
    expect(tags.body.data[0]).toMatchObject({ delivered: 3, rates: { deliveryRate: 1 } });
    const bad = await h.platform.admin('GET', `/admin/v1/bridges/${counted.id}/stats?tag=${encodeURIComponent('a b')}`);
    expect(bad).toMatchObject({ status: 400, body: { error: { field: 'tag' } } });
    expect((await h.platform.admin('GET', '/admin/v1/bridges/nope/stats/tags')).status).toBe(404);
  });
});
