import { addressOf } from './dsn.js';
import type { ParsedMessage } from './mime.js';

// Where MTAs start the copy of the returned message inside a plain-text bounce.
const COPY_MARKERS =
  /^\s*(?:-{2,}\s*(?:Below this line is a copy of the message|This is a copy of the message|Original message|The header of the original message|Original message follows|Returned message|Undelivered message)|-{3,}\s*(?:Forwarded|Original) message|The original message (?:headers )?(?:was|is) (?:included|attached)|(?:Message headers|Original message headers|Headers of the original message) follow)/im;

/** Strips tags and entities from an HTML-only notification. */
function htmlToText(html: string): string {
  return html
    .replace(/<(?:style|script)[\s\S]*?<\/(?:style|script)>/gi, ' ')
    .replace(/<br\s*\/?>|<\/(?:p|div|tr|li|h\d)>/gi, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/**
 * The human-readable notification at report depth `depth`: its text/plain parts (HTML only when
 * there is no plain text), cut before any inline copy of the returned message.
 */
export function notificationText(msg: ParsedMessage, depth: number): string {
  const own = msg.parts.filter((p) => p.depth === depth && p.text !== '');
  const plain = own.filter((p) => p.contentType === 'text/plain');
  const chosen =
    plain.length > 0
      ? plain.map((p) => p.text)
      : own.filter((p) => p.contentType === 'text/html').map((p) => htmlToText(p.text));
  const text = chosen.join('\n');
  const cut = COPY_MARKERS.exec(text);
  return cut ? text.slice(0, cut.index) : text;
}

/** Joins folded lines and collapses whitespace, so rules match diagnostics wrapped over lines. */
export function unfold(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The notification from the first mention of `address` on (about a paragraph or two), unfolded. */
export function excerptFor(text: string, address: string, maxChars = 1200): string {
  const at = text.toLowerCase().indexOf(address.toLowerCase());
  if (at === -1) return '';
  return unfold(text.slice(at, at + maxChars));
}

/**
 * The two lines before the first mention of `address`, unfolded: where reports that name the
 * reason first put it ("Unknown user: a@example.net", "Error: Invalid user address" above the
 * message details).
 */
export function contextBefore(text: string, address: string): string {
  const at = text.toLowerCase().indexOf(address.toLowerCase());
  if (at <= 0) return '';
  const lines = text.slice(0, at).split('\n');
  return unfold(lines.slice(-3).join(' '));
}

const ADDRESS_G = /<?([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)>?/g;
const DAEMON = /^(?:mailer-daemon|postmaster|mail-daemon|mdaemon|bounces?|noreply|no-reply|root)@/i;

// What a label just before an address says it is: a sender is never the failed recipient, and an
// address given to RCPT TO is the one the report is about.
const SENDER_LABEL = /(?:mail from|envelope-from|from|sender|return-path|reply-to|sent by)\s*[:=]?\s*<?$/i;
const RCPT_LABEL = /rcpt to\s*[:=]?\s*<?$/i;

/**
 * Addresses mentioned in a notification, in order, recipients named by RCPT TO first, leaving
 * out the bounce's own sender and addressee, daemon addresses, addresses labelled as senders,
 * and addresses inside URLs.
 */
export function mentionedAddresses(msg: ParsedMessage, text: string): string[] {
  const own = new Set(
    // X-Original-To is left out: on a bounce some MTAs (DragonFly) put the failed recipient there.
    ['from', 'to', 'return-path', 'reply-to', 'sender', 'delivered-to', 'envelope-to']
      .flatMap((h) => msg.root.header(h))
      .flatMap((v) => v.split(','))
      .map((v) => addressOf(v))
      .filter((a): a is string => a !== null),
  );
  const labelled: string[] = [];
  const found: string[] = [];
  for (const m of text.matchAll(ADDRESS_G)) {
    const index = m.index ?? 0;
    const before = text.charAt(index - 1);
    if (before === '/' || before === '=') continue;
    const address = (m[1] ?? '').replace(/\.$/, '').toLowerCase();
    if (own.has(address) || DAEMON.test(address) || found.includes(address)) continue;
    const label = text.slice(Math.max(0, index - 20), index);
    if (SENDER_LABEL.test(label)) continue;
    found.push(address);
    if (RCPT_LABEL.test(label)) labelled.push(address);
  }
  return [...labelled, ...found.filter((a) => !labelled.includes(a))];
}
