import { randomBytes } from 'node:crypto';
import * as base64 from 'nodemailer/lib/base64';
import * as mimeFuncs from 'nodemailer/lib/mime-funcs';
import MimeNode from 'nodemailer/lib/mime-node';
import * as qp from 'nodemailer/lib/qp';
import type { Mailbox, SendRequest } from './send-schema.js';

/*
 * A synchronous twin of what nodemailer's MailComposer builds for a REST send request without
 * attachments: same MIME tree, same header set and order, same encodings, written straight into
 * one string instead of through MimeNode's stream pipeline (which costs most of the time).
 * Header values are encoded by MimeNode#encodeHeaderValue and folded by foldLines, bodies by
 * nodemailer's qp/base64 helpers, and the transfer encoding is chosen with isPlainText and
 * hasLongerLines (and MimeNode itself for non-ASCII text), so the rules stay nodemailer's.
 * ingress/http/fast-mime.test.ts checks the output against MailComposer on random requests, and
 * nodemailer is pinned to an exact version in package.json: an upgrade that changes what
 * MailComposer writes fails that test instead of making the two paths differ.
 *
 * Where we differ on purpose: bare CR and LF in html and text become CRLF before encoding, the
 * canonical line break of text (RFC 2046 §4.1.1); MailComposer keeps them, so its 7bit and
 * quoted-printable bodies can carry bare LFs (RFC 5322 §2.3 forbids them). The transfer
 * encoding is still chosen on the text as given, so it matches MailComposer's. And a Subject that
 * would fold into a line over 998 octets (RFC 5322 §2.1.1; MailComposer writes a 998-character
 * word as a 999-octet line) is written as RFC 2047 encoded words instead.
 */

/** Longest line RFC 5322 §2.1.1 allows, without its CRLF. */
const MAX_LINE_OCTETS = 998;

/** Encodes header values exactly as a MailComposer message does (Q/B chosen per value). */
const HEADER_ENCODER = new MimeNode(false);

/** Custom header names MimeNode#buildHeaders formats specially; a message using one is left to MailComposer. */
const SPECIAL_CUSTOM_HEADERS = new Set(['Content-Disposition', 'Content-Type', 'Bcc']);

type TransferEncoding = '7bit' | 'quoted-printable' | 'base64';

/** One text part: its Content-Type and its content (empty for the empty message). */
interface TextPart {
  contentType: string;
  content: string;
}

/**
 * Header key as MimeNode writes it: Camel-Case, `MIME`/`DKIM`/`ARC`/`BIMI` upper case, and the
 * few special spellings; a copy of MimeNode#_normalizeHeaderKey (nodemailer 10.6), which is not
 * exported. The differential test pins it.
 */
export function normalizeHeaderKey(key: string): string {
  return (
    key
      // eslint-disable-next-line no-control-regex -- controls are what a header name may not hold
      .replace(/[\s\x00-\x20\x7f:]/g, '')
      .toLowerCase()
      .replace(/^X-SMTPAPI$|^(MIME|DKIM|ARC|BIMI)\b|^OTP(?=-Token$)|^[a-z]|-(SPF|FBL|ID|MD5)$|-[a-z]/gi, (c) =>
        c.toUpperCase(),
      )
      .replace(/^Content-Features$/i, 'Content-features')
  );
}

/** True when every line of a folded header field is short enough and no line break can start a new field. */
function isSafeField(field: string): boolean {
  const lines = field.split('\r\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (/[\r\n]/.test(line) || (i > 0 && !/^[ \t]/.test(line))) return false;
    if (line.length > MAX_LINE_OCTETS / 3 && Buffer.byteLength(line) > MAX_LINE_OCTETS) return false;
  }
  return true;
}

/**
 * Encodes and folds one header field as MimeNode#buildHeaders does; '' when the value is empty
 * (MimeNode drops the field), undefined when it cannot be written safely (the caller falls back).
 */
