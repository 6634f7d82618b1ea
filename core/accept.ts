import { AppError } from './errors.js';
import type { EventPublisher } from './events.js';
import { newId } from './ids.js';
import { extractTrackHeader } from './track-header.js';
import type { AuthenticatedBridge } from './domain.js';
import type { PoolQueues } from './queues.js';
import type { Logger } from './logger.js';

/** What both ingresses hand over once a message is authenticated, parsed and within limits. */
export interface Submission {
  bridge: AuthenticatedBridge;
  /** Envelope sender address ('' for the null reverse-path). */
  from: string;
  /** Envelope recipients, deduplicated by the caller or here. */
  recipients: string[];
  /** The complete RFC 5322 message. */
  raw: Buffer;
  /** Id to use, when the ingress already wrote it into a Message-ID header. @defaultValue a new id */
  messageId?: string;
}

/** Collaborators of {@link acceptMessage}. */
export interface AcceptDeps {
  queues: PoolQueues;
  events: EventPublisher;
  logger: Logger;
  maxMessageBytes: number;
}

/**
 * Queues a message for delivery through its Bridge's Pool and returns its id.
 * Resolves only once the job is in Redis; the `queued` events follow (a crash in between
 * may lose an event, never the message).
 */
export async function acceptMessage(deps: AcceptDeps, submission: Submission): Promise<string> {
  // The tracking ceiling header is ours: taken out here so it never reaches a recipient.
  const { raw, ceiling } = extractTrackHeader(submission.raw);
  if (raw.length > deps.maxMessageBytes) {
    throw new AppError('MESSAGE_TOO_LARGE', `message exceeds ${deps.maxMessageBytes} bytes`);
  }
  const recipients = [...new Set(submission.recipients.map((r) => r.trim()))];
  const messageId = submission.messageId ?? newId('msg');
  const { bridge } = submission;
  try {
    await deps.queues.enqueue({
      messageId,
      bridgeId: bridge.id,
      poolId: bridge.poolId,
      from: submission.from,
      recipients,
      raw: raw.toString('base64'),
      acceptedAt: Date.now(),
      attempt: 0,
      ...(ceiling ? { track: ceiling } : {}),
    });
  } catch (err) {
    throw new AppError('QUEUE_UNAVAILABLE', 'message could not be queued, try again later', { cause: err, retryable: true });
  }
  const events = recipients.map((recipient) => ({
    type: 'queued' as const,
    messageId,
    bridgeId: bridge.id,
    poolId: bridge.poolId,
    recipient,
  }));
  await deps.events.publish(events).catch((err: unknown) => {
    deps.logger.warn({ err, messageId }, 'queued event not published');
  });
  deps.logger.info({ messageId, bridgeId: bridge.id, poolId: bridge.poolId, recipients: recipients.length }, 'accepted');
  return messageId;
}
