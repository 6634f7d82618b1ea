// Quoted-printable (RFC 2045 §6.7) on bytes, for the tracking rewrite. The output is byte for byte
// what libqp 3.0.1 gives (`libqp.decode(buf)` and `Buffer.from(libqp.wrap(libqp.encode(buf), n),
// 'latin1')`), quirks included; quoted-printable.test.ts holds it to that. libqp works on JS
// strings with regular expressions and substr, in several passes; here decoding is one pass over
// the bytes (two for odd input) and encoding one pass that wraps lines as it writes them.

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const EQ = 0x3d;
const HYPHEN = 0x2d;

/** libqp's shortest line: a whole `=XX` escape plus the soft break. */
const MIN_LINE_LENGTH = 4;
/** The line length libqp's wrap() falls back to when given 0 or NaN. */
const DEFAULT_LINE_LENGTH = 76;

/** 0-15 for a hex digit (either case, as libqp reads them), -1 for any other byte. */
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE[(i < 10 ? 0x30 : 0x41 - 10) + i] = i;
  if (i >= 10) HEX_VALUE[0x61 - 10 + i] = i;
}
const HEX_DIGITS = Buffer.from('0123456789ABCDEF', 'latin1');

/** How the encoder treats a byte: escaped, literal, or literal unless its neighbour says otherwise. */
const ESCAPE = 0;
const LITERAL = 1;
/** SP and TAB: escaped when a line break or the end of the input follows. */
const WHITESPACE = 2;
/** `-`: escaped at the start of a line, so that no line reads as a MIME boundary (`--`). */
const LEADING_HYPHEN = 3;
/** Literal, and ends the line (wrap() splits at LF and CRLF). */
const LINE_FEED = 4;
/** Literal; ends the line when an LF follows, else it is part of it. */
const CARRIAGE_RETURN = 5;
const ENCODE_CLASS = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  if (i === TAB || i === SP) ENCODE_CLASS[i] = WHITESPACE;
  else if (i === HYPHEN) ENCODE_CLASS[i] = LEADING_HYPHEN;
  else if (i === LF) ENCODE_CLASS[i] = LINE_FEED;
  else if (i === CR) ENCODE_CLASS[i] = CARRIAGE_RETURN;
  else if (i > SP && i <= 0x7e && i !== EQ) ENCODE_CLASS[i] = LITERAL;
  else ENCODE_CLASS[i] = ESCAPE;
}

/** The bytes after which libqp's wrap() prefers to break a line (`/[ \t.,!?]/`). */
const BREAK_AFTER = new Uint8Array(256);
for (const c of ' \t.,!?') BREAK_AFTER[c.charCodeAt(0)] = 1;

const isBlank = (c: number) => c === SP || c === TAB;
const isLineBreak = (c: number | undefined) => c === LF || c === CR;

/** How the one-pass decoder treats a byte: copied (spaces and tabs too), `=`, or a line break. */
const PLAIN = 0;
const EQUALS = 1;
const BREAK = 2;
const DECODE_CLASS = new Uint8Array(256);
DECODE_CLASS[EQ] = EQUALS;
DECODE_CLASS[CR] = BREAK;
DECODE_CLASS[LF] = BREAK;

/**
 * Decodes a quoted-printable body into bytes, exactly as `libqp.decode` does.
 *
 * libqp's rules, in its order: every run of spaces and tabs before a CR, an LF or the end of the
 * input is dropped; then a soft line break (`=` before CRLF, LF or the end of the input) is
 * dropped; then every `=` followed by two hex digits (either case) becomes the byte they spell.
 * Anything else (`=ZZ`, a lone `=`, `=` before a bare CR, raw 8-bit bytes) is copied as it is.
 * Because soft breaks go before escapes are read, `=4=\r\n1` decodes to `A`; because whitespace goes
 * before soft breaks are found, `=\r\t\n` is one.
 *
 * @param encoded - The quoted-printable body.
 * @returns The decoded bytes (a view of a buffer as long as the input).
 */
