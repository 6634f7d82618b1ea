import { takeControlHeaders } from './control-headers.js';
import { AppError, isAppError } from './errors.js';
import type { NewMailEvent } from './event-schema.js';
import type { EventPublisher } from './events.js';
import { IdempotencyKeys } from './idempotency.js';
import { labelsFromHeaders, TAG_HEADERS, type MessageLabels } from './message-labels.js';
import { newId } from './ids.js';
import type { AuthenticatedBridge } from './domain.js';
import type { PoolQueues } from './pool-queues.js';
import type { DeliveryJob, ScheduledCredential } from './queues.js';
import type { Logger } from './logger.js';
import { sha256Hex } from './secret-box.js';
import { parseSendAt } from './send-at.js';
import type { Spool } from './spool.js';
import { completeSubmittedHeaders } from './submitted-headers.js';
import { parseTrackCeiling } from './track-header.js';

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
  /**
   * The REST `Idempotency-Key` and a fingerprint of the request it came with. Without it, an
   * `X-Bridgemail-Idempotency-Key` header field of the message is used, fingerprinted by the message.
   */
  idempotency?: { key: string; fingerprint: string };
  /**
   * Set when the client composed the message (SMTP): a missing Message-ID (`<id@messageIdDomain>`)
   * and Date are added and a message without From is refused, RFC 6409 §8. The fields added count
   * neither against the size limit nor in an idempotency fingerprint, so a retried submission is
   * recognised as the same message.
   */
  complete?: { messageIdDomain: string };
  /**
   * Tag and metadata given beside the message (REST), already validated; they win over the
   * `X-Bridgemail-Tag` / `X-Bridgemail-Metadata-*` (or `X-PM-*`) header fields, which are checked here.
   */
  labels?: MessageLabels;
  /**
   * REST `sendAt`, already read (ms since the epoch, in the future). Without it, an
   * `X-Bridgemail-Send-At` header field of the message schedules it; neither: it is sent now.
   */
  sendAt?: number;
  /**
   * Which of the Bridge's credentials the message came with (SMTP password or API key): a
   * scheduled message whose credential is revoked by its due time is not sent.
   */
  credential?: ScheduledCredential;
}

/** Collaborators of {@link acceptMessage}. */
export interface AcceptDeps {
  queues: PoolQueues;
  events: EventPublisher;
  logger: Logger;
  maxMessageBytes: number;
  idempotency: IdempotencyKeys;
  spool: Spool;
  /** Bodies larger than this go to the spool instead of Redis. @defaultValue 65536 */
  spoolThresholdBytes: number;
}

/**
 * Queues a message for delivery through its Bridge's Pool and returns its id. Resolves only once
 * the job is in Redis (and a large body fsynced in the spool); the `queued` events follow (a crash
 * in between may lose an event, never the message). A replayed idempotency key returns the id of
 * the first message and queues nothing; when the first request died between queueing and settling
 * its key, the replay publishes the `queued` events it never sent.
 */
