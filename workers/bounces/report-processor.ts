import type { Job } from 'bullmq';
import {
  recipientHash,
  type ControlMessage,
  type EventPublisher,
  type InboundReport,
  type Logger,
  type NewMailEvent,
  type VerpTarget,
} from '../../core/index.js';
import { classifyMessage } from './classify.js';
import type { Classification } from './types.js';

/** A message of ours, as the analytics store knows it. */
export interface KnownMessage {
  messageId: string;
  bridgeId: string;
  poolId: string;
  recipients: string[];
  /** The message's tag and metadata, which its report events carry too. */
  tag?: string;
  metadata?: Record<string, string>;
}

/** Collaborators of {@link createReportProcessor}. */
export interface ReportProcessorDeps {
  /** Reads a VERP return path back (undefined: not one of ours). */
  parseVerp: (address: string) => VerpTarget | undefined;
  /** The message with that id, if we sent it (the analytics store's `queued` events). */
  lookupMessage: (messageId: string) => Promise<KnownMessage | undefined>;
  events: Pick<EventPublisher, 'publish'>;
  addSuppression: (input: {
    bridgeId: string | null;
    address: string;
    reason: string;
    sourceMessageId?: string;
  }) => Promise<boolean>;
  announce: (message: ControlMessage) => Promise<void>;
  saveUnmatched: (report: {
    envelopeTo: string;
    kind: string;
    recipient: string | null;
    reason: string;
    status: string | null;
    excerpt: string;
  }) => Promise<void>;
  /** Suppress for the message's Bridge, or for every Bridge. */
  scope: 'bridge' | 'account';
  /** Lookups that miss are retried this many times (events may still be on their way) before the report is kept as unmatched. @defaultValue 3 */
  lookupAttempts?: number;
  logger: Logger;
}

const OUR_MESSAGE_ID = /msg_[0-9a-f]{28}/;

/** The message a report is about: its VERP return path, else a Message-ID of ours quoted in it. */
function linkTarget(
  report: InboundReport,
  raw: string,
  parseVerp: ReportProcessorDeps['parseVerp'],
): { messageId: string; recipientHash?: string } | undefined {
  for (const to of report.to) {
    const target = parseVerp(to);
    if (target) return target;
  }
  // Feedback loops and some MTAs quote the original headers: our VERP address or our Message-ID.
  for (const candidate of raw.match(/[a-z0-9._-]+\+[a-z2-7]{37}@[a-z0-9.-]+/gi) ?? []) {
    const target = parseVerp(candidate);
    if (target) return target;
  }
  const id = OUR_MESSAGE_ID.exec(raw)?.[0];
  return id ? { messageId: id } : undefined;
}

function pickRecipient(message: KnownMessage, hash: string | undefined, c: Classification): string | undefined {
  if (hash) {
    const byHash = message.recipients.find((r) => recipientHash(r) === hash);
    if (byHash) return byHash;
  }
  const named = c.recipient ?? c.recipients?.[0];
  if (named) return message.recipients.find((r) => r.toLowerCase() === named.toLowerCase()) ?? named;
  return message.recipients.length === 1 ? message.recipients[0] : undefined;
}

/**
 * Classifies a report received by the inbound MX, ties it to its message, records `bounced` /
 * `complained` events and suppresses the recipient for hard bounces and complaints (never for
 * soft bounces, delay warnings or DMARC auth-failure reports). Reports that cannot be tied to a
 * message are kept as unmatched.
 */
export function createReportProcessor(deps: ReportProcessorDeps) {
  const log = deps.logger.child({ component: 'reports' });
  return async (job: Job<InboundReport>): Promise<void> => {
    const report = job.data;
    const raw = Buffer.from(report.raw, 'base64');
    const c = await classifyMessage(raw);
    if (c.kind === 'none') {
      log.info({ reportId: report.id }, 'not a bounce or complaint; ignored');
      return;
    }
    const text = raw.toString('latin1');
    const target = linkTarget(report, text, deps.parseVerp);
    const message = target ? await deps.lookupMessage(target.messageId) : undefined;
    const recipient = message && target ? pickRecipient(message, target.recipientHash, c) : undefined;
    if (!message || !recipient) {
      if (target && !message && job.attemptsMade + 1 < (deps.lookupAttempts ?? 3))
        throw new Error(`message ${target.messageId} not found yet`);
      await deps.saveUnmatched({
        envelopeTo: report.to.join(', '),
        kind: c.kind,
        recipient: c.recipient,
        reason: c.reason,
        status: c.status,
        excerpt: text.slice(0, 65_536),
      });
      log.warn({ reportId: report.id, kind: c.kind }, 'report kept as unmatched');
      return;
    }
    const base = {
      messageId: message.messageId,
      bridgeId: message.bridgeId,
      poolId: message.poolId,
      recipient,
      ...(message.tag ? { tag: message.tag } : {}),
      ...(message.metadata && Object.keys(message.metadata).length > 0 ? { metadata: message.metadata } : {}),
    };
    const event: NewMailEvent =
      c.kind === 'complaint'
        ? {
            ...base,
            type: 'complained',
            reason: 'feedback',
            ...(c.feedbackType ? { feedbackType: c.feedbackType } : {}),
          }
        : {
            ...base,
            type: c.delayed ? 'deferred' : 'bounced',
            reason: c.reason,
            hard: c.hard,
            reply: `asynchronous report ${report.id}`,
            ...(c.status ? { status: c.status } : {}),
            ...(c.replyCode ? { replyCode: c.replyCode } : {}),
          };
    await deps.events.publish([event]);
    const suppress = c.kind === 'complaint' ? c.feedbackType !== 'auth-failure' : c.hard && !c.delayed;
    if (suppress) {
      const bridgeId = deps.scope === 'bridge' ? message.bridgeId : null;
      const reason = c.kind === 'complaint' ? 'complaint' : `hard-bounce-${c.reason}`;
      await deps.addSuppression({ bridgeId, address: recipient, reason, sourceMessageId: message.messageId });
      await deps.announce({ type: 'suppression-changed', bridgeId });
    }
    log.info(
      {
        reportId: report.id,
        messageId: message.messageId,
        bridgeId: message.bridgeId,
        kind: c.kind,
        hard: c.hard,
        suppressed: suppress,
      },
      'report linked',
    );
  };
}
