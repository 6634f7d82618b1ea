import { describe, it, expect } from 'vitest';
import { load } from 'cheerio';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { TrackingTokens } from '../../core/index.js';
import { applyTracking, capTracking, type TrackedCopy } from './apply-tracking.js';

const tokens = new TrackingTokens(Buffer.alloc(32, 0x42));
const BASE = 'https://links.shop.example';
const COPY: TrackedCopy = {
  messageId: 'msg_01HX',
  bridgeId: 'brg_7',
  poolId: 'pool_eu',
  recipient: 'zoe@client.example',
};

/** Trackable links of the message, in order, exactly as the recipient would follow them (entities decoded). */
const LINKS = [
  'https://shop.example/sale?utm_source=mail&utm_medium=email&c=autumn#top-picks',
  'https://shop.example/p/42?variant=blue&size=M',
  'http://blog.shop.example/2024/10/roasts/?ref=nl#comments',
];
const HTML = `<!doctype html><html><body>
<p><a href="https://shop.example/sale?utm_source=mail&amp;utm_medium=email&amp;c=autumn#top-picks">Sale</a></p>
<p><a href='https://shop.example/p/42?variant=blue&amp;size=M'>Blue mug</a> · <a href="mailto:help@shop.example">Help</a></p>
<p><a href=http://blog.shop.example/2024/10/roasts/?ref=nl#comments>Blog</a> · <a href="{{unsubscribe}}">Unsubscribe</a></p>
<p><a href="${BASE}/t/c/already">Already tracked</a> · <a href="https://shop.example/legal" data-bridgemail-notrack>Legal</a></p>
</body></html>`;

async function message(): Promise<Buffer> {
  return new MailComposer({
    from: 'shop@shop.example',
    to: COPY.recipient,
    subject: 'Autumn',
    text: 'Sale: https://shop.example/sale',
    html: HTML,
    attachments: [{ filename: 'terms.pdf', content: Buffer.from('%PDF-1.4 fake'), contentType: 'application/pdf' }],
  })
    .compile()
    .build();
}

async function htmlOf(raw: Buffer) {
  const parsed = await simpleParser(raw);
  return { parsed, $: load(parsed.html || '') };
}

const hrefs = ($: ReturnType<typeof load>) =>
  $('a')
    .map((_, el) => $(el).attr('href') ?? '')
    .get();
const pixels = ($: ReturnType<typeof load>) =>
  $(`img[src^="${BASE}/t/o/"]`)
    .map((_, el) => $(el).attr('src') ?? '')
    .get();

describe('applyTracking', () => {
  it('returns the very same Buffer when opens and clicks are both off', async () => {
    const raw = await message();
    expect(applyTracking(raw, { opens: false, clicks: false, baseUrl: BASE }, COPY, tokens)).toBe(raw);
  });

  it('with opens only, adds one pixel whose token verifies as an open of this copy, and changes no link', async () => {
    const raw = await message();
    const before = await htmlOf(raw);
    const startedAt = Date.now();
    const { parsed, $ } = await htmlOf(applyTracking(raw, { opens: true, clicks: false, baseUrl: BASE }, COPY, tokens));
    const [pixel, ...more] = pixels($);
    expect(more).toEqual([]);
    const claims = tokens.verify(pixel!.slice(`${BASE}/t/o/`.length), 'o');
    expect(claims).toMatchObject({ k: 'o', m: COPY.messageId, b: COPY.bridgeId, p: COPY.poolId, r: COPY.recipient });
    expect(claims!.t).toBeGreaterThanOrEqual(startedAt);
    expect(claims!.t).toBeLessThanOrEqual(Date.now());
    expect(tokens.verify(pixel!.slice(`${BASE}/t/o/`.length), 'c')).toBeUndefined();
    expect(hrefs($)).toEqual(hrefs(before.$));
    expect(parsed.html).not.toContain('data-bridgemail-notrack');
    expect(parsed.text).toBe(before.parsed.text);
    expect(parsed.attachments[0]!.content.toString()).toBe('%PDF-1.4 fake');
  });

  it('with clicks only, tracks each link with a token carrying the exact original URL and its index, and adds no pixel', async () => {
    const raw = await message();
    const { $ } = await htmlOf(applyTracking(raw, { opens: false, clicks: true, baseUrl: BASE }, COPY, tokens));
    expect($('img').length).toBe(0);
    const links = hrefs($);
    const tracked = links.filter((h) => h.startsWith(`${BASE}/t/c/`) && h !== `${BASE}/t/c/already`);
    expect(tracked).toHaveLength(LINKS.length);
    tracked.forEach((href, i) => {
      const token = href.slice(`${BASE}/t/c/`.length);
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(tokens.verify(token, 'c')).toMatchObject({
        k: 'c',
        u: LINKS[i],
        i,
        m: COPY.messageId,
        b: COPY.bridgeId,
        p: COPY.poolId,
        r: COPY.recipient,
      });
      expect(tokens.verify(token, 'o')).toBeUndefined();
    });
    expect(links.filter((h) => !h.startsWith(`${BASE}/t/c/`) || h === `${BASE}/t/c/already`)).toEqual([
      'mailto:help@shop.example',
      '{{unsubscribe}}',
      `${BASE}/t/c/already`,
      'https://shop.example/legal',
    ]);
  });

  it('with both on, adds the pixel and tracks the links', async () => {
    const { $ } = await htmlOf(
      applyTracking(await message(), { opens: true, clicks: true, baseUrl: BASE }, COPY, tokens),
    );
    expect(pixels($)).toHaveLength(1);
    expect(hrefs($).filter((h) => h.startsWith(`${BASE}/t/c/`))).toHaveLength(LINKS.length + 1);
  });

  it('joins a base URL with trailing slashes without doubling them', async () => {
    const { $ } = await htmlOf(
      applyTracking(await message(), { opens: true, clicks: true, baseUrl: `${BASE}//` }, COPY, tokens),
    );
    for (const url of [...pixels($), ...hrefs($)]) expect(url).not.toContain('//t/');
    expect(pixels($)).toHaveLength(1);
  });
});

describe('capTracking', () => {
  const both = { trackOpens: true, trackClicks: true };

  it('keeps what the Bridge tracks when there is no ceiling', () => {
    expect(capTracking(both, undefined)).toEqual({ opens: true, clicks: true });
    expect(capTracking({ trackOpens: true, trackClicks: false }, undefined)).toEqual({ opens: true, clicks: false });
  });

  it('narrows tracking to the ceiling', () => {
    expect(capTracking(both, 'none')).toEqual({ opens: false, clicks: false });
    expect(capTracking(both, 'opens')).toEqual({ opens: true, clicks: false });
    expect(capTracking(both, 'clicks')).toEqual({ opens: false, clicks: true });
  });

  it('never turns on what the Bridge has off', () => {
    const off = { trackOpens: false, trackClicks: false };
    for (const ceiling of [undefined, 'none', 'opens', 'clicks'] as const)
      expect(capTracking(off, ceiling)).toEqual({ opens: false, clicks: false });
  });
});
