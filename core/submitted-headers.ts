import { headerBlock } from './control-headers.js';
import { AppError } from './errors.js';

/** What {@link completeSubmittedHeaders} writes into a message that lacks it. */
export interface HeaderFill {
  /** Left part of a new Message-ID, e.g. the message's own id. */
  messageId: string;
  /** Right part of a new Message-ID: a domain of this installation. */
  domain: string;
  /** Time of a new Date field. */
  date: Date;
}

// A field starts a line; folded continuation lines start with a space or tab and never match.
// RFC 5322 §4.5 (obsolete syntax) allows blanks before the colon.
const FIELD_START = /(?:^|\n)(from|date|message-id)[ \t]*:/gi;

/** An RFC 5322 §3.3 date-time in UTC, e.g. `Sun, 06 Dec 2026 05:11:58 +0000`. */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/**
 * Completes a message its client composed, as a submission server does (RFC 6409 §8.3, §8.4):
 * prepends `Message-ID: <messageId@domain>` and `Date` when the top-level header has none, leaving
 * every submitted byte as it was, and refuses a message without a `From` field
 * (`FROM_HEADER_MISSING`). Field names are matched in any case; only the header block is read. A
 * message that lacks nothing comes back as the very same Buffer.
 */
export function completeSubmittedHeaders(raw: Buffer, fill: HeaderFill): Buffer {
  const header = headerBlock(raw);
  const present = new Set<string>();
  for (const m of header.matchAll(FIELD_START)) present.add((m[1] ?? '').toLowerCase());
  if (!present.has('from')) throw new AppError('FROM_HEADER_MISSING', 'the message has no From header field');
  if (present.has('message-id') && present.has('date')) return raw;
  // New fields end their lines the way the submitted header does.
  const firstBreak = header.indexOf('\n');
  const eol = firstBreak > 0 && header[firstBreak - 1] !== '\r' ? '\n' : '\r\n';
  let added = '';
  if (!present.has('message-id')) added += `Message-ID: <${fill.messageId}@${fill.domain}>${eol}`;
  if (!present.has('date')) added += `Date: ${rfc5322Date(fill.date)}${eol}`;
  return Buffer.concat([Buffer.from(added, 'latin1'), raw]);
}
