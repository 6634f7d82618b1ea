import {
  type BridgeMode,
  type DeliveryJob,
  type EventPublisher,
  type Logger,
  type MessagePass,
  type PassOutcome,
  type NewEventOf,
  type ScheduledCredential,
  type NewMailEvent,
  type Spool,
  type Store,
} from '../../core/index.js';
import type { DeliveryResult } from './classify-reply.js';
import { deliverToRecipients, type DeliverContext } from './deliver-recipients.js';
import { pickIp } from './pick-ip.js';
import { isSimulatorAddress, simulatedOutcome, simulateDelivery } from './sandbox.js';
import { SOURCE_IP_UNAVAILABLE, type SourceIps } from './source-ips.js';

/** Retry schedule of deferred recipients. */
export interface RetryPolicy {
  /** Delay before the second attempt; doubles each attempt. */
  baseMs: number;
  /** Ceiling of the delay between two attempts. */
  maxMs: number;
  /** Past this age since acceptance, deferred recipients bounce with reason `expired`. */
  maxAgeMs: number;
}

/** Collaborators of the delivery processor. */
export interface DeliveryProcessorDeps extends DeliverContext {
  store: Pick<Store, 'getPool'>;
  events: EventPublisher;
  logger: Logger;
  retry: RetryPolicy;
  /**
   * Steps that turn the stored message into the copy sent to `recipients` (tracking rewrite, then
   * signing), injected by the composition root so delivery imports no other worker.
   */
  prepare?: (raw: Buffer, job: DeliveryJob, recipients: readonly string[]) => Promise<Buffer>;
  /** Where large bodies live; a spooled body is removed once every recipient has a final outcome. */
  spool: Pick<Spool, 'read' | 'remove'>;
  /** Envelope sender of one recipient's copy (VERP); without it, the submitted sender. */
  envelopeFrom?: (job: DeliveryJob, recipient: string) => string;
  /**
   * Classifies a 5xx met during delivery with the bounce vocabulary (reason, hard/soft), so a
   * rejection at RCPT and a DSN for the same cause get the same reason; injected by the root.
   */
  classifyBounce?: (
    replyCode: number,
    enhanced: string | null,
    text: string,
    stage?: 'mail' | 'rcpt' | 'data',
  ) => { reason: string; hard: boolean; status: string | null };
  /** The recipients of a Bridge that must not be attempted (suppression list). */
  suppressed?: (bridgeId: string, recipients: readonly string[]) => Promise<Set<string>>;
  /**
   * Marks a message's idempotency claim (`DeliveryJob.idem`) as taken up, on the first pass: a
   * retry of a request that died before settling it then knows the message was queued, even once
   * its job is gone. Without it, claims are left as they are.
   */
  markIdempotencyTaken?: (ref: string, messageId: string) => Promise<unknown>;
  /**
   * Asked when a scheduled message comes due: why it must not be sent now, if anything changed
   * while it waited (its Bridge deleted or gone, the credential it came with revoked). The message
   * then sends nothing (`cancelled` per recipient, with that reason). Without it, it is sent.
   */
  dueCheck?: (bridgeId: string, credential: ScheduledCredential | undefined) => Promise<DueCancelReason | undefined>;
  /** Which Pool IPs this host can bind; without it every IP is taken as bindable. */
  sourceIps?: Pick<SourceIps, 'ensure' | 'bindable' | 'markFailed'>;
  /**
   * A Bridge's current mode (cached, invalidated on changes): a sandbox Bridge's recipients are settled
   * without any MX connection, as are messages accepted in sandbox (`DeliveryJob.sandbox`). Without
   * it, only those messages and simulator addresses are.
   */
  bridgeMode?: (bridgeId: string) => Promise<BridgeMode | undefined>;
  /**
   * Puts a simulator address on its Bridge's suppression list (a simulated hard bounce or complaint,
   * as a real one would), never account-wide, and announces it. Without it, nothing is suppressed.
   */
  suppressSimulated?: (input: {
    bridgeId: string;
    address: string;
    reason: string;
    messageId: string;
  }) => Promise<void>;
}

