import type { Redis } from 'ioredis';
import { AppError } from './errors.js';
import { sha256Hex } from './secret-box.js';

/** How long a key is remembered (RFC draft "Idempotency-Key" practice, Stripe/Postmark alike). @defaultValue 24 h */
export const IDEMPOTENCY_TTL_S = 24 * 3600;

interface Record_ {
  fingerprint: string;
  state: 'pending' | 'done';
  messageId?: string;
}

/** How long a claim stays pending before a retry may take the key over. */
const PENDING_TTL_S = 60;

/** Outcome of {@link IdempotencyKeys.begin}. */
export type IdempotencyStart = { kind: 'new' } | { kind: 'replay'; messageId: string };

/**
 * Remembers, per Bridge, which idempotency keys were used for which request (by fingerprint) and
 * the message id they produced, in Redis for 24 h. The same key with the same request replays the
 * first answer; with a different request it is refused (`IDEMPOTENCY_KEY_REUSED`).
 */
export class IdempotencyKeys {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlS = IDEMPOTENCY_TTL_S,
  ) {}

  #key(bridgeId: string, key: string): string {
    return `${this.prefix}:idem:${bridgeId}:${sha256Hex(key)}`;
  }

  /** Validates a client-chosen key (1–255 printable ASCII characters). */
  static check(key: string, field: string): string {
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw new AppError('VALIDATION_FAILED', `${field}: 1 to 255 printable ASCII characters`, { field });
    }
    return key;
  }

  /** Claims the key for this request, or tells what the first request with it got. */
  async begin(bridgeId: string, key: string, fingerprint: string): Promise<IdempotencyStart> {
    const redisKey = this.#key(bridgeId, key);
    const fresh: Record_ = { fingerprint, state: 'pending' };
    // A claim lives only as long as queueing may take: a crash before `complete` frees the key soon.
    const claimed = await this.redis.set(redisKey, JSON.stringify(fresh), 'EX', PENDING_TTL_S, 'NX');
    if (claimed === 'OK') return { kind: 'new' };
    const existing = JSON.parse((await this.redis.get(redisKey)) ?? 'null') as Record_ | null;
    if (!existing) return this.begin(bridgeId, key, fingerprint);
    if (existing.fingerprint !== fingerprint) {
      throw new AppError('IDEMPOTENCY_KEY_REUSED', 'this idempotency key was used for a different message');
    }
    if (existing.state === 'done' && existing.messageId) return { kind: 'replay', messageId: existing.messageId };
    throw new AppError('IDEMPOTENCY_IN_PROGRESS', 'a request with this idempotency key is still being processed; retry shortly', {
      retryable: true,
      details: { retryAfterS: 1 },
    });
  }

  /** Records the message id the request produced. */
  async complete(bridgeId: string, key: string, fingerprint: string, messageId: string): Promise<void> {
    const done: Record_ = { fingerprint, state: 'done', messageId };
    await this.redis.set(this.#key(bridgeId, key), JSON.stringify(done), 'EX', this.ttlS);
  }

  /** Forgets a claim whose request failed before anything was queued, so the client may retry. */
  async abandon(bridgeId: string, key: string): Promise<void> {
    await this.redis.del(this.#key(bridgeId, key));
  }
}
