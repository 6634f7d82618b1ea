import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TrackCeiling } from './track-header.js';
import { TickBatch, type TickBatchOptions } from './tick-batch.js';

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
  /**
   * The Redis key of the message's idempotency claim, when it came with a key: the worker marks
   * it taken when it first takes the message up. Before a batch holding it is added, the claim is told
   * the batch's job id ({@link PoolQueuesOptions.beforeBatch}), so a retry can tell it was queued.
   */
  idem?: string;
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

/** A Pool queue job carrying several accepted messages of that Pool (acceptances of one tick). */
export interface DeliveryBatch {
  batch: DeliveryJob[];
}

/** What a Pool queue job holds: one message (`deliver`) or several (`deliver-batch`). */
export type PoolJobData = DeliveryJob | DeliveryBatch;

/** BullMQ job name of a one-message job. */
export const DELIVER_JOB = 'deliver';
/** BullMQ job name of a {@link DeliveryBatch}. */
export const DELIVER_BATCH_JOB = 'deliver-batch';

/** True for a job holding several messages. */
export function isDeliveryBatch(data: PoolJobData): data is DeliveryBatch {
  return Array.isArray((data as Partial<DeliveryBatch>).batch);
}

/** Options of {@link PoolQueues}. */
export interface PoolQueuesOptions extends TickBatchOptions {
  /**
   * Most messages one job carries. Messages of one Pool accepted in the same tick of the event
   * loop share a job (one BullMQ add and one fetch for all of them); 1 gives every message its own.
   * @defaultValue 1
   */
  maxBatch?: number;
  /**
   * Called with a `deliver-batch` job's id and its messages that carry an idempotency claim
   * (`idem`), before the job is added; the add waits for it, and its failure fails theirs.
   */
  beforeBatch?: (jobId: string, keyed: DeliveryJob[]) => Promise<void>;
}

const JOB_OPTIONS = {
  attempts: UNEXPECTED_FAILURE_ATTEMPTS,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

/** Inline bytes (base64) one batch job carries at most, so a batch of large bodies stays a small job. */
const MAX_BATCH_INLINE_BYTES = 1024 * 1024;

/** Consecutive groups of at most `max` messages and about MAX_BATCH_INLINE_BYTES of inline body each. */
function chunks(jobs: readonly DeliveryJob[], max: number): DeliveryJob[][] {
  const out: DeliveryJob[][] = [];
  let current: DeliveryJob[] = [];
  let bytes = 0;
  for (const job of jobs) {
    const size = job.raw?.length ?? 0;
    if (current.length > 0 && (current.length >= max || bytes + size > MAX_BATCH_INLINE_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(job);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Opens and caches one producer `Queue` per Pool, all on a shared connection. */
export class PoolQueues {
  readonly #queues = new Map<string, Queue<PoolJobData>>();
  /** Acceptances of this tick per Pool: they share jobs. */
  readonly #waiting: TickBatch<DeliveryJob>;
  readonly #maxBatch: number;
  readonly #beforeBatch: PoolQueuesOptions['beforeBatch'];

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    options: PoolQueuesOptions = {},
  ) {
    this.#maxBatch = Math.max(1, Math.floor(options.maxBatch ?? 1));
    this.#beforeBatch = options.beforeBatch;
    this.#waiting = new TickBatch(async (jobs, poolId) => this.#addBatches(poolId, jobs), {
      flushIntervalMs: options.flushIntervalMs,
    });
  }

  /**
   * Adds a delivery job; resolves once Redis holds it (the durability point). Messages of one Pool
   * enqueued in the same tick go into shared jobs of up to `maxBatch` messages; each call still
   * resolves (or fails) with the job that holds its message.
   */
  enqueue(job: DeliveryJob): Promise<void> {
    if (this.#maxBatch === 1) return this.#addOne(job);
    return this.#waiting.add(job.poolId, job);
  }

  /** Adds the retry of a message, delayed: its own job, named by message and attempt (re-adding it is a no-op). */
  async enqueueRetry(job: DeliveryJob, delayMs: number): Promise<void> {
    await this.queue(job.poolId).add(DELIVER_JOB, job, {
      ...JOB_OPTIONS,
      jobId: `${job.messageId}-a${job.attempt}`,
      delay: Math.max(0, delayMs),
    });
  }

  #addOne(job: DeliveryJob): Promise<void> {
    return this.queue(job.poolId)
      .add(DELIVER_JOB, job, { ...JOB_OPTIONS, jobId: job.messageId })
      .then(() => undefined);
  }

  /** One job per chunk; each message's outcome is its chunk's. */
  #addBatches(poolId: string, jobs: DeliveryJob[]): Promise<void>[] {
    return chunks(jobs, this.#maxBatch).flatMap((chunk) => {
      const first = chunk[0];
      if (!first) return [];
      const added =
        chunk.length === 1 ? this.#addOne(first) : this.#addBatch(poolId, chunk, `batch-${first.messageId}`);
      return chunk.map(() => added);
    });
  }

  async #addBatch(poolId: string, chunk: DeliveryJob[], jobId: string): Promise<void> {
    const keyed = chunk.filter((j) => j.idem !== undefined);
    if (keyed.length > 0 && this.#beforeBatch) await this.#beforeBatch(jobId, keyed);
    await this.queue(poolId).add(DELIVER_BATCH_JOB, { batch: chunk }, { ...JOB_OPTIONS, jobId });
  }

  /** True when the Pool's queue holds a job with this id, in any state. */
  async has(poolId: string, jobId: string): Promise<boolean> {
    return (await this.queue(poolId).getJob(jobId)) !== undefined;
  }

  /** The producer queue of a Pool. */
  queue(poolId: string): Queue<PoolJobData> {
    let q = this.#queues.get(poolId);
    if (!q) {
      q = new Queue<PoolJobData>(poolQueueName(poolId), { connection: this.connection, prefix: this.prefix });
      this.#queues.set(poolId, q);
    }
    return q;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((q) => q.close()));
    this.#queues.clear();
  }
}
