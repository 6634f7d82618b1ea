import { diagnose, findReplyCode, findStatus } from './diagnose.js';
import { addressOf, looksLikeDeliveryStatus, parseDeliveryStatus, type DsnRecipient } from './dsn.js';
import type { ParsedMessage } from './mime.js';
import { excerptFor, mentionedAddresses, notificationText, unfold } from './notification.js';
import { isHardReason } from './reasons.js';
import { failedStage } from './smtp-stage.js';
import type { Classification } from './types.js';

/** The delivery-status text of a report and the report's depth, or `null` without one. */
function findDeliveryStatus(msg: ParsedMessage): { text: string; depth: number } | null {
  const part = msg.parts.find((p) => /^message\/(?:global-)?delivery-status$/.test(p.contentType));
  if (part) return { text: part.text, depth: part.depth };
  // Malformed reports: the fields sent as text/plain, or pasted into the notification.
  const inline = msg.parts.find((p) => p.contentType.startsWith('text/') && looksLikeDeliveryStatus(p.text));
  if (!inline) return null;
  const start = inline.text.search(/^(?:reporting-mta|original-envelope-id|final-recipient|original-recipient):/im);
  return { text: inline.text.slice(Math.max(0, start)), depth: inline.depth };
}

function isProblem(r: DsnRecipient): boolean {
  if (r.action === 'failed' || r.action === 'delayed') return true;
  return (r.action === null || r.action === '') && /^[45]/.test(r.status ?? '');
}

const LOCAL_MAILER_VAGUE: ReadonlySet<string> = new Set([
  'userunknown',
  'hostunknown',
  'hasmoved',
  'notaccept',
  'systemerror',
  'undefined',
]);

interface RecipientAnswer {
  address: string | null;
  status: string | null;
  replyCode: number | undefined;
  reason: string;
  delayed: boolean;
}

function answerFor(r: DsnRecipient, notification: string, fallback: string | null): RecipientAnswer {
  const address = r.finalRecipient ?? r.originalRecipient ?? fallback;
  const diagnostic = unfold(`${r.diagnostic ?? ''} ${r.statusComment}`);
  const excerpt = address === null ? '' : excerptFor(notification, address);
  const fieldStatus = r.status !== null && !/\.0\.0$/.test(r.status) ? r.status : null;
  // The code quoted in the remote reply is more precise than the Status field the reporting MTA
  // chose (Sendmail reports 4.4.7 for a "450 4.7.1"; RFC 3464 §2.3.4 lets it pick).
  const status = findStatus(r.diagnostic ?? '') ?? fieldStatus ?? findStatus(excerpt) ?? r.status;
  const replyCode = findReplyCode(r.diagnostic ?? '') ?? findReplyCode(excerpt);
  const delayed = r.action === 'delayed';
  const stage = failedStage(`${r.diagnostic ?? ''}\n${excerpt}`);
  const diagnosed = delayed
    ? 'expired'
    : diagnose({
        texts: [diagnostic, excerpt],
        status,
        ...(replyCode !== undefined ? { replyCode } : {}),
        ...(stage ? { stage } : {}),
      });
  // A local delivery program's exit status or complaint (Diagnostic-Code: x-unix) is about the
  // program; its "No such user" is its own lookup, not the remote MTA's verdict on the address.
  const reason = r.diagnosticType === 'x-unix' && LOCAL_MAILER_VAGUE.has(diagnosed) ? 'mailererror' : diagnosed;
  return { address, status, replyCode, reason, delayed };
}

/**
 * Classifies an RFC 3464 DSN: `null` when the message carries none, `'success'` when every
 * recipient was delivered, relayed or expanded (a success DSN is not a bounce).
 */
export function classifyDsn(msg: ParsedMessage): Classification | 'success' | null {
  const found = findDeliveryStatus(msg);
  if (!found) return null;
  const report = parseDeliveryStatus(found.text);
  if (report.recipients.length === 0) return null;
  const problems = report.recipients.filter(isProblem);
  if (problems.length === 0) return 'success';
  const failures = problems.filter((r) => r.action !== 'delayed');
  const chosen = failures.length > 0 ? failures : problems;
  const notification = notificationText(msg, found.depth);
  const fallback = mentionedAddresses(msg, notification)[0] ?? returnedRecipient(msg, found.depth);
  const answers = chosen.map((r) => answerFor(r, notification, fallback));
  const first = answers[0];
  if (!first) return null;
  const answer: Classification = {
    kind: 'bounce',
    recipient: first.address,
    hard: isHardReason(first.reason, first.status, first.replyCode, { delayed: first.delayed }),
    status: first.status,
    reason: first.reason,
  };
  const addresses = [...new Set(answers.map((a) => a.address).filter((a): a is string => a !== null))];
  if (addresses.length > 1) answer.recipients = addresses;
  if (first.replyCode !== undefined) answer.replyCode = first.replyCode;
  if (first.delayed) answer.delayed = true;
  return answer;
}

/** The To of the returned message, when the report names no usable recipient. */
function returnedRecipient(msg: ParsedMessage, depth: number): string | null {
  const returned = msg.parts.find((p) => p.embeddedRoot && p.depth === depth + 1);
  return returned ? addressOf(returned.header('to')[0]) : null;
}