function headerField(key: string, value: Parameters<MimeNode['encodeHeaderValue']>[1]): string | undefined {
  const encoded = HEADER_ENCODER.encodeHeaderValue(key, value);
  if (!encoded.trim()) return '';
  const field = mimeFuncs.foldLines(`${key}: ${encoded}`, 76);
  if (isSafeField(field)) return field;
  // A word too long to fold. Subject is unstructured text, so encoded words may split it into
  // pieces that fold (RFC 2047 §5 (1), §6.2); a custom header may be structured (List-Unsubscribe:
  // <url>) where encoded words would change its meaning, so that is left to MailComposer.
  if (key !== 'Subject' || typeof value !== 'string') return undefined;
  const words = mimeFuncs.foldLines(`${key}: ${mimeFuncs.encodeWord(value, 'Q', 52)}`, 76);
  return isSafeField(words) ? words : undefined;
}

/** Fresh `{ name, address }` objects: MimeNode writes normalised addresses back into what it is given. */
function mailboxes(list: Mailbox[]): Mailbox[] {
  return list.map((m) => ({ name: m.name, address: m.address }));
}

/** The root header fields in MailComposer's order, up to Date; undefined when one needs the fallback. */
function rootFields(req: SendRequest, messageIdHeader: string, date: Date): string[] | undefined {
  const fields: [string, Parameters<MimeNode['encodeHeaderValue']>[1]][] = [];
  // Custom headers are added to the root node first; the fields MailComposer owns are set after them.
  for (const [name, value] of Object.entries(req.headers ?? {})) {
    const key = normalizeHeaderKey(name);
    if (SPECIAL_CUSTOM_HEADERS.has(key)) return undefined;
    fields.push([key, value]);
  }
  fields.push(['From', mailboxes([req.from])], ['To', mailboxes(req.to)], ['Cc', mailboxes(req.cc)]);
  // Bcc is left out: MimeNode never writes it (keepBcc is off); it lives only in the envelope.
  if (req.replyTo) fields.push(['Reply-To', mailboxes([req.replyTo])]);
  if (req.subject) fields.push(['Subject', req.subject]);
  fields.push(['Message-ID', messageIdHeader], ['Date', date]);
  const out: string[] = [];
  for (const [key, value] of fields) {
    const field = headerField(key, value);
    if (field === undefined) return undefined;
    if (field) out.push(field);
  }
  return out;
}

/** The transfer encoding MimeNode picks for a text part (7bit only for short-lined ASCII). */
function transferEncoding(part: TextPart): TransferEncoding | undefined {
  if (mimeFuncs.isPlainText(part.content)) {
    if (!mimeFuncs.hasLongerLines(part.content, 76)) return '7bit';
    // MimeNode#_getTextEncoding picks Q when ASCII letters outnumber the characters isPlainText
    // refuses (C0 controls but HT, LF, CR; anything past U+007F); plain text has none of those,
    // so any letter makes it Q. Counting them, as MimeNode does, walks the whole text again.
    return /[A-Za-z]/.test(part.content) ? 'quoted-printable' : 'base64';
  }
  const chosen = new MimeNode(part.contentType, { baseBoundary: 'probe' })
    .setContent(part.content)
    .getTransferEncoding();
  return chosen === '7bit' || chosen === 'quoted-printable' || chosen === 'base64' ? chosen : undefined;
}

/** Bare CR and LF as CRLF: the line breaks of text in canonical form (RFC 2046 §4.1.1). */
function crlf(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '\r\n');
}

