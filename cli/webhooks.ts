import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config, EventType, Logger, Store } from '../core/index.js';
import {
  createWebhookProcessor,
  queueEnqueuer,
  startWebhookFanout,
  WEBHOOK_QUEUE,
  type WebhookJob,
} from '../workers/webhooks/index.js';

/** What {@link startWebhooks} is wired with (the composition root's clients). */
export interface WebhookWiring {
  config: Config;
  logger: Logger;
  redisUrl: string;
  producerRedis: Redis;
  workerRedis: Redis;
  store: Store;
  /** Active webhooks of a Bridge matching an event type (cached by the caller, invalidated on Bridge changes). */
  webhooksFor: (bridgeId: string, type: EventType) => Promise<readonly { id: string }[]>;
  /** Whether any webhook is active (cached by the caller, invalidated on Bridge changes). */
  anyWebhooks: () => Promise<boolean>;
  closers: (() => Promise<unknown>)[];
}

/**
 * Webhooks: a consumer group of its own on the events stream fans each event out to the matching
 * webhooks of its Bridge as durable jobs; a worker delivers them signed, with retries.
 */
export async function startWebhooks(wiring: WebhookWiring): Promise<void> {
  const { config, logger, store, closers } = wiring;
  const queue = new Queue<WebhookJob>(WEBHOOK_QUEUE, { connection: wiring.producerRedis, prefix: config.redis.prefix });
  closers.push(() => queue.close());
  const worker = new Worker<WebhookJob>(
    WEBHOOK_QUEUE,
    createWebhookProcessor({
      getWebhook: (id) => store.getWebhookTarget(id),
      recordAttempt: (a) => store.recordAttempt(a),
      allowPrivate: config.webhooks.allowPrivate,
      timeoutMs: config.webhooks.timeoutMs,
      logger,
    }),
    { connection: wiring.workerRedis, prefix: config.redis.prefix, concurrency: 8 },
  );
  worker.on('error', (err) => logger.warn({ err }, 'webhook worker error'));
  closers.push(() => worker.close());
  // The fan-out blocks on its own connection; close() disconnects it.
  const fanoutRedis = new Redis(wiring.redisUrl, { maxRetriesPerRequest: null, connectionName: 'bridgemail-webhooks' });
  fanoutRedis.on('error', (err) => logger.warn({ err, connection: 'webhooks' }, 'redis connection error'));
  const fanout = await startWebhookFanout({
    redis: fanoutRedis,
    prefix: config.redis.prefix,
    webhooksFor: wiring.webhooksFor,
    anyWebhooks: wiring.anyWebhooks,
    enqueue: queueEnqueuer(queue),
    logger,
  });
  closers.push(() => fanout.close());
}
