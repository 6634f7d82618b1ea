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

/** Settings of a {@link TickBatch}. */
export interface TickBatchOptions {
  /**
   * Shortest time between two flushes, ms (0: every tick). A group opened sooner than that after
   * the last flush waits for the rest of the interval, gathering what comes meanwhile, so that
   * under load the batch writes at most once per interval, not once per loop turn that finished
   * something; after an idle interval it still flushes at the end of the tick. For writes nobody
   * waits on in a request, such as a delivery thread's. @defaultValue 0
   */
  flushIntervalMs?: number;
}

/**
 * The flushes of every TickBatch of one interval in this thread. Groups due together flush in one
 * callback, in the order they were opened, so the Redis commands of all of them (events, marks,
 * lease releases …) leave in one autopipelined write instead of one write per batch; the interval
 * counts from the last flush of any of them.
 */
class FlushSchedule {
  #due: (() => void)[] = [];
  #lastFlushAt = -Infinity;

  constructor(private readonly intervalMs: number) {}

  /** Runs `run` with the next flush: at the end of this tick, or once the interval is over. */
  add(run: () => void): void {
    if (this.#due.length === 0) {
      const wait = this.#lastFlushAt + this.intervalMs - performance.now();
      if (wait > 0) setTimeout(this.#flush, wait);
      else setImmediate(this.#flush);
    }
    this.#due.push(run);
  }

  readonly #flush = (): void => {
    // A timer may fire a little early (libuv counts from the start of the loop turn that set it):
    // the interval is a minimum, so an early one waits out the rest.
    const early = this.#lastFlushAt + this.intervalMs - performance.now();
    if (early > 0) {
      setTimeout(this.#flush, Math.ceil(early));
      return;
    }
    this.#lastFlushAt = performance.now();
    const runs = this.#due;
    this.#due = [];
    for (const run of runs) run();
  };
}

/**
 * One schedule per interval: batches of the same interval flush together, and a batch of another
 * interval keeps its own spacing.
 */
const schedules = new Map<number, FlushSchedule>();

function scheduleFor(intervalMs: number): FlushSchedule {
  let schedule = schedules.get(intervalMs);
  if (!schedule) {
    schedule = new FlushSchedule(intervalMs);
    schedules.set(intervalMs, schedule);
  }
  return schedule;
}

/**
 * Gathers the calls made in one tick of the event loop, per key, and hands each key's items to
 * `flush` once, after the tick's I/O callbacks (setImmediate): concurrent deliveries, a batch of
 * acceptances or one request's several writes then cost one round trip instead of one each, and
 * the flushes of all batches of one interval due together run together (one write to Redis for all
 * of them). Each call settles with its own item's outcome; a flush that throws fails every item of
 * its group.
 */
export class TickBatch<T, R = void> {
  readonly #groups = new Map<string, Group<T, R>>();
  readonly #schedule: FlushSchedule;

  constructor(
    private readonly flush: TickBatchFlush<T, R>,
    options: TickBatchOptions = {},
  ) {
    this.#schedule = scheduleFor(Math.max(0, options.flushIntervalMs ?? 0));
  }

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
      this.#schedule.add(() => this.#run(key, created));
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
      flushed = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    flushed.then(
      (outcomes) => {
        callers.forEach((c, i) => {
          if (!outcomes) c.resolve(undefined as R);
          else if (i < outcomes.length) c.resolve(outcomes[i] as R | PromiseLike<R>);
          else
            c.reject(
              new Error(`tick batch flush of ${key} gave ${outcomes.length} outcomes for ${callers.length} items`),
            );
        });
      },
      (err: unknown) => callers.forEach((c) => c.reject(err)),
    );
  }
}
