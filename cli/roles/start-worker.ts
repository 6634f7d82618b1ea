import { queryMessageLabels } from '../../analytics/index.js';
import type { Config, Logger } from '../../core/index.js';
import { startDeliveryThread } from '../delivery-host.js';
import { startDelivery, type Delivery } from '../delivery.js';
import { startOwning } from './close-stack.js';
import type { ControlCaches } from './start-control-caches.js';
import type { Engines } from './start-engines.js';
import { startWebhooks } from './start-webhooks.js';

/** What {@link startWorker} is wired with. */
export interface WorkerWiring {
  config: Config;
  logger: Logger;
  engines: Pick<Engines, 'redisTarget' | 'masterKey' | 'producerRedis' | 'workerRedis' | 'store' | 'analytics'>;
  caches: Pick<ControlCaches, 'webhooksFor' | 'anyWebhooks'>;
  /** Base URL of the open / click endpoints when a Bridge has none of its own. */
  trackingBaseUrl: string;
  /**
   * Whether delivery runs on a thread of its own: set when this process also serves ingress or
   * admin, so that each gets a core; a worker-only process delivers on its main thread.
   */
  deliveryThread: boolean;
}

/** The running worker role. */
export interface WorkerRole {
  /** The Pool IPs delivery cannot bind on this host (for `/readyz` and `/metrics`). */
  unbindableIps: Delivery['unbindableIps'];
  /** Stops delivery (jobs in progress finished), then webhooks. */
  close(): Promise<void>;
}

/** Worker role: webhooks (fan-out and signed POSTs) and delivery, one BullMQ worker per Pool queue. */
export function startWorker(wiring: WorkerWiring): Promise<WorkerRole> {
  const { config, logger, engines } = wiring;
  const clickhouse = engines.analytics?.client;
  return startOwning(logger, async (stack) => {
    stack.own(
      await startWebhooks({
        config,
        logger,
        redisTarget: engines.redisTarget,
        producerRedis: engines.producerRedis,
        workerRedis: engines.workerRedis,
        store: engines.store,
        webhooksFor: wiring.caches.webhooksFor,
        // While no Bridge has a webhook (the usual case), the fan-out does not even decode the events.
        anyWebhooks: wiring.caches.anyWebhooks,
        // Opens and clicks get their message's tag and metadata from ClickHouse, when this process reads it.
        ...(clickhouse && {
          labels: (ids: readonly string[]) => queryMessageLabels(clickhouse, config.clickhouse.database, ids),
        }),
      }),
    );
    const deliveryWiring = {
      config,
      logger,
      store: engines.store,
      redisTarget: engines.redisTarget,
      masterKey: engines.masterKey,
      trackingBaseUrl: wiring.trackingBaseUrl,
    };
    const delivery = stack.own(
      wiring.deliveryThread ? await startDeliveryThread(deliveryWiring) : await startDelivery(deliveryWiring),
    );
    return { unbindableIps: () => delivery.unbindableIps() };
  });
}
