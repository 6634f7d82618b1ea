import type { Job } from 'bullmq';
import {
  recipientHash,
  type InboundReport,
  type Logger,
  type UnsubscribeMailTarget,
  type UnsubscribeTarget,
} from '../../core/index.js';
import type { KnownMessage } from './report-processor.js';

/** Collaborators of {@link createUnsubscribeMailProcessor}. */
export interface UnsubscribeMailDeps {
  /** Reads a List-Unsubscribe `mailto:` address back (undefined: not one of ours). */
  parseAddress: (address: string) => UnsubscribeMailTarget | undefined;
  /** The message with that id, if we sent it (the analytics store's `queued` events). */
  lookupMessage: (messageId: string) => Promise<KnownMessage | undefined>;
  /** Suppresses for the Bridge and records `unsubscribed` once (`unsubscribeRecipient` of core). */
  unsubscribe: (target: UnsubscribeTarget) => Promise<boolean>;
  /** Lookups that miss are retried this many times before the mail is dropped. @defaultValue 3 */
  lookupAttempts?: number;
  logger: Logger;
}

/**
 * Mail received at a List-Unsubscribe `mailto:` address (RFC 2369): whatever it says, it
 * unsubscribes the recipient the address names from the message's Bridge, like the one-click POST.
 * Returns false for a report not sent to such an address (it is a bounce or complaint then).
 */
export function createUnsubscribeMailProcessor(deps: UnsubscribeMailDeps) {
  const log = deps.logger.child({ component: 'unsubscribe-mail' });
  return async (job: Job<InboundReport>): Promise<boolean> => {
    const targets = job.data.to.map(deps.parseAddress).filter((t) => t !== undefined);
    if (targets.length === 0) return false;
    for (const target of targets) {
      const message = await deps.lookupMessage(target.messageId);
      if (!message) {
        if (job.attemptsMade + 1 < (deps.lookupAttempts ?? 3))
          throw new Error(`message ${target.messageId} not found yet`);
        log.warn({ reportId: job.data.id, messageId: target.messageId }, 'unsubscribe mail for an unknown message');
        continue;
      }
      const recipient = message.recipients.find((r) => recipientHash(r) === target.recipientHash);
      if (!recipient) {
        log.warn({ reportId: job.data.id, messageId: target.messageId }, 'unsubscribe mail for an unknown recipient');
        continue;
      }
      const added = await deps.unsubscribe({
        messageId: message.messageId,
        bridgeId: message.bridgeId,
        poolId: message.poolId,
        recipient,
        ...(message.tag ? { tag: message.tag } : {}),
        ...(message.metadata ? { metadata: message.metadata } : {}),
      });
      log.info(
        { reportId: job.data.id, messageId: message.messageId, bridgeId: message.bridgeId, suppressed: added },
        'recipient unsubscribed (mailto)',
      );
    }
    return true;
  };
}
