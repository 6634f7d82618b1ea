/**
 * Final or temporary outcome of handing one recipient to a remote MX. `throttled` means no attempt
 * was made because shaping said wait: it costs no attempt and produces no event.
 */
export type DeliveryStatus = 'delivered' | 'deferred' | 'bounced' | 'throttled';

/** The outcome for one recipient, with the remote reply that decided it. */
export interface DeliveryResult {
  recipient: string;
  status: DeliveryStatus;
  replyCode?: number;
  reply: string;
  /** Short reason from one vocabulary: `accepted`, `temporary`, `rejected`, `connection`, `dns`, `expired`. */
  reason: string;
  mx?: string;
  /** The SMTP command the remote reply answered, where the client knows it. */
  stage?: 'mail' | 'rcpt' | 'data';
  /** For `throttled`: how long until the shaper may grant. */
  retryInMs?: number;
}

/** Rule table from reply class to outcome (RFC 5321 §4.2.1): 2yz done, 4yz try later, 5yz give up. */
const RULES: readonly { test: (code: number) => boolean; status: DeliveryStatus; reason: string }[] = [
  { test: (c) => c >= 200 && c < 300, status: 'delivered', reason: 'accepted' },
  { test: (c) => c >= 400 && c < 500, status: 'deferred', reason: 'temporary' },
  { test: (c) => c >= 500 && c < 600, status: 'bounced', reason: 'rejected' },
];

/** Classifies an SMTP reply; no reply code (connection lost, timeout) defers. */
export function classifyReply(replyCode: number | undefined): { status: DeliveryStatus; reason: string } {
  if (replyCode === undefined) return { status: 'deferred', reason: 'connection' };
  const rule = RULES.find((r) => r.test(replyCode));
  return rule ? { status: rule.status, reason: rule.reason } : { status: 'deferred', reason: 'unexpected-reply' };
}
