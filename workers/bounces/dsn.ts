/**
 * RFC 3464 message/delivery-status fields. The part's MIME structure comes from mailsplit; this
 * reads the field groups of its body (RFC 3464 §2.1: one per-message group, then one group per
 * recipient, separated by blank lines).
 */

/** The per-recipient fields of a DSN that matter for classification (RFC 3464 §2.3). */
export interface DsnRecipient {
  finalRecipient: string | null;
  originalRecipient: string | null;
  action: string | null;
  status: string | null;
  /** The comment after the status code, e.g. "(Illegal host/domain name found)". */
  statusComment: string;
  diagnosticType: string | null;
  diagnostic: string | null;
}

/** A parsed delivery-status body. */
export interface DeliveryStatus {
  perMessage: Map<string, string>;
  recipients: DsnRecipient[];
}

const FIELD = /^([A-Za-z][A-Za-z0-9-]*):[ \t]*(.*)$/;
const ADDRESS = /[^\s<>()"';,:]+@[^\s<>()"';,:]+\.[A-Za-z0-9-]+/;

/** Groups of `field: value` lines, folded lines joined, split on blank lines. */
function fieldGroups(text: string): Map<string, string>[] {
  const groups: Map<string, string>[] = [];
  let current = new Map<string, string>();
  let last: string | null = null;
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (line.trim() === '') {
      if (current.size > 0) groups.push(current);
      current = new Map();
      last = null;
      continue;
    }
    if (/^[ \t]/.test(line) && last !== null) {
      current.set(last, `${current.get(last) ?? ''} ${line.trim()}`.trim());
      continue;
    }
    const m = FIELD.exec(line);
    if (m?.[1] === undefined) continue;
    last = m[1].toLowerCase();
    // A repeated field in one group keeps the first value (malformed reports repeat Status).
    if (!current.has(last)) current.set(last, (m[2] ?? '').trim());
  }
  if (current.size > 0) groups.push(current);
  return groups;
}

/** The address of an address-type field ("rfc822; a@b", "<a@b>"), lower-cased, or `null`. */
export function addressOf(value: string | undefined | null): string | null {
  if (!value) return null;
  const bare = value.replace(/^\s*[A-Za-z0-9-]+\s*;\s*/, '');
  const m = ADDRESS.exec(bare);
  return m
    ? m[0]
        .replace(/^mailto:/i, '')
        .replace(/\.$/, '')
        .toLowerCase()
    : null;
}

function recipientOf(group: Map<string, string>): DsnRecipient {
  const status = group.get('status') ?? '';
  const code = /^\s*([245]\.\d{1,3}\.\d{1,3})/.exec(status);
  const diagnostic = group.get('diagnostic-code') ?? null;
  const typed = diagnostic === null ? null : /^\s*([A-Za-z0-9-]+)\s*;\s*(.*)$/s.exec(diagnostic);
  return {
    finalRecipient: addressOf(group.get('final-recipient') ?? group.get('x-actual-recipient')),
    originalRecipient: addressOf(group.get('original-recipient')),
    action: group.get('action')?.toLowerCase().split(/[\s(]/)[0] ?? null,
    status: code?.[1] ?? null,
    statusComment: code ? status.slice(code[0].length).trim() : status.trim(),
    diagnosticType: typed?.[1]?.toLowerCase() ?? null,
    diagnostic: typed ? (typed[2] ?? '') : diagnostic,
  };
}

/**
 * Parses a delivery-status body. Malformed reports are read leniently: recipient fields in the
 * per-message group (no blank line after Reporting-MTA) still count as a recipient group.
 */
export function parseDeliveryStatus(text: string): DeliveryStatus {
  const groups = fieldGroups(text);
  const isRecipient = (g: Map<string, string>): boolean =>
    g.has('final-recipient') ||
    g.has('original-recipient') ||
    g.has('x-actual-recipient') ||
    (g.has('action') && g.has('status'));
  const first = groups[0];
  const perMessage = first !== undefined && !isRecipient(first) ? first : new Map<string, string>();
  const recipients = groups.filter(isRecipient).map(recipientOf);
  // Some MTAs put Action/Status in the per-message group and only the address in the next one.
  for (const r of recipients) {
    r.action ??= perMessage.get('action')?.toLowerCase() ?? null;
  }
  return { perMessage, recipients };
}

/** Whether a text looks like delivery-status fields (a DSN sent as text/plain, or inline). */
export function looksLikeDeliveryStatus(text: string): boolean {
  return /^(?:final|original)-recipient:/im.test(text) && /^(?:action|status):/im.test(text);
}
