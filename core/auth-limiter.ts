import type { Redis } from 'ioredis';
import { AppError } from './errors.js';
import { sha256Hex } from './secret-box.js';

/** Limits of {@link AuthFailureLimiter}. */
export interface AuthLimits {
  /** Failures from one source address per window before it is refused. @defaultValue 10 */
  perAddress: number;
  /** Failures for one username / key prefix per window before clients that failed are refused. @defaultValue 20 */
  perPrincipal: number;
  /** Window length. @defaultValue 300000 */
  windowMs: number;
}

/**
 * How long a clean read of an address is trusted. Failures recorded by this process apply at
 * once; failures recorded by another ingress process apply here within this delay.
 */
const CLEAN_ADDRESS_TTL_MS = 1000;
/** Most addresses remembered as clean (the map is emptied when full). */
const CLEAN_ADDRESSES_MAX = 10_000;

/**
 * Counts failed authentications in Redis (shared by every ingress process), per source address and
 * per principal (SMTP username, API key prefix). An address over its limit is refused outright.
 * A principal over its limit is refused only to addresses that themselves failed in the window,
 * so guessing a Bridge's password cannot lock that Bridge out for its real, well-behaved clients.
 */
export class AuthFailureLimiter {
  /**
   * Addresses seen with no failure in the window, until when this process skips re-reading them
   * (see {@link CLEAN_ADDRESS_TTL_MS}). Emptied by every failure this process records.
   */
  readonly #clean = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limits: AuthLimits,
  ) {}

  #addressKey(address: string): string {
    return `${this.prefix}:authfail:addr:${address}`;
  }

  #principalKey(scope: string, principal: string): string {
    return `${this.prefix}:authfail:${scope}:${sha256Hex(principal).slice(0, 32)}`;
  }

  /** Throws `AUTH_RATE_LIMITED` (with `retryAfterS`) when this attempt must be refused unchecked. */
  async check(scope: string, address: string, principal: string): Promise<void> {
    // An address without failures is never refused (the principal limit needs both), so a recent
    // clean read of it stands in for the Redis round trip of every request of a busy client.
    const cleanUntil = this.#clean.get(address);
    if (cleanUntil !== undefined && cleanUntil > Date.now()) return;
    const [addr, pri] = await unavailableOnError(this.redis
      .multi()
      .get(this.#addressKey(address))
      .pttl(this.#addressKey(address))
      .get(this.#principalKey(scope, principal))
      .pttl(this.#principalKey(scope, principal))
      .exec()
      .then((r) => [[Number(r?.[0]?.[1] ?? 0), Number(r?.[1]?.[1] ?? 0)], [Number(r?.[2]?.[1] ?? 0), Number(r?.[3]?.[1] ?? 0)]] as const));
    const [addrFailures, addrTtl] = addr;
    const [principalFailures, principalTtl] = pri;
    if (addrFailures === 0) this.#rememberClean(address);
    if (addrFailures >= this.limits.perAddress) throw limited(addrTtl);
    if (principalFailures >= this.limits.perPrincipal && addrFailures > 0) throw limited(principalTtl);
  }

  #rememberClean(address: string): void {
    if (this.#clean.size >= CLEAN_ADDRESSES_MAX) this.#clean.clear();
    this.#clean.set(address, Date.now() + CLEAN_ADDRESS_TTL_MS);
  }

  /** Records one failed attempt. */
  async recordFailure(scope: string, address: string, principal: string): Promise<void> {
    this.#clean.clear();
    const window = this.limits.windowMs;
    const multi = this.redis.multi();
    for (const key of [this.#addressKey(address), this.#principalKey(scope, principal)]) {
      multi.set(key, 0, 'PX', window, 'NX').incr(key);
    }
    await unavailableOnError(multi.exec());
  }
}

/** Redis being away is "try again later" for the client (503 / 451), not an internal error. */
async function unavailableOnError<T>(op: Promise<T>): Promise<T> {
  try {
    return await op;
  } catch (err) {
    throw new AppError('SERVICE_UNAVAILABLE', 'authentication limits cannot be checked now; retry later', { cause: err, retryable: true });
  }
}

function limited(ttlMs: number): AppError {
  const retryAfterS = Math.max(1, Math.ceil(ttlMs / 1000));
  return new AppError('AUTH_RATE_LIMITED', `too many failed authentications; retry in ${retryAfterS} s`, {
    retryable: true,
    details: { retryAfterS },
  });
}