export function decodeQuotedPrintable(encoded: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(encoded.length);
  const length = decodeInOnePass(encoded, out);
  return out.subarray(0, length >= 0 ? length : unescape(out, unfold(encoded, out)));
}

/**
 * Decodes `src` into `out` in one pass, for input where every `=` starts an escape or a soft
 * break right away (all an encoder writes). Returns the decoded length, or -1 at the first `=`
 * whose meaning depends on what libqp's earlier steps remove after it (`=4=\r\n1`, `= \r\n`,
 * `==41`): the caller then decodes in libqp's order from the start.
 */
function decodeInOnePass(src: Uint8Array, out: Buffer): number {
  const len = src.length;
  let o = 0;
  let i = 0;
  while (i < len) {
    const c = src[i] ?? 0;
    const kind = DECODE_CLASS[c];
    if (kind === PLAIN) {
      out[o++] = c;
      i++;
      continue;
    }
    if (kind === BREAK) {
      // Spaces and tabs were copied one for one, so the run before the break is the output's tail.
      o -= blanksBefore(src, i);
      out[o++] = c;
      i++;
      continue;
    }
    const c1 = i + 1 < len ? (src[i + 1] ?? 0) : -1;
    const c2 = i + 2 < len ? (src[i + 2] ?? 0) : -1;
    const hi = c1 < 0 ? -1 : (HEX_VALUE[c1] ?? -1);
    const lo = c2 < 0 ? -1 : (HEX_VALUE[c2] ?? -1);
    if (hi >= 0 && lo >= 0) {
      out[o++] = (hi << 4) | lo;
      i += 3;
    } else if (c1 === LF || c1 === -1) {
      i += 2; // `=\n`, or `=` at the end
    } else if (c1 === CR && c2 === LF) {
      i += 3;
    } else if (
      hi < 0 ? DECODE_CLASS[c1] === PLAIN && !isBlank(c1) : c2 === -1 || (DECODE_CLASS[c2] === PLAIN && !isBlank(c2))
    ) {
      // `=Z`, `=4Z` or `=4` at the end: no later step can make an escape of it.
      out[o++] = c;
      i++;
    } else {
      return -1;
    }
  }
  return o - blanksBefore(src, len);
}

/** The number of spaces and tabs right before `src[end]`. */
function blanksBefore(src: Uint8Array, end: number): number {
  let i = end;
  while (i > 0 && isBlank(src[i - 1] ?? 0)) i--;
  return end - i;
}

/**
 * libqp's first two steps, for the input the one-pass decoder gives up on: copies `src` into
 * `out` without the whitespace before line breaks and without the soft line breaks. Returns the
 * number of bytes written.
 */
function unfold(src: Uint8Array, out: Buffer): number {
  const len = src.length;
  let o = 0;
  let i = 0;
  while (i < len) {
    const c = src[i] ?? 0;
    if (c === SP || c === TAB) {
      let j = i + 1;
      while (j < len && isBlank(src[j] ?? 0)) j++;
      const next = j < len ? src[j] : -1;
      if (next === -1 || next === LF || next === CR) {
        i = j;
        continue;
      }
      while (i < j) out[o++] = src[i++] ?? 0;
      continue;
    }
    if (c === EQ) {
      // The soft break is matched after the whitespace is gone: `= \r\n` is one too.
      let k = i + 1;
      while (k < len && isBlank(src[k] ?? 0)) k++;
      const next = k < len ? src[k] : -1;
      if (next === -1) {
        i = len;
        continue;
      }
      if (next === LF) {
        i = k + 1;
        continue;
      }
      if (next === CR) {
        // Whitespace between the CR and an LF goes first too: `=\r \n` is a soft break.
        let m = k + 1;
        while (m < len && isBlank(src[m] ?? 0)) m++;
        if (src[m] === LF) {
          i = m + 1;
          continue;
        }
      }
    }
    out[o++] = c;
    i++;
  }
  return o;
}

