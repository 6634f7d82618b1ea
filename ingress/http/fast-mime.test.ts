import fc from 'fast-check';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { composeMime } from './build-mime.js';
import * as qp from 'nodemailer/lib/qp';
import { buildFastMime, encodeQuotedPrintableText, normalizeHeaderKey } from './fast-mime.js';
import type { Mailbox, SendRequest } from './send-schema.js';
import { headerName, sendRequest } from '../../test/support/send-request-arbitraries.js';

// MailComposer is the oracle: for every request the fast path must give a message that parses
// to the same thing, and the same bytes as MailComposer given the text with CRLF line breaks.

const DATE = new Date('2024-05-01T10:00:00Z');
const MESSAGE_ID = '<msg_01HZX@mail.bridgemail.example>';
const BOUNDARY = /--_NmP-[0-9a-f]{16}-Part_1/g;

const crlf = (s: string) => s.replace(/\r\n|\r|\n/g, '\r\n');
const lf = (s: string | false | undefined) => (typeof s === 'string' ? s.replace(/\r\n|\r/g, '\n') : s);
/**
 * The message with its boundary fixed and without quoted-printable soft line breaks: MimeNode's
 * streaming encoder holds back trailing whitespace, so its soft breaks can fall elsewhere than
 * nodemailer's one-shot qp.wrap puts them; both are valid, every other byte must match.
 */
const comparable = (raw: Buffer) => raw.toString('latin1').replace(BOUNDARY, 'BOUNDARY').replace(/=\r\n/g, '');
const headBlock = (raw: Buffer) => raw.toString('latin1').split('\r\n\r\n')[0] ?? '';
const overLong = (raw: Buffer) =>
  raw
    .toString('latin1')
    .split(/\r\n|\r|\n/)
    .some((line) => line.length > 998);

/** The request MailComposer gets to produce exactly our bytes: html and text with CRLF line breaks. */
const canonical = (req: SendRequest): SendRequest => ({
  ...req,
  ...(req.text === undefined ? {} : { text: crlf(req.text) }),
  ...(req.html === undefined ? {} : { html: crlf(req.html) }),
});

const mailbox = (name: string, address: string): Mailbox => ({ name, address });
const request = (over: Partial<SendRequest>): SendRequest => ({
  from: mailbox('Shop', 'shop@example.com'),
  to: [mailbox('', 'zoe@example.org')],
  cc: [],
  bcc: [],
  subject: 'Your order',
  ...over,
});