/** The stored body of a job: inline base64 or a spool file. */
export async function loadBody(job: DeliveryJob, spool: Pick<Spool, 'read'>): Promise<Buffer> {
  if (job.spool) return spool.read(job.spool);
  if (job.raw !== undefined) return Buffer.from(job.raw, 'base64');
  throw new Error(`job ${job.messageId} carries no body`);
}

/** Delay before attempt `attempt + 1`: exponential from `baseMs`, capped, with ±10 % jitter. */
export function retryDelay(policy: RetryPolicy, attempt: number): number {
  const base = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.9 + Math.random() * 0.2));
}

/**
 * One delivery pass over one message: suppression, `sent`, the attempt, events, and what is left
 * (deferred recipients get another pass later; the Pool queue's job runner schedules it).
 */
export function createMessagePass(deps: DeliveryProcessorDeps): MessagePass {
  const log = deps.logger.child({ component: 'delivery' });
  return async (data) => {
    const attempt = data.attempt + 1;
    const base = { messageId: data.messageId, bridgeId: data.bridgeId, poolId: data.poolId, ...labelsOf(data) };
    if (data.idem !== undefined && data.attempt === 0 && data.sentTo === undefined)
      await deps.markIdempotencyTaken?.(data.idem, data.messageId);
    if (data.sendAt !== undefined && data.attempt === 0 && data.sentTo === undefined) {
      const cancel = await deps.dueCheck?.(data.bridgeId, data.credential);
      if (cancel !== undefined) return cancelAtDueTime(deps, data, cancel);
    }
    const pool = await deps.store.getPool(data.poolId);
    if (!pool) throw new Error(`pool ${data.poolId} of message ${data.messageId} no longer exists`);
    // Sandbox: the message was accepted in sandbox, or its Bridge is in sandbox now; simulator
    // addresses always are. Their recipients' copies are made, never sent; their events say `sandbox`.
    const sandboxBridge = data.sandbox === true || (await deps.bridgeMode?.(data.bridgeId)) === 'sandbox';
    const sandboxed = (recipient: string) => sandboxBridge || isSimulatorAddress(recipient);
    const publish = (list: NewMailEvent[]) =>
      deps.events.publish(list.map((e) => (sandboxed(e.recipient) ? { ...e, sandbox: true } : e)));
    const { sourceIps } = deps;
    if (sourceIps) await sourceIps.ensure(pool);
    const ip = pickIp(pool.ips, data.messageId, sourceIps ? (candidate) => sourceIps.bindable(candidate) : undefined);
    const blocked = deps.suppressed ? await deps.suppressed(data.bridgeId, data.recipients) : new Set<string>();
    // `suppressed@` of the simulator is settled as a recipient on the suppression list would be.
    for (const r of data.recipients) if (simulatedOutcome(r) === 'suppressed') blocked.add(r);
    const recipients = data.recipients.filter((r) => !blocked.has(r));
    if (blocked.size > 0) {
      await publish(
        [...blocked].map((recipient) => ({
          ...base,
          type: 'suppressed',
          recipient,
          attempt,
          reason: 'suppressed',
          reply: `recipient is on the suppression list${isSimulatorAddress(recipient) ? ' (simulated)' : ''}`,
        })),
      );
    }
    // `sent`: the first time a worker takes a recipient up from an IP of its host (once, whatever
    // retries follow; the time to delivery is measured from it). With no IP left nothing leaves.
    const alreadySent = new Set(data.sentTo ?? (data.attempt > 0 ? data.recipients : []));
    const firstTime = ip === undefined ? [] : recipients.filter((r) => !alreadySent.has(r));
    if (firstTime.length > 0) {
      await publish(firstTime.map((recipient) => ({ ...base, type: 'sent', ip, recipient, attempt })));
    }
    const { prepare, envelopeFrom } = deps;
    const sendFrom = async (source: string) => {
      const stored = await loadBody(data, deps.spool);
      const copy = (r: string) => (prepare ? prepare(stored, data, [r]) : Promise.resolve(stored));
      const live = recipients.filter((r) => !sandboxed(r));
      const sent =
        live.length === 0
          ? []
          : await deliverToRecipients(deps, {
              ip: source,
              recipients: live,
              envelopeFrom: (r) => (envelopeFrom && data.from !== '' ? envelopeFrom(data, r) : data.from),
              body: copy,
            });
      // Sandboxed recipients: the copy is made (tracking, DKIM: the cost is real), then settled without MX.
      const simulated = await Promise.all(
        recipients.filter(sandboxed).map(async (r) => {
          logSandboxCopy(log, data.messageId, r, await copy(r));
          return simulateDelivery(r, attempt);
        }),
      );
      return [...sent, ...simulated];
    };
    const results =
      recipients.length === 0
        ? []
        : ip === undefined
          ? recipients.map((recipient) => noSourceIp(recipient, pool.name))
          : await sendFrom(ip);
    const attempted = results.filter((r) => r.status !== 'throttled');
    const throttled = results.filter((r) => r.status === 'throttled');
    const unbound = attempted.find((r) => r.reason === SOURCE_IP_UNAVAILABLE);
    if (ip !== undefined && unbound) sourceIps?.markFailed(ip, 'EADDRNOTAVAIL');
    const events: NewMailEvent[] = attempted.map((r) =>
      withBounceClass(toEvent(base, ip, attempt, r), r, deps.classifyBounce),
    );
    const deferred = attempted.filter((r) => r.status === 'deferred').map((r) => r.recipient);
    const pending = [...deferred, ...throttled.map((r) => r.recipient)];
    // Deferrals back off exponentially; a pass where shaping only said "wait" spends no attempt.
    const delay =
      deferred.length > 0
        ? retryDelay(deps.retry, attempt)
        : Math.max(50, Math.min(...throttled.map((r) => r.retryInMs ?? 1000)));
    // A scheduled message's retry period starts when it is due, not when it was accepted.
    const since = Math.max(data.acceptedAt, data.sendAt ?? 0);
    const expired = pending.length > 0 && Date.now() + delay - since > deps.retry.maxAgeMs;
    if (expired) {
      for (const recipient of pending) {
        events.push({
          ...base,
          type: 'bounced',
          ...(ip ? { ip } : {}),
          recipient,
          attempt,
          reason: 'expired',
          reply: 'retry period expired',
        });
      }
    }
    const simulatedComplaints = attempted.filter(
      (r) =>
        r.status === 'delivered' && isSimulatorAddress(r.recipient) && simulatedOutcome(r.recipient) === 'complaint',
    );
    for (const r of simulatedComplaints) {
      events.push({ ...base, type: 'complained', recipient: r.recipient, reason: 'feedback', feedbackType: 'abuse' });
    }
    await publish(events);
    await suppressSimulated(deps, data, events);
    // A pass that shaping only delayed is logged at debug: the shaper reports the start of throttling.
    log[attempted.length > 0 ? 'info' : 'debug'](
      {
        messageId: data.messageId,
        bridgeId: data.bridgeId,
        poolId: data.poolId,
        ip,
        attempt,
        outcomes: summarise(results),
      },
      'delivery attempt',
    );
    if (pending.length === 0 || expired) {
      if (data.spool) await deps.spool.remove(data.spool);
      return {};
    }
    const nextAttempt = attempted.length > 0 ? attempt : data.attempt;
    return {
      retry: {
        data: { ...data, recipients: pending, attempt: nextAttempt, sentTo: [...alreadySent, ...firstTime] },
        delayMs: delay,
      },
    };
  };
}

