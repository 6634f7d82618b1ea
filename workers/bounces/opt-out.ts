/**
 * Unsubscribe requests sent by a mail client on the reader's behalf: Apple Mail's "Unsubscribe"
 * button mails the List-Unsubscribe `mailto:` address with `X-Apple-Unsubscribe: true`; other
 * clients send an automatic message whose subject is just "unsubscribe". They are the reader's
 * opt-out, reported like an ARF `opt-out` feedback report.
 */
import { addressOf } from './dsn.js';
import type { ParsedMessage } from './mime.js';
import type { Classification } from './types.js';

/** An automatic unsubscribe request, as an `opt-out` complaint of its sender, or `null`. */
export function classifyUnsubscribeRequest(msg: ParsedMessage): Classification | null {
  const h = msg.root.header;
  const apple = h('x-apple-unsubscribe').some((v) => /^true$/i.test(v.trim()));
  const automatic = h('auto-submitted').some((v) => !/^no\b/i.test(v.trim()));
  const unsubscribeSubject = h('subject').some((s) => /^\s*unsubscribe\s*$/i.test(s));
  if (!apple && !(automatic && unsubscribeSubject)) return null;
  return {
    kind: 'complaint',
    recipient: addressOf(h('from')[0]),
    hard: false,
    status: null,
    reason: 'feedback',
    feedbackType: 'opt-out',
  };
}