/** What nodemailer's qp.encode escapes in ASCII text: `=`, controls but HT, LF and CR, DEL, and a space or tab before a line break or the end. */
// eslint-disable-next-line no-control-regex -- the controls quoted-printable escapes
const QP_ASCII_ESCAPES = /[=\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|[ \t](?=[\r\n]|$)/g;
/** Any character but printable ASCII, HT, LF and CR: one scan rules out controls and non-ASCII. */
// eslint-disable-next-line no-control-regex -- HT, LF and CR are the controls text may hold
const NOT_PRINTABLE_ASCII = /[^\x09\x0a\x0d\x20-\x7e]/;
const HEX = '0123456789ABCDEF';

/** A space or tab before a line break or at the end (native substring scans, no regex). */
const hasBlankBeforeBreak = (s: string) =>
  s.includes(' \r') ||
  s.includes(' \n') ||
  s.includes('\t\r') ||
  s.includes('\t\n') ||
  s.endsWith(' ') ||
  s.endsWith('\t');

/**
 * nodemailer's qp.encode(text): on ASCII text with one regular expression over the string (no
 * UTF-8 buffer and no three-bytes-a-byte output buffer); other text goes to qp.encode itself.
 * fast-mime.test.ts holds the two to the same output.
 */
export function encodeQuotedPrintableText(text: string): string {
  // Most text: `=` is the only character to escape.
  if (!NOT_PRINTABLE_ASCII.test(text) && !hasBlankBeforeBreak(text)) return text.replaceAll('=', '=3D');
  // eslint-disable-next-line no-control-regex -- the whole ASCII range, controls included
  if (/[^\x00-\x7f]/.test(text)) return qp.encode(text);
  return text.replace(QP_ASCII_ESCAPES, (c) => {
    const code = c.charCodeAt(0);
    return `=${HEX[code >> 4] ?? '0'}${HEX[code & 15] ?? '0'}`;
  });
}

/** The encoded body of a text part, its line breaks made CRLF first. */
function encodeBody(content: string, encoding: TransferEncoding): string {
  const canonical = crlf(content);
  switch (encoding) {
    case '7bit':
      return canonical;
    case 'quoted-printable':
      return qp.wrap(encodeQuotedPrintableText(canonical), 76);
    case 'base64':
      return base64.wrap(base64.encode(canonical), 76);
  }
}

/** Headers (Content-Type, Content-Transfer-Encoding) and body of a leaf part; undefined for the fallback. */
function leaf(part: TextPart): { fields: string[]; body: string } | undefined {
  if (!part.content) return { fields: [], body: '' };
  const encoding = transferEncoding(part);
  if (!encoding) return undefined;
  return { fields: [`Content-Transfer-Encoding: ${encoding}`], body: encodeBody(part.content, encoding) };
}

/** A new multipart boundary, shaped like MimeNode's (`--_NmP-<16 hex>-Part_1`). */
function newBoundary(): string {
  return `--_NmP-${randomBytes(8).toString('hex')}-Part_1`;
}

/**
 * Builds the message MailComposer would build for a send request without attachments, with
 * the given Message-ID and Date; undefined when the request needs MailComposer (attachments, a
 * custom Content-Disposition header, an address or custom header that cannot be folded into
 * 998-octet lines).
 * CRLF line endings throughout, every line at most 998 octets, Bcc never in the headers.
 */
export function buildFastMime(req: SendRequest, messageIdHeader: string, date: Date): Buffer | undefined {
  if (req.attachments?.length) return undefined;
  const root = rootFields(req, messageIdHeader, date);
  if (!root) return undefined;
  // As MailComposer: an empty text or html counts as absent.
  const parts: TextPart[] = [];
  if (req.text) parts.push({ contentType: 'text/plain; charset=utf-8', content: req.text });
  if (req.html) parts.push({ contentType: 'text/html; charset=utf-8', content: req.html });

  if (parts.length < 2) {
    const part = parts[0] ?? { contentType: 'text/plain', content: '' };
    const built = leaf(part);
    if (!built) return undefined;
    const head = [...root, ...built.fields, 'MIME-Version: 1.0', `Content-Type: ${part.contentType}`].join('\r\n');
    // MimeNode ends the message with a line break if the body does not already.
    const tail = built.body && !built.body.endsWith('\n') ? '\r\n' : '';
    return Buffer.from(`${head}\r\n\r\n${built.body}${tail}`, 'utf8');
  }

  const boundary = newBoundary();
  const contentType = mimeFuncs.foldLines(
    `Content-Type: ${mimeFuncs.buildHeaderValue({ value: 'multipart/alternative', params: { boundary } })}`,
    76,
  );
  let out = `${[...root, 'MIME-Version: 1.0', contentType].join('\r\n')}\r\n\r\n`;
  for (const [i, part] of parts.entries()) {
    const built = leaf(part);
    if (!built) return undefined;
    out += `${i > 0 ? '\r\n' : ''}--${boundary}\r\n${[`Content-Type: ${part.contentType}`, ...built.fields].join('\r\n')}\r\n\r\n${built.body}`;
  }
  return Buffer.from(`${out}\r\n--${boundary}--\r\n`, 'utf8');
}
