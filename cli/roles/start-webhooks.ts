import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  type Config,
  type EventType,
  type LabelLookup,
  type Logger,
  type RedisTarget,
  type Store,
  keyLayoutOf,
  queuePrefix,
  producerQueue,
} from '../../core/index.js';
import {
  createWebhookProcessor,
  queueEnqueuer,
  startWebhookFanout,
  WEBHOOK_QUEUE,
  type WebhookJob,
} from '../../workers/webhooks/index.js';
import { openRedis } from '../redis-connect.js';
import { startOwning } from './close-stack.js';

/** What {@link startWebhooks} is wired with. */
export interface WebhookWiring {
  config: Config;
  logger: Logger;
  redisTarget: RedisTarget;
  producerRedis: Redis;
  workerRedis: Redis;
  store: Store;
  /** Active webhooks of a Bridge matching an event type (cached by the caller, invalidated on Bridge changes). */
  webhooksFor: (bridgeId: string, type: EventType) => Promise<readonly { id: string }[]>;
  /** Whether any webhook is active (cached by the caller, invalidated on Bridge changes). */
  anyWebhooks: () => Promise<boolean>;
  /** Labels of messages for open and click payloads, when this process reads ClickHouse. */
  labels?: LabelLookup;
}

/** The running webhooks fan-out and delivery worker. */
export interface Webhooks {
  /** Stops the fan-out first (no new jobs), then the worker (its current POSTs finished), then the queue. */
  close(): Promise<void>;
}

/**
 * Webhooks (part of the worker role): a consumer group of its own on the events stream fans each
 * event out to the matching webhooks of its Bridge as durable jobs; a worker delivers them signed,
 * with retries.
 */
export function startWebhooks(wiring: WebhookWiring): Promise<Webhooks> {
  const { config, logger, store } = wiring;
  return startOwning(logger, async (stack) => {
    const webhookPrefix = queuePrefix(keyLayoutOf(config.redis), WEBHOOK_QUEUE);
    const queue = stack.own(producerQueue<WebhookJob>(WEBHOOK_QUEUE, wiring.producerRedis, webhookPrefix));
    const worker = stack.own(
      new Worker<WebhookJob>(
        WEBHOOK_QUEUE,
        createWebhookProcessor({
          getWebhook: (id) => store.getWebhookTarget(id),
          recordAttempt: (a) => store.recordAttempt(a),
          allowPrivate: config.webhooks.allowPrivate,
          timeoutMs: config.webhooks.timeoutMs,
          logger,
        }),
        { connection: wiring.workerRedis, prefix: webhookPrefix, concurrency: 8 },
      ),
    );
    worker.on('error', (err) => logger.warn({ err }, 'webhook worker error'));
    // The fan-out blocks on a connection of its own (no auto-pipelining); its close() disconnects it.
    const fanoutRedis = openRedis(wiring.redisTarget, logger, 'webhooks', null, false);
    stack.defer(() => fanoutRedis.disconnect());
    stack.own(
      await startWebhookFanout({
        redis: fanoutRedis,
        prefix: config.redis.prefix,
        shards: config.redis.eventShards,
        webhooksFor: wiring.webhooksFor,
        anyWebhooks: wiring.anyWebhooks,
        ...(wiring.labels && { labels: wiring.labels }),
        enqueue: queueEnqueuer(queue),
        logger,
      }),
    );
    return {};
  });
}
