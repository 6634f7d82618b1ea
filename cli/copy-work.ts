import { createHash } from 'node:crypto';
import type { SigningKey, TrackingTokens } from '../core/index.js';
import { parseDkimKey, signMessage, type DkimKey } from '../workers/signing/index.js';
import {
  addListUnsubscribe,
  applyTracking,
  type ListUnsubscribe,
  type TrackingWork,
} from '../workers/tracking/index.js';

/** One recipient's copy to make: the stored message, its tracking rewrite, List-Unsubscribe and DKIM key, if any. */
export interface CopyTask {
  raw: Buffer;
  tracking?: TrackingWork | undefined;
  /** The copy's one-click List-Unsubscribe links (added unless the message has its own). */
  unsubscribe?: ListUnsubscribe | undefined;
  signingKey?: Pick<SigningKey, 'domain' | 'selector' | 'privateKey'> | undefined;
}

/** What {@link CopyThreads} posts to a copy thread: the copies of one tick. */
export interface CopyRequest {
  id: number;
  tasks: CopyTask[];
}

/** One task's result as a copy thread posts it back (structured clone makes Buffers Uint8Arrays). */
export type CopyOutcome = { raw: Uint8Array } | { error: string };

/**
 * Makes copies: tracking rewrite first, then the List-Unsubscribe fields, then the DKIM signature
 * over the result (which covers those fields). Pure CPU work
 * (no I/O), so it runs inline or on a copy thread ({@link CopyThreads}) alike. Parsed DKIM keys
 * are kept per key (parsing costs more than signing).
 */
export function createCopyMaker(tokens: TrackingTokens): (task: CopyTask) => Promise<Buffer> {
  const keys = new Map<string, DkimKey>();
  // Consecutive copies are mostly signed with one key: compared as strings, it is not hashed again.
  let last: { signingKey: NonNullable<CopyTask['signingKey']>; key: DkimKey } | undefined;
  const parsed = (k: NonNullable<CopyTask['signingKey']>) => {
    if (
      last &&
      last.signingKey.privateKey === k.privateKey &&
      last.signingKey.domain === k.domain &&
      last.signingKey.selector === k.selector
    )
      return last.key;
    const id = `${k.domain}\n${k.selector}\n${createHash('sha256').update(k.privateKey).digest('hex')}`;
    let key = keys.get(id);
    if (!key) {
      if (keys.size >= 1000) keys.clear();
      key = parseDkimKey(k.domain, k.selector, k.privateKey);
      keys.set(id, key);
    }
    last = { signingKey: { domain: k.domain, selector: k.selector, privateKey: k.privateKey }, key };
    return key;
  };
  return async (task) => {
    const tracked = task.tracking ? applyTracking(task.raw, task.tracking.plan, task.tracking.copy, tokens) : task.raw;
    const listed = task.unsubscribe ? addListUnsubscribe(tracked, task.unsubscribe) : tracked;
    return task.signingKey ? signMessage(listed, parsed(task.signingKey)) : listed;
  };
}
