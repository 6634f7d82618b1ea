import type { Pool } from './domain.js';
import { AppError } from './errors.js';
import { poolQueueName } from './queues.js';
import { queuePrefix, type KeyLayout } from './redis-keys.js';
import type { PoolStore } from './store/index.js';

/** What names a Pool's queue: its id and the hash tag stored with it. */
export type PoolQueueRef = Pick<Pool, 'id' | 'queueTag'>;

/**
 * The hash tag of a Pool's queue keys: the one chosen when it was created on a Redis Cluster, else
 * `pool-<id>` (its queue's name, as for every Pool created on one server).
 */
export function poolQueueTag(pool: PoolQueueRef): string {
  return pool.queueTag ?? poolQueueName(pool.id);
}

/**
 * BullMQ's prefix for a Pool's queue (named `pool-<id>` in any layout): the configured prefix on one
 * server; on a Redis Cluster `<prefix>:{<tag>}` with the Pool's {@link poolQueueTag}, which decides
 * the slot, and so the primary, that holds the queue.
 */
export function poolQueuePrefix(layout: KeyLayout, pool: PoolQueueRef): string {
  return queuePrefix(layout, poolQueueTag(pool));
}

/**
 * The queue prefix of a Pool known by its id alone (a message names its Pool by id). On a Redis
 * Cluster that needs the Pool's stored tag: read once per Pool (a tag never changes), deleted Pools
 * included, since their queued mail still runs.
 */
export class PoolQueuePrefixes {
  readonly #tags = new Map<string, Promise<string>>();

  /**
   * @param layout - The key layout in force.
   * @param pools - Where Pools are read; needed on a cluster only.
   */
  constructor(
    readonly layout: KeyLayout,
    private readonly pools?: Pick<PoolStore, 'getPool'>,
  ) {
    if (layout.cluster && !pools) throw new Error('a cluster layout needs the Pools to read their queue tags from');
  }

  /** One server's layout: every queue under `prefix`, nothing to look up. */
  static single(prefix: string): PoolQueuePrefixes {
    return new PoolQueuePrefixes({ prefix, cluster: false });
  }

  /** The prefix of a Pool's queue. */
  async prefixFor(poolId: string): Promise<string> {
    if (!this.layout.cluster) return this.layout.prefix;
    let tag = this.#tags.get(poolId);
    if (!tag) {
      tag = this.#readTag(poolId);
      this.#tags.set(poolId, tag);
      // A failed read is not remembered: the next call reads again.
      tag.catch(() => this.#tags.delete(poolId));
    }
    return queuePrefix(this.layout, await tag);
  }

  async #readTag(poolId: string): Promise<string> {
    const pool = await this.pools?.getPool(poolId);
    if (!pool) throw new AppError('NOT_FOUND', `no pool ${poolId}`);
    return poolQueueTag(pool);
  }
}
