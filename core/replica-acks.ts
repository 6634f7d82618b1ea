import type { Redis } from 'ioredis';

/** What {@link ReplicaAcks} waits for. */
export interface ReplicaAckOptions {
  /** Replicas that must hold a write before it counts as accepted (0: do not wait). */
  replicas: number;
  /** How long one wait may take; past it the write is accepted anyway and counted as short. */
  timeoutMs: number;
  /** Called when a wait ended with fewer replicas than asked for (timeout or error). */
  onShort?: (short: { key: string; acked: number; wanted: number; error?: unknown }) => void;
}

/** How the waits of one process ended, for `/metrics`. */
export interface ReplicaAckCounts {
  /** Waits that saw every replica asked for. */
  acked: number;
  /** Waits that ended with fewer: the writes before them were accepted held by the primary only. */
  short: number;
}

interface KeyWaits {
  /** The WAIT on the wire: it covers the writes sent before it. */
  running?: Promise<void>;
  /** The next WAIT, shared by every caller that arrives while one is running. */
  queued?: Promise<void>;
}

/**
 * Redis replication is asynchronous: a write the primary answered can be lost if the primary dies
 * before a replica has it, and a Sentinel or cluster failover promotes that replica. `after(key)`
 * resolves once `replicas` replicas acknowledge every write this connection sent to the node that
 * serves `key` (Redis `WAIT`, pipelined behind a read of `key` so that a cluster client sends it
 * to that node, over the connection the writes used), or after `timeoutMs`. It never rejects:
 * with a replica down, writes are still accepted, and counted and reported as short.
 *
 * `WAIT` covers every earlier write of the connection, so callers that arrive while one is
 * running share the next one (a group commit): one WAIT per round trip, however many writes.
 */
export class ReplicaAcks {
  readonly #redis: Pick<Redis, 'pipeline'>;
  readonly #options: ReplicaAckOptions;
  readonly #waits = new Map<string, KeyWaits>();
  readonly #counts: ReplicaAckCounts = { acked: 0, short: 0 };

  constructor(redis: Pick<Redis, 'pipeline'>, options: ReplicaAckOptions) {
    this.#redis = redis;
    this.#options = options;
  }

  get counts(): Readonly<ReplicaAckCounts> {
    return { ...this.#counts };
  }

  after(key: string): Promise<void> {
    if (this.#options.replicas <= 0) return Promise.resolve();
    let waits = this.#waits.get(key);
    if (!waits) this.#waits.set(key, (waits = {}));
    if (waits.queued) return waits.queued;
    const entry = waits;
    const start = (): Promise<void> => {
      entry.queued = undefined;
      const running = this.#waitOnce(key).finally(() => {
        if (entry.running === running) entry.running = undefined;
        if (!entry.running && !entry.queued) this.#waits.delete(key);
      });
      entry.running = running;
      return running;
    };
    if (!entry.running) return start();
    entry.queued = entry.running.then(start);
    return entry.queued;
  }

  async #waitOnce(key: string): Promise<void> {
    const { replicas, timeoutMs, onShort } = this.#options;
    let acked = 0;
    let error: unknown;
    try {
      const results = await this.#redis.pipeline().exists(key).wait(replicas, timeoutMs).exec();
      const [failed, reply] = results?.[1] ?? [new Error('no reply to WAIT'), 0];
      if (failed) error = failed;
      else acked = Number(reply);
    } catch (err) {
      error = err;
    }
    if (acked >= replicas) {
      this.#counts.acked++;
      return;
    }
    this.#counts.short++;
    onShort?.({ key, acked, wanted: replicas, ...(error === undefined ? {} : { error }) });
  }
}
