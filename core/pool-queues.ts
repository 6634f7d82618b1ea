import { DelayedError, type Job, type JobsOptions, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { defineLuaCommands } from './lua-commands.js';
import { PassSlots } from './pass-slots.js';
import { CORE_COMMANDS } from './redis-commands.js';
import { PoolQueuePrefixes } from './pool-queue-layout.js';
import { batchDoneKey, batchedKey, scheduleKey } from './redis-keys.js';
import { poolQueueName, UNEXPECTED_FAILURE_ATTEMPTS, type DeliveryJob } from './queues.js';
import { TickBatch, type TickBatchOptions } from './tick-batch.js';
import { producerQueue } from './producer-queue.js';
import type { ReplicaAcks } from './replica-acks.js';

// Both ends of the Pool delivery queues. Messages of one Pool accepted in the same tick of the event
// loop share one BullMQ job (one add and one fetch for all of them, the queue's main cost per
// message); a worker unpacks it and runs each message's pass on its own. How messages are grouped into
// jobs is private to this file: callers add messages and run passes over messages. A scheduled message
// (`sendAt`) gets a delayed job of its own (its id the message id) and a schedule record in Redis
// (hash: state, Bridge, Pool, recipients, due time). The record's state is the one place a cancel and
// the worker taking the message up decide, each by one atomic Lua command: `waiting` becomes
// `cancelled` (scheduleCancel) or `started` (scheduleClaim), whichever comes first.

/** Several messages of one Pool in one job. */
interface BatchData {
  batch: DeliveryJob[];
}
type PoolJobData = DeliveryJob | BatchData;

/** A job of a Pool queue as BullMQ hands it to a worker: run it with {@link PoolJobRunner}. */
export type PoolJob = Job<PoolJobData>;

/** BullMQ job names: a job of one message (its id the message id), and a job of several. */
const MESSAGE_JOB = 'deliver';
const BATCH_JOB = 'deliver-batch';

const isBatch = (data: PoolJobData): data is BatchData => 'batch' in data;

const JOB_OPTIONS = {
  attempts: UNEXPECTED_FAILURE_ATTEMPTS,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

/** Inline bytes (base64) one batch job carries at most, so a batch of large bodies stays a small job. */
const MAX_BATCH_INLINE_BYTES = 1024 * 1024;

/** How long a batched message's job id is remembered (as long as an idempotency claim). */
const BATCHED_TTL_S = 24 * 3600;

/** How long a schedule record outlives its due time, so that a late cancel still learns it was sent. */
const SCHEDULE_KEEP_MS = 7 * 24 * 3600 * 1000;

/** What {@link PoolQueues.cancel} found. */
export type CancelOutcome =
  /** No scheduled message of this id (or of this Bridge): unknown, or one sent without a schedule. */
  | { kind: 'unknown' }
  /** A worker took it up first: its delivery has started. */
  | { kind: 'started'; bridgeId: string }
  /**
   * Cancelled: by this call (`first`) or an earlier one. `spool` names the body's spool file, which
   * the caller removes (only set when this call cancelled it).
   */
  | {
      kind: 'cancelled';
      first: boolean;
      bridgeId: string;
      poolId: string;
      recipients: string[];
      sendAt: number;
      spool?: string;
    };

/** Consecutive groups of at most `max` messages and about MAX_BATCH_INLINE_BYTES of inline body each. */
function chunks(messages: readonly DeliveryJob[], max: number): DeliveryJob[][] {
  const out: DeliveryJob[][] = [];
  let current: DeliveryJob[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = message.raw?.length ?? 0;
    if (current.length > 0 && (current.length >= max || bytes + size > MAX_BATCH_INLINE_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Options of {@link PoolQueues}. */
export interface PoolQueuesOptions {
  /**
   * Most messages one job carries; messages of one Pool enqueued in the same tick share jobs.
   * 1 gives every message a job of its own.
   * @defaultValue 1
   */
  maxBatch?: number;
  /**
   * Where each Pool's queue lives (on a Redis Cluster, under the hash tag stored with the Pool).
   * @defaultValue one server's layout: every queue under `prefix`
   */
  prefixes?: PoolQueuePrefixes;
  /** Waits for replicas to hold each enqueued message (`BRIDGEMAIL_REDIS_WAIT_REPLICAS`); default none. */
  replicaAcks?: ReplicaAcks;
}

/** The producer side of the Pool queues: one BullMQ `Queue` per Pool, all on a shared connection. */
export class PoolQueues {
  readonly #queues = new Map<string, Promise<Queue<PoolJobData>>>();
  readonly #prefixes: PoolQueuePrefixes;
  /** Messages enqueued in this tick, per Pool: they share jobs. */
  readonly #waiting: TickBatch<DeliveryJob>;
  readonly #maxBatch: number;
  readonly #replicaAcks: ReplicaAcks | undefined;

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    options: PoolQueuesOptions = {},
  ) {
    this.#maxBatch = Math.max(1, Math.floor(options.maxBatch ?? 1));
    this.#prefixes = options.prefixes ?? PoolQueuePrefixes.single(prefix);
    this.#replicaAcks = options.replicaAcks;
    defineLuaCommands(connection, CORE_COMMANDS);
    this.#waiting = new TickBatch((messages, poolId) => Promise.resolve(this.#addGroup(poolId, messages)));
  }

  /**
   * Queues a message; resolves once Redis holds its job (the durability point), and with
   * `replicaAcks` once replicas hold it too.
   */
  async enqueue(message: DeliveryJob): Promise<void> {
    await this.#enqueue(message);
    const acks = this.#replicaAcks;
    if (!acks) return;
    const keys = [(await this.queue(message.poolId)).toKey('meta')];
    if (message.sendAt !== undefined) keys.push(scheduleKey(this.prefix, message.messageId));
    await Promise.all(keys.map((key) => acks.after(key)));
  }

  #enqueue(message: DeliveryJob): Promise<void> {
    if (message.sendAt !== undefined) return this.#addScheduled(message, message.sendAt);
    if (this.#maxBatch === 1) return this.#addOne(message);
    return this.#waiting.add(message.poolId, message);
  }

  /** Queues another pass of a message, delayed, in a job of its own (adding the same pass again is a no-op). */
  async enqueueRetry(message: DeliveryJob, delayMs: number): Promise<void> {
    await this.#add(message.poolId, MESSAGE_JOB, message, {
      ...JOB_OPTIONS,
      jobId: `${message.messageId}-a${message.attempt}`,
      delay: Math.max(0, delayMs),
    });
  }

  /**
   * True when a job of the Pool's queue carries this message (waiting, delayed, active or finished).
   * A message that shared a job is found only if it came with an idempotency claim (`idem`): the
   * claims are what asks.
   */
  async has(poolId: string, messageId: string): Promise<boolean> {
    const queue = await this.queue(poolId);
    if ((await queue.getJob(messageId)) !== undefined) return true;
    const batchId = await this.connection.get(batchedKey(this.prefix, messageId));
    return batchId !== null && (await queue.getJob(batchId)) !== undefined;
  }

  /**
   * Cancels a scheduled message no worker has taken up yet, and removes its job. With `bridgeId`,
   * only a message of that Bridge. Cancelling again answers `cancelled` again (not `first`).
   */
  async cancel(messageId: string, bridgeId?: string): Promise<CancelOutcome> {
    const record = await this.connection.scheduleCancel(scheduleKey(this.prefix, messageId), bridgeId ?? '');
    if (!record) return { kind: 'unknown' };
    const [state, owner = '', poolId = '', recipients = '[]', sendAt = '0'] = record.map((v) => v ?? undefined);
    if (state === 'started') return { kind: 'started', bridgeId: owner };
    const outcome = {
      kind: 'cancelled' as const,
      first: state === 'waiting',
      bridgeId: owner,
      poolId,
      recipients: JSON.parse(recipients) as string[],
      sendAt: Number(sendAt),
    };
    if (!outcome.first) return outcome;
    // The record decided; the job is only cleaned up. Should a worker hold it this very moment, the
    // removal fails and the worker, finding the record cancelled, sends nothing.
    const job = await (await this.queue(poolId)).getJob(messageId);
    const spool = job && !isBatch(job.data) ? job.data.spool : undefined;
    await job?.remove().catch(() => undefined);
    return spool === undefined ? outcome : { ...outcome, spool };
  }

  /** The Bridge of a scheduled message, from its schedule record (there before its events are in ClickHouse). */
  async scheduledBridge(messageId: string): Promise<string | undefined> {
    return (await this.connection.hget(scheduleKey(this.prefix, messageId), 'bridgeId')) ?? undefined;
  }

  /** Messages carried by the jobs of a Pool's queue, in any state. */
  async countMessages(poolId: string): Promise<number> {
    const jobs = await (
      await this.queue(poolId)
    ).getJobs(['active', 'completed', 'delayed', 'failed', 'prioritized', 'waiting', 'waiting-children']);
    return jobs.reduce((n, job) => n + (isBatch(job.data) ? job.data.batch.length : 1), 0);
  }

  /** The producer queue of a Pool (for operators' views: counts, bull-board). */
  queue(poolId: string): Promise<Queue<PoolJobData>> {
    let q = this.#queues.get(poolId);
    if (!q) {
      const connection = this.connection;
      q = this.#prefixes.prefixFor(poolId).then((prefix) => producerQueue(poolQueueName(poolId), connection, prefix));
      this.#queues.set(poolId, q);
      // A prefix not found (the store failed) is not remembered: the next call looks again.
      q.catch(() => this.#queues.delete(poolId));
    }
    return q;
  }

  async close(): Promise<void> {
    const queues = await Promise.allSettled([...this.#queues.values()]);
    this.#queues.clear();
    await Promise.all(queues.flatMap((q) => (q.status === 'fulfilled' ? [q.value.close()] : [])));
  }

  /** A scheduled message: its record (state `waiting`), then a delayed job of its own. */
  async #addScheduled(message: DeliveryJob, sendAt: number): Promise<void> {
    const key = scheduleKey(this.prefix, message.messageId);
    const record = {
      state: 'waiting',
      bridgeId: message.bridgeId,
      poolId: message.poolId,
      recipients: JSON.stringify(message.recipients),
      sendAt: String(sendAt),
    };
    const results = await this.connection
      .multi()
      .hset(key, record)
      .pexpireat(key, sendAt + SCHEDULE_KEEP_MS)
      .exec();
    const failed = results?.find(([err]) => err !== null)?.[0];
    if (failed) throw failed;
    await this.#add(message.poolId, MESSAGE_JOB, message, {
      ...JOB_OPTIONS,
      jobId: message.messageId,
      delay: Math.max(0, sendAt - Date.now()),
    });
  }

  #addOne(message: DeliveryJob): Promise<void> {
    return this.#add(message.poolId, MESSAGE_JOB, message, { ...JOB_OPTIONS, jobId: message.messageId });
  }

  async #add(poolId: string, name: string, data: PoolJobData, options: JobsOptions): Promise<void> {
    await (await this.queue(poolId)).add(name, data, options);
  }

  /** One job per chunk; each message's outcome is its chunk's. */
  #addGroup(poolId: string, messages: DeliveryJob[]): Promise<void>[] {
    return chunks(messages, this.#maxBatch).flatMap((chunk) => {
      const added = chunk.length === 1 && chunk[0] ? this.#addOne(chunk[0]) : this.#addBatch(poolId, chunk);
      return chunk.map(() => added);
    });
  }

  /**
   * Adds a batch job. A message with an idempotency claim first gets its job id recorded, so that
   * {@link has} finds it should the request die before settling its claim.
   */
  async #addBatch(poolId: string, chunk: DeliveryJob[]): Promise<void> {
    const jobId = `batch-${chunk[0]?.messageId ?? ''}`;
    const keyed = chunk.filter((m) => m.idem !== undefined);
    await Promise.all(
      keyed.map((m) => this.connection.set(batchedKey(this.prefix, m.messageId), jobId, 'EX', BATCHED_TTL_S)),
    );
    await this.#add(poolId, BATCH_JOB, { batch: chunk }, { ...JOB_OPTIONS, jobId });
  }
}

