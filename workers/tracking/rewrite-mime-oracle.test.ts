import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import { describe, expect, it } from 'vitest';
import { rewriteHtmlPartsWithMailsplit } from '../../test/support/mailsplit-rewrite.js';
import { rewriteHtmlParts } from './rewrite-mime.js';

// rewriteHtmlParts splices byte offsets found by its own MIME walk; the streaming mailsplit
// implementation it replaced is the oracle: on every message both must give the same bytes.

/** An edit as tracking makes: ASCII links after every paragraph, a pixel at the end. */
const edit = (html: string) =>
  `${html.replace(/<\/p>/gi, '<a href="https://t.example/t/c/x?a=1&amp;b=2">t</a></p>')}<img src="https://t.example/t/o/y">`;

const CORPUS = join(import.meta.dirname, '../../../shared/corpora/bounces/eml');

/**
 * Quoted-printable soft line breaks may fall elsewhere (the old encoder wrapped chunk by chunk):
 * both are valid, so they are compared without them; every other byte must match.
 */
const unwrapped = (raw: Buffer) => raw.toString('latin1').replace(/=\r?\n/g, '');

async function same(raw: Buffer): Promise<void> {
  const ours = rewriteHtmlParts(raw, edit);
  const oracle = await rewriteHtmlPartsWithMailsplit(raw, edit);
  expect(unwrapped(ours)).toBe(unwrapped(oracle));
  for (const line of ours.toString('latin1').split(/\r?\n/)) expect(line.length).toBeLessThanOrEqual(998);
}

const words = fc.constantFrom(
  'Bonjour',
  'Zoë',
  'nº 42',
  '日本語',
  '🎉',
  'a'.repeat(90),
  '=3D',
  '.',
  '  ',
  '\t',
  'Ünïcödé',
  'plain',
);
const html = fc
  .array(words, { minLength: 1, maxLength: 30 })
  .map((w) => `<html><body><p>${w.join(' ')}</p>\n<p>${w.reverse().join('')}</p></body></html>`);
const text = fc.array(words, { maxLength: 20 }).map((w) => w.join(' '));
const attachment = fc.record({
  filename: fc.constantFrom('a.txt', 'page.html', 'img.png'),
  content: fc.constantFrom('hello', '<p>attached html</p>', '\u0089PNG'),
  contentDisposition: fc.constantFrom('attachment' as const, 'inline' as const),
});
const mail = fc.record({
  html,
  text: fc.option(text, { nil: undefined }),
  textEncoding: fc.constantFrom('quoted-printable' as const, 'base64' as const, undefined),
  attachments: fc.array(attachment, { maxLength: 2 }),
  related: fc.boolean(),
  lf: fc.boolean(),
});

describe('rewriteHtmlParts against the mailsplit implementation', () => {
  it('gives the same bytes on every message of the shared corpus', async () => {
    const files = (await readdir(CORPUS)).filter((f) => f.endsWith('.eml'));
    expect(files.length).toBeGreaterThan(10);
    let withHtml = 0;
    for (const file of files) {
      const raw = await readFile(join(CORPUS, file));
      if (/text\/html/i.test(raw.toString('latin1'))) withHtml++;
      await same(raw);
    }
    expect(withHtml).toBeGreaterThan(5);
  });

  it('gives the same bytes on generated messages (alternative, related, mixed; QP, base64, 8bit; CRLF and LF)', async () => {
    await fc.assert(
      fc.asyncProperty(mail, async (m) => {
        const options: Mail.Options = {
          from: 'a@x.example',
          to: 'b@y.example',
          subject: 'Test',
          html: m.html,
          attachments: [...m.attachments],
        };
        if (m.text !== undefined) options.text = m.text;
        if (m.textEncoding) options.textEncoding = m.textEncoding;
        if (m.related) options.attachments?.push({ filename: 'logo.png', content: 'png', cid: 'logo@x' });
        let raw = await new MailComposer(options).compile().build();
        if (m.lf) raw = Buffer.from(raw.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
        await same(raw);
      }),
      { numRuns: 400, seed: 1125 },
    );
  });

  it('gives the same bytes on hand-made edge cases', async () => {
    const cases = [
      // No header/body separator at all.
      'Content-Type: text/html\r\n',
      // Preamble and epilogue, and a boundary that prefixes another.
      'Content-Type: multipart/alternative; boundary="b"\r\n\r\npreamble\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>one</p>\r\n--bb\r\nnot a delimiter\r\n--b\r\nContent-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n<p>caf\xe9</p>\r\n--b--\r\nepilogue\r\n',
      // Missing close delimiter.
      'Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/html\r\n\r\n<p>open</p>\r\n',
      // Folded Content-Type header and uppercase values.
      'Content-Type: MULTIPART/ALTERNATIVE;\r\n\tBOUNDARY="fold"\r\n\r\n--fold\r\nContent-Type: TEXT/HTML; CHARSET=UTF-8\r\nContent-Transfer-Encoding: QUOTED-PRINTABLE\r\n\r\n<p>=C3=A9t=C3=A9</p>\r\n--fold--\r\n',
      // An embedded message is not opened; an HTML attachment is not rewritten.
      'Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: text/html\r\n\r\n<p>inner</p>\r\n--m\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=a.html\r\n\r\n<p>att</p>\r\n--m--\r\n',
    ];
    for (const c of cases) await same(Buffer.from(c, 'latin1'));
  });
});
