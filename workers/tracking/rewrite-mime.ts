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
  if (transferEncoding === 'quoted-printable') return Buffer.from(libqp.wrap(libqp.encode(decoded), LINE_LENGTH), 'latin1');
  if (transferEncoding === 'base64') return Buffer.from(libbase64.wrap(libbase64.encode(decoded), LINE_LENGTH), 'latin1');
  return decoded;
}

/**
 * Hands every inline `text/html` part (any nesting of multipart/*) to `rewrite`: decoded from its
 * transfer encoding and charset, then re-encoded in the same charset and the same transfer
 * encoding, and spliced back at its byte offsets. Other parts and all headers are untouched (the
 * very bytes). A part whose charset cannot be round-tripped is left as it is.
 */
export async function rewriteHtmlParts(raw: Buffer, rewrite: HtmlPartRewriter): Promise<Buffer> {
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

function rewritePart(span: MimeBodySpan, encoded: Buffer, rewrite: HtmlPartRewriter): Buffer {
  const charset = (span.charset || 'utf-8').trim().toLowerCase();
  if (!iconv.encodingExists(charset)) return encoded;
  const decoded = decodeBody(encoded, span.transferEncoding);
  const text = iconv.decode(decoded, charset);
  // Only round-trippable parts are touched: re-encoding must give back the decoded bytes.
  if (!iconv.encode(text, charset).equals(decoded)) return encoded;
  const changed = rewrite(text);
  if (changed === text) return encoded;
  const out = encodeBody(iconv.encode(changed, charset), span.transferEncoding);
  // The encoders break lines with CRLF; a message written with bare LF keeps its convention.
  return encoded.includes('\r\n') || !out.includes('\r\n') ? out : Buffer.from(out.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
}
