import type { Redis } from 'ioredis';
import {
  TickBatch,
  type DeliveryBatch,
  type DeliveryJob,
  type PoolQueues,
  type TickBatchOptions,
} from '../../core/index.js';

/** What one delivery pass over a message left to do: nothing, or another pass after `delayMs`. */
export interface PassOutcome {
  retry?: { data: DeliveryJob; delayMs: number };
}

/**
 * Deliveries running at once, per Pool, in this process: `deliver` jobs and the messages of
 * `deliver-batch` jobs share the same slots, so a batch of 50 messages counts as 50 deliveries.
 */
export class DeliverySlots {
  readonly #pools = new Map<string, { free: number; waiting: (() => void)[] }>();

  constructor(private readonly perPool: number) {}

  /** Runs `fn` once a slot of `poolId` is free, and frees it after. */
  async run<T>(poolId: string, fn: () => Promise<T>): Promise<T> {
    let pool = this.#pools.get(poolId);
    if (!pool) {
      pool = { free: this.perPool, waiting: [] };
      this.#pools.set(poolId, pool);
    }
    if (pool.free > 0) pool.free--;
    else await new Promise<void>((resolve) => pool.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = pool.waiting.shift();
      if (next) next();
      else pool.free++;
    }
  }
}

/** How long the record of a batch's finished messages is kept (as long as a failed job is). */
const PROGRESS_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * Which messages of a `deliver-batch` job are finished (delivered, bounced, or handed to a retry
 * job), kept in Redis so that a batch run again (its worker was killed, a message failed
 * unexpectedly) skips them instead of sending them a second time.
 */
export class BatchProgress {
  /** Marks of this tick per record key, written together: one SADD of many members. */
  readonly #marks: TickBatch<{ messageId: string; first: boolean }>;

  /** `batching`: how the marks of a tick are gathered (their spacing), see {@link TickBatchOptions}. */
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    batching: TickBatchOptions = {},
  ) {
    this.#marks = new TickBatch(async (marks, key) => {
      await Promise.all([
        this.redis.sadd(key, ...marks.map((m) => m.messageId)),
        marks.some((m) => m.first) ? this.redis.pexpire(key, PROGRESS_TTL_MS) : undefined,
      ]);
    }, batching);
  }

  #key(jobId: string): string {
    return `${this.prefix}:batch-done:${jobId}`;
  }

  /** Message ids of the batch already finished. */
  async finished(jobId: string): Promise<Set<string>> {
    return new Set(await this.redis.smembers(this.#key(jobId)));
  }

  /**
   * Records one message as finished; `first` also sets the record's expiry. Marks of the same
   * batch made in the same tick share one SADD; each call resolves once Redis has its member.
   */
  mark(jobId: string, messageId: string, first: boolean): Promise<void> {
    return this.#marks.add(this.#key(jobId), { messageId, first });
  }

  /** Drops the record once the whole batch is done. */
  async clear(jobId: string): Promise<void> {
    await this.redis.del(this.#key(jobId));
  }

  /** The messages of a batch not finished yet (for the final failure of the job). */
  async unfinished(jobId: string, data: DeliveryBatch): Promise<DeliveryJob[]> {
    const done = await this.finished(jobId);
    return data.batch.filter((m) => !done.has(m.messageId));
  }
}

/** What running `deliver-batch` jobs needs. */
export interface BatchDeps {
  /** Where a message that needs another pass goes: a delayed `deliver` job of its own. */
  retries: Pick<PoolQueues, 'enqueueRetry'>;
  progress: BatchProgress;
  slots: DeliverySlots;
}

/**
 * Runs one delivery pass for each unfinished message of a batch, as many at once as the Pool's
 * slots allow. A message needing another pass is handed to its own delayed job before it counts
 * as finished. If any message fails unexpectedly the job fails (BullMQ retries it with backoff) and
 * the next run skips the finished ones.
 */
export async function processBatch(
  deps: BatchDeps,
  jobId: string,
  data: DeliveryBatch,
  pass: (message: DeliveryJob) => Promise<PassOutcome>,
): Promise<void> {
  const done = await deps.progress.finished(jobId);
  let marked = done.size > 0;
  const todo = data.batch.filter((m) => !done.has(m.messageId));
  const results = await Promise.allSettled(
    todo.map((message) =>
      deps.slots.run(message.poolId, async () => {
        const outcome = await pass(message);
        if (outcome.retry) await deps.retries.enqueueRetry(outcome.retry.data, outcome.retry.delayMs);
        const first = !marked;
        marked = true;
        await deps.progress.mark(jobId, message.messageId, first);
      }),
    ),
  );
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) {
    const reason: unknown = failed[0]?.reason;
    throw new Error(
      `${failed.length} of ${todo.length} messages of batch ${jobId} failed: ${reason instanceof Error ? reason.message : String(reason)}`,
      {
        cause: reason,
      },
    );
  }
  await deps.progress.clear(jobId);
}
