interface Waiter {
  rollup: string;
  wake: () => void;
}

/**
 * Acquires of this process waiting for a connection slot of a source IP: a slot released here
 * wakes the oldest waiter for the same (IP, rollup), else the oldest for the IP, which tries
 * again at once instead of leaving its job delayed for a fixed time. Slots released by other
 * processes are seen when a wait times out.
 */
export class SlotWaiters {
  readonly #byIp = new Map<string, Waiter[]>();
  /** Slots released per source IP in this process: a refusal older than a release must not wait. */
  readonly #releases = new Map<string, number>();

  /** How many slots of `ip` this process has released so far; pass it to {@link wait}. */
  releasesOf(ip: string): number {
    return this.#releases.get(ip) ?? 0;
  }

  /**
   * Resolves when {@link wake} picks this waiter, or after `ms`; at once when a slot of `ip` was
   * released since `releasesSeen` was read (the refusal may predate that release, whose wake-up
   * found no waiter yet).
   */
  wait(ip: string, rollup: string, ms: number, releasesSeen: number): Promise<void> {
    if (this.releasesOf(ip) !== releasesSeen) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.#byIp.get(ip) ?? [];
      this.#byIp.set(ip, waiters);
      const waiter: Waiter = {
        rollup,
        wake: () => {
          clearTimeout(timer);
          const at = waiters.indexOf(waiter);
          if (at >= 0) waiters.splice(at, 1);
          if (waiters.length === 0 && this.#byIp.get(ip) === waiters) this.#byIp.delete(ip);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, ms);
      waiters.push(waiter);
    });
  }

  /** A slot of `ip` towards `rollup` came free: one waiter tries again. */
  wake(ip: string, rollup: string): void {
    this.#releases.set(ip, this.releasesOf(ip) + 1);
    const waiters = this.#byIp.get(ip);
    (waiters?.find((w) => w.rollup === rollup) ?? waiters?.[0])?.wake();
  }
}
