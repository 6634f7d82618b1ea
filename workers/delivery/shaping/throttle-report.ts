import type { Redis } from 'ioredis';
import type { Logger } from '../../../core/index.js';
import { SHAPING_REASONS, type ShapingReason } from './shaping-reasons.js';

/** Refusals of one (IP, rollup) pair for one reason, counted by every process sharing the Redis. */
export interface ThrottleCount {
  ip: string;
  rollup: string;
  reason: ShapingReason;
  count: number;
}

/** A pair refused again within this time is still in the same throttling episode (logged once). */
const QUIET_MS = 60_000;
/** A counter outlives a week without refusals, then starts again from zero. */
const COUNT_TTL_MS = 7 * 24 * 3_600_000;
/** Pairs remembered before the ones quiet for longer than {@link QUIET_MS} are forgotten. */
const MAX_PAIRS = 10_000;
const countKey = (prefix: string) => `${prefix}:shaping:throttled`;

/**
 * Reports the shaper's refusals: counted in Redis per (IP, rollup, reason) for the metrics
 * endpoint of any process, logged at `info` when a pair starts being throttled (no refusal for a
 * minute before) and at `debug` for every refusal after that, so a throttled backlog does not
 * write a line per job at the default level.
 */
export class ThrottleReport {
  /** Last refusal (ms) per (IP, rollup) pair. */
  readonly #lastRefusal = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger | undefined,
  ) {}

  /** Counts and logs one refusal of a send from `ip` to `rollup`. */
  record(ip: string, rollup: string, refusal: { reason: ShapingReason; retryInMs: number }): void {
    const key = countKey(this.prefix);
    this.redis
      .multi()
      .hincrby(key, `${ip} ${rollup} ${refusal.reason}`, 1)
      .pexpire(key, COUNT_TTL_MS)
      .exec()
      .catch((err: unknown) => this.logger?.warn({ err }, 'shaping refusal not counted'));
    const pair = `${ip} ${rollup}`;
    const now = Date.now();
    const last = this.#lastRefusal.get(pair);
    if (last === undefined && this.#lastRefusal.size >= MAX_PAIRS) {
      for (const [p, at] of this.#lastRefusal) if (now - at > QUIET_MS) this.#lastRefusal.delete(p);
    }
    this.#lastRefusal.set(pair, now);
    const fields = { ip, rollup, reason: refusal.reason, retryInMs: refusal.retryInMs };
    if (last === undefined || now - last > QUIET_MS) this.logger?.info(fields, 'shaping started throttling');
    else this.logger?.debug(fields, 'shaping throttled');
  }
}

/** Refusals counted under `prefix`, per (IP, rollup, reason), by every {@link ThrottleReport}. */
export async function readThrottleCounts(redis: Redis, prefix: string): Promise<ThrottleCount[]> {
  const counts = await redis.hgetall(countKey(prefix));
  return Object.entries(counts).flatMap(([field, count]) => {
    const [ip = '', rollup = '', reason] = field.split(' ');
    const known = SHAPING_REASONS.find((r) => r === reason);
    return known ? [{ ip, rollup, reason: known, count: Number(count) }] : [];
  });
}
