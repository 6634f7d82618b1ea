import type { Redis } from 'ioredis';
import type { AdminAppDeps } from '../../admin-api/index.js';
import {
  IdempotencyKeys,
  INBOUND_QUEUE,
  PoolQueuePrefixes,
  PoolQueues,
  readEventBacklog,
  ReplicaAcks,
  type ReplicaAckOptions,
  type Config,
  type Logger,
  type Store,
  keyLayoutOf,
  queuePrefix,
  producerQueue,
} from '../../core/index.js';
import { WEBHOOK_QUEUE } from '../../workers/webhooks/index.js';
import { startOwning } from './close-stack.js';

/** What {@link startQueues} is wired with. */
export interface QueuesWiring {
  config: Config;
  logger: Logger;
  store: Store;
  /** BullMQ's producer connection (queue adds, job counts). */
  producerRedis: Redis;
  /** Idempotency claims. */
  commandsRedis: Redis;
}

/** The queues every role of this process shares. */
export interface Queues {
  /** Producer side of the delivery queues, one BullMQ queue per Pool. */
  pools: PoolQueues;
  /** Idempotency claims of accepted messages (keyed by the sender's idempotency key). */
  idempotency: IdempotencyKeys;
  /** Every queue and the event stream's backlog, as operators watch them (admin console, `/metrics`). */
  directory: AdminAppDeps['queues'];
  /** The replica waits of accepted messages (`BRIDGEMAIL_REDIS_WAIT_REPLICAS`), for `/metrics`. */
  replicaAcks: ReplicaAcks;
  close(): Promise<void>;
}

/**
 * Opens the Pool queues and the handles operators watch: the same queues the workers use,
 * read-only unless an operator acts in bull-board. Closing closes every queue handle.
 */
export function startQueues(wiring: QueuesWiring): Promise<Queues> {
  const { config, store, producerRedis } = wiring;
  return startOwning(wiring.logger, (stack) => {
    const layout = keyLayoutOf(config.redis);
    const idempotency = new IdempotencyKeys(wiring.commandsRedis, config.redis.prefix);
    const replicaAcks = new ReplicaAcks(producerRedis, {
      replicas: config.redis.waitReplicas,
      timeoutMs: config.redis.waitMs,
      onShort: shortWaitLogger(wiring.logger),
    });
    const pools = stack.own(
      new PoolQueues(producerRedis, config.redis.prefix, {
        maxBatch: config.delivery.queueBatchMax,
        prefixes: new PoolQueuePrefixes(layout, store),
        // Without a wait, enqueue takes no extra step.
        replicaAcks: config.redis.waitReplicas > 0 ? replicaAcks : undefined,
      }),
    );
    const watched = [INBOUND_QUEUE, WEBHOOK_QUEUE].map((name) => ({
      name,
      kind: name === INBOUND_QUEUE ? ('inbound' as const) : ('webhooks' as const),
      queue: stack.own(producerQueue(name, producerRedis, queuePrefix(layout, name))),
    }));
    const directory: AdminAppDeps['queues'] = {
      list: async () => [
        ...(await Promise.all(
          (await store.listPools()).map(async (p) => {
            const queue = await pools.queue(p.id);
            return { name: queue.name, kind: 'pool' as const, poolId: p.id, queue };
          }),
        )),
        ...watched,
      ],
      eventBacklog: () => readEventBacklog(producerRedis, config.redis.prefix, config.redis.eventShards),
    };
    return Promise.resolve({ pools, idempotency, directory, replicaAcks });
  });
}

/** How often a replica wait that came up short is logged (each one is counted in `/metrics`). */
const SHORT_WAIT_LOG_MS = 10_000;

/** Logs short replica waits at warn level, at most one line per SHORT_WAIT_LOG_MS with how many there were. */
function shortWaitLogger(logger: Logger): ReplicaAckOptions['onShort'] {
  let lastLogged = 0;
  let unlogged = 0;
  return ({ key, acked, wanted, error }) => {
    unlogged++;
    if (Date.now() - lastLogged < SHORT_WAIT_LOG_MS) return;
    logger.warn(
      { key, acked, wanted, waits: unlogged, ...(error === undefined ? {} : { err: error }) },
      'accepted messages held by fewer Redis replicas than BRIDGEMAIL_REDIS_WAIT_REPLICAS asks for',
    );
    lastLogged = Date.now();
    unlogged = 0;
  };
}