/**
 * What a real hard bounce or complaint does to its recipient, for the simulator's: it goes on the
 * suppression list of its Bridge (reason `hard-bounce-<reason>` or `complaint`), so the next send
 * to it is refused as a real one would be.
 */
async function suppressSimulated(deps: DeliveryProcessorDeps, data: DeliveryJob, events: NewMailEvent[]) {
  if (!deps.suppressSimulated) return;
  for (const e of events) {
    if (!isSimulatorAddress(e.recipient)) continue;
    const reason =
      e.type === 'complained'
        ? 'complaint'
        : e.type === 'bounced' && e.hard === true
          ? `hard-bounce-${e.reason}`
          : null;
    if (reason === null) continue;
    await deps.suppressSimulated({ bridgeId: data.bridgeId, address: e.recipient, reason, messageId: data.messageId });
  }
}

/**
 * What a sandbox copy holds, at debug level (a sandbox send's copy goes nowhere else): its size,
 * whether it is DKIM-signed and whether its links and pixel point at the tracking endpoints.
 */
function logSandboxCopy(log: Logger, messageId: string, recipient: string, copy: Buffer): void {
  if (!log.isLevelEnabled('debug')) return;
  const text = copy.toString('latin1');
  const signed = /^DKIM-Signature:/im.test(text.slice(0, text.search(/\r?\n\r?\n/) + 1));
  const tracked = /\/t\/[oc]\//.test(text);
  log.debug({ messageId, recipient, bytes: copy.length, signed, tracked }, 'sandbox copy made');
}

