import type { Redis, Result } from 'ioredis';
import { z } from 'zod';
import { AppError } from './errors.js';
import { defineLuaCommands } from './lua-commands.js';
import { CORE_COMMANDS } from './redis-commands.js';
import { keyFamily, type KeyLayout } from './redis-keys.js';

/** Whose messages a limiter counts together: one Bridge's, or all of an account's Bridges'. */
export type LimitKind = 'bridge' | 'account';
/** The key family of a kind's windows and refusals (one slot on a cluster). */
const familyOf = (layout: KeyLayout, kind: LimitKind) => keyFamily(layout, `${kind}-limits`);

/** The sending limits a Bridge may have, each a number of messages per fixed window. */
export const BRIDGE_LIMIT_NAMES = ['perSecond', 'perMinute', 'perHour', 'perDay'] as const;

/** One of {@link BRIDGE_LIMIT_NAMES}. */
export type BridgeLimitName = (typeof BRIDGE_LIMIT_NAMES)[number];

/** Length of each limit's window, ms. */
export const BRIDGE_LIMIT_WINDOW_MS: Readonly<Record<BridgeLimitName, number>> = {
  perSecond: 1000,
  perMinute: 60_000,
  perHour: 3_600_000,
  perDay: 86_400_000,
};

const limitValue = z
  .number({ error: 'must be a positive integer (messages per window)' })
  .int('must be a positive integer (messages per window)')
  .positive('must be a positive integer (messages per window)')
  .max(1_000_000_000, 'must be at most 1000000000');

/** The `limits` of a Bridge as the admin API takes it: any of the four windows, unknown keys refused. */
export const bridgeLimitsSchema = z
  .strictObject({
    perSecond: limitValue.optional().describe('Most messages accepted per second (fixed windows)'),
    perMinute: limitValue.optional().describe('Most messages accepted per minute'),
    perHour: limitValue.optional().describe('Most messages accepted per hour'),
    perDay: limitValue.optional().describe('Most messages accepted per UTC day'),
  })
  .describe('Sending limits enforced at ingress (REST 429, SMTP 452); `{}` or null: none');

/** A Bridge's sending limits; an absent window is unlimited. */
export type BridgeLimits = z.infer<typeof bridgeLimitsSchema>;

/** The limits stored, or null when none is set (so `{}` and null mean the same). */
export function normalizeBridgeLimits(limits: BridgeLimits | null | undefined): BridgeLimits | null {
  if (!limits) return null;
  const out: BridgeLimits = {};
  for (const name of BRIDGE_LIMIT_NAMES) if (limits[name] !== undefined) out[name] = limits[name];
  return Object.keys(out).length > 0 ? out : null;
}

/** One window of {@link BridgeUsage}. */
export interface BridgeWindowUsage {
  limit: BridgeLimitName;
  max: number;
  /** Messages accepted in the current window. */
  used: number;
  /** When the current window ends, ISO 8601. */
  resetsAt: string;
}

/** A Bridge's usage against its limits, and its refusals. */
export interface BridgeUsage {
  limits: BridgeLimits | null;
  windows: BridgeWindowUsage[];
  /** Messages refused for a limit: all time (as long as Redis keeps the counter), today (UTC), per limit. */
  rateLimited: { total: number; today: number; byLimit: Partial<Record<BridgeLimitName, number>> };
}

/** Refusals of one Bridge for one limit, counted by every ingress process. */
export interface BridgeRefusalCount {
  bridgeId: string;
  limit: BridgeLimitName;
  count: number;
}

/** Daily refusal counts are kept this long (stats ranges reach back that far). */
const DAILY_RETENTION_MS = 400 * 86_400_000;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** `lua/bridgeLimitTake-3.lua`: takes `count` from every limit of a Bridge, all or none. */
    bridgeLimitTake(
      countsKey: string,
      totalsKey: string,
      dailyKey: string,
      bridgeId: string,
      perSecond: number,
      perMinute: number,
      perHour: number,
      perDay: number,
      count: number,
      retentionMs: number,
    ): Result<[number, number] | [number, string, number, number], Context>;
    /** `lua/bridgeLimitRefund-1.lua`: gives back messages whose acceptance failed. */
    bridgeLimitRefund(countsKey: string, atMs: number, count: number): Result<number, Context>;
  }
}

/**
 * Per-Bridge sending limits, counted in Redis so every ingress process enforces one limit together.
 * A message is counted when its acceptance is decided (after validation, just before the queue) and
 * given back when acceptance then fails, so nothing accepted is ever dropped for a limit, and a
 * refused message was never accepted. One Redis round trip per message; none without limits.
 */
export class BridgeLimiter {
  // One key family per kind (one slot on a cluster): the take script touches a Bridge's keys and the totals.
  readonly #family = () => familyOf(this.layout, this.kind);
  readonly #countsKey = (bridgeId: string) => `${this.#family()}:${bridgeId}`;
  readonly #dailyKey = (bridgeId: string) => `${this.#family()}:${bridgeId}:refused`;
  readonly #totalsKey = () => `${this.#family()}:refused`;

