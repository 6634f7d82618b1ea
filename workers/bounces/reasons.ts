/**
 * The reason vocabulary (modelled on Sisimai's) and the narrow hard/soft rule shared by DSNs,
 * non-standard bounce texts and synchronous SMTP replies.
 */

/** Every reason the classifier can answer. */
export const REASONS = [
  'userunknown',
  'hostunknown',
  'hasmoved',
  'notaccept',
  'suspend',
  'mailboxfull',
  'exceedlimit',
  'mesgtoobig',
  'systemfull',
  'blocked',
  'badreputation',
  'requireptr',
  'authfailure',
  'spamdetected',
  'virusdetected',
  'policyviolation',
  'securityerror',
  'filtered',
  'rejected',
  'expired',
  'toomanyconn',
  'systemerror',
  'mailererror',
  'networkerror',
  'syntaxerror',
  'contenterror',
  'undefined',
  'feedback',
  'delivered',
  'none',
] as const;

/** One reason of {@link REASONS}. */
export type Reason = (typeof REASONS)[number];

/** Reasons that say the address itself is bad (Sisimai's hard bounces); `notaccept` only with a 5xx. */
const HARD_REASONS: ReadonlySet<string> = new Set(['userunknown', 'hostunknown', 'hasmoved']);

/** Enhanced status codes whose subject and detail say the address itself is bad (RFC 3463 §3.2). */
const BAD_ADDRESS_STATUS = /^[45]\.1\.(?:1|2|3|6|10)$/;

/** Whether an enhanced status code names the address as bad, whatever its class. */
export function isBadAddressStatus(status: string | null): boolean {
  return status !== null && BAD_ADDRESS_STATUS.test(status);
}

/**
 * Whether a failure is hard: the address is bad. When the class of the answer and its meaning
 * disagree, this rule decides: a temporary answer (4.x.x, 4xx) makes the failure soft unless its
 * enhanced code itself names the address as bad ("450 4.1.1 User unknown" in a report that gave
 * up on the recipient); `notaccept` ("this domain takes no mail") is hard unless the answer is
 * temporary (a 4xx from such a host is usually an outage). Never hard: delay
 * warnings, and synchronous replies that are not final (`final: false`, they are retried).
 */
export function isHardReason(
  reason: string,
  status: string | null,
  replyCode: number | undefined,
  options: { delayed?: boolean; final?: boolean } = {},
): boolean {
  if (options.delayed === true || options.final === false) return false;
  const temporary =
    status?.startsWith('4') === true || (replyCode !== undefined && replyCode >= 400 && replyCode < 500);
  if (temporary && !isBadAddressStatus(status)) return false;
  if (HARD_REASONS.has(reason)) return true;
  // Reached only when the answer is not temporary: a final report about a host that takes no mail.
  return reason === 'notaccept';
}

/**
 * Enhanced status codes (RFC 3463, RFC 7372, provider extensions) specific enough to decide the
 * reason before any text rule: the text around them is usually a paraphrase.
 */
const DECISIVE_STATUS: Readonly<Record<string, Reason>> = {
  '1.6': 'hasmoved',
  '1.7': 'rejected',
  '1.8': 'rejected',
  '2.2': 'mailboxfull',
  '2.3': 'exceedlimit',
  '3.2': 'notaccept',
  '7.23': 'authfailure',
  '7.24': 'authfailure',
  '7.25': 'requireptr',
  '7.26': 'authfailure',
  '7.27': 'authfailure',
  '7.509': 'authfailure',
  '7.510': 'securityerror',
};

/** Reasons for enhanced status codes when no text rule matched (RFC 3463 §3). */
const STATUS_REASON: Readonly<Record<string, Reason>> = {
  '1.0': 'userunknown',
  '1.1': 'userunknown',
  '1.2': 'hostunknown',
  '1.3': 'userunknown',
  '1.4': 'userunknown',
  '1.5': 'userunknown',
  // Microsoft's "recipient not found"; RFC 7505's null MX, which a text rule tells apart.
  '1.10': 'userunknown',
  '2.0': 'filtered',
  '2.1': 'suspend',
  '2.4': 'systemerror',
  '3.0': 'systemerror',
  '3.1': 'systemfull',
  '3.3': 'systemerror',
  '3.4': 'mesgtoobig',
  '3.5': 'systemerror',
  '4.0': 'networkerror',
  '4.1': 'networkerror',
  '4.2': 'networkerror',
  '4.3': 'systemerror',
  '4.4': 'hostunknown',
  '4.5': 'systemfull',
  '4.6': 'networkerror',
  '4.7': 'expired',
  '5.0': 'syntaxerror',
  '5.1': 'syntaxerror',
  '5.2': 'syntaxerror',
  '5.3': 'exceedlimit',
  '5.4': 'syntaxerror',
  '5.5': 'syntaxerror',
  '6.0': 'contenterror',
  '6.1': 'contenterror',
  '6.2': 'contenterror',
  '6.3': 'contenterror',
  '6.4': 'contenterror',
  '6.5': 'contenterror',
  '7.0': 'securityerror',
  '7.1': 'blocked',
  '7.2': 'systemerror',
  '7.3': 'securityerror',
  '7.4': 'securityerror',
  '7.5': 'securityerror',
  '7.6': 'securityerror',
  '7.7': 'securityerror',
  '7.8': 'securityerror',
  '7.9': 'securityerror',
  '7.13': 'suspend',
  '7.17': 'suspend',
  '7.18': 'suspend',
};

function subject(status: string): string {
  return status.slice(status.indexOf('.') + 1);
}

/** Reason decided by the status code alone, before text rules, or `undefined`. */
export function decisiveStatusReason(status: string | null): Reason | undefined {
  if (status === null) return undefined;
  const key = subject(status);
  // 4.3.2 is how rate limiting and greylisting usually answer; only 5.3.2 says "no mail here".
  if (key === '3.2' && status.startsWith('4')) return undefined;
  return DECISIVE_STATUS[key];
}

/** Reason the status code suggests when no text rule matched, or `undefined` (x.0.0 says nothing). */
export function statusReason(status: string | null): Reason | undefined {
  if (status === null) return undefined;
  const key = subject(status);
  return DECISIVE_STATUS[key] ?? STATUS_REASON[key];
}

/** Reason a basic reply code suggests when nothing else did (RFC 5321 §4.2.2, RFC 7504). */
export function replyCodeReason(replyCode: number | undefined): Reason | undefined {
  switch (replyCode) {
    case 521:
    case 556:
      return 'notaccept';
    case 551:
      return 'hasmoved';
    case 552:
      return 'mailboxfull';
    case 421:
      return 'blocked';
    case 503:
    case 500:
    case 501:
      return 'syntaxerror';
    default:
      return undefined;
  }
}
