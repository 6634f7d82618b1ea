import iconv from 'iconv-lite';
import * as libbase64 from 'libbase64';
import * as libqp from 'libqp';
import { leafBodies, type MimeBodySpan } from './mime-parts.js';

/** Rewrites the decoded text of one HTML part. */
export type HtmlPartRewriter = (html: string) => string;

/** Line length of re-encoded quoted-printable and base64 bodies (RFC 2045 §6.7, §6.8). */
const LINE_LENGTH = 76;

const isHtmlBody = (span: MimeBodySpan) => span.contentType === 'text/html' && span.disposition !== 'attachment';

function decodeBody(encoded: Buffer, transferEncoding: string): Buffer {
  if (transferEncoding === 'quoted-printable') return libqp.decode(encoded);
  if (transferEncoding === 'base64') return libbase64.decode(encoded.toString('latin1'));
  return encoded;
}

function encodeBody(decoded: Buffer, transferEncoding: string): Buffer {
  if (transferEncoding === 'quoted-printable')
    return Buffer.from(libqp.wrap(libqp.encode(decoded), LINE_LENGTH), 'latin1');
  if (transferEncoding === 'base64')
    return Buffer.from(libbase64.wrap(libbase64.encode(decoded), LINE_LENGTH), 'latin1');
  return decoded;
}

/**
 * Hands every inline `text/html` part (any nesting of multipart/*) to `rewrite`: decoded from its
 * transfer encoding and charset, then re-encoded in the same charset and the same transfer
 * encoding, and spliced back at its byte offsets. Other parts and all headers are untouched (the
 * very bytes). A part whose charset cannot be round-tripped is left as it is.
 */
export function rewriteHtmlParts(raw: Buffer, rewrite: HtmlPartRewriter): Buffer {
  const pieces: Buffer[] = [];
  let cursor = 0;
  for (const span of leafBodies(raw)) {
    if (!isHtmlBody(span)) continue;
    const encoded = raw.subarray(span.start, span.end);
    const replaced = rewritePart(span, encoded, rewrite);
    if (replaced === encoded) continue;
    pieces.push(raw.subarray(cursor, span.start), replaced);
    cursor = span.end;
  }
  if (pieces.length === 0) return raw;
  pieces.push(raw.subarray(cursor));
  return Buffer.concat(pieces);
}

/** Charsets Node decodes and encodes natively (faster than iconv-lite, same bytes). */
const NATIVE: Record<string, BufferEncoding> = { 'utf-8': 'utf8', utf8: 'utf8' };

/** Text of `decoded` in `charset` and back, or undefined when the charset is unknown. */
function charsetCodec(charset: string): { decode: (b: Buffer) => string; encode: (t: string) => Buffer } | undefined {
  const native = NATIVE[charset];
  if (native) return { decode: (b) => b.toString(native), encode: (t) => Buffer.from(t, native) };
  if (!iconv.encodingExists(charset)) return undefined;
  return { decode: (b) => iconv.decode(b, charset), encode: (t) => iconv.encode(t, charset) };
}

function rewritePart(span: MimeBodySpan, encoded: Buffer, rewrite: HtmlPartRewriter): Buffer {
  const codec = charsetCodec((span.charset || 'utf-8').trim().toLowerCase());
  if (!codec) return encoded;
  const decoded = decodeBody(encoded, span.transferEncoding);
  const text = codec.decode(decoded);
  // Only round-trippable parts are touched: re-encoding must give back the decoded bytes.
  if (!codec.encode(text).equals(decoded)) return encoded;
  const changed = rewrite(text);
  if (changed === text) return encoded;
  const out = encodeBody(codec.encode(changed), span.transferEncoding);
  // The encoders break lines with CRLF; a message written with bare LF keeps its convention.
  return encoded.includes('\r\n') || !out.includes('\r\n')
    ? out
    : Buffer.from(out.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
}
