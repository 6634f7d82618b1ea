import { classifyArf, classifyJmrp } from './arf.js';
import { isAutoReply, isChallengeResponse } from './autoreply.js';
import { classifyDsn } from './dsn-bounce.js';
import { classifyJsonNotification } from './json-notification.js';
import { parseMessage, type MessagePart, type ParsedMessage } from './mime.js';
import { notificationText } from './notification.js';
import { classifyUnsubscribeRequest } from './opt-out.js';
import { isDaemonBounce } from './bounce-evidence.js';
import { classifyTextBounce } from './text-bounce.js';
import type { Classification } from './types.js';

const NONE: Classification = { kind: 'none', recipient: null, hard: false, status: null, reason: 'none' };

/**
 * Classifies one inbound message as a bounce, a complaint or neither. Pure: no I/O beyond
 * reading `raw`.
 *
 * Order: ARF report (RFC 5965) → JMRP-style complaint → automatic unsubscribe request → JSON
 * notification (Amazon SES by e-mail) → challenge/response → RFC 3464 DSN (also
 * wrapped in a forwarded message, or sent as plain text) → non-standard bounce texts → none
 * (auto-replies, vacation notices, success DSNs, ordinary mail). A message that is none of these
 * but carries another message whole (a forwarded report) is answered for that message.
 */
export async function classifyMessage(raw: Buffer | string): Promise<Classification> {
  return classifyWithForwarded(await parseMessage(raw), 0);
}

/** Embedded messages checked as forwarded reports, at most, and how deep they may nest. */
const MAX_FORWARDED = 3;
const MAX_NESTING = 3;

function classifyWithForwarded(msg: ParsedMessage, nesting: number): Classification {
  const answer = classifyParsed(msg);
  const unexplained = answer.kind === 'bounce' && answer.reason === 'undefined';
  if ((answer.kind !== 'none' || answer.reason === 'delivered') && !unexplained) return answer;
  if (nesting >= MAX_NESTING) return answer;
  // A report forwarded whole (a message/rfc822 part of a plain wrapper, or a gateway's notice
  // that says only that delivery failed, with the MTA's report attached) is read as itself.
  for (const forwarded of embeddedMessages(msg).slice(0, MAX_FORWARDED)) {
    const inner = classifyWithForwarded(forwarded, nesting + 1);
    if (inner.kind === 'none') continue;
    if (!unexplained) return inner;
    if (inner.kind === 'bounce' && inner.reason !== 'undefined' && sameRecipient(answer, inner)) return inner;
  }
  return answer;
}

/** Whether two answers are about the same recipient (or one of them names none). */
function sameRecipient(a: Classification, b: Classification): boolean {
  return a.recipient === null || b.recipient === null || a.recipient === b.recipient;
}

function classifyParsed(msg: ParsedMessage): Classification {
  const complaint = classifyArf(msg) ?? classifyJmrp(msg) ?? classifyUnsubscribeRequest(msg);
  if (complaint) return complaint;
  const json = classifyJsonNotification(msg);
  if (json) return json;
  const dsnTexts = msg.parts.filter((p) => /delivery-status$/.test(p.contentType)).map((p) => p.text);
  if (isChallengeResponse(msg, [notificationText(msg, 0), ...dsnTexts])) return { ...NONE };
  const dsn = classifyDsn(msg);
  if (dsn === 'success') return { ...NONE, reason: 'delivered' };
  if (dsn) return dsn;
  // Auto-replies quote the original too; only a message that is not one may be a text bounce.
  if (isAutoReply(msg) && !isDaemonBounce(msg)) return { ...NONE };
  return classifyTextBounce(msg) ?? { ...NONE };
}

/** Each message embedded directly in `msg` (depth 1), as a message of its own. */
function embeddedMessages(msg: ParsedMessage): ParsedMessage[] {
  const views: ParsedMessage[] = [];
  msg.parts.forEach((part, index) => {
    if (!part.embeddedRoot || part.depth !== 1) return;
    const own: MessagePart[] = [{ ...part, depth: 0, embeddedRoot: false }];
    for (const next of msg.parts.slice(index + 1)) {
      if (next.depth < 1 || (next.embeddedRoot && next.depth === 1)) break;
      own.push({ ...next, depth: next.depth - 1 });
    }
    views.push({ parts: own, root: own[0] ?? part });
  });
  return views;
}