/** Why a scheduled message is not sent when it comes due (the `reason` of its `cancelled` events). */
export type DueCancelReason = 'bridge-deleted' | 'credential-revoked';

/** A scheduled message that must not be sent any more: nothing sent, `cancelled` per recipient. */
async function cancelAtDueTime(
  deps: DeliveryProcessorDeps,
  data: DeliveryJob,
  reason: DueCancelReason,
): Promise<PassOutcome> {
  const base = { messageId: data.messageId, bridgeId: data.bridgeId, poolId: data.poolId, ...labelsOf(data) };
  await deps.events.publish(data.recipients.map((recipient) => ({ ...base, type: 'cancelled', recipient, reason })));
  if (data.spool) await deps.spool.remove(data.spool);
  deps.logger.info({ messageId: data.messageId, bridgeId: data.bridgeId, reason }, 'scheduled message cancelled');
  return {};
}

/** The deferral of a recipient none of whose Pool IPs this host can bind: one per pass, not one per IP. */
function noSourceIp(recipient: string, poolName: string): DeliveryResult {
  return {
    recipient,
    status: 'deferred',
    reason: SOURCE_IP_UNAVAILABLE,
    reply: `no IP of Pool ${poolName} can be bound on this worker's host`,
  };
}

/** The tag and metadata of a job, for its events (nothing when it has none). */
function labelsOf(data: DeliveryJob): Pick<NewMailEvent, 'tag' | 'metadata'> {
  return {
    ...(data.tag !== undefined ? { tag: data.tag } : {}),
    ...(data.metadata !== undefined ? { metadata: data.metadata } : {}),
  };
}

function toEvent(
  base: Pick<NewMailEvent, 'messageId' | 'bridgeId' | 'poolId' | 'tag' | 'metadata'>,
  ip: string | undefined,
  attempt: number,
  r: DeliveryResult,
): NewEventOf<'deferred' | 'delivered' | 'bounced'> {
  const type = r.status === 'throttled' ? 'deferred' : r.status;
  const e: NewEventOf<typeof type> = {
    ...base,
    type,
    recipient: r.recipient,
    attempt,
    reply: r.reply,
    reason: r.reason,
  };
  if (ip !== undefined) e.ip = ip;
  if (r.replyCode !== undefined) e.replyCode = r.replyCode;
  if (r.mx !== undefined) e.mx = r.mx;
  return e;
}

function withBounceClass(
  event: NewEventOf<'deferred' | 'delivered' | 'bounced'>,
  r: DeliveryResult,
  classify: DeliveryProcessorDeps['classifyBounce'],
): NewEventOf<'deferred' | 'delivered' | 'bounced'> {
  if (r.status !== 'bounced' || r.replyCode === undefined || !classify) return event;
  const enhanced = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(r.reply)?.[1] ?? null;
  const c = classify(r.replyCode, enhanced, r.reply, r.stage);
  return { ...event, reason: c.reason, hard: c.hard, ...(c.status ? { status: c.status } : {}) };
}

function summarise(results: DeliveryResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}