/** libqp's last step, in place: decodes the `=XX` escapes of `buf[0, length)`. Returns the new length. */
function unescape(buf: Buffer, length: number): number {
  let r = buf.indexOf(EQ);
  if (r < 0 || r >= length) return length;
  let w = r;
  for (; r < length; r++) {
    const c = buf[r] ?? 0;
    if (c === EQ && r < length - 2) {
      const hi = HEX_VALUE[buf[r + 1] ?? 0] ?? -1;
      const lo = HEX_VALUE[buf[r + 2] ?? 0] ?? -1;
      if (hi >= 0 && lo >= 0) {
        buf[w++] = (hi << 4) | lo;
        r += 2;
        continue;
      }
    }
    buf[w++] = c;
  }
  return w;
}

/**
 * Encodes bytes as quoted-printable with soft line breaks, exactly as
 * `Buffer.from(libqp.wrap(libqp.encode(decoded), lineLength), 'latin1')` does.
 *
 * libqp's rules: bytes outside printable ASCII (but CR, LF and TAB), `=`, a space or tab before a
 * CR, an LF or the end, and a `-` that starts a line are escaped as `=XX`; CR and LF are kept
 * literal, bare ones too. Each line (split at CRLF or LF, so a bare CR is part of a line) is then
 * cut with `=\r\n`, even in an LF body: preferably after the last space, tab or `.,!?` among its
 * last `lineLength / 3` chars, never inside an escape, and not between the escapes of one UTF-8
 * sequence unless the sequence fills the line. A `-` that a soft break puts at the start of a line
 * becomes `=2D`.
 *
 * @param decoded - The bytes to encode.
 * @param lineLength - Longest line before the soft break's `=`; 0 or NaN mean 76, less than 4 means 4.
 * @returns The encoded bytes, ASCII only (a view of a larger buffer).
 */
export function encodeQuotedPrintable(decoded: Uint8Array, lineLength: number): Buffer {
  // As libqp: Math.max(Number(lineLength) || 76, 4). A fraction is kept, see cutLine().
  const limit = Math.max(lineLength || DEFAULT_LINE_LENGTH, MIN_LINE_LENGTH);
  const width = Math.floor(limit);
  const exact = width === limit;
  const margin = Math.floor(limit / 3);
  const len = decoded.length;
  // Output a line can take before it is cut: its `width` chars, an escape past them, the soft
  // break and `=2D`. No line is longer than the whole encoding, three chars a byte at most.
  const room = Math.min(width, 3 * len) + 16;
  let out: Buffer = Buffer.allocUnsafe(len + (len >> 2) + room);
  let o = 0;
  // Where the current line starts in `out`; once it is longer than `limit` it is cut. libqp cuts
  // a line in the same place however much follows it, so a cut is made as soon as one is due.
  let lineStart = 0;
  for (let i = 0; i < len; i++) {
    const c = decoded[i] ?? 0;
    const kind = ENCODE_CLASS[c];
    if (kind === LITERAL) {
      out[o++] = c;
      if (o - lineStart <= limit) continue;
    } else if (kind === LINE_FEED) {
      out[o++] = c;
      lineStart = o;
      if (o + room > out.length) out = grow(out, o, o + room);
      continue;
    } else if (kind === CARRIAGE_RETURN) {
      out[o++] = c;
      if (i + 1 < len && decoded[i + 1] === LF) continue;
    } else if (kind === WHITESPACE && i + 1 < len && !isLineBreak(decoded[i + 1])) {
      out[o++] = c;
    } else if (kind === LEADING_HYPHEN && i > 0 && !isLineBreak(decoded[i - 1])) {
      out[o++] = c;
    } else {
      out[o++] = EQ;
      out[o++] = HEX_DIGITS[c >> 4] ?? 0;
      out[o++] = HEX_DIGITS[c & 15] ?? 0;
    }
    while (o - lineStart > limit) {
      const at = lineStart + cutLine(out, lineStart, width, margin, exact);
      // The rest of the line moves past the soft break; a `-` that would start a line becomes `=2D`.
      const hyphen = out[at] === HYPHEN;
      const shift = hyphen ? 5 : 3;
      for (let k = o - 1, stop = hyphen ? at + 1 : at; k >= stop; k--) out[k + shift] = out[k] ?? 0;
      o += shift;
      out[at] = EQ;
      out[at + 1] = CR;
      out[at + 2] = LF;
      if (hyphen) {
        out[at + 3] = EQ;
        out[at + 4] = 0x32; // 2
        out[at + 5] = 0x44; // D
      }
      lineStart = at + 3;
      if (lineStart + room > out.length) out = grow(out, o, lineStart + room);
    }
  }
  return out.subarray(0, o);
}

