import type { Redis } from 'ioredis';
import { trimAcknowledged } from './stream-groups.js';
import { parseReadGroupReply, type StreamEntry } from './stream-replies.js';

/** Options of {@link StreamConsumer}. */
export interface StreamConsumerOptions {
  /** A connection of its own: the consumer blocks on it, and {@link StreamConsumer.close} disconnects it. */
  redis: Redis;
  /** Key of the stream. */
  stream: string;
  /** Consumer group; {@link StreamConsumer.createGroup} creates it when missing. */
  group: string;
  /** This consumer's name within the group: its pending entries are the ones read under this name. */
  consumer: string;
  /**
   * Where a group created by {@link StreamConsumer.createGroup} starts: `'0'` delivers the whole
   * stream, `'$'` only the entries added after.
   * @defaultValue '$'
   */
  startAt?: '0' | '$';
  /** Most entries per read. @defaultValue 100 */
  count?: number;
  /** Longest wait for new entries in one read, and the pause between two checks of `skipWhile`. @defaultValue 1000 */
  blockMs?: number;
  /** Wait after a failure; doubled after each further failure in a row. @defaultValue 250 */
  backoffMs?: number;
  /** Longest wait after a failure. @defaultValue 30000 */
  maxBackoffMs?: number;
  /**
   * After each acknowledgement, trims the stream below the oldest entry some group still needs
   * (see `trimAcknowledged`): for the one reader that keeps the stream's length down.
   * @defaultValue false
   */
  trimAcknowledged?: boolean;
  /**
   * While it answers true the consumer has nothing to do with new entries: instead of reading
   * them, it moves its group to the stream's end, waits `blockMs` and asks again. Asked only once
   * the pending entries are read. @defaultValue never skips
   */
  skipWhile?: () => Promise<boolean>;
  /**
   * Told of each failed read or handler run, before the consumer waits `retryInMs` and starts
   * again from its pending entries. Must not throw.
   */
  onError: (err: unknown, retryInMs: number) => void | Promise<void>;
}

/**
 * What {@link StreamConsumer.run} hands each batch to. It acknowledges (with
 * {@link StreamConsumer.ack}) what it has finished with; an entry it leaves unacknowledged stays
 * pending and is handed out again after the next failure or start.
 */
export type StreamHandler = (entries: readonly StreamEntry[]) => Promise<void>;

/**
 * Reads a Redis stream as one consumer of a consumer group, at least once: this consumer's pending
 * entries first (read before a crash or a failure, never acknowledged), then new ones (`>`). A
 * failed read or handler backs off (doubling, capped) and starts over from the pending entries, so
 * an entry leaves the group only when a handler acknowledges it.
 */
export class StreamConsumer {
  readonly #redis: Redis;
  readonly #stream: string;
  readonly #group: string;
  readonly #consumer: string;
  readonly #startAt: '0' | '$';
  readonly #count: number;
  readonly #blockMs: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #trim: boolean;
  readonly #skipWhile: (() => Promise<boolean>) | undefined;
  readonly #onError: StreamConsumerOptions['onError'];
  #readingPending = true;
  #closed = false;
  #running: Promise<void> | undefined;
  /** Ends the current pause early (set while the consumer waits). */
  #wake: (() => void) | undefined;

  constructor(options: StreamConsumerOptions) {
    this.#redis = options.redis;
    this.#stream = options.stream;
    this.#group = options.group;
    this.#consumer = options.consumer;
    this.#startAt = options.startAt ?? '$';
    this.#count = options.count ?? 100;
    this.#blockMs = options.blockMs ?? 1000;
    this.#backoffMs = options.backoffMs ?? 250;
    this.#maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.#trim = options.trimAcknowledged ?? false;
    this.#skipWhile = options.skipWhile;
    this.#onError = options.onError;
  }

  /** Whether the next read returns pending entries (after a start or a failure) rather than new ones. */
  get readingPending(): boolean {
    return this.#readingPending;
  }

  /** Whether {@link close} has been called. */
  get closing(): boolean {
    return this.#closed;
  }

  /** Creates the group, and the stream when missing (MKSTREAM); a group that exists is left as it is. */
  async createGroup(): Promise<void> {
    try {
      await this.#redis.xgroup('CREATE', this.#stream, this.#group, this.#startAt, 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error && err.message.includes('BUSYGROUP'))) throw err;
    }
  }

  /**
   * Up to `count` entries: this consumer's pending ones while there are any, then new ones,
   * waiting up to `blockMs` for them when `block` is set.
   */
  async read(count = this.#count, block = true): Promise<StreamEntry[]> {
    const redis = this.#redis;
    const stream = this.#stream;
    const asMember = ['GROUP', this.#group, this.#consumer, 'COUNT', count] as const;
    let reply: unknown;
    if (this.#readingPending) reply = await redis.xreadgroup(...asMember, 'STREAMS', stream, '0');
    else if (block) reply = await redis.xreadgroup(...asMember, 'BLOCK', this.#blockMs, 'STREAMS', stream, '>');
    else reply = await redis.xreadgroup(...asMember, 'STREAMS', stream, '>');
    const entries = parseReadGroupReply(reply);
    if (this.#readingPending && entries.length === 0) this.#readingPending = false;
    return entries;
  }

  /** Acknowledges entries, then trims the stream when `trimAcknowledged` is set. */
  async ack(entries: readonly StreamEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#redis.xack(this.#stream, this.#group, ...entries.map((entry) => entry.id));
    if (this.#trim) await trimAcknowledged(this.#redis, this.#stream);
  }

  /**
   * Reads batches and hands each to `handle` until {@link close}; resolves once the loop has ended.
   * A batch already read when `close` is called is still handed out.
   */
  run(handle: StreamHandler): Promise<void> {
    if (this.#running) throw new Error('StreamConsumer.run called twice');
    this.#running = this.#loop(handle);
    return this.#running;
  }

  /**
   * Stops reading and disconnects. With `graceMs`, the read and the handler in progress get up to
   * that long to finish first (so the handler's acknowledgement reaches Redis); without it, a
   * blocking read ends at once and the handler's acknowledgement fails, leaving its entries pending
   * for the next start.
   * @param graceMs @defaultValue 0
   */
  async close(graceMs = 0): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    if (graceMs > 0 && this.#running) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.#running, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
    this.#redis.disconnect();
    await this.#running;
  }

  async #loop(handle: StreamHandler): Promise<void> {
    let backoffMs = this.#backoffMs;
    while (!this.#closed) {
      try {
        if (await this.#skipToEnd()) continue;
        const entries = await this.read();
        if (entries.length === 0) continue;
        await handle(entries);
        backoffMs = this.#backoffMs;
      } catch (err) {
        if (this.#closed) break;
        this.#readingPending = true;
        await this.#onError(err, backoffMs);
        await this.#pause(backoffMs);
        backoffMs = Math.min(backoffMs * 2, this.#maxBackoffMs);
      }
    }
  }

  /**
   * While `skipWhile` answers true: moves the group past the stream's last entry instead of
   * reading, then waits `blockMs`. Answers whether it skipped.
   */
  async #skipToEnd(): Promise<boolean> {
    if (!this.#skipWhile || this.#readingPending || !(await this.#skipWhile())) return false;
    const [last] = await this.#redis.xrevrange(this.#stream, '+', '-', 'COUNT', 1);
    if (last) await this.#redis.xgroup('SETID', this.#stream, this.#group, last[0]);
    await this.#pause(this.#blockMs);
    return true;
  }

  /** Waits `ms`, or less when {@link close} is called meanwhile. */
  #pause(ms: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#wake?.(), ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }
}
