import type { Logger } from '../../core/index.js';

/** Something started that stops with `close()`. */
export interface Closable {
  close(): Promise<unknown>;
}

/**
 * How long one part may take to close before the stack goes on without it (as the delivery host
 * does with its threads): a worker waiting on a Redis node that died must not keep the process, or
 * the engines below it, open for ever. A job left running is taken up again by the next worker.
 */
export const CLOSE_PART_TIMEOUT_MS = 30_000;

/**
 * What one starter has started so far, stopped in reverse order of start: a part closes before
 * the parts it was built on (a listener before the queues it feeds, the queues before Redis). A
 * failing close is logged and the others still run, and so is a close that takes longer than
 * `timeoutMs`, so one stuck part never leaves the rest open. Each starter keeps its own stack and
 * hands out only its `close()`.
 */
export class CloseStack {
  private readonly closers: (() => unknown)[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs = CLOSE_PART_TIMEOUT_MS,
  ) {}

  /** Registers `part` to be closed with the stack and returns it. */
  own<T extends Closable>(part: T): T {
    this.closers.push(() => part.close());
    return part;
  }

  /** Registers a stop action that is not a `close()` method (a timer, a subscription, a lock). */
  defer(stop: () => unknown): void {
    this.closers.push(stop);
  }

  /** Closes every registered part, newest first; a second call finds nothing left to close. */
  async close(): Promise<void> {
    const closers = this.closers.splice(0).reverse();
    for (const [index, stop] of closers.entries()) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timed out'>((resolve) => {
        timer = setTimeout(() => resolve('timed out'), this.timeoutMs);
      });
      try {
        const outcome = await Promise.race([Promise.resolve(stop()), timedOut]);
        if (outcome === 'timed out') {
          // The part's position counts from the last one started (0), as the stack closes them.
          this.logger.error({ part: index, timeoutMs: this.timeoutMs }, 'a part did not close in time; going on');
        }
      } catch (err) {
        this.logger.warn({ err }, 'error while stopping');
      } finally {
        clearTimeout(timer);
      }
    }
  }
}

/**
 * Runs a starter with a fresh {@link CloseStack}: when `start` throws midway, what it had started
 * is closed before the error goes on; when it succeeds, the result's `close()` closes the stack.
 */
export async function startOwning<T extends object>(
  logger: Logger,
  start: (stack: CloseStack) => Promise<T>,
  timeoutMs = CLOSE_PART_TIMEOUT_MS,
): Promise<T & { close(): Promise<void> }> {
  const stack = new CloseStack(logger, timeoutMs);
  try {
    const started = await start(stack);
    return { ...started, close: () => stack.close() };
  } catch (err) {
    await stack.close();
    throw err;
  }
}
