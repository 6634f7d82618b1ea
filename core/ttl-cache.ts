/**
 * A small per-process cache with a lifetime per entry and explicit invalidation, for control-plane
 * reads on hot paths; control-channel announcements call {@link invalidate} in every process.
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, { value: Promise<V>; at: number }>();

  /**
   * @param load reads the value on a miss
   * @param ttlMs backstop lifetime should an invalidation be missed
   * @param maxEntries beyond this the oldest entries go first
   */
  constructor(
    private readonly load: (key: string) => Promise<V>,
    private readonly ttlMs = 5000,
    private readonly maxEntries = 10_000,
  ) {}

  /** The cached value, or the one being loaded: concurrent misses of a key share one load. */
  get(key: string): Promise<V> {
    const hit = this.#entries.get(key);
    if (hit && Date.now() - hit.at <= this.ttlMs) return hit.value;
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    const entry = { value: this.load(key), at: Date.now() };
    this.#entries.set(key, entry);
    // A failed load is not cached.
    entry.value.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return entry.value;
  }

  invalidate(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