export async function acceptMessage(deps: AcceptDeps, submission: Submission): Promise<string> {
  // Our control header fields are taken out here so they never reach a recipient.
  const { raw: submitted, values, prefixed } = takeControlHeaders(submission.raw);
  if (submitted.length > deps.maxMessageBytes) {
    throw new AppError('MESSAGE_TOO_LARGE', `message exceeds ${deps.maxMessageBytes} bytes`);
  }
  const { bridge } = submission;
  const labels = messageLabels(submission.labels, values, prefixed);
  const headerValue = values.get('x-bridgemail-idempotency-key')?.[0];
  const headerKey =
    headerValue === undefined ? undefined : IdempotencyKeys.check(headerValue, 'X-Bridgemail-Idempotency-Key');
  // A header key is fingerprinted by the envelope and the bytes: the same key with other
  // recipients is a different message, not a replay.
  const envelope = `${submission.from}\n${[...submission.recipients]
    .map((r) => r.toLowerCase())
    .sort()
    .join(',')}\n`;
  const idem =
    submission.idempotency ??
    (headerKey !== undefined
      ? { key: headerKey, fingerprint: sha256Hex(envelope + submitted.toString('latin1')) }
      : undefined);
  const sendAtHeader = values.get('x-bridgemail-send-at');
  const sendAt = submission.sendAt ?? (sendAtHeader === undefined ? undefined : readSendAtHeader(sendAtHeader));
  const messageId = submission.messageId ?? newId('msg');
  const { complete } = submission;
  const raw = complete
    ? completeSubmittedHeaders(submitted, { messageId, domain: complete.messageIdDomain, date: new Date() })
    : submitted;
  const recipients = [...new Set(submission.recipients.map((r) => r.trim()))];
  let idemRef: string | undefined;
  if (idem) {
    const start = await deps.idempotency.begin(bridge.id, idem.key, idem.fingerprint, {
      messageId,
      isQueued: (jobId) => deps.queues.has(bridge.poolId, jobId),
    });
    if (start.kind === 'replay') {
      deps.logger.info(
        { messageId: start.messageId, bridgeId: bridge.id, recovered: start.claimedAt !== undefined },
        'idempotent replay',
      );
      // The first request died after queueing, before its `queued` events: they go out now,
      // stamped with the time of its claim (before its job existed, like any `queued`).
      if (start.claimedAt !== undefined)
        await publishQueued(deps, bridge, start.messageId, recipients, start.claimedAt, labels, sendAt);
      return start.messageId;
    }
    idemRef = start.ref;
  }
  let spooled: string | undefined;
  // Stamped before the job exists, so `queued` never sorts after a delivery event of the message.
  const acceptedAt = Date.now();
  try {
    const body: Pick<DeliveryJob, 'raw' | 'spool'> =
      raw.length > deps.spoolThresholdBytes
        ? { spool: (spooled = await deps.spool.write(messageId, raw)) }
        : { raw: raw.toString('base64') };
    const ceiling = parseTrackCeiling(values.get('x-bridgemail-track'));
    await deps.queues.enqueue({
      messageId,
      bridgeId: bridge.id,
      poolId: bridge.poolId,
      from: submission.from,
      recipients,
      ...body,
      acceptedAt,
      attempt: 0,
      ...(ceiling ? { track: ceiling } : {}),
      ...(idemRef ? { idem: idemRef } : {}),
      ...labels,
      ...(sendAt === undefined ? {} : { sendAt }),
      ...(sendAt !== undefined && submission.credential ? { credential: submission.credential } : {}),
      ...(bridge.mode === 'sandbox' ? { sandbox: true as const } : {}),
    });
  } catch (err) {
    if (spooled) await deps.spool.remove(spooled).catch(() => undefined);
    if (idemRef) await deps.idempotency.abandon(idemRef, messageId).catch(() => undefined);
    if (isAppError(err)) throw err;
    throw new AppError('QUEUE_UNAVAILABLE', 'message could not be queued, try again later', {
      cause: err,
      retryable: true,
    });
  }
  // Should this fail or the process die first, a retry finds the job (or the worker's mark) and
  // settles the key. If a retry settled it already, that retry published the `queued` events.
  const settledHere = idemRef
    ? await deps.idempotency.complete(idemRef, messageId).catch((err: unknown) => {
        deps.logger.warn({ err, messageId }, 'idempotency key not settled');
        return true;
      })
    : true;
  if (settledHere) await publishQueued(deps, bridge, messageId, recipients, acceptedAt, labels, sendAt);
  deps.logger.info(
    {
      messageId,
      bridgeId: bridge.id,
      poolId: bridge.poolId,
      recipients: recipients.length,
      spooled: spooled !== undefined,
      ...(sendAt === undefined ? {} : { sendAt: new Date(sendAt).toISOString() }),
    },
    'accepted',
  );
  return messageId;
}

/** The one `X-Bridgemail-Send-At` field of a message (a second one is refused), read by {@link parseSendAt}. */
function readSendAtHeader(fields: readonly string[]): number | undefined {
  const name = 'X-Bridgemail-Send-At';
  if (fields.length > 1) throw new AppError('CONTROL_HEADER_INVALID', `${name}: a message has one`, { field: name });
  return parseSendAt(fields[0] ?? '', name, 'CONTROL_HEADER_INVALID');
}

/**
 * The `queued` event of each recipient (and a scheduled message's `scheduled` event); a failure is
 * logged (an event may be lost, never the message).
 */
async function publishQueued(
  deps: AcceptDeps,
  bridge: AuthenticatedBridge,
  messageId: string,
  recipients: readonly string[],
  ts: number,
  labels: MessageLabels,
  sendAt?: number,
): Promise<void> {
  const base = {
    messageId,
    bridgeId: bridge.id,
    poolId: bridge.poolId,
    ts,
    ...labels,
    ...(bridge.mode === 'sandbox' ? { sandbox: true } : {}),
  };
  // A scheduled message's `scheduled` event (with its due time) follows each `queued` one.
  const events: NewMailEvent[] = recipients.flatMap((recipient) => [
    { ...base, type: 'queued' as const, recipient },
    ...(sendAt === undefined ? [] : [{ ...base, type: 'scheduled' as const, recipient, sendAt }]),
  ]);
  await deps.events.publish(events).catch((err: unknown) => {
    deps.logger.warn({ err, messageId }, 'queued event not published');
  });
}

/**
 * The labels of a message: those given beside it (REST), else those of its tag and metadata header
 * fields (SMTP), validated here. Nothing to do, and an empty object, when there are none.
 */
function messageLabels(
  given: MessageLabels | undefined,
  values: ReturnType<typeof takeControlHeaders>['values'],
  prefixed: ReturnType<typeof takeControlHeaders>['prefixed'],
): MessageLabels {
  const tags = TAG_HEADERS.flatMap((header) =>
    (values.get(header) ?? []).map((value) => ({
      name: header === 'x-pm-tag' ? 'X-PM-Tag' : 'X-Bridgemail-Tag',
      value,
    })),
  );
  const fromHeaders = tags.length > 0 || prefixed.length > 0 ? labelsFromHeaders(tags, prefixed) : {};
  const tag = given?.tag ?? fromHeaders.tag;
  const metadata = given?.metadata ?? fromHeaders.metadata;
  return { ...(tag !== undefined ? { tag } : {}), ...(metadata !== undefined ? { metadata } : {}) };
}
