import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { simpleParser } from 'mailparser';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { submissionTransport } from '../support/smtp-client.js';
import { waitFor } from '../support/wait.js';

// Templates end to end on one platform delivering to a loopback sink: saved and checked through the
// admin API, sent over REST (single, batch) and SMTP; tracking and everything after acceptance see
// the rendered message.
describe('templates', () => {
  const h = useHarness({ BRIDGEMAIL_TRACKING_SCANNER_WINDOW_MS: '0' });
  let poolId: string;
  let seq = 0;

  const bridgeWith = (trackOpens: boolean, trackClicks: boolean) =>
    h.platform.createBridge(`tpl-${trackOpens}-${trackClicks}-${seq++}`, poolId, { trackOpens, trackClicks });
  const arrival = (to: string) =>
    waitFor(() => h.sink.messages.find((m) => m.to.includes(to)), 20_000, `mail to ${to}`);
  const trackedLinks = (html: string) => [...html.matchAll(/href="([^"]*\/t\/c\/[^"]+)"/g)].map((m) => m[1]!);

  beforeAll(async () => {
    poolId = (await h.platform.createPool('templates', ['127.0.0.2'])).id;
  });

  const hostile = `<b>Tom & "Jerry"</b>`;
  const escaped = '&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;&#x2F;b&gt;';
  const orderTemplate = {
    name: 'Order',
    alias: 'order-confirmation',
    subject: 'Order {{id}} for {{name}}',
    html: '<p>Hello {{name}}</p><p>{{#items}}<i>{{sku}}</i>{{/items}}</p><a href="https://shop.example/o/{{id}}">order</a>',
    text: 'Hello {{name}}, order {{id}}',
  };
  let template: any;
  let bridge: any;

  beforeAll(async () => {
    bridge = await bridgeWith(false, true);
    const created = await h.platform.admin('POST', '/admin/v1/templates', orderTemplate);
    expect(created.status).toBe(201);
    template = created.body;
  });

  it('refuses at save what does not compile (field, line, column), a taken alias and an unknown Bridge', async () => {
    const bad = await h.platform.admin('POST', '/admin/v1/templates', {
      ...orderTemplate,
      alias: 'broken',
      html: '<p>\n  {{#items}}<i>{{sku}}</i>\n</p>',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'TEMPLATE_INVALID', field: 'html', line: 2, column: 3 });
    expect(bad.body.error.message).toContain('line 2, column 3');
    const patched = await h.platform.admin('PATCH', `/admin/v1/templates/${template.id}`, { subject: 'Hi {{name' });
    expect(patched.body.error).toMatchObject({ code: 'TEMPLATE_INVALID', field: 'subject', line: 1, column: 10 });
    for (const alias of ['Order', 'order confirmation', 'order/1', '']) {
      const refused = await h.platform.admin('POST', '/admin/v1/templates', { ...orderTemplate, alias });
      expect([refused.status, refused.body.error.code, refused.body.error.field], alias).toEqual([
        400,
        'VALIDATION_FAILED',
        'alias',
      ]);
    }
    const taken = await h.platform.admin('POST', '/admin/v1/templates', orderTemplate);
    expect([taken.status, taken.body.error.code]).toEqual([409, 'TEMPLATE_ALIAS_TAKEN']);
    const nobody = await h.platform.admin('POST', '/admin/v1/templates', {
      ...orderTemplate,
      alias: 'nobody',
      bridgeId: 'brg_missing',
    });
    expect([nobody.status, nobody.body.error.code, nobody.body.error.field]).toEqual([
      400,
      'BRIDGE_NOT_FOUND',
      'bridgeId',
    ]);
    const preview = await h.platform.admin('POST', `/admin/v1/templates/${template.id}/render`, {
      model: { name: hostile, items: [{ sku: 'a' }, {}] },
    });
    expect(preview.body).toMatchObject({ subject: `Order  for ${hostile}`, missing: ['id', 'items.sku'] });
    expect(preview.body.html).toContain(`<p>Hello ${escaped}</p>`);
  });

  it('renders REST single and batch sends, each with its own model, escaped in html only and click-tracked', async () => {
    const send = (body: unknown) => h.platform.send(bridge.apiKey, body);
    const base = { from: 'shop@sender.test', templateAlias: 'order-confirmation' };
    expect((await send({ ...base, to: 'tpl-one@example.test', templateModel: { id: 7, name: hostile } })).status).toBe(
      202,
    );
    const both = await send({ ...base, to: 'x@example.test', subject: 'mine', templateModel: {} });
    expect([both.status, ((await both.json()) as any).error.field]).toEqual([400, 'subject']);
    const batch = await fetch(`${h.platform.urls.api}/v1/send/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bridge.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify([
        { ...base, to: 'tpl-b0@example.test', templateModel: { id: 100, name: 'Ann', items: [{ sku: 'x1' }] } },
        {
          from: base.from,
          to: 'tpl-b1@example.test',
          templateId: template.id,
          templateModel: { id: 101, name: 'Bo' },
        },
        { ...base, templateAlias: 'no-such-template', to: 'tpl-b2@example.test' },
      ]),
    });
    const results = ((await batch.json()) as any).data;
    expect(results[0].id).toBeDefined();
    expect(results[1].id).toBeDefined();
    expect(results[2].error).toMatchObject({ code: 'TEMPLATE_NOT_FOUND', field: '[2].templateAlias' });

    const one = await simpleParser((await arrival('tpl-one@example.test')).raw);
    expect(one.subject).toBe(`Order 7 for ${hostile}`);
    expect(one.text?.trim()).toBe(`Hello ${hostile}, order 7`);
    const html = String(one.html);
    expect(html).toContain(`<p>Hello ${escaped}</p>`);
    expect(html).not.toContain('https://shop.example/o/7');
    expect(trackedLinks(html)).toHaveLength(1);
    const b0 = await simpleParser((await arrival('tpl-b0@example.test')).raw);
    const b1 = await simpleParser((await arrival('tpl-b1@example.test')).raw);
    expect([b0.subject, b1.subject]).toEqual(['Order 100 for Ann', 'Order 101 for Bo']);
    expect(String(b0.html)).toContain('<i>x1</i>');
    expect(h.sink.messages.some((m) => m.to.includes('tpl-b2@example.test'))).toBe(false);

    // A link whose whole URL comes from the model is escaped (&#x2F;, &amp;, &#x3D;) and still tracked to it.
    const url = 'https://shop.example/p?a=1&b=2';
    const link = await h.platform.admin('POST', '/admin/v1/templates', {
      name: 'Link',
      alias: 'link-only',
      subject: 'Link',
      html: '<a href="{{url}}">go</a>',
    });
    expect(link.status).toBe(201);
    expect(
      (
        await send({
          from: base.from,
          to: 'tpl-link@example.test',
          templateAlias: 'link-only',
          templateModel: { url },
        })
      ).status,
    ).toBe(202);
    const [tracked] = trackedLinks(String((await simpleParser((await arrival('tpl-link@example.test')).raw)).html));
    const hop = await fetch(tracked!, { redirect: 'manual' });
    expect([hop.status, hop.headers.get('location')]).toEqual([302, url]);
  });

  it('renders SMTP X-Bridgemail-Template with a folded model, keeps the other headers, refuses a bad model', async () => {
    const transport = submissionTransport(h.platform.ports.smtp, {
      user: bridge.smtp.username,
      pass: bridge.smtp.password,
    });
    const model = JSON.stringify({ id: 'S1', name: hostile, items: [{ sku: 'k' }] });
    const raw = (to: string, modelHeader: string) =>
      Buffer.from(
        `From: Shop <shop@sender.test>\r\nTo: ${to}\r\nReply-To: help@sender.test\r\nX-Custom: kept\r\n` +
          `Subject: submitted subject\r\nX-Bridgemail-Template: order-confirmation\r\n` +
          `X-Bridgemail-Template-Model: ${modelHeader}\r\nContent-Type: text/plain\r\n\r\nsubmitted body\r\n`,
      );
    // Folded between JSON tokens, as a long header field would be.
    const folded = model.replace(',"name"', ',\r\n  "name"');
    await transport.sendMail({
      envelope: { from: 'shop@sender.test', to: ['tpl-smtp@example.test'] },
      raw: raw('tpl-smtp@example.test', folded),
    });
    const got = await arrival('tpl-smtp@example.test');
    const parsed = await simpleParser(got.raw);
    expect(parsed.subject).toBe(`Order S1 for ${hostile}`);
    expect(parsed.text?.trim()).toBe(`Hello ${hostile}, order S1`);
    expect(String(parsed.html)).toContain(`<p>Hello ${escaped}</p><p><i>k</i></p>`);
    expect(trackedLinks(String(parsed.html))).toHaveLength(1);
    expect(parsed.replyTo?.text).toBe('help@sender.test');
    expect(parsed.headers.get('x-custom')).toBe('kept');
    expect(got.raw.toString()).not.toMatch(/x-bridgemail-template|submitted (subject|body)/i);
    await expect(
      transport.sendMail({
        envelope: { from: 'shop@sender.test', to: ['tpl-bad@example.test'] },
        raw: raw('tpl-bad@example.test', '["not", "an object"]'),
      }),
    ).rejects.toThrow(/550 5\.7\.0/);
  });

  it('sees a change or a Bridge binding at once, and refuses a template bound to another Bridge', async () => {
    const other = await bridgeWith(false, false);
    const bound = await h.platform.admin('POST', '/admin/v1/templates', {
      name: 'Bound',
      alias: 'bound-one',
      subject: 'v1 {{x}}',
      text: 'v1',
      bridgeId: other.id,
    });
    expect(bound.status).toBe(201);
    const msg = { from: 'shop@sender.test', to: 'tpl-bound@example.test', templateAlias: 'bound-one' };
    const refused = await h.platform.send(bridge.apiKey, msg);
    expect([refused.status, ((await refused.json()) as any).error.code]).toEqual([400, 'TEMPLATE_NOT_FOUND']);
    expect((await h.platform.send(other.apiKey, { ...msg, templateModel: { x: 'a' } })).status).toBe(202);
    expect((await simpleParser((await arrival('tpl-bound@example.test')).raw)).subject).toBe('v1 a');
    await h.platform.admin('PATCH', `/admin/v1/templates/${bound.body.id}`, { subject: 'v2 {{x}}' });
    expect((await h.platform.send(other.apiKey, { ...msg, to: 'tpl-v2@example.test' })).status).toBe(202);
    expect((await simpleParser((await arrival('tpl-v2@example.test')).raw)).subject).toBe('v2');
    expect((await h.platform.admin('DELETE', `/admin/v1/templates/${bound.body.id}`)).status).toBe(200);
    const gone = await h.platform.send(other.apiKey, msg);
    expect(((await gone.json()) as any).error.code).toBe('TEMPLATE_NOT_FOUND');
  });

  it('signs the rendered message and carries its tag, over REST (single, batch) and SMTP', async () => {
    const domain = await h.platform.admin('POST', '/admin/v1/domains', { domain: 'tpl-signed.example' });
    expect(domain.status).toBe(201);
    const record = domain.body.dnsRecord as { name: string; value: string };
    const resolver = (name: string, rr: string) =>
      rr === 'TXT' && name === record.name
        ? Promise.resolve([[record.value]])
        : Promise.reject(Object.assign(new Error(`no ${rr} for ${name}`), { code: 'ENOTFOUND' }));
    const signed = await bridgeWith(true, true);
    const base = { from: 'shop@tpl-signed.example', templateAlias: 'order-confirmation', tag: 'orders' };
    const one = await h.platform.send(signed.apiKey, {
      ...base,
      to: 'tpl-signed-one@example.test',
      templateModel: { id: 1, name: 'Ann' },
      metadata: { order: '1' },
    });
    expect(one.status).toBe(202);
    const batch = await fetch(`${h.platform.urls.api}/v1/send/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${signed.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ ...base, to: 'tpl-signed-batch@example.test', templateModel: { id: 2, name: 'Bo' } }]),
    });
    const batchId = ((await batch.json()) as any).data[0].id as string;
    const smtp = await submissionTransport(h.platform.ports.smtp, {
      user: signed.smtp.username,
      pass: signed.smtp.password,
    }).sendMail({
      envelope: { from: 'shop@tpl-signed.example', to: ['tpl-signed-smtp@example.test'] },
      raw:
        'From: shop@tpl-signed.example\r\nTo: tpl-signed-smtp@example.test\r\nSubject: x\r\n' +
        'X-Bridgemail-Template: order-confirmation\r\nX-Bridgemail-Template-Model: {"id":3,"name":"Cy"}\r\n' +
        'X-Bridgemail-Tag: orders\r\nContent-Type: text/plain\r\n\r\nbody\r\n',
    });
    const smtpId = /queued as (\S+)/.exec(smtp.response)?.[1] ?? '';
    const ids = [((await one.json()) as { id: string }).id, batchId, smtpId];

    for (const [to, id] of [
      ['one', 1],
      ['batch', 2],
      ['smtp', 3],
    ] as const) {
      const got = await arrival(`tpl-signed-${to}@example.test`);
      const results = (await dkimVerify(got.raw, { resolver })).results as { status: { result: string } }[];
      expect(results.map((r) => r.status.result)).toEqual(['pass']);
      const parsed = await simpleParser(got.raw);
      expect(parsed.subject).toBe(`Order ${id} for ${['Ann', 'Bo', 'Cy'][id - 1]}`);
      // Tracked after rendering: the order link goes through the click endpoint.
      expect(trackedLinks(String(parsed.html))).toHaveLength(1);
      expect(parsed.headers.has('x-bridgemail-tag')).toBe(false);
    }
    for (const id of ids) {
      const events = await waitFor(
        async () => {
          const e = await h.platform.events('message_id = {id:String}', { id });
          return e.some((x) => x.type === 'delivered') ? e : undefined;
        },
        20_000,
        `events of ${id}`,
      );
      expect(new Set(events.map((e) => e.tag))).toEqual(new Set(['orders']));
    }
  });
});
