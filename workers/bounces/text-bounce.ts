import { diagnose, findReplyCode, findStatus } from './diagnose.js';
import { addressOf } from './dsn.js';
import type { ParsedMessage } from './mime.js';
import { contextBefore, excerptFor, mentionedAddresses, notificationText, unfold } from './notification.js';
import { looksLikeTextBounce } from './bounce-evidence.js';
import { isHardReason } from './reasons.js';
import { failedStage } from './smtp-stage.js';
import type { Classification } from './types.js';

const MAX_NOTIFICATION_CHARS = 8_000;

const DELAY =
  /\(delay\)|has been delayed|warning message only|will be retried|still being retried|not yet been delivered|could not send message for past|delivery delayed/i;

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
  // A notification longer than this says what it has to say before the end of it.
  const whole = unfold(text.slice(0, MAX_NOTIFICATION_CHARS));
  const excerpt = recipient === null ? whole : excerptFor(text, recipient) || whole;
  // Some reports give the reason above the address: read it when the text after says nothing.
  const before = recipient === null ? '' : contextBefore(text, recipient);
  const status = findStatus(excerpt) ?? findStatus(before);
  const replyCode = findReplyCode(excerpt) ?? findReplyCode(before);
  const delayed = DELAY.test(text) || msg.root.header('subject').some((s) => /\bdelay/i.test(s));
  const stage = failedStage(excerpt);
  const reason = delayed
    ? 'expired'
    : diagnose({
        texts: [excerpt, before, whole],
        status,
        ...(replyCode !== undefined ? { replyCode } : {}),
        ...(stage ? { stage } : {}),
      });
  const answer: Classification = {
    kind: 'bounce',
    recipient,
    hard: isHardReason(reason, status, replyCode, { delayed }),
    status,
    reason,
  };
  if (recipients.length > 1) answer.recipients = recipients;
  if (replyCode !== undefined) answer.replyCode = replyCode;
  if (delayed) answer.delayed = true;
  return answer;
}