  /**
   * @param limitsOf the Bridge's limits, cached in process (the Bridge auth cache, invalidated on change)
   * @param kind `account`: the same limits kept per account (over all of its Bridges), under keys of their own
   * @defaultValue kind 'bridge'
   */
  constructor(
    private readonly redis: Redis,
    private readonly layout: KeyLayout,
    private readonly limitsOf: (bridgeId: string) => Promise<BridgeLimits | null>,
    private readonly kind: LimitKind = 'bridge',
  ) {
    defineLuaCommands(redis, CORE_COMMANDS);
  }

  /**
   * Runs `accept` if the Bridge (or account, by its id) is within its limits, counting the message;
   * throws `BRIDGE_RATE_LIMITED` (details `limit`, `retryAfterS`) otherwise, without running it.
   * `known`: the limits, when the caller already has them (`limitsOf` is then not asked).
   */
  async guard<T>(bridgeId: string, accept: () => Promise<T>, known?: BridgeLimits | null): Promise<T> {
    const limits = known === undefined ? await this.limitsOf(bridgeId) : known;
    if (!limits) return accept();
    const [ok, ...rest] = await this.redis.bridgeLimitTake(
      this.#countsKey(bridgeId),
      this.#totalsKey(),
      this.#dailyKey(bridgeId),
      bridgeId,
      limits.perSecond ?? 0,
      limits.perMinute ?? 0,
      limits.perHour ?? 0,
      limits.perDay ?? 0,
      1,
      DAILY_RETENTION_MS,
    );
    if (ok !== 1) {
      const [limit, waitMs, max] = rest as [string, number, number];
      const retryAfterS = Math.max(1, Math.ceil(waitMs / 1000));
      throw new AppError(
        'BRIDGE_RATE_LIMITED',
        `this ${this.kind === 'bridge' ? "Bridge's" : "account's"} ${limit} sending limit (${max} messages) is reached; ` +
          `retry in ${retryAfterS} s`,
        { details: { limit, retryAfterS }, retryable: true },
      );
    }
    const at = rest[0] as number;
    try {
      return await accept();
    } catch (err) {
      // Not accepted: the message is not counted. Best effort; a lost refund only over-counts.
      await this.redis.bridgeLimitRefund(this.#countsKey(bridgeId), at, 1).catch(() => undefined);
      throw err;
    }
  }

  /** The Bridge's counts in the current windows of its limits, and its refusals. */
  async usage(bridgeId: string, limits: BridgeLimits | null): Promise<BridgeUsage> {
    const [time, counts, daily, totals] = await Promise.all([
      this.redis.time(),
      this.redis.hgetall(this.#countsKey(bridgeId)),
      this.redis.hgetall(this.#dailyKey(bridgeId)),
      this.redis.hgetall(this.#totalsKey()),
    ]);
    const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    const windows: BridgeWindowUsage[] = [];
    for (const limit of BRIDGE_LIMIT_NAMES) {
      const max = limits?.[limit];
      if (max === undefined) continue;
      const size = BRIDGE_LIMIT_WINDOW_MS[limit];
      const window = Math.floor(now / size);
      const used = Number(counts[`${limit}:w`]) === window ? Number(counts[`${limit}:n`] ?? 0) : 0;
      windows.push({ limit, max, used, resetsAt: new Date((window + 1) * size).toISOString() });
    }
    const byLimit: Partial<Record<BridgeLimitName, number>> = {};
    let total = 0;
    for (const limit of BRIDGE_LIMIT_NAMES) {
      const n = Number(totals[`${bridgeId} ${limit}`] ?? 0);
      if (n > 0) byLimit[limit] = n;
      total += n;
    }
    const today = Number(daily[String(Math.floor(now / 86_400_000))] ?? 0);
    return { limits, windows, rateLimited: { total, today, byLimit } };
  }

  /** Messages of the Bridge refused for a limit on the UTC days from `from` to `to` (inclusive). */
  async refusedBetween(bridgeId: string, from: Date, to: Date): Promise<number> {
    const daily = await this.redis.hgetall(this.#dailyKey(bridgeId));
    const first = Math.floor(from.getTime() / 86_400_000);
    const last = Math.floor(to.getTime() / 86_400_000);
    let n = 0;
    for (const [day, count] of Object.entries(daily)) if (+day >= first && +day <= last) n += Number(count);
    return n;
  }
}

/**
 * Refusals per limit of every Bridge (or, with kind `account`, every account: then `bridgeId` is the
 * account's id), counted in Redis under the layout's prefix (for the metrics endpoint).
 */
export async function readBridgeRefusals(
  redis: Redis,
  layout: KeyLayout,
  kind: LimitKind = 'bridge',
): Promise<BridgeRefusalCount[]> {
  const totals = await redis.hgetall(`${familyOf(layout, kind)}:refused`);
  return Object.entries(totals).flatMap(([field, count]) => {
    const [bridgeId = '', name] = field.split(' ');
    const limit = BRIDGE_LIMIT_NAMES.find((l) => l === name);
    return limit ? [{ bridgeId, limit, count: Number(count) }] : [];
  });
}
