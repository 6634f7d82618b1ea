/**
 * Bounce, complaint and delivery notifications sent by e-mail as JSON, the way Amazon SES
 * publishes them to an SNS topic with an e-mail subscription: the body is the notification
 * object itself, or SNS's envelope (`{"Type":"Notification","Message":"<json>"}`) around it.
 * Both SES shapes are read: `notificationType` (SNS notifications) and `eventType` (event
 * publishing).
 */
import { diagnose, findReplyCode, findStatus } from './diagnose.js';
import { addressOf } from './dsn.js';
import type { ParsedMessage } from './mime.js';
import { isHardReason } from './reasons.js';
import type { Classification } from './types.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** The JSON object a text part holds, unwrapped from an SNS envelope, or `null`. */
function notificationObject(body: string): Json | null {
  const start = body.indexOf('{');
  const end = body.lastIndexOf('}');
  if (start === -1 || end <= start) return null;
  const json = body.slice(start, end + 1);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    // Mail transport may have wrapped the long JSON line: try it with the line breaks removed.
    try {
      value = JSON.parse(json.replace(/\r?\n/g, ''));
    } catch {
      return null;
    }
  }
  if (isObject(value) && typeof value.Message === 'string') return notificationObject(value.Message);
  return isObject(value) ? value : null;
}

const NONE: Classification = { kind: 'none', recipient: null, hard: false, status: null, reason: 'none' };

function addresses(recipients: Json[]): string[] {
  const found = recipients.map((r) => addressOf(text(r.emailAddress)));
  return [...new Set(found.filter((a): a is string => a !== null))];
}

function bounce(detail: Json): Classification {
  const recipients = list(detail.bouncedRecipients);
  const first = recipients[0] ?? {};
  const diagnostic = text(first.diagnosticCode);
  const status = /^[245]\.\d{1,3}\.\d{1,3}$/.test(text(first.status)) ? text(first.status) : findStatus(diagnostic);
  const replyCode = findReplyCode(diagnostic);
  // A transient bounce is SES giving up on a temporary failure: never a bad address.
  const transient = text(detail.bounceType).toLowerCase() === 'transient';
  const reason = diagnose({ texts: [diagnostic], status, ...(replyCode !== undefined ? { replyCode } : {}) });
  const all = addresses(recipients);
  const answer: Classification = {
    kind: 'bounce',
    recipient: all[0] ?? null,
    hard: !transient && isHardReason(reason, status, replyCode),
    status,
    reason,
  };
  if (all.length > 1) answer.recipients = all;
  if (replyCode !== undefined) answer.replyCode = replyCode;
  return answer;
}

function complaint(detail: Json): Classification {
  const all = addresses(list(detail.complainedRecipients));
  const answer: Classification = {
    kind: 'complaint',
    recipient: all.length === 1 ? (all[0] ?? null) : null,
    hard: false,
    status: null,
    reason: 'feedback',
    feedbackType: text(detail.complaintFeedbackType).toLowerCase() || 'abuse',
  };
  if (all.length > 1) answer.recipients = all;
  return answer;
}

/** A JSON notification of a bounce, complaint or delivery, or `null` when the message is none. */
export function classifyJsonNotification(msg: ParsedMessage): Classification | null {
  for (const part of msg.parts) {
    if (!part.contentType.startsWith('text/') && part.contentType !== 'application/json') continue;
    if (!part.text.includes('notificationType') && !part.text.includes('eventType')) continue;
    const notification = notificationObject(part.text);
    if (!notification) continue;
    const type = text(notification.notificationType || notification.eventType).toLowerCase();
    if (type === 'bounce' && isObject(notification.bounce)) return bounce(notification.bounce);
    if (type === 'complaint' && isObject(notification.complaint)) return complaint(notification.complaint);
    if (type === 'delivery') return { ...NONE, reason: 'delivered' };
  }
  return null;
}