/** A copy of `buf[0, used)` in a buffer of at least `size` bytes. */
function grow(buf: Buffer, used: number, size: number): Buffer {
  const grown = Buffer.allocUnsafe(Math.max(buf.length * 2, size));
  buf.copy(grown, 0, 0, used);
  return grown;
}

/**
 * libqp's wrapLine() decision for one line: how much of the line at `out[at]`, longer than
 * `width`, stays before the soft break.
 */
function cutLine(out: Buffer, at: number, width: number, margin: number, exact: boolean): number {
  const last = at + width - 1;
  // /[ \t.,!?][^ \t.,!?]*$/ on the last `margin` chars: break after the last such char.
  const from = at + width - margin;
  let j = last;
  while (j >= from && !BREAK_AFTER[out[j] ?? 0]) j--;
  let taken = width;
  if (j >= from) {
    taken = j - at + 1;
  } else if (endsInEscape(out, at, width)) {
    // An incomplete escape moves to the next line, and so do the escapes of a split UTF-8 sequence.
    if (out[last] === EQ) taken = width - 1;
    else if (out[last - 1] === EQ) taken = width - 2;
    taken = trimUtf8Sequence(out, at, taken);
  }
  // libqp makes room for the soft break only when the line is exactly `lineLength` long, which
  // a fractional length never is.
  if (exact && taken === width) taken -= isHexPair(out, last - 1) && out[last - 2] === EQ ? 3 : 1;
  return taken;
}

/** Whether `buf[i]` and `buf[i + 1]` are both hex digits. */
function isHexPair(buf: Buffer, i: number): boolean {
  return (HEX_VALUE[buf[i] ?? 0] ?? -1) >= 0 && (HEX_VALUE[buf[i + 1] ?? 0] ?? -1) >= 0;
}

const isHex = (c: number | undefined) => (HEX_VALUE[c ?? 0] ?? -1) >= 0;

/** /[=][\da-f]{0,2}$/i on the `width`-long line at `buf[at]`. */
function endsInEscape(buf: Buffer, at: number, width: number): boolean {
  const last = at + width - 1;
  if (buf[last] === EQ) return true;
  if (buf[last - 1] === EQ) return isHex(buf[last]);
  return buf[last - 2] === EQ && isHex(buf[last - 1]) && isHex(buf[last]);
}

/**
 * libqp's trimUtf8Sequence() on the `length`-long line at `buf[at]`: the length without the
 * escapes of its last multi-byte sequence, or `length` when nothing (or only a leading `=2D`)
 * would be left.
 */
function trimUtf8Sequence(buf: Buffer, at: number, length: number): number {
  let end = length;
  while (end >= 3 && buf[at + end - 3] === EQ) {
    const hi = HEX_VALUE[buf[at + end - 2] ?? 0] ?? -1;
    const lo = HEX_VALUE[buf[at + end - 1] ?? 0] ?? -1;
    if (hi < 0 || lo < 0) break;
    const code = (hi << 4) | lo;
    if (code < 0x80) break;
    end -= 3;
    if (code >= 0xc0) break; // the lead byte of the sequence
  }
  const hyphen = length >= 3 && buf[at] === EQ && buf[at + 1] === 0x32 && buf[at + 2] === 0x44;
  return end > (hyphen ? 3 : 0) ? end : length;
}
