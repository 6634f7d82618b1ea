import libmime from 'libmime';

/** Where one MIME entity's body sits in the raw message, and how it is encoded. */
export interface MimeBodySpan {
  /** Offset of the first body byte. */
  start: number;
  /** Offset after the last body byte (a multipart child ends before the line break of the next delimiter). */
  end: number;
  /** Lower-cased `Content-Type` value, e.g. `text/html`. */
  contentType: string;
  /** Lower-cased `Content-Disposition` value, '' when absent. */
  disposition: string;
  /** The `charset` parameter as written, '' when absent. */
  charset: string;
  /** Lower-cased `Content-Transfer-Encoding`, '' when absent. */
  transferEncoding: string;
}

/** Multipart nesting deeper than this is not descended (a hostile message cannot recurse forever). */
const MAX_DEPTH = 32;

/** Offset after the blank line ending the header block at `from`, and where that block ends. */
function headerBlock(text: string, from: number, end: number): { headerEnd: number; bodyStart: number } {
  let lineStart = from;
  while (lineStart < end) {
    const nl = text.indexOf('\n', lineStart);
    const lineEnd = nl === -1 || nl >= end ? end : nl;
    const line = text.slice(lineStart, lineEnd);
    if (line === '' || line === '\r') return { headerEnd: lineStart, bodyStart: Math.min(end, lineEnd + 1) };
    lineStart = lineEnd + 1;
  }
  // No blank line: the whole entity is header and its body is empty.
  return { headerEnd: end, bodyStart: end };
}

/** The first value of each header field we need, unfolded. */
function readFields(block: string): { type: string; disposition: string; encoding: string } {
  const fields = new Map<string, string>();
  for (const field of block.replace(/\r?\n(?=[ \t])/g, '').split(/\r?\n/)) {
    const colon = field.indexOf(':');
    if (colon <= 0) continue;
    const name = field.slice(0, colon).trim().toLowerCase();
    if (
      (name === 'content-type' || name === 'content-disposition' || name === 'content-transfer-encoding') &&
      !fields.has(name)
    ) {
      fields.set(name, field.slice(colon + 1).trim());
    }
  }
  return {
    type: fields.get('content-type') ?? '',
    disposition: fields.get('content-disposition') ?? '',
    encoding: fields.get('content-transfer-encoding') ?? '',
  };
}

/** Offsets of the delimiter lines of `boundary` between `from` and `end` (RFC 2046 §5.1.1). */
function delimiters(
  text: string,
  boundary: string,
  from: number,
  end: number,
): Array<{ lineStart: number; next: number; close: boolean }> {
  const out: Array<{ lineStart: number; next: number; close: boolean }> = [];
  const dash = `--${boundary}`;
  let at = from;
  while (at < end) {
    const found = text.indexOf(dash, at);
    if (found === -1 || found >= end) break;
    at = found + dash.length;
    if (found !== from && text[found - 1] !== '\n') continue;
    const nl = text.indexOf('\n', at);
    const lineEnd = nl === -1 || nl >= end ? end : nl;
    const rest = text.slice(at, lineEnd).replace(/\r$/, '');
    const close = rest.startsWith('--');
    // Only transport padding may follow the boundary (a longer boundary merely starts the same).
    if (!/^[ \t]*$/.test(close ? rest.slice(2) : rest)) continue;
    out.push({ lineStart: found, next: Math.min(end, lineEnd + 1), close });
    if (close) break;
    at = lineEnd;
  }
  return out;
}

/** The start of the line break that ends the line before `lineStart` (it belongs to the delimiter). */
const beforeBreak = (text: string, lineStart: number, floor: number) =>
  lineStart - 1 >= floor && text[lineStart - 1] === '\n'
    ? lineStart - 2 >= floor && text[lineStart - 2] === '\r'
      ? lineStart - 2
      : lineStart - 1
    : lineStart;

/**
 * Every leaf entity of a message (any nesting of multipart/*; embedded message/rfc822 bodies are
 * not opened), as offsets into `raw`. One pass over a latin1 view of the bytes, so offsets are
 * byte offsets; nothing is decoded.
 */
export function leafBodies(raw: Buffer): MimeBodySpan[] {
  const text = raw.toString('latin1');
  const out: MimeBodySpan[] = [];
  const visit = (from: number, end: number, depth: number, defaultType: string) => {
    const { headerEnd, bodyStart } = headerBlock(text, from, end);
    const fields = readFields(text.slice(from, headerEnd));
    const parsed = fields.type
      ? libmime.parseHeaderValue(fields.type)
      : { value: defaultType, params: {} as Record<string, string> };
    const contentType = (parsed.value || defaultType).toLowerCase();
    const boundary = parsed.params.boundary;
    if (contentType.startsWith('multipart/') && boundary && depth < MAX_DEPTH) {
      const childDefault = contentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
      const marks = delimiters(text, boundary, bodyStart, end);
      for (let i = 0; i + 1 < marks.length; i++) {
        const open = marks[i];
        const close = marks[i + 1];
        if (!open || !close || open.close) break;
        visit(open.next, beforeBreak(text, close.lineStart, open.next), depth + 1, childDefault);
      }
      // Without its close delimiter, the last part runs to the end of the entity.
      const last = marks[marks.length - 1];
      if (last && !last.close) visit(last.next, end, depth + 1, childDefault);
      return;
    }
    out.push({
      start: bodyStart,
      end,
      contentType,
      disposition: fields.disposition ? libmime.parseHeaderValue(fields.disposition).value.toLowerCase() : '',
      charset: parsed.params.charset ?? '',
      transferEncoding: fields.encoding.toLowerCase(),
    });
  };
  visit(0, text.length, 0, 'text/plain');
  return out;
}
