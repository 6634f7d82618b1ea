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
 * Counts failed authentications in Redis (shared by every ingress process), per source address and
 * per principal (SMTP username, API key prefix). An address over its limit is refused outright.
 * A principal over its limit is refused only to addresses that themselves failed in the window,
 * so guessing a Bridge's password cannot lock that Bridge out for its real, well-behaved clients.
 */
export class AuthFailureLimiter {
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
    if (addrFailures >= this.limits.perAddress) throw limited(addrTtl);
    if (principalFailures >= this.limits.perPrincipal && addrFailures > 0) throw limited(principalTtl);
  }

  /** Records one failed attempt. */
  async recordFailure(scope: string, address: string, principal: string): Promise<void> {
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