/** What one delivery pass over a message left to do: nothing, or another pass after `delayMs`. */
export interface PassOutcome {
  retry?: { data: DeliveryJob; delayMs: number };
}

/** One delivery pass over one message. */
export type MessagePass = (message: DeliveryJob) => Promise<PassOutcome>;

/** How long the record of a batch's finished messages is kept (as long as a failed job is). */
const PROGRESS_TTL_MS = 7 * 24 * 3600 * 1000;

/** Options of {@link PoolJobRunner}. */
export interface PoolJobRunnerOptions {
  /** Where a batched message that needs another pass goes: a delayed job of its own. */
  retries: Pick<PoolQueues, 'enqueueRetry'>;
  /** Connection for the records of finished messages of batch jobs. */
  redis: Redis;
  prefix: string;
  /** Passes running at once per Pool in this process. */
  concurrency: number;
  /** How the records of a tick are gathered (their spacing), see {@link TickBatchOptions}. */
  batching?: TickBatchOptions;
}

/**
 * The worker side of the Pool queues: runs a message pass over each message a job carries (a
 * scheduled message only once it is claimed: see {@link PoolQueues.cancel}). A
 * message that needs another pass continues as a delayed job (the same job for a job of one
 * message, no BullMQ attempt spent). Each finished message of a batch is recorded in Redis, so a
 * batch run again (its worker was killed, a message failed unexpectedly) skips it instead of
 * sending it twice.
 */
