import { METADATA_HEADER_PREFIXES, TAG_HEADERS } from './message-labels.js';

/** Header fields of ours a sender may set; they are taken out before a message is queued. */
export const CONTROL_HEADERS = [
  'x-bridgemail-track',
  'x-bridgemail-idempotency-key',
  'x-bridgemail-send-at',
  ...TAG_HEADERS,
] as const;

/** Prefixes of control header fields that name a key after them (`X-Bridgemail-Metadata-<key>`); also taken out. */
export const CONTROL_HEADER_PREFIXES: readonly string[] = METADATA_HEADER_PREFIXES;

/** A control field of a prefixed family: its name as written and the key after the prefix (case kept). */
export interface PrefixedControlField {
  /** The field name as the sender wrote it. */
  name: string;
  /** The prefix it matched, lower case. */
  prefix: string;
  key: string;
  value: string;
}

/** One of {@link CONTROL_HEADERS}. */
export type ControlHeader = (typeof CONTROL_HEADERS)[number];

/**
 * The top-level header block of a raw message as latin1 text, through the line break that ends its
 * last field (at most its first 256 KiB). The header's end is found in the bytes, so only the header
 * becomes a string; a message opening with a blank line has an empty header.
 */
export function headerBlock(raw: Buffer): string {
  const head = raw.subarray(0, Math.min(raw.length, 256 * 1024));
  if (head[0] === 0x0a || (head[0] === 0x0d && head[1] === 0x0a)) return '';
  const crlf = head.indexOf('\r\n\r\n');
  const lf = head.indexOf('\n\n');
  const end = crlf !== -1 && (lf === -1 || crlf < lf) ? crlf + 2 : lf !== -1 ? lf + 1 : -1;
  return head.toString('latin1', 0, end === -1 ? head.length : end);
}

/**
 * Removes every field named in {@link CONTROL_HEADERS} or starting with one of
 * {@link CONTROL_HEADER_PREFIXES} from the top-level header of a raw message (folded continuation
 * lines included, RFC 5322 §2.2.3) and returns their unfolded values (`prefixed`: those of the
 * prefixed fields, in order). A message without any comes back as the very same Buffer; nested
 * parts and the body are never read.
 */
export function takeControlHeaders(raw: Buffer): {
  raw: Buffer;
  values: Map<ControlHeader, string[]>;
  prefixed: PrefixedControlField[];
} {
  const values = new Map<ControlHeader, string[]>();
  const prefixed: PrefixedControlField[] = [];
  const headerText = headerBlock(raw);
  const lower = headerText.toLowerCase();
  if (!CONTROL_HEADERS.some((name) => lower.includes(name)) && !CONTROL_HEADER_PREFIXES.some((p) => lower.includes(p)))
    return { raw, values, prefixed };
  const lines = headerText.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const fields: string[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && fields.length) fields[fields.length - 1] += line;
    else fields.push(line);
  }
  const kept = fields.filter((field) => {
    const colon = field.indexOf(':');
    const written = colon === -1 ? '' : field.slice(0, colon).trim();
    const name = written.toLowerCase();
    const value = () =>
      field
        .slice(colon + 1)
        .replace(/\s+/g, ' ')
        .trim();
    const prefix = CONTROL_HEADER_PREFIXES.find((p) => name.startsWith(p));
    if (prefix !== undefined) {
      prefixed.push({ name: written, prefix, key: written.slice(prefix.length), value: value() });
      return false;
    }
    if (!(CONTROL_HEADERS as readonly string[]).includes(name)) return true;
    const key = name as ControlHeader;
    values.set(key, [...(values.get(key) ?? []), value()]);
    return false;
  });
  const headerBytes = Buffer.from(kept.join(''), 'latin1');
  return { raw: Buffer.concat([headerBytes, raw.subarray(headerText.length)]), values, prefixed };
}
