import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  controlChannel,
  PoolJobRunner,
  poolQueueName,
  poolQueuePrefix,
  type DeliveryJob,
  type PoolJob,
  type EventPublisher,
  type Logger,
  type Spool,
  type Pool,
  type Store,
} from '../../core/index.js';

/** Settings of {@link startPoolWorkers}. */
export interface PoolWorkersOptions {
  store: Pick<Store, 'listPools'>;
  /** Connection for the workers (created with `maxRetriesPerRequest: null`). */
  connection: Redis;
  prefix: string;
  /**
   * Keys laid out for a Redis Cluster: each Pool's queue under its own hash tag (`poolQueuePrefix`).
   * @defaultValue false
   */
  cluster?: boolean;
  concurrency: number;
  /**
   * Lock duration of a job, renewed while it runs; once a holder dies its jobs are stalled and
   * taken up again at the next check, which runs this often too. @defaultValue 15000
   */
  lockMs?: number;
  /** Runs the jobs: a {@link PoolJobRunner}'s processor. */
  processor: (job: PoolJob, token?: string) => Promise<void>;
  /** The messages of a job that failed for good that no pass finished (they get the final event). */
  unfinished: PoolJobRunner['unfinished'];
  events: EventPublisher;
  /** Spooled bodies of jobs that end in failure are removed. */
  spool: Pick<Spool, 'remove'>;
  logger: Logger;
  /** How often to re-list Pools in case a pub/sub announcement was missed. @defaultValue 10000 */
  reconcileMs?: number;
}

/** The running set of delivery workers, one per Pool queue. */
export interface PoolWorkers {
  /** Starts workers for Pools created since the last call. */
  reconcile(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Runs one BullMQ worker per Pool queue and follows Pool creation through the control channel
 * (and a periodic re-listing), so a Pool created on any process gets its worker here.
 */
export async function startPoolWorkers(options: PoolWorkersOptions): Promise<PoolWorkers> {
  const log = options.logger.child({ component: 'pool-workers' });
  const workers = new Map<string, Worker<PoolJob['data']>>();
  const lockMs = options.lockMs ?? 15_000;

  // Out of attempts after unexpected errors: the recipients still pending get a final event.
  const giveUp = (poolId: string, message: DeliveryJob) => {
    const { messageId, bridgeId, recipients, spool, tag, metadata } = message;
    if (spool)
      options.spool.remove(spool).catch((e: unknown) => log.warn({ err: e, messageId }, 'spool file not removed'));
    options.events
      .publish(
        recipients.map((recipient) => ({
          type: 'bounced',
          messageId,
          bridgeId,
          poolId,
          recipient,
          reason: 'internal',
          reply: 'internal error',
          ...(tag !== undefined ? { tag } : {}),
          ...(metadata !== undefined ? { metadata } : {}),
        })),
      )
      .catch((e: unknown) => log.error({ err: e, messageId }, 'final bounce event not published'));
  };
  let closed = false;

  const startWorker = (pool: Pool) => {
    const poolId = pool.id;
    const worker = new Worker<PoolJob['data']>(poolQueueName(poolId), options.processor, {
      connection: options.connection,
      prefix: poolQueuePrefix({ prefix: options.prefix, cluster: options.cluster ?? false }, pool),
      concurrency: options.concurrency,
      lockDuration: lockMs,
      stalledInterval: lockMs,
    });
    worker.on('error', (err) => log.warn({ err, poolId }, 'worker error'));
    worker.on('failed', (job, err) => {
      if (!job) return;
      const final = job.attemptsMade >= (job.opts.attempts ?? 1);
      const ids = PoolJobRunner.describe(job);
      log.error({ err, ...ids, poolId, attemptsMade: job.attemptsMade, final }, 'delivery job failed');
      if (!final) return;
      options.unfinished(job).then(
        (left) => left.forEach((m) => giveUp(poolId, m)),
        (e: unknown) => log.error({ err: e, ...ids }, 'unfinished messages of a failed job not read'),
      );
    });
    workers.set(poolId, worker);
    log.info({ poolId }, 'pool worker started');
  };

  const reconcile = async () => {
    if (closed) return;
    for (const pool of await options.store.listPools()) {
      if (!workers.has(pool.id) && !closed) startWorker(pool);
    }
  };

  const subscriber = options.connection.duplicate();
  subscriber.on('error', (err) => log.warn({ err }, 'control subscriber error'));
  subscriber.on('message', () => {
    reconcile().catch((err: unknown) => log.warn({ err }, 'reconcile failed'));
  });
  await subscriber.subscribe(controlChannel(options.prefix));
  await reconcile();
  const timer = setInterval(() => {
    reconcile().catch((err: unknown) => log.warn({ err }, 'reconcile failed'));
  }, options.reconcileMs ?? 10_000);
  timer.unref();

  return {
    reconcile,
    async close() {
      closed = true;
      clearInterval(timer);
      subscriber.disconnect();
      await Promise.all([...workers.values()].map((w) => w.close()));
      workers.clear();
    },
  };
}
