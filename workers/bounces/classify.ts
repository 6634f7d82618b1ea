import { classifyArf, classifyJmrp } from './arf.js';
import { isAutoReply, isChallengeResponse } from './autoreply.js';
import { classifyDsn } from './dsn-bounce.js';
import { parseMessage } from './mime.js';
import { notificationText } from './notification.js';
import { classifyTextBounce, isDaemonBounce } from './text-bounce.js';
import type { Classification } from './types.js';

const NONE: Classification = { kind: 'none', recipient: null, hard: false, status: null, reason: 'none' };

/**
 * Classifies one inbound message as a bounce, a complaint or neither. Pure: no I/O beyond
 * reading `raw`.
 *
 * Order: ARF report (RFC 5965) → JMRP-style complaint → challenge/response → RFC 3464 DSN (also
 * wrapped in a forwarded message, or sent as plain text) → non-standard bounce texts → none
 * (auto-replies, vacation notices, success DSNs, ordinary mail).
 */
export async function classifyMessage(raw: Buffer | string): Promise<Classification> {
  const msg = await parseMessage(raw);
  const complaint = classifyArf(msg) ?? classifyJmrp(msg);
  if (complaint) return complaint;
  const dsnTexts = msg.parts.filter((p) => /delivery-status$/.test(p.contentType)).map((p) => p.text);
  if (isChallengeResponse(msg, [notificationText(msg, 0), ...dsnTexts])) return { ...NONE };
  const dsn = classifyDsn(msg);
  if (dsn === 'success') return { ...NONE, reason: 'delivered' };
  if (dsn) return dsn;
  // Auto-replies quote the original too; only a message that is not one may be a text bounce.
  if (isAutoReply(msg) && !isDaemonBounce(msg)) return { ...NONE };
  return classifyTextBounce(msg) ?? { ...NONE };
}
