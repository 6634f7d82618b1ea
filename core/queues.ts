import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TrackCeiling } from './track-header.js';

/** The payload of a delivery job: one accepted message and the recipients still to reach. */
export interface DeliveryJob {
  messageId: string;
  bridgeId: string;
  poolId: string;
  /** Envelope sender; empty for the null reverse-path. */
  from: string;
  /** Recipients not yet delivered or bounced. */
  recipients: string[];
  /** The raw RFC 5322 message, base64, for bodies small enough to live in Redis. */
  raw?: string;
  /** Name of the spool file holding the body, for large messages. */
  spool?: string;
  /** When the message was accepted (ms since the epoch); retries stop at the configured max age. */
  acceptedAt: number;
  /** Delivery attempts made so far. */
  attempt: number;
  /** Recipients whose `sent` event was published (by an earlier pass). */
  sentTo?: string[];
  /** The sender's `X-Bridgemail-Track` ceiling (tracking can only be turned off per message). */
  track?: TrackCeiling;
}

/** Queue of reports (DSNs, ARF complaints) received by the inbound MX, waiting to be classified. */
export const INBOUND_QUEUE = 'inbound-reports';

/** A report the inbound MX accepted. */
export interface InboundReport {
  id: string;
  receivedAt: number;
  /** Envelope sender (often empty for DSNs). */
  from: string;
  /** Envelope recipients: VERP return paths or the feedback-loop address. */
  to: string[];
  /** The raw message, base64. */
  raw: string;
}

/** Queue name of a Pool's delivery queue. */
export function poolQueueName(poolId: string): string {
  return `pool-${poolId}`;
}

/** Redis pub/sub channel on which control-plane changes are announced to every process. */
export function controlChannel(prefix: string): string {
  return `${prefix}:control`;
}

/** A control-plane change other processes must learn of. */
export type ControlMessage =
  | { type: 'pool-changed'; poolId: string }
  | { type: 'bridge-changed'; bridgeId: string }
  | { type: 'domain-changed'; domain: string }
  | { type: 'shaping-changed' }
  | { type: 'suppression-changed'; bridgeId: string | null };

/** Attempts BullMQ makes when a worker fails unexpectedly (crash, bug) rather than with a remote reply. */
export const UNEXPECTED_FAILURE_ATTEMPTS = 8;

/** Opens and caches one producer `Queue` per Pool, all on a shared connection. */
export class PoolQueues {
  readonly #queues = new Map<string, Queue<DeliveryJob>>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  /** Adds a delivery job; resolves once Redis holds it (the durability point). */
  async enqueue(job: DeliveryJob): Promise<void> {
    await this.queue(job.poolId).add('deliver', job, {
      jobId: job.messageId,
      attempts: UNEXPECTED_FAILURE_ATTEMPTS,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  /** The producer queue of a Pool. */
  queue(poolId: string): Queue<DeliveryJob> {
    let q = this.#queues.get(poolId);
    if (!q) {
      q = new Queue<DeliveryJob>(poolQueueName(poolId), { connection: this.connection, prefix: this.prefix });
      this.#queues.set(poolId, q);
    }
    return q;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((q) => q.close()));
    this.#queues.clear();
  }
}
