import { diagnose, findReplyCode, findStatus } from './diagnose.js';
import { addressOf } from './dsn.js';
import type { ParsedMessage } from './mime.js';
import { excerptFor, mentionedAddresses, notificationText } from './notification.js';
import { isHardReason } from './reasons.js';
import type { Classification } from './types.js';

/** Senders of bounces: MAILER-DAEMON, postmaster, "Mail Delivery System/Subsystem", ... */
const DAEMON_FROM =
  /mailer-daemon|postmaster|mail ?delivery|mail administrator|system administrator|mdaemon|mail ?system|\bbounces?\b|undeliverable|delivery ?subsystem/i;

/** Subjects of bounces (English and the common localised ones). */
const BOUNCE_SUBJECT =
  /undeliver|undelivered|delivery (?:status notification|failure|failed|problem|notification|report)|failure notice|returned mail|mail delivery (?:failed|failure|system)|could not be delivered|non[- ]?deliver|mail system error|returned to sender|delayed mail|warning: could not send|message not delivered|not delivered|unzustellbar|nicht zugestellt|non remis|no entregado|non recapitabile/i;

/** Body phrases of the plain-text bounces of the big MTAs (qmail, Exim, Gmail, Yahoo, Exchange, Notes, ...). */
const BOUNCE_BODY = [
  /this is the qmail-send program|I'm afraid I wasn't able to deliver|wasn't able to deliver your message/i,
  /could not be delivered to one or more|the following address(?:es)?(?:\(es\))? failed|message could not be delivered|could not deliver (?:the |your )?message/i,
  /delivery to the following recipients? (?:failed|has been delayed)|technical details of (?:permanent|temporary) failure/i,
  /did not reach the following recipient|delivery has failed to these recipients|your message (?:to .{1,80} )?(?:couldn't|could not|wasn't) (?:be )?delivered/i,
  /(?:unable|not able) to deliver (?:your )?message|was not delivered to|there was an error delivering your mail|permanent (?:fatal )?errors?\b/i,
  /message delivery (?:has )?failed|delivery (?:status notification|failure)|undeliverable (?:mail|message)|remote host said|did not like our rcpt to/i,
];

const DELAY =
  /\(delay\)|has been delayed|warning message only|will be retried|still being retried|not yet been delivered|could not send message for past|delivery delayed/i;

/** Whether the message comes from a mail system (null return path, daemon sender, X-Failed-Recipients). */
export function isDaemonBounce(msg: ParsedMessage): boolean {
  const h = msg.root.header;
  return h('x-failed-recipients').length > 0 || h('from').some((v) => DAEMON_FROM.test(v));
}

/** Whether a message without a delivery-status part reads like a bounce. */
export function looksLikeTextBounce(msg: ParsedMessage, text: string): boolean {
  const h = msg.root.header;
  if (h('x-failed-recipients').length > 0) return true;
  const fromDaemon = h('from').some((v) => DAEMON_FROM.test(v)) || h('return-path').some((v) => /^<?\s*>?$/.test(v));
  const subject = h('subject').some((s) => BOUNCE_SUBJECT.test(s));
  const body = BOUNCE_BODY.some((re) => re.test(text));
  return (fromDaemon && (subject || body)) || (subject && body);
}

/**
 * A bounce in a non-standard text format (no message/delivery-status): the failed recipients
 * from X-Failed-Recipients or the first addresses the notification names, the diagnostic from
 * the text that follows them.
 */
export function classifyTextBounce(msg: ParsedMessage): Classification | null {
  const text = notificationText(msg, 0);
  if (!looksLikeTextBounce(msg, text)) return null;
  const failed = msg.root
    .header('x-failed-recipients')
    .flatMap((v) => v.split(','))
    .map((v) => addressOf(v))
    .filter((a): a is string => a !== null);
  const recipients = failed.length > 0 ? [...new Set(failed)] : mentionedAddresses(msg, text).slice(0, 1);
  const recipient = recipients[0] ?? null;
  const excerpt =
    recipient === null ? text.replace(/\s+/g, ' ') : excerptFor(text, recipient) || text.replace(/\s+/g, ' ');
  const status = findStatus(excerpt);
  const replyCode = findReplyCode(excerpt);
  const delayed = DELAY.test(text) || msg.root.header('subject').some((s) => /\bdelay/i.test(s));
  const reason = delayed
    ? 'expired'
    : diagnose({ texts: [excerpt], status, ...(replyCode !== undefined ? { replyCode } : {}) });
  const answer: Classification = {
    kind: 'bounce',
    recipient,
    hard: isHardReason(reason, status, replyCode, delayed),
    status,
    reason,
  };
  if (recipients.length > 1) answer.recipients = recipients;
  if (replyCode !== undefined) answer.replyCode = replyCode;
  if (delayed) answer.delayed = true;
  return answer;
}
