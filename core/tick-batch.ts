/**
 * What a flush gives back: one outcome per item, in the items' order (a value, or a promise each
 * caller waits on), or nothing when every item's outcome is just "done".
 */
export type TickBatchOutcomes<R> = readonly (R | PromiseLike<R>)[] | void;

/** Writes the items of one key gathered in one tick. */
export type TickBatchFlush<T, R> = (items: T[], key: string) => Promise<TickBatchOutcomes<R>>;

interface Group<T, R> {
  items: T[];
  callers: { resolve: (r: R | PromiseLike<R>) => void; reject: (e: unknown) => void }[];
}

/**
 * Groups of every TickBatch waiting for the end of this tick. They flush in one setImmediate
 * callback, in the order they were opened, so the Redis commands of all of them (events, marks,
 * lease releases …) leave in one autopipelined write instead of one write per batch.
 */
let due: (() => void)[] = [];
/** Shortest time between two flushes in this thread, ms (0: every tick); see {@link setTickBatchInterval}. */
let minIntervalMs = 0;
let lastFlushAt = -Infinity;

/**
 * Spaces the flushes of this thread (every TickBatch in it) at least `ms` apart: a group opened
 * sooner than that after the last flush waits for the rest of the interval, gathering what comes
 * meanwhile, so that under load a thread writes to Redis (and to its copy threads) at most once
 * per interval, not once per loop turn that finished something. A thread that was idle for the
 * interval still flushes at the end of the tick. For the delivery thread, whose writes nobody
 * waits on in a request; 0 (the default) restores flushing every tick.
 */
export function setTickBatchInterval(ms: number): void {
  minIntervalMs = Math.max(0, ms);
}

function flushDue(): void {
  // A timer may fire a little early (libuv counts from the start of the loop turn that set it):
  // the interval is a minimum, so an early one waits out the rest.
  const early = lastFlushAt + minIntervalMs - performance.now();
  if (early > 0) {
    setTimeout(flushDue, Math.ceil(early));
    return;
  }
  lastFlushAt = performance.now();
  const now = due;
  due = [];
  for (const run of now) run();
}

function schedule(run: () => void): void {
  if (due.length === 0) {
    const wait = lastFlushAt + minIntervalMs - performance.now();
    if (wait > 0) setTimeout(flushDue, wait);
    else setImmediate(flushDue);
  }
  due.push(run);
}

/**
 * Gathers the calls made in one tick of the event loop, per key, and hands each key's items to
 * `flush` once, after the tick's I/O callbacks (setImmediate): concurrent deliveries, a batch of
 * acceptances or one request's several writes then cost one round trip instead of one each, and
 * the flushes of all batches of a tick run together (one write to Redis for all of them). Each
 * call settles with its own item's outcome; a flush that throws fails every item of its group.
 */
export class TickBatch<T, R = void> {
  readonly #groups = new Map<string, Group<T, R>>();

  constructor(private readonly flush: TickBatchFlush<T, R>) {}

  /** Adds one item to this tick's group of `key`; resolves with that item's outcome. */
  add(key: string, item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const group = this.#group(key);
      group.items.push(item);
      group.callers.push({ resolve, reject });
    });
  }

  #group(key: string): Group<T, R> {
    let group = this.#groups.get(key);
    if (!group) {
      const created: Group<T, R> = { items: [], callers: [] };
      group = created;
      this.#groups.set(key, created);
      schedule(() => this.#run(key, created));
    }
    return group;
  }

  #run(key: string, group: Group<T, R>): void {
    if (this.#groups.get(key) === group) this.#groups.delete(key);
    const { items, callers } = group;
    let flushed: Promise<TickBatchOutcomes<R>>;
    try {
      flushed = this.flush(items, key);
    } catch (err) {
      flushed = Promise.reject(err);
    }
    flushed.then(
      (outcomes) => {
        callers.forEach((c, i) => {
          if (!outcomes) c.resolve(undefined as R);
          else if (i < outcomes.length) c.resolve(outcomes[i] as R | PromiseLike<R>);
          else c.reject(new Error(`tick batch flush of ${key} gave ${outcomes.length} outcomes for ${callers.length} items`));
        });
      },
      (err: unknown) => callers.forEach((c) => c.reject(err)),
    );
  }
}