export class PoolJobRunner {
  readonly #slots: PassSlots;
  /** Marks of this tick per record key, written together: one SADD of many members. */
  readonly #marks: TickBatch<{ messageId: string; first: boolean }>;

  constructor(private readonly options: PoolJobRunnerOptions) {
    this.#slots = new PassSlots(options.concurrency);
    defineLuaCommands(options.redis, CORE_COMMANDS);
    this.#marks = new TickBatch(async (marks, key) => {
      await Promise.all([
        options.redis.sadd(key, ...marks.map((m) => m.messageId)),
        marks.some((m) => m.first) ? options.redis.pexpire(key, PROGRESS_TTL_MS) : undefined,
      ]);
    }, options.batching);
  }

  /** A BullMQ processor that runs `pass` over each message of a job. */
  processor(pass: MessagePass): (job: PoolJob, token?: string) => Promise<void> {
    return async (job, token) => {
      const data = job.data;
      if (isBatch(data)) return this.#runBatch(job.id ?? '', data, pass);
      // A scheduled message's first pass claims it, unless a cancel came first: then nothing is sent.
      const due = data.sendAt !== undefined && data.attempt === 0 && data.sentTo === undefined;
      if (due && (await this.options.redis.scheduleClaim(scheduleKey(this.options.prefix, data.messageId))) === 0)
        return;
      const outcome = await this.#slots.run(data.poolId, () => pass(data));
      if (!outcome.retry) return;
      await job.updateData(outcome.retry.data);
      await job.moveToDelayed(Date.now() + outcome.retry.delayMs, token);
      throw new DelayedError();
    };
  }

  /** The messages of a job that no pass finished (once it failed for good, they get a final event). */
  async unfinished(job: PoolJob): Promise<DeliveryJob[]> {
    if (!isBatch(job.data)) return [job.data];
    const done = await this.#finished(job.id ?? '');
    return job.data.batch.filter((m) => !done.has(m.messageId));
  }

  /** What a job carries, for logs. */
  static describe(job: PoolJob): { messageId: string } | { jobId: string | undefined; messages: number } {
    return isBatch(job.data) ? { jobId: job.id, messages: job.data.batch.length } : { messageId: job.data.messageId };
  }

  #progressKey(jobId: string): string {
    return batchDoneKey(this.options.prefix, jobId);
  }

  async #finished(jobId: string): Promise<Set<string>> {
    return new Set(await this.options.redis.smembers(this.#progressKey(jobId)));
  }

  /**
   * One pass for each unfinished message of a batch, as many at once as the Pool's slots allow. A
   * message needing another pass is handed to its own delayed job before it counts as finished. If
   * any message fails unexpectedly the job fails (BullMQ retries it with backoff).
   */
  async #runBatch(jobId: string, data: BatchData, pass: MessagePass): Promise<void> {
    const done = await this.#finished(jobId);
    let marked = done.size > 0;
    const todo = data.batch.filter((m) => !done.has(m.messageId));
    const results = await Promise.allSettled(
      todo.map((message) =>
        this.#slots.run(message.poolId, async () => {
          const outcome = await pass(message);
          if (outcome.retry) await this.options.retries.enqueueRetry(outcome.retry.data, outcome.retry.delayMs);
          const first = !marked;
          marked = true;
          await this.#marks.add(this.#progressKey(jobId), { messageId: message.messageId, first });
        }),
      ),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) {
      const reason: unknown = failed[0]?.reason;
      const text = reason instanceof Error ? reason.message : String(reason);
      throw new Error(`${failed.length} of ${todo.length} messages of batch ${jobId} failed: ${text}`, {
        cause: reason,
      });
    }
    await this.options.redis.del(this.#progressKey(jobId));
  }
}
