import { addressOf } from './dsn.js';
import { headerBlockReader, type MessagePart, type ParsedMessage } from './mime.js';
import type { Classification } from './types.js';

const FIELD = /^([A-Za-z][A-Za-z0-9-]*):[ \t]*(.*)$/;

/** Every `field: value` of a feedback report (RFC 5965 §3.1), multi-valued, keys lower-cased. */
export function feedbackFields(text: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  // Folded fields (a value continued on the next, indented line) are joined first.
  for (const line of text.replace(/\r?\n[ \t]+/g, ' ').split('\n')) {
    const m = FIELD.exec(line);
    if (m?.[1] === undefined) continue;
    const key = m[1].toLowerCase();
    fields.set(key, [...(fields.get(key) ?? []), (m[2] ?? '').trim()]);
  }
  return fields;
}

/** Header reader of the reported message: the embedded message, or a text/rfc822-headers part. */
function reportedHeaders(msg: ParsedMessage): ((name: string) => string[]) | null {
  const embedded = msg.parts.find((p) => p.embeddedRoot);
  if (embedded) return embedded.header;
  const headersPart = msg.parts.find(
    (p) => /^(?:text\/rfc822-headers?|message\/rfc822)$/.test(p.contentType) && p.text !== '',
  );
  return headersPart ? headerBlockReader(headersPart.text) : null;
}

function addressesIn(values: readonly string[]): string[] {
  const found = values.flatMap((v) => v.split(',')).map((v) => addressOf(v));
  return [...new Set(found.filter((a): a is string => a !== null))];
}

function complaint(recipients: string[], feedbackType: string): Classification {
  const answer: Classification = {
    kind: 'complaint',
    recipient: recipients.length === 1 ? (recipients[0] ?? null) : null,
    hard: false,
    status: null,
    reason: 'feedback',
    feedbackType,
  };
  // Several Original-Rcpt-To: the report does not say which of them complained.
  if (recipients.length > 1) answer.recipients = recipients;
  return answer;
}

/** RFC 5965 ARF report (message/feedback-report part), or `null` when the message has none. */
export function classifyArf(msg: ParsedMessage): Classification | null {
  const report = msg.parts.find((p: MessagePart) => p.contentType === 'message/feedback-report');
  if (!report) return null;
  const fields = feedbackFields(report.text);
  const feedbackType = (fields.get('feedback-type')?.[0] ?? 'other').toLowerCase().split(/[\s;]/)[0] ?? 'other';
  let recipients = addressesIn([...(fields.get('original-rcpt-to') ?? []), ...(fields.get('removal-recipient') ?? [])]);
  if (recipients.length === 0) {
    const headers = reportedHeaders(msg);
    if (headers) recipients = addressesIn([...headers('x-hmxmroriginalrecipient'), ...headers('to')]);
  }
  return complaint(recipients, feedbackType);
}

/**
 * Microsoft JMRP and similar non-ARF complaint reports: the complained-about message attached
 * whole, carrying `X-HmXmrOriginalRecipient` (Outlook.com / Hotmail JMRP).
 */
export function classifyJmrp(msg: ParsedMessage): Classification | null {
  const embedded = msg.parts.find((p) => p.embeddedRoot && p.header('x-hmxmroriginalrecipient').length > 0);
  if (!embedded) return null;
  return complaint(addressesIn(embedded.header('x-hmxmroriginalrecipient')), 'abuse');
}
