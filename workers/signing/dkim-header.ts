/*
 * The header side of a relaxed/relaxed DKIM signature, exactly as mailauth 4.13 computes it (the
 * functions named below are in mailauth/lib/tools.js and lib/dkim/header/relaxed.js), in one pass
 * over the header block as one latin1 string instead of a Buffer and a regular-expression chain
 * per field. dkim-signer.test.ts holds the signer to mailauth's public dkimSign, byte for byte, on
 * random messages and on random d=, s= and h= lengths (the folding of the signature field).
 *
 * mailauth's quirks are kept on purpose (a verifier that is mailauth computes the same hash): its
 * `\s` is JavaScript's, so besides SP and HTAB it folds CR, VT, FF and NBSP (0xA0) into one SP.
 */

/**
 * The fields signed, every instance of each: mailauth's defaultDKIMFieldNames plus
 * List-Unsubscribe-Post, which RFC 8058 §4 wants signed with List-Unsubscribe. mailauth's signer
 * takes the same list as its `headerList` option.
 */
export const DKIM_SIGNED_FIELD_NAMES =
  'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding:Content-ID:' +
  'Content-Description:Resent-Date:Resent-From:Resent-Sender:Resent-To:Resent-Cc:Resent-Message-ID:In-Reply-To:References:' +
  'List-Id:List-Help:List-Unsubscribe:List-Unsubscribe-Post:List-Subscribe:List-Post:List-Owner:List-Archive:BIMI-Selector';

/** {@link DKIM_SIGNED_FIELD_NAMES}, lower case. */
const SIGNED_FIELDS = new Set(DKIM_SIGNED_FIELD_NAMES.toLowerCase().split(':'));

/** The fields a signature covers, last first (getSigningHeaderLines), and their names for h=. */
export interface SignedFields {
  /** Each field as written, continuation lines joined with CRLF. */
  lines: string[];
  /** Names as written (trimmed), joined with ': ' as mailauth writes h=. */
  keys: string;
}

/**
 * parseHeaders + getSigningHeaderLines: splits the header block (with its empty line) into fields,
 * a line starting with JavaScript whitespace continuing the one before, and keeps the signed ones,
 * bottom to top.
 */
export function signedFields(headerBlock: string): SignedFields {
  const rows = headerBlock.replace(/[\r\n]+$/, '').split(/\r?\n/);
  // Continuation lines joined to their field, top to bottom (mailauth joins bottom up: same result).
  const fields: string[] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] ?? '';
    if (i > 0 && fields.length > 0 && /^\s/.test(row)) fields[fields.length - 1] += `\r\n${row}`;
    else fields.push(row);
  }
  const lines: string[] = [];
  const keys: string[] = [];
  for (let i = fields.length - 1; i >= 0; i--) {
    const field = fields[i] ?? '';
    const colon = field.indexOf(':');
    if (colon === 0) continue; // no name: /^[^:]+/ does not match
    const cased = (colon < 0 ? field : field.slice(0, colon)).trim();
    if (!SIGNED_FIELDS.has(cased.toLowerCase())) continue;
    lines.push(field);
    keys.push(cased);
  }
  return { lines, keys: keys.join(': ') };
}

/**
 * A field already in relaxed form but for its name's case: a name of printable ASCII, the colon,
 * at most one space, then printable ASCII words apart by single spaces (most fields written by a
 * MIME builder, folded ones aside).
 */
const PLAIN_FIELD = /^([\x21-\x39\x3b-\x7e]+): ?([\x21-\x7e](?:[\x21-\x7e]| (?=[\x21-\x7e]))*)$/;

/** formatRelaxedLine without its Buffers: unfolded, name lower case, JavaScript whitespace runs as one SP. */
export function relaxedLine(line: string): string {
  const plain = PLAIN_FIELD.exec(line);
  if (plain) return `${(plain[1] ?? '').toLowerCase()}:${plain[2] ?? ''}`;
  return line
    .replace(/\r?\n/g, '')
    .replace(/^([^:]*):\s*/, (_, k: string) => `${k.toLowerCase().trim()}:`)
    .replace(/\s+/g, ' ')
    .trim();
}

/** The tags of one signature, in the order mailauth writes them (keyOrderingDKIM, as used here). */
export interface SignatureTags {
  a: string;
  c: string;
  /** Signing domain, already an A-label. */
  d: string;
  h: string;
  /** Selector, already an A-label. */
  s: string;
  t: number;
  bh: string;
  b: string;
}

/**
 * True when formatSignature gives what formatSignatureHeaderLine gives for this d= or s=: printable
 * ASCII without spaces, `;` or `@` (punycode.toASCII leaves it as it is; it reads `@` as an address).
 */
export function isPlainTagValue(value: string): boolean {
  return /^[\x21-\x3a\x3c-\x3f\x41-\x7e]+$/.test(value);
}

/**
 * formatSignatureHeaderLine('DKIM', tags, true) for tags whose d= and s= pass isPlainTagValue and
 * whose h= is what signedFields gives: the field, folded at 76 characters as libmime's foldLines
 * folds it, b= split with a space every 75 characters.
 */
export function formatSignature(tags: SignatureTags): string {
  const b = tags.b ? `b=${tags.b}`.replace(/.{75}/g, '$& ').trim() : 'b=';
  return foldLines(
    `DKIM-Signature: v=1; a=${tags.a}; c=${tags.c}; d=${tags.d}; h=${tags.h}; q=dns/txt; s=${tags.s}; t=${tags.t}; bh=${tags.bh}; ${b}`,
  );
}

/**
 * libmime 5.3's foldLines(str, 76, false) for a string without line breaks: each line is cut
 * before the last whitespace run of its 76 characters, or, when it has none past its start, after
 * the word that runs over.
 */
function foldLines(str: string): string {
  const width = 76;
  const len = str.length;
  let pos = 0;
  let result = '';
  while (pos < len) {
    if (len - pos < width) {
      result += str.slice(pos);
      break;
    }
    const end = pos + width;
    // The last whitespace run of str[pos, end) and the word after it: /(\s+)[^\s]*$/.
    let k = end - 1;
    while (k >= pos && !isSpace(str.charCodeAt(k))) k--;
    let cut: number;
    if (k >= pos) {
      let runStart = k;
      while (runStart > pos && isSpace(str.charCodeAt(runStart - 1))) runStart--;
      // The match must be shorter than the line: whitespace at its very start does not count.
      cut = runStart > pos ? runStart : extendWord(str, end);
    } else {
      cut = extendWord(str, end);
    }
    result += str.slice(pos, cut);
    pos = cut;
    if (pos < len) result += '\r\n';
  }
  return result;
}

/** /^[^\s]+(\s*)/ after `at`, its whitespace left out: where a line that has no place to fold ends. */
function extendWord(str: string, at: number): number {
  let i = at;
  while (i < str.length && !isSpace(str.charCodeAt(i))) i++;
  return i;
}

/** JavaScript's \s within latin1 (the header strings are latin1). */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;
}
