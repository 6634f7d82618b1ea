import { describe, it, expect } from 'vitest';
import iconv from 'iconv-lite';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import { rewriteHtmlParts } from './rewrite-mime.js';

const ADDED = ' <a href="https://track.example/t/c/added?a=1&amp;b=2">tracked</a>';
/** An ASCII-only edit, as tracking makes: a link after the first paragraph. */
const addLink = (html: string) => html.replace('</p>', `${ADDED}</p>`);

const HTML =
  '<html><body><p>Bonjour Zoë, votre commande nº 42 est prête — à bientôt.</p>\n<p><a href="https://shop.example/orders/42?x=1&amp;y=2">Suivre</a></p></body></html>';

async function compose(mail: Mail.Options): Promise<Buffer> {
  return new MailComposer({
    from: 'Shop <shop@shop.example>',
    to: 'zoe@client.example',
    subject: 'Commande prête',
    ...mail,
  })
    .compile()
    .build();
}

const parse = (raw: Buffer) => simpleParser(raw, { keepCidLinks: true });

/** Byte range of the body of the part whose header contains `headerLine` (up to the next boundary line). */
function bodyRange(raw: Buffer, headerLine: string): [number, number] {
  const text = raw.toString('latin1');
  const at = text.indexOf(headerLine);
  expect(at).toBeGreaterThanOrEqual(0);
  const sep = /\r?\n\r?\n/.exec(text.slice(at));
  const start = at + sep!.index + sep![0].length;
  const next = /\r?\n--/.exec(text.slice(start));
  return [start, next ? start + next.index : text.length];
}

/** `after` must equal `before` with only the body of the given part replaced. */
function expectOnlyBodyChanged(before: Buffer, after: Buffer, headerLine: string) {
  const [s1, e1] = bodyRange(before, headerLine);
  const [s2, e2] = bodyRange(after, headerLine);
  expect(s2).toBe(s1);
  expect(after.subarray(s2, e2).equals(before.subarray(s1, e1))).toBe(false);
  expect(Buffer.concat([before.subarray(0, s1), after.subarray(s2, e2), before.subarray(e1)]).equals(after)).toBe(true);
}

/** A raw message from header lines and a body, joined with `eol`. */
function rawMessage(headers: string[], body: Buffer, eol = '\r\n'): Buffer {
  return Buffer.concat([Buffer.from(headers.join(eol) + eol + eol, 'latin1'), body]);
}

describe('rewriteHtmlParts: structure', () => {
  it('rewrites the HTML of multipart/alternative inside multipart/mixed and leaves an HTML attachment alone', async () => {
    const attachment = '<html><body><p><a href="https://attached.example/">attached page</a></p></body></html>';
    const raw = await compose({
      text: 'Bonjour Zoë',
      html: HTML,
      attachments: [{ filename: 'conditions.html', content: attachment, contentType: 'text/html' }],
    });
    const seen: string[] = [];
    const out = rewriteHtmlParts(raw, (html) => {
      seen.push(html);
      return addLink(html);
    });
    expect(raw.toString()).toMatch(/multipart\/mixed[\s\S]*multipart\/alternative/);
    expect(seen).toEqual([HTML]);
    expectOnlyBodyChanged(raw, out, 'Content-Type: text/html; charset=utf-8');

    const [before, after] = await Promise.all([parse(raw), parse(out)]);
    expect(after.html).toBe(addLink(before.html as string));
    expect(after.text).toBe(before.text);
    expect(after.attachments).toHaveLength(1);
    expect(after.attachments[0]!.content.toString()).toBe(attachment);
    expect(after.attachments[0]!.contentDisposition).toBe('attachment');
  });

  it('rewrites the HTML of multipart/related and keeps the inline image and its cid link', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const html = '<p><img src="cid:logo@shop"></p><p><a href="https://shop.example/">Shop</a></p>';
    const raw = await compose({ html, attachments: [{ filename: 'logo.png', content: png, cid: 'logo@shop' }] });
    const out = rewriteHtmlParts(raw, addLink);
    expect(raw.toString()).toContain('multipart/related');
    expectOnlyBodyChanged(raw, out, 'Content-Type: text/html; charset=utf-8');
    const parsed = await parse(out);
    expect(parsed.html).toBe(addLink(html));
    expect(parsed.attachments[0]!.content.equals(png)).toBe(true);
    expect(parsed.attachments[0]!.cid).toBe('logo@shop');
  });

  it('reaches the HTML in mixed(alternative(text, related(html, image)), attachment)', async () => {
    const raw = await compose({
      text: 'plain',
      html: '<p>Hi <img src="cid:a@b"></p>',
      attachments: [
        { filename: 'a.png', content: Buffer.from('png'), cid: 'a@b' },
        { filename: 'terms.pdf', content: Buffer.from('%PDF-1.4 fake'), contentType: 'application/pdf' },
      ],
    });
    expect(raw.toString()).toMatch(/multipart\/mixed[\s\S]*multipart\/alternative[\s\S]*multipart\/related/);
    const out = rewriteHtmlParts(raw, addLink);
    expect((await parse(out)).html).toBe(addLink('<p>Hi <img src="cid:a@b"></p>'));
    expectOnlyBodyChanged(raw, out, 'Content-Type: text/html; charset=utf-8');
  });

  it('rewrites a single-part text/html message', async () => {
    const raw = await compose({ html: HTML });
    expect(raw.toString()).toMatch(/^Content-Type: text\/html/m);
    const out = rewriteHtmlParts(raw, addLink);
    const [before, after] = await Promise.all([parse(raw), parse(out)]);
    expect(before.html).toContain(HTML);
    expect(after.html).toBe(addLink(before.html as string));
  });

  it('returns identical bytes for a message with no HTML part', async () => {
    for (const raw of [
      await compose({ text: 'Only text, é and ✓' }),
      await compose({
        text: 'With a file',
        attachments: [{ filename: 'a.pdf', content: Buffer.from('%PDF-1.4'), contentType: 'application/pdf' }],
      }),
    ]) {
      let calls = 0;
      const out = rewriteHtmlParts(raw, (h) => {
        calls++;
        return h;
      });
      expect(calls).toBe(0);
      expect(out.equals(raw)).toBe(true);
    }
  });

  it('returns identical bytes when the rewrite changes nothing', async () => {
    const raw = await compose({ text: 'x', html: HTML, textEncoding: 'quoted-printable' });
    expect(rewriteHtmlParts(raw, (h) => h).equals(raw)).toBe(true);
  });
});

