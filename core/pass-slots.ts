/** Passes running at once, per Pool: the messages of a batch job count one each. */
export class PassSlots {
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
