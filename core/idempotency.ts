import type { Redis } from 'ioredis';
import { AppError } from './errors.js';
import { defineLuaCommands } from './lua-commands.js';
import { CORE_COMMANDS } from './redis-commands.js';
import { sha256Hex } from './secret-box.js';

/** How long a key is remembered (RFC draft "Idempotency-Key" practice, Stripe/Postmark alike). @defaultValue 24 h */
export const IDEMPOTENCY_TTL_S = 24 * 3600;

/** An idempotency key's record in Redis (JSON): whose claim it is and how far its message got. */
interface StoredClaim {
  fingerprint: string;
  state: 'pending' | 'done';
  /** The message the claim is for: chosen before anything is queued. */
  messageId: string;
  /** Pending claims: until when (ms) the request that made it is presumed alive. */
  until?: number;
  /** Set by the worker that first took the message up: it was queued, whatever the ingress did. */
  taken?: boolean;
}

/** How long a pending claim holds before a retry may take the key over (if its message was never queued). */
const PENDING_MS = 60_000;

/** Outcome of {@link IdempotencyKeys.begin}: `ref` goes into the job so the worker can mark the claim taken. */
export type IdempotencyStart =
  | { kind: 'new'; ref: string }
  /** `claimedAt` (ms): set when this call found the message queued under a claim its request never settled (it died). */
  | { kind: 'replay'; messageId: string; claimedAt?: number };

/** What a claim needs: the message id it will queue, and how to tell whether a message was queued. */
export interface IdempotencyClaim {
  messageId: string;
  /** True when the message's queue job exists (waiting, delayed, active or finished). */
  isQueued: (messageId: string) => Promise<boolean>;
}

/**
 * Remembers, per Bridge, which idempotency keys were used for which request (by fingerprint) and
 * the message id they produced, in Redis for 24 h. The same key with the same request replays the
 * first answer; with a different request it is refused (`IDEMPOTENCY_KEY_REUSED`).
 *
 * Crash safety: the claim names its message id before the job is queued, and the job carries the
 * claim's key (`ref`), so the worker that first takes the message up marks the claim `taken`. A
 * retry that finds a claim still pending asks whether it was taken or its job exists: if so it replays that
 * id (the first request died after queueing); if not, and the claim is older than a minute, the
 * retry takes the key over (it died before). Whoever settles a pending claim as done, the ingress
 * after queueing or such a retry, is the one that publishes the message's `queued` events.
 */
export class IdempotencyKeys {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlS = IDEMPOTENCY_TTL_S,
    private readonly pendingMs = PENDING_MS,
  ) {
    defineLuaCommands(redis, CORE_COMMANDS);
  }

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
  async begin(bridgeId: string, key: string, fingerprint: string, claim: IdempotencyClaim): Promise<IdempotencyStart> {
    const ref = this.#key(bridgeId, key);
    const fresh = JSON.stringify({
      fingerprint,
      state: 'pending',
      messageId: claim.messageId,
      until: Date.now() + this.pendingMs,
    } satisfies StoredClaim);
    for (let tries = 0; tries < 5; tries++) {
      if ((await this.redis.set(ref, fresh, 'EX', this.ttlS, 'NX')) === 'OK') return { kind: 'new', ref };
      const raw = await this.redis.get(ref);
      if (raw === null) continue;
      const existing = JSON.parse(raw) as StoredClaim;
      if (existing.fingerprint !== fingerprint) {
        throw new AppError('IDEMPOTENCY_KEY_REUSED', 'this idempotency key was used for a different message');
      }
      if (existing.state === 'done') return { kind: 'replay', messageId: existing.messageId };
      if (existing.taken === true || (await claim.isQueued(existing.messageId))) {
        // Only the call that settles it reports the recovery (concurrent retries just replay).
        if (await this.settle(ref, existing.messageId)) {
          return {
            kind: 'replay',
            messageId: existing.messageId,
            claimedAt: (existing.until ?? this.pendingMs) - this.pendingMs,
          };
        }
        return { kind: 'replay', messageId: existing.messageId };
      }
      if ((existing.until ?? 0) > Date.now()) {
        throw new AppError(
          'IDEMPOTENCY_IN_PROGRESS',
          'a request with this idempotency key is still being processed; retry shortly',
          {
            retryable: true,
            details: { retryAfterS: 1 },
          },
        );
      }
      // Stale and nothing queued: the request that claimed it died before queueing.
      if ((await this.redis.idempotencyReplaceIfUnchanged(ref, raw, fresh, this.ttlS)) === 1)
        return { kind: 'new', ref };
    }
    throw new AppError(
      'IDEMPOTENCY_IN_PROGRESS',
      'a request with this idempotency key is still being processed; retry shortly',
      {
        retryable: true,
        details: { retryAfterS: 1 },
      },
    );
  }

  /**
   * Records that the claim's message is queued (the ingress, once the job is in Redis). False when
   * a retry has already settled it (and published the `queued` events in its place).
   */
  async complete(ref: string, messageId: string): Promise<boolean> {
    return this.settle(ref, messageId);
  }

  /** Marks the claim `ref` done if it is still pending for `messageId`. True when it changed. */
  async settle(ref: string, messageId: string): Promise<boolean> {
    return (await this.redis.idempotencyUpdatePending(ref, messageId, 'done')) === 1;
  }

  /**
   * Marks a pending claim as taken up (the worker, on its first pass over the message): a retry
   * then knows it was queued even once its job is gone. True when it changed.
   */
  async take(ref: string, messageId: string): Promise<boolean> {
    return (await this.redis.idempotencyUpdatePending(ref, messageId, 'taken')) === 1;
  }

  /** Forgets a claim whose request failed before anything was queued, so the client may retry. */
  async abandon(ref: string, messageId: string): Promise<void> {
    await this.redis.idempotencyAbandon(ref, messageId);
  }
}