describe('rewriteHtmlParts: transfer encodings and line endings', () => {
  const longHtml = `<p>${'Une ligne assez longue pour être repliée en quoted-printable. '.repeat(6)}</p><p><a href="https://shop.example/?a=1&amp;b=2">x</a></p>`;

  for (const encoding of ['quoted-printable', 'base64'] as const) {
    it(`keeps Content-Transfer-Encoding: ${encoding}`, async () => {
      const raw = await compose({ text: 'x', html: longHtml, textEncoding: encoding });
      const out = rewriteHtmlParts(raw, addLink);
      const head = out
        .toString()
        .split('Content-Type: text/html; charset=utf-8')[1]!
        .split(/\r\n\r\n/)[0]!;
      expect(head).toContain(`Content-Transfer-Encoding: ${encoding}`);
      expect((await parse(out)).html).toBe(addLink(longHtml));
      const [s, e] = bodyRange(out, 'Content-Type: text/html; charset=utf-8');
      for (const line of out.subarray(s, e).toString().split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
      expectOnlyBodyChanged(raw, out, 'Content-Type: text/html; charset=utf-8');
    });
  }

  it('keeps a CRLF message CRLF-only', async () => {
    const raw = await compose({ text: 'x', html: longHtml, textEncoding: 'quoted-printable' });
    const out = rewriteHtmlParts(raw, addLink);
    expect(out.toString()).not.toMatch(/\r(?!\n)|(?<!\r)\n/);
  });

  it('rewrites an LF-only message and leaves its headers and other parts alone', async () => {
    const crlf = await compose({ text: 'Bonjour\r\nZoë', html: longHtml, textEncoding: 'quoted-printable' });
    const raw = Buffer.from(crlf.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
    const out = rewriteHtmlParts(raw, addLink);
    const [before, after] = await Promise.all([parse(raw), parse(out)]);
    expect(after.html).toBe(addLink(before.html as string));
    expect(after.text).toBe(before.text);
    const [s] = bodyRange(out, 'Content-Type: text/html; charset=utf-8');
    expect(out.subarray(0, s).equals(raw.subarray(0, s))).toBe(true);
    // Not asserted: that the re-encoded part keeps LF line breaks (it gets CRLF; see the report).
  });
});

describe('rewriteHtmlParts: charsets', () => {
  it('re-encodes an 8bit ISO-8859-1 part in ISO-8859-1', async () => {
    const html = '<p>Crème brûlée à la façon de Noël, señor — garçon!</p>'.replace('—', '-');
    const raw = rawMessage(
      [
        'From: a@shop.example',
        'To: b@client.example',
        'Subject: latin1',
        'MIME-Version: 1.0',
        'Content-Type: text/html; charset="ISO-8859-1"',
        'Content-Transfer-Encoding: 8bit',
      ],
      iconv.encode(html, 'latin1'),
    );
    const out = rewriteHtmlParts(raw, addLink);
    expect(out.toString('latin1')).toContain(
      'Content-Type: text/html; charset="ISO-8859-1"\r\nContent-Transfer-Encoding: 8bit\r\n',
    );
    expect(out.includes(iconv.encode('Crème brûlée', 'latin1'))).toBe(true);
    expect(out.includes(Buffer.from('Crème', 'utf8'))).toBe(false);
    expect((await parse(out)).html).toBe(addLink(html));
  });

  it('re-encodes a quoted-printable windows-1252 part in windows-1252', async () => {
    const html = '<p>“Prix spécial” : 20 € — offre limitée…</p>\r\n<p><a href="https://shop.example/">Voir</a></p>';
    const qp = iconv
      .encode(html, 'win1252')
      .toString('latin1')
      .replace(/[=\x80-\xff]/g, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
    const boundary = 'b1_alt';
    const body = [
      `--${boundary}`,
      'Content-Type: text/plain; charset=windows-1252',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Prix sp=E9cial : 20 =80',
      `--${boundary}`,
      'Content-Type: text/html; charset=windows-1252',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      qp,
      `--${boundary}--`,
      '',
    ].join('\r\n');
    const raw = rawMessage(
      [
        'From: a@shop.example',
        'Subject: cp1252',
        'MIME-Version: 1.0',
        `Content-Type: multipart/alternative; boundary="${boundary}"`,
      ],
      Buffer.from(body, 'latin1'),
    );
    const out = rewriteHtmlParts(raw, addLink);
    expectOnlyBodyChanged(
      raw,
      out,
      'Content-Type: text/html; charset=windows-1252\r\nContent-Transfer-Encoding: quoted-printable',
    );
    const [s, e] = bodyRange(out, 'Content-Type: text/html; charset=windows-1252');
    const encoded = out.subarray(s, e).toString('latin1');
    expect(encoded).toContain('=93Prix sp=E9cial=94');
    expect(encoded).toContain('20 =80');
    const [before, parsed] = await Promise.all([parse(raw), parse(out)]);
    // mailparser turns the part's CRLF into LF; compare with how it reads the original.
    expect(before.html).toBe(html.replace(/\r\n/g, '\n'));
    expect(parsed.html).toBe(addLink(before.html as string));
    expect(parsed.text?.trim()).toBe('Prix spécial : 20 €');
  });

  it('re-encodes a base64 Shift_JIS part in Shift_JIS', async () => {
    const html =
      '<p>ご注文ありがとうございます。発送は明日です。</p><p><a href="https://shop.example/jp/">マイページ</a></p>';
    const boundary = 'b2_mixed';
    const body = [
      `--${boundary}`,
      'Content-Type: text/html; charset=Shift_JIS',
      'Content-Transfer-Encoding: base64',
      '',
      iconv.encode(html, 'Shift_JIS').toString('base64').replace(/.{76}/g, '$&\r\n'),
      `--${boundary}`,
      'Content-Type: application/octet-stream; name="a.bin"',
      'Content-Disposition: attachment; filename="a.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from([0, 1, 2, 255]).toString('base64'),
      `--${boundary}--`,
      '',
    ].join('\r\n');
    const raw = rawMessage(
      [
        'From: a@shop.example',
        'Subject: sjis',
        'MIME-Version: 1.0',
        `Content-Type: multipart/mixed; boundary="${boundary}"`,
      ],
      Buffer.from(body, 'latin1'),
    );
    const out = rewriteHtmlParts(raw, addLink);
    expectOnlyBodyChanged(raw, out, 'Content-Type: text/html; charset=Shift_JIS\r\nContent-Transfer-Encoding: base64');
    const [s, e] = bodyRange(out, 'Content-Type: text/html; charset=Shift_JIS');
    expect(iconv.decode(Buffer.from(out.subarray(s, e).toString(), 'base64'), 'Shift_JIS')).toBe(addLink(html));
    const parsed = await parse(out);
    expect(parsed.html).toBe(addLink(html));
    expect(parsed.attachments[0]!.content.equals(Buffer.from([0, 1, 2, 255]))).toBe(true);
  });

  it('leaves an ISO-2022-JP part as it is (a charset it cannot round-trip)', async () => {
    // こんにちは in ISO-2022-JP: ESC $ B, JIS X 0208 pairs, ESC ( B.
    const jis = Buffer.concat([
      Buffer.from('<p>'),
      Buffer.from('\x1b$B$3$s$K$A$O\x1b(B', 'latin1'),
      Buffer.from('</p>'),
    ]);
    const raw = rawMessage(
      [
        'From: a@shop.example',
        'Subject: jis',
        'MIME-Version: 1.0',
        'Content-Type: text/html; charset=ISO-2022-JP',
        'Content-Transfer-Encoding: 7bit',
      ],
      jis,
    );
    const out = rewriteHtmlParts(raw, addLink);
    expect(out.equals(raw)).toBe(true);
    expect((await parse(out)).html).toBe('<p>こんにちは</p>');
  });
});

describe('rewriteHtmlParts: delimiters', () => {
  it('accepts transport padding after a boundary delimiter (RFC 2046 §5.1.1) and ignores a longer boundary that starts the same', async () => {
    const raw = Buffer.from(
      'Content-Type: multipart/alternative; boundary="b"\r\n\r\n--b \t\r\nContent-Type: text/html\r\n\r\n<p>one</p>\r\n--bb\r\n<p>still one</p>\r\n--b--  \r\n',
      'latin1',
    );
    const out = rewriteHtmlParts(raw, addLink).toString('latin1');
    expect(out).toBe(raw.toString('latin1').replace('<p>one</p>', `<p>one${ADDED}</p>`));
  });
});
