import { createHash, randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrackingTokens } from '../../core/index.js';
import { useHarness } from '../support/harness.js';
import { submissionTransport } from '../support/smtp-client.js';
import type { SinkMessage } from '../support/smtp-sink.js';
import { waitFor } from '../support/wait.js';

const HTML =
  '<html><body><p>Hello <a href="https://shop.example/order?id=42&amp;ref=mail#top">your order</a>, ' +
  '<a href="mailto:help@shop.example">help</a> and <a href="https://shop.example/unsub" data-bridgemail-notrack>unsubscribe</a>.</p></body></html>';
const ORIGINAL_URL = 'https://shop.example/order?id=42&ref=mail#top';

describe('per-Bridge open and click tracking', () => {
  const h = useHarness({ BRIDGEMAIL_TRACKING_SCANNER_WINDOW_MS: '0' });
  let poolId: string;
  let seq = 0;

  const bridgeWith = (trackOpens: boolean, trackClicks: boolean) =>
    h.platform.createBridge(`t-${trackOpens}-${trackClicks}-${seq++}`, poolId, { trackOpens, trackClicks });
  const arrival = (to: string) =>
    waitFor(() => h.sink.messages.find((m) => m.to.includes(to)), 20_000, `mail to ${to}`);
  const sendHtml = async (bridge: any, to: string, headers?: Record<string, string>) => {
    const res = await h.platform.send(bridge.apiKey, {
      from: 'shop@sender.test',
      to,
      subject: 'Order',
      html: HTML,
      text: 'plain part',
      ...(headers ? { headers } : {}),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const trackedLinks = (html: string) => [...html.matchAll(/href="([^"]*\/t\/c\/[^"]+)"/g)].map((m) => m[1]!);
  const pixels = (html: string) => [...html.matchAll(/<img src="([^"]*\/t\/o\/[^"]+)"/g)].map((m) => m[1]!);
  const bodyOf = (m: SinkMessage) => m.raw.subarray(m.raw.indexOf('\r\n\r\n') + 4);

  beforeAll(async () => {
    poolId = (await h.platform.createPool('tracking', ['127.0.0.2'])).id;
  });

  it('applies each toggle combination at send time', async () => {
    const cases = [
      { opens: false, clicks: false },
      { opens: true, clicks: false },
      { opens: false, clicks: true },
      { opens: true, clicks: true },
    ];
    for (const c of cases) {
      const bridge = await bridgeWith(c.opens, c.clicks);
      const to = `combo-${c.opens}-${c.clicks}@example.test`;
      await sendHtml(bridge, to);
      const parsed = await simpleParser((await arrival(to)).raw);
      const html = String(parsed.html);
      expect(parsed.text?.trim()).toBe('plain part');
      expect(pixels(html)).toHaveLength(c.opens ? 1 : 0);
      expect(trackedLinks(html)).toHaveLength(c.clicks ? 1 : 0);
      // mailto and opted-out links are never tracked; the opt-out marker goes away only when rewriting.
      expect(html).toContain('href="mailto:help@shop.example"');
      expect(html).toContain('href="https://shop.example/unsub"');
      if (!c.opens && !c.clicks) expect(html).toBe(HTML);
      else expect(html).not.toContain('data-bridgemail-notrack');
      for (const url of [...pixels(html), ...trackedLinks(html)])
        expect(url.startsWith(`${h.platform.urls.api}/t/`)).toBe(true);
    }
  });

  it('leaves the body byte for byte untouched when tracking is off (SMTP raw: plain, multipart, QP, base64)', async () => {
    const bridge = await bridgeWith(false, false);
    const transport = submissionTransport(h.platform.ports.smtp, {
      user: bridge.smtp.username,
      pass: bridge.smtp.password,
    });
    const html64 = Buffer.from(HTML).toString('base64').replace(/.{76}/g, '$&\r\n');
    const bodies = {
      plain: 'Content-Type: text/plain; charset=utf-8\r\n\r\nJust text.\r\nSecond line.\r\n',
      qp: 'Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>Gr=C3=BC=C3=9Fe <a href=3D"https://x.example/">x</a></p>\r\n',
      base64: `Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${html64}\r\n`,
      multipart:
        'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nplain\r\n--b1\r\n' +
        `Content-Type: text/html\r\n\r\n${HTML}\r\n--b1--\r\n`,
    };
    for (const [kind, rest] of Object.entries(bodies)) {
      const to = `raw-${kind}@example.test`;
      const raw = Buffer.from(
        `From: shop@sender.test\r\nTo: ${to}\r\nSubject: ${kind}\r\nMIME-Version: 1.0\r\n${rest}`,
      );
      await transport.sendMail({ envelope: { from: 'shop@sender.test', to: [to] }, raw });
      const got = await arrival(to);
      expect(got.raw.subarray(got.raw.length - raw.length).equals(raw), `${kind}: submitted bytes intact`).toBe(true);
      const prepended = got.raw.subarray(0, got.raw.length - raw.length).toString();
      expect(
        prepended === '' || /^([A-Za-z-]+:.*\r\n([ \t].*\r\n)*)+$/.test(prepended),
        `${kind}: only header fields prepended`,
      ).toBe(true);
      const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      expect(digest(bodyOf(got))).toBe(digest(raw.subarray(raw.indexOf('\r\n\r\n') + 4)));
    }
  });

  it('lets X-Bridgemail-Track turn tracking off, never on, and never delivers the header', async () => {
    const both = await bridgeWith(true, true);
    await sendHtml(both, 'ceiling-none@example.test', { 'X-Bridgemail-Track': 'none' });
    await sendHtml(both, 'ceiling-opens@example.test', { 'X-Bridgemail-Track': 'opens' });
    const clicksOnly = await bridgeWith(false, true);
    await sendHtml(clicksOnly, 'ceiling-up@example.test', { 'X-Bridgemail-Track': 'opens' });

    const none = await arrival('ceiling-none@example.test');
    expect(String((await simpleParser(none.raw)).html)).toBe(HTML);
    const opens = String((await simpleParser((await arrival('ceiling-opens@example.test')).raw)).html);
    expect([pixels(opens).length, trackedLinks(opens).length]).toEqual([1, 0]);
    const up = String((await simpleParser((await arrival('ceiling-up@example.test')).raw)).html);
    expect([pixels(up).length, trackedLinks(up).length]).toEqual([0, 0]);
    for (const to of ['ceiling-none@example.test', 'ceiling-opens@example.test', 'ceiling-up@example.test']) {
      expect((await arrival(to)).raw.toString()).not.toMatch(/x-bridgemail-track/i);
    }
  });

  it('reads the toggles when the message is processed: a change applies to the next message', async () => {
    const bridge = await bridgeWith(false, false);
    await sendHtml(bridge, 'toggle-before@example.test');
    expect(String((await simpleParser((await arrival('toggle-before@example.test')).raw)).html)).toBe(HTML);
    expect((await h.platform.admin('PATCH', `/admin/v1/bridges/${bridge.id}`, { trackClicks: true })).status).toBe(200);
    await sendHtml(bridge, 'toggle-after@example.test');
    const html = String((await simpleParser((await arrival('toggle-after@example.test')).raw)).html);
    expect(trackedLinks(html)).toHaveLength(1);
  });

  it('redirects a tracked click to the exact original URL once per click, keeps its token opaque, and 404s altered and forged tokens', async () => {
    const bridge = await bridgeWith(true, true);
    const id = await sendHtml(bridge, 'clicker@example.test');
    const html = String((await simpleParser((await arrival('clicker@example.test')).raw)).html);
    const [link] = trackedLinks(html);
    const res = await fetch(link!, {
      redirect: 'manual',
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0' },
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(ORIGINAL_URL);
    const clicks = await waitFor(
      async () => {
        const e = await h.platform.events("message_id = {id:String} AND type = 'clicked'", { id });
        return e.length > 0 ? e : undefined;
      },
      20_000,
      'clicked event',
    );
    expect(clicks).toHaveLength(1);
    expect(clicks[0]).toMatchObject({
      url: ORIGINAL_URL,
      recipient: 'clicker@example.test',
      machine: 0,
      bridge_id: bridge.id,
    });
    expect(clicks[0].user_agent).toContain('Firefox');

    const token = link!.slice(link!.lastIndexOf('/') + 1);
    // The token is opaque: neither it nor its base64 decodings show the recipient, the Bridge or the URL.
    for (const view of [
      token,
      Buffer.from(token, 'base64').toString('latin1'),
      Buffer.from(token, 'base64url').toString('utf8'),
    ]) {
      for (const secret of ['clicker@example.test', 'clicker', bridge.id, poolId, id, 'shop.example', ORIGINAL_URL])
        expect(view).not.toContain(secret);
    }
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    const claims = {
      k: 'c',
      m: id,
      b: bridge.id,
      p: poolId,
      r: 'clicker@example.test',
      t: 0,
      i: 0,
      u: 'https://evil.example/',
    } as const;
    const forged = [
      ...Array.from(token, (_, i) => flip(token, i)),
      new TrackingTokens(randomBytes(32)).sign(claims),
      `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${token.slice(0, 22)}`,
      'garbage',
    ];
    for (const f of forged) {
      const r = await fetch(`${h.platform.urls.api}/t/c/${f}`, { redirect: 'manual' });
      expect(r.status, f).toBe(404);
      expect(r.headers.get('location')).toBeNull();
    }
    // An open token is not a click token.
    const [pixel] = pixels(html);
    const openToken = pixel!.slice(pixel!.lastIndexOf('/') + 1);
    expect((await fetch(`${h.platform.urls.api}/t/c/${openToken}`, { redirect: 'manual' })).status).toBe(404);
  });

  it('serves a 43-byte uncached GIF and counts human and machine opens and clicks apart in the stats', async () => {
    const bridge = await bridgeWith(true, true);
    await sendHtml(bridge, 'reader@example.test');
    const html = String((await simpleParser((await arrival('reader@example.test')).raw)).html);
    const [pixel] = pixels(html);
    const [link] = trackedLinks(html);
    const human = {
      'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15',
    };
    const gif = await fetch(pixel!, { headers: human });
    expect(gif.status).toBe(200);
    expect(gif.headers.get('content-type')).toBe('image/gif');
    expect(gif.headers.get('cache-control')).toMatch(/no-store/);
    expect(Buffer.from(await gif.arrayBuffer())).toHaveLength(43);
    await (await fetch(pixel!, { headers: human })).arrayBuffer();
    await (
      await fetch(pixel!, { headers: { 'user-agent': 'Mozilla/5.0 (via ggpht.com GoogleImageProxy)' } })
    ).arrayBuffer();
    await (await fetch(pixel!, { headers: { 'user-agent': 'Mozilla/5.0' } })).arrayBuffer();
    await (await fetch(link!, { redirect: 'manual', headers: human })).arrayBuffer();
    await (await fetch(link!, { redirect: 'manual', headers: { 'user-agent': 'Mimecast URL Protect' } })).arrayBuffer();
    const stats = await waitFor(
      async () => {
        const s = await h.platform.stats(bridge.id);
        return s.opens + s.machineOpens === 4 && s.clicks + s.machineClicks === 2 ? s : undefined;
      },
      20_000,
      'opens and clicks in stats',
    );
    expect(stats).toMatchObject({
      opens: 2,
      uniqueOpens: 1,
      machineOpens: 2,
      clicks: 1,
      uniqueClicks: 1,
      machineClicks: 1,
      delivered: 1,
    });
    expect((await fetch(`${h.platform.urls.api}/t/o/forged.token`)).status).toBe(404);
  });

  it('tracks HTML submitted raw over SMTP in a base64 part, keeping its encoding', async () => {
    const bridge = await bridgeWith(true, true);
    const transport = submissionTransport(h.platform.ports.smtp, {
      user: bridge.smtp.username,
      pass: bridge.smtp.password,
    });
    const html64 = Buffer.from(HTML).toString('base64').replace(/.{76}/g, '$&\r\n');
    const raw = Buffer.from(
      'From: shop@sender.test\r\nTo: b64@example.test\r\nSubject: b64\r\nMIME-Version: 1.0\r\n' +
        'Content-Type: multipart/alternative; boundary="zz"\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nplain\r\n--zz\r\n' +
        `Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${html64}\r\n--zz--\r\n`,
    );
    await transport.sendMail({ envelope: { from: 'shop@sender.test', to: ['b64@example.test'] }, raw });
    const got = await arrival('b64@example.test');
    expect(got.raw.toString()).toMatch(/Content-Transfer-Encoding: base64/);
    const html = String((await simpleParser(got.raw)).html);
    expect(pixels(html)).toHaveLength(1);
    expect(trackedLinks(html)).toHaveLength(1);
  });
});
