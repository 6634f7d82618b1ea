import type { Logger } from '../../core/index.js';

/** Something started that stops with `close()`. */
export interface Closable {
  close(): Promise<unknown>;
}

/**
 * What one starter has started so far, stopped in reverse order of start: a part closes before
 * the parts it was built on (a listener before the queues it feeds, the queues before Redis). A
 * failing close is logged and the others still run, so one stuck part never leaves the rest open.
 * Each starter keeps its own stack and hands out only its `close()`.
 */
export class CloseStack {
  private readonly closers: (() => unknown)[] = [];

  constructor(private readonly logger: Logger) {}

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
    for (const stop of closers) {
      try {
        await stop();
      } catch (err) {
        this.logger.warn({ err }, 'error while stopping');
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
): Promise<T & { close(): Promise<void> }> {
  const stack = new CloseStack(logger);
  try {
    const started = await start(stack);
    return { ...started, close: () => stack.close() };
  } catch (err) {
    await stack.close();
    throw err;
  }
}
