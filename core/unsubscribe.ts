import type { EventPublisher } from './events.js';
import type { ControlMessage } from './queues.js';
import type { SuppressionStore } from './store/index.js';

/** Whom an unsubscribe is about: one recipient of one message of a Bridge. */
export interface UnsubscribeTarget {
  messageId: string;
  bridgeId: string;
  poolId: string;
  recipient: string;
  /** The message's tag and metadata, when known (the event carries them). */
  tag?: string;
  metadata?: Record<string, string>;
}

/** How the recipient asked: the one-click POST (RFC 8058) or a mail to the `mailto:` address. */
export type UnsubscribeVia = 'one-click' | 'mailto';

/** Collaborators of {@link unsubscribeRecipient}. */
export interface UnsubscribeDeps {
  addSuppression: SuppressionStore['addSuppression'];
  /** Tells every process the suppression list changed (control channel). */
  announce: (message: ControlMessage) => Promise<void>;
  events: Pick<EventPublisher, 'publish'>;
}

/** The suppression reason of an unsubscribe. */
export const UNSUBSCRIBED_REASON = 'unsubscribed';

/**
 * Suppresses the recipient for the message's Bridge (reason `unsubscribed`) and records an
 * `unsubscribed` event. Idempotent: when the recipient is already suppressed for that Bridge,
 * nothing is recorded again. Returns whether this call suppressed the recipient.
 */
export async function unsubscribeRecipient(
  deps: UnsubscribeDeps,
  target: UnsubscribeTarget,
  via: UnsubscribeVia,
): Promise<boolean> {
  const added = await deps.addSuppression({
    bridgeId: target.bridgeId,
    address: target.recipient,
    reason: UNSUBSCRIBED_REASON,
    sourceMessageId: target.messageId,
  });
  if (!added) return false;
  await deps.announce({ type: 'suppression-changed', bridgeId: target.bridgeId });
  await deps.events.publish([
    {
      type: 'unsubscribed',
      messageId: target.messageId,
      bridgeId: target.bridgeId,
      poolId: target.poolId,
      recipient: target.recipient,
      reason: via,
      ...(target.tag ? { tag: target.tag } : {}),
      ...(target.metadata && Object.keys(target.metadata).length > 0 ? { metadata: target.metadata } : {}),
    },
  ]);
  return true;
}