/** Asserts the framing rules on a fast-path message: CRLF only, lines of at most 998 octets. */
function expectWellFramed(raw: Buffer): void {
  const text = raw.toString('latin1');
  expect(text.endsWith('\r\n')).toBe(true);
  expect(/\r(?!\n)|(?<!\r)\n/.test(text)).toBe(false);
  for (const line of text.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
}

const addresses = (a: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.map((v) => ({ name: v.name, address: v.address })));

/** What a parse of a message says, boundaries and line-break style aside. */
function summary(p: ParsedMail) {
  const headers = [...p.headers].map(([k, v]) => {
    if (k !== 'content-type' || typeof v !== 'object' || v === null || !('params' in v)) return [k, v];
    return [k, { ...v, params: Object.fromEntries(Object.entries(v.params).filter(([name]) => name !== 'boundary')) }];
  });
  return {
    from: addresses(p.from),
    to: addresses(p.to),
    cc: addresses(p.cc),
    replyTo: addresses(p.replyTo),
    bcc: p.bcc,
    subject: p.subject,
    messageId: p.messageId,
    date: p.date?.getTime(),
    html: lf(p.html),
    text: lf(p.text),
    headers,
  };
}

describe('buildFastMime against MailComposer', () => {
  it('parses to the same message, bytes equal to MailComposer on CRLF text, on 2,000 random requests', async () => {
    const seen = new Map<string, number>();
    const count = (what: string, yes = true) => yes && seen.set(what, (seen.get(what) ?? 0) + 1);
    await fc.assert(
      fc.asyncProperty(
        sendRequest,
        fc.date({ min: new Date('1990-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
        async (req, date) => {
          const theirs = await composeMime(req, MESSAGE_ID, date);
          const ours = buildFastMime(req, MESSAGE_ID, date);
          if (!ours) {
            // Only a custom Content-Disposition or an address header that cannot fold into 998 octets.
            const disposition = Object.keys(req.headers ?? {}).some((k) => k.toLowerCase() === 'content-disposition');
            expect(disposition || overLong(theirs)).toBe(true);
            count('fallback');
            return;
          }
          count('fast');
          const raw = ours.toString('latin1');
          for (const cte of ['7bit', 'quoted-printable', 'base64'])
            count(cte, raw.includes(`Content-Transfer-Encoding: ${cte}\r\n`));
          count('multipart', raw.includes('multipart/alternative'));
          count('encoded-word subject', overLong(theirs) && /^Subject: =\?UTF-8\?Q\?/m.test(raw));
          count('40+ recipients', req.to.length + req.cc.length >= 40);
          count('non-ASCII subject', /[^\p{ASCII}]/u.test(req.subject ?? ''));
          expectWellFramed(ours);
          const head = headBlock(ours);
          expect(head).not.toMatch(/^bcc:/im);
          const shown = new Set(
            [req.from, ...req.to, ...req.cc, ...(req.replyTo ? [req.replyTo] : [])].map((m) => m.address.toLowerCase()),
          );
          for (const m of req.bcc)
            if (!shown.has(m.address.toLowerCase())) expect(head.toLowerCase()).not.toContain(m.address.toLowerCase());

          const theirsOnCrlf = await composeMime(canonical(req), MESSAGE_ID, date);
          // MimeNode ends a message with CRLF unless it already ends in LF, so after a single part
          // ending in a bare CR it adds just LF and the text loses a line break; we keep it. Such a
          // request is compared with MailComposer given the text with CRLF line breaks.
          const reference = /\r$/.test(req.text || req.html || '') ? theirsOnCrlf : theirs;
          const [a, b] = await Promise.all([simpleParser(ours), simpleParser(reference)]);
          expect(summary(a)).toEqual(summary(b));
          expect(a.bcc).toBeUndefined();
          // Where MailComposer's own output is RFC-clean, ours is the same bytes (bar the boundary).
          if (!overLong(theirs)) expect(comparable(ours)).toBe(comparable(theirsOnCrlf));
        },
      ),
      { numRuns: 2000, seed: 20240501 },
    );
    // The run covered what it claims to.
    expect(seen.get('fast')).toBeGreaterThan(1800);
    for (const what of [
      'fallback',
      '7bit',
      'quoted-printable',
      'base64',
      'multipart',
      'encoded-word subject',
      '40+ recipients',
      'non-ASCII subject',
    ]) {
      expect(seen.get(what) ?? 0, what).toBeGreaterThan(10);
    }
  }, 300_000);

  it('writes header keys as MimeNode does', async () => {
    await fc.assert(
      fc.asyncProperty(headerName, async (name) => {
        const raw = await composeMime(request({ headers: { [name]: 'v' }, text: 'x' }), MESSAGE_ID, DATE);
        expect(raw.toString().split(': ')[0]).toBe(normalizeHeaderKey(name));
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});

describe('encodeQuotedPrintableText', () => {
  it('gives what nodemailer’s qp.encode gives, on 20,000 random texts', () => {
    const text = fc.string({
      unit: fc.oneof(
        {
          arbitrary: fc.constantFrom(
            ' ',
            '\t',
            '\r\n',
            '\r',
            '\n',
            '=',
            'a',
            '.',
            '\x00',
            '\x07',
            '\x0b',
            '\x1f',
            '\x7f',
            '~',
          ),
          weight: 8,
        },
        { arbitrary: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), weight: 4 },
        { arbitrary: fc.constantFrom('é', '€', '🎉', '\u2028'), weight: 1 },
      ),
      maxLength: 200,
    });
    fc.assert(
      fc.property(text, (t) => {
        expect(encodeQuotedPrintableText(t)).toBe(qp.encode(t));
      }),
      { numRuns: 20_000 },
    );
  });

  it('gives what qp.encode gives on 5,000 texts of printable ASCII, line breaks and blanks (the fast path)', () => {
    const text = fc.string({
      unit: fc.oneof(
        { arbitrary: fc.constantFrom('a', 'Z', '=', '~', '.', '<p>', '\r\n'), weight: 20 },
        { arbitrary: fc.constantFrom(' ', '\t', ' \r\n', '\t\n', '\r', '\n'), weight: 1 },
      ),
      maxLength: 300,
    });
    fc.assert(
      fc.property(text, (t) => {
        expect(encodeQuotedPrintableText(t)).toBe(qp.encode(t));
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('buildFastMime header lines', () => {
  it('writes the typical html message with exactly MailComposer’s header block', () => {
    const raw = buildFastMime(request({ html: '<p>Thanks for your order.</p>\n' }), MESSAGE_ID, DATE);
    expect(raw?.toString()).toBe(
      [
        'From: Shop <shop@example.com>',
        'To: zoe@example.org',
        'Subject: Your order',
        `Message-ID: ${MESSAGE_ID}`,
        'Date: Wed, 01 May 2024 10:00:00 +0000',
        'Content-Transfer-Encoding: 7bit',
        'MIME-Version: 1.0',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>Thanks for your order.</p>',
        '',
      ].join('\r\n'),
    );
  });

  it('encodes non-ASCII names and subjects, quotes specials, puts custom headers first, leaves Bcc out', () => {
    const req = request({
      from: mailbox('Jörg Müller', 'jorg@example.com'),
      to: [
        mailbox('王小明', 'xm@example.cn'),
        mailbox('Doe, Jane', 'jane@example.org'),
        mailbox('', 'plain@example.org'),
      ],
      cc: [mailbox('Émilie 🎉', 'em@example.fr')],
      bcc: [mailbox('Secret', 'secret@example.net')],
      replyTo: mailbox('Support', 'support@example.com'),
      subject: 'Ihre Bestellung 🎉 ist unterwegs – 注文',
      text: 'Hallo Jörg\n\nDanke.\n',
      html: '<p>Hallo Jörg</p>',
      headers: {
        'x-campaign-id': 'spring-24',
        'list-unsubscribe': '<https://example.com/u/1>',
        'mime-extra': 'x',
        'X-Empty': '  ',
      },
    });
    const raw = buildFastMime(req, MESSAGE_ID, DATE)?.toString() ?? '';
    expect(raw.replace(BOUNDARY, 'B').replace(BOUNDARY, 'B').replace(BOUNDARY, 'B').replace(BOUNDARY, 'B')).toBe(
      [
        'X-Campaign-ID: spring-24',
        'List-Unsubscribe: <https://example.com/u/1>',
        'MIME-Extra: x',
        'From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <jorg@example.com>',
        'To: =?UTF-8?B?546L5bCP5piO?= <xm@example.cn>, "Doe, Jane"',
        ' <jane@example.org>, plain@example.org',
        'Cc: =?UTF-8?Q?=C3=89milie_=F0=9F=8E=89?= <em@example.fr>',
        'Reply-To: Support <support@example.com>',
        'Subject: =?UTF-8?Q?Ihre_Bestellung_=F0=9F=8E=89_ist_unterwe?=',
        ' =?UTF-8?Q?gs_=E2=80=93_=E6=B3=A8=E6=96=87?=',
        `Message-ID: ${MESSAGE_ID}`,
        'Date: Wed, 01 May 2024 10:00:00 +0000',
        'MIME-Version: 1.0',
        'Content-Type: multipart/alternative;',
        ' boundary="B"',
        '',
        // text first, then html; both quoted-printable (8-bit, mostly Latin letters)
        '--B',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'Hallo J=C3=B6rg',
        '',
        'Danke.',
        '',
        '--B',
        'Content-Type: text/html; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        '<p>Hallo J=C3=B6rg</p>',
        '--B--',
        '',
      ].join('\r\n'),
    );
    expect(raw).not.toContain('secret@example.net');
  });

  it('chooses base64 for mostly non-Latin text and quoted-printable for long ASCII lines', () => {
    const cjk = buildFastMime(request({ text: '日本語のテキストです。\n'.repeat(3) }), MESSAGE_ID, DATE)?.toString();
    expect(cjk).toContain('Content-Transfer-Encoding: base64\r\n');
    const long = buildFastMime(request({ text: 'word '.repeat(40) }), MESSAGE_ID, DATE)?.toString();
    expect(long).toContain('Content-Transfer-Encoding: quoted-printable\r\n');
    const digits = buildFastMime(request({ text: '1234567890'.repeat(10) }), MESSAGE_ID, DATE)?.toString();
    expect(digits).toContain('Content-Transfer-Encoding: base64\r\n');
  });

  it('leaves out an empty Subject and writes an empty message as bare text/plain', () => {
    const raw = buildFastMime(request({ subject: '', text: '' }), MESSAGE_ID, DATE)?.toString();
    expect(raw).toBe(
      [
        'From: Shop <shop@example.com>',
        'To: zoe@example.org',
        `Message-ID: ${MESSAGE_ID}`,
        'Date: Wed, 01 May 2024 10:00:00 +0000',
        'MIME-Version: 1.0',
        'Content-Type: text/plain',
        '',
        '',
      ].join('\r\n'),
    );
  });

  it('turns bare LF and CR into CRLF, keeps trailing spaces and lone dots', async () => {
    const raw = buildFastMime(request({ text: 'one  \n.\rthree\n' }), MESSAGE_ID, DATE);
    expect(raw?.toString().split('\r\n\r\n')[1]).toBe('one  \r\n.\r\nthree\r\n');
    expect((await simpleParser(raw ?? Buffer.alloc(0))).text).toBe('one  \n.\nthree\n');
  });

  it('writes a 998-character Subject word as encoded words where MailComposer writes a 999-octet line', async () => {
    const req = request({ subject: 'x'.repeat(998), text: 'x' });
    const ours = buildFastMime(req, MESSAGE_ID, DATE) ?? Buffer.alloc(0);
    expectWellFramed(ours);
    expect(headBlock(ours)).toContain('Subject: =?UTF-8?Q?xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx?=\r\n =?UTF-8?Q?x');
    const theirs = await composeMime(req, MESSAGE_ID, DATE);
    expect(overLong(theirs)).toBe(true);
    expect(summary(await simpleParser(ours))).toEqual(summary(await simpleParser(theirs)));
  });

  it('leaves a custom header that cannot fold into 998 octets to MailComposer (it may be structured)', () => {
    const req = request({ headers: { 'List-Unsubscribe': `<https://example.com/${'u'.repeat(976)}>` }, text: 'x' });
    expect(buildFastMime(req, MESSAGE_ID, DATE)).toBeUndefined();
  });

  it('leaves attachments and a custom Content-Disposition to MailComposer', () => {
    expect(
      buildFastMime(request({ text: 'x', attachments: [{ filename: 'a.txt', content: 'aGk=' }] }), MESSAGE_ID, DATE),
    ).toBeUndefined();
    expect(
      buildFastMime(request({ text: 'x', headers: { 'content-disposition': 'inline' } }), MESSAGE_ID, DATE),
    ).toBeUndefined();
    expect(buildFastMime(request({ text: 'x', attachments: [] }), MESSAGE_ID, DATE)).toBeInstanceOf(Buffer);
  });

  it('cannot be made to write a header field of its own through a value', () => {
    const req = request({
      from: mailbox('Evil\r\nBcc: x@evil.example', 'a@example.com'),
      subject: 'Hi\r\nX-Injected: 1',
      headers: { 'X-A': 'v\nX-Injected: 2', 'X-B': 'v\rX-Injected: 3' },
      text: 'x',
    });
    const raw = buildFastMime(req, MESSAGE_ID, DATE);
    expect(raw).toBeInstanceOf(Buffer);
    const head = headBlock(raw ?? Buffer.alloc(0));
    expect(head).not.toMatch(/^(X-Injected|Bcc):/im);
    expectWellFramed(raw ?? Buffer.alloc(0));
  });
});
