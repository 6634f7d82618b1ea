import { createHash } from 'node:crypto';

/*
 * The relaxed body canonicalisation of RFC 6376 §3.4.4, computed over a whole body at once, exactly
 * as mailauth's streaming `RelaxedHash` (lib/dkim/body/relaxed.js, mailauth 4.13) computes it, so
 * that our bh= never differs from mailauth's, quirks included:
 * - a line is rewritten only when it holds a tab, two spaces in a row, a bare LF or " \r\n" at its
 *   end; any other line is hashed as it is, so "a \r\r\n" keeps its space, and so does a last line
 *   without a line break ("a " → "a \r\n");
 * - lines end at LF only; a bare CR is an ordinary byte, except that in a rewritten line it does
 *   not split a run of whitespace: the run becomes one SP before its CRs ("a\r\tb" → "a \rb");
 * - every trailing CR and LF byte of the body is dropped, not only empty lines ("a\r" → "a\r\n").
 */

const SP = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const CRLF = Buffer.from('\r\n');

const isWspOrCr = (c: number | undefined) => c === SP || c === TAB || c === CR;

/**
 * Writes `src[start, end)`, one line (ending with LF unless it is the last one), into `out` at `w`
 * as mailauth's `fixLineBuffer` rewrites it; returns the new write position. Whitespace after the
 * last other byte goes but its CRs stay; each run of whitespace and CRs before it becomes one SP
 * (if it holds any whitespace) followed by the run's CRs; a bare LF gets its CR.
 */
function fixLine(src: Buffer, start: number, end: number, out: Buffer, w: number): number {
  const hasLf = src[end - 1] === LF;
  const contentEnd = hasLf ? end - 1 : end;
  let last = contentEnd;
  while (last > start && isWspOrCr(src[last - 1])) last--;
  for (let i = start; i < last;) {
    let c = src[i] ?? 0;
    if (!isWspOrCr(c)) {
      out[w++] = c;
      i++;
      continue;
    }
    let crs = 0;
    let wsp = false;
    for (; isWspOrCr(c); c = src[++i] ?? 0) {
      if (c === CR) crs++;
      else wsp = true;
    }
    if (wsp) out[w++] = SP;
    for (; crs > 0; crs--) out[w++] = CR;
  }
  for (let i = last; i < contentEnd; i++) if (src[i] === CR) out[w++] = CR;
  if (hasLf) {
    if (contentEnd === start || src[contentEnd - 1] !== CR) out[w++] = CR;
    out[w++] = LF;
  }
  return w;
}

/** Copies the lines `body[copyFrom, lineStart)` to `out` at `w`, then the line `body[lineStart, end)` rewritten. */
function copyAndFix(body: Buffer, copyFrom: number, lineStart: number, end: number, out: Buffer, w: number): number {
  return fixLine(body, lineStart, end, out, w + body.copy(out, w, copyFrom, lineStart));
}

const TWO_SPACES = Buffer.from('  ');
const SPACE_CRLF = Buffer.from(' \r\n');

/**
 * True when no line needs rewriting, found with a few native scans (most bodies: quoted-printable
 * and base64 have no tabs and no trailing spaces): no tab, no two spaces in a row, no space
 * before a CRLF, every LF after a CR.
 */
function isCanonical(body: Buffer): boolean {
  if (body.indexOf(TAB) >= 0 || body.indexOf(TWO_SPACES) >= 0 || body.indexOf(SPACE_CRLF) >= 0) return false;
  for (let i = body.indexOf(LF); i >= 0; i = body.indexOf(LF, i + 1)) if (i === 0 || body[i - 1] !== CR) return false;
  return true;
}

/**
 * The body with each line that mailauth rewrites (a tab, two spaces in a row, a bare LF or " \r\n"
 * at its end) rewritten and the others copied; `body` itself when no line needs it.
 */
function canonicalLines(body: Buffer): Buffer {
  if (isCanonical(body)) return body;
  // A rewritten line grows by at most its missing CR: twice the body is always enough.
  let out: Buffer | undefined;
  let w = 0;
  let copyFrom = 0;
  let lineStart = 0;
  let needsFixing = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === LF) {
      // A bare LF, or a CRLF after a space. (A byte before the line is an LF or out of range,
      // never CR or SP, here and for two spaces in a row below.)
      if (needsFixing || body[i - 1] !== CR || body[i - 2] === SP) {
        out ??= Buffer.allocUnsafe(2 * body.length);
        w = copyAndFix(body, copyFrom, lineStart, i + 1, out, w);
        copyFrom = i + 1;
      }
      lineStart = i + 1;
      needsFixing = false;
    } else if (c === TAB || (c === SP && body[i - 1] === SP)) {
      needsFixing = true;
    }
  }
  if (needsFixing) {
    out ??= Buffer.allocUnsafe(2 * body.length);
    w = copyAndFix(body, copyFrom, lineStart, body.length, out, w);
    copyFrom = body.length;
  }
  if (!out) return body;
  w += body.copy(out, w, copyFrom);
  return out.subarray(0, w);
}

/**
 * The relaxed/sha256 body hash (the bh= value, base64) of a message body, identical to mailauth's.
 *
 * @param body - the body, line breaks normalised as mailauth's message parser does it: the `body`
 *   of `splitMessage` (split-message.ts).
 */
export function relaxedBodyHash(body: Buffer): string {
  const canonical = canonicalLines(body);
  let end = canonical.length;
  while (end > 0 && (canonical[end - 1] === LF || canonical[end - 1] === CR)) end--;
  const hash = createHash('sha256');
  // RFC 6376 §3.4.4: a non-empty body ends with exactly one CRLF; an empty one hashes as empty.
  if (end > 0) hash.update(canonical.subarray(0, end)).update(CRLF);
  return hash.digest('base64');
}
