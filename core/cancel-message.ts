import { AppError } from './errors.js';
import type { EventPublisher } from './events.js';
import type { Logger } from './logger.js';
import type { PoolQueues } from './pool-queues.js';
import type { Spool } from './spool.js';

/** Collaborators of {@link cancelMessage}. */
export interface CancelMessageDeps {
  queues: Pick<PoolQueues, 'cancel'>;
  events: EventPublisher;
  /** Where a cancelled message's large body is removed from. */
  spool: Pick<Spool, 'remove'>;
  /**
   * Whether a message of this id (of this Bridge, when given) has events: it exists but was never
   * scheduled, so it was sent when accepted.
   */
  known: (messageId: string, bridgeId?: string) => Promise<boolean>;
  logger: Logger;
}

/** What a cancel answers: the message and the recipients that will not get it. */
export interface CancelledMessage {
  id: string;
  bridgeId: string;
  recipients: string[];
  /** When it was due, ISO 8601 in UTC. */
  sendAt: string;
}

/**
 * Cancels a scheduled message that no worker has taken up (`DELETE /v1/messages/:id` with the
 * Bridge's key, `bridgeId` set; `DELETE /admin/v1/messages/:id` without). The first cancel publishes
 * a `cancelled` event (reason `api`) per recipient; cancelling again answers the same (a DELETE is
 * idempotent). Throws `MESSAGE_ALREADY_SENT` when its delivery has started or it was never
 * scheduled, `MESSAGE_NOT_FOUND` when there is no such message (of this Bridge).
 */
export async function cancelMessage(
  deps: CancelMessageDeps,
  messageId: string,
  bridgeId?: string,
): Promise<CancelledMessage> {
  const outcome = await deps.queues.cancel(messageId, bridgeId);
  if (outcome.kind === 'started') throw new AppError('MESSAGE_ALREADY_SENT', 'its delivery has started');
  if (outcome.kind === 'unknown') {
    if (await deps.known(messageId, bridgeId))
      throw new AppError('MESSAGE_ALREADY_SENT', 'it was not scheduled: it was sent when accepted');
    throw new AppError(
      'MESSAGE_NOT_FOUND',
      bridgeId === undefined ? 'no such message' : 'no such message of this Bridge',
    );
  }
  if (outcome.first) {
    const base = { messageId, bridgeId: outcome.bridgeId, poolId: outcome.poolId };
    await deps.events
      .publish(outcome.recipients.map((recipient) => ({ ...base, type: 'cancelled', recipient, reason: 'api' })))
      .catch((err: unknown) => deps.logger.warn({ err, messageId }, 'cancelled event not published'));
    if (outcome.spool !== undefined) await deps.spool.remove(outcome.spool).catch(() => undefined);
    deps.logger.info({ messageId, bridgeId: outcome.bridgeId }, 'scheduled message cancelled');
  }
  return {
    id: messageId,
    bridgeId: outcome.bridgeId,
    recipients: outcome.recipients,
    sendAt: new Date(outcome.sendAt).toISOString(),
  };
}
