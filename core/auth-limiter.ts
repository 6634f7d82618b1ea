import type { Redis } from 'ioredis';
import { AppError, isAppError } from './errors.js';
import type { Logger } from './logger.js';
import { defineLuaCommands } from './lua-commands.js';
import { CORE_COMMANDS } from './redis-commands.js';
import { keyFamily, type KeyLayout } from './redis-keys.js';
import { sha256Hex } from './secret-box.js';

/** Limits of {@link AuthFailureLimiter}. */
export interface AuthLimits {
  /** Failures from one address per window, for one principal or for principals that do not exist. @defaultValue 10 */
  perAddress: number;
  /** Failures for one principal per window, from two addresses or more, before those addresses are refused. @defaultValue 20 */
  perPrincipal: number;
  /** Window length, counted from a counter's first failure. @defaultValue 300000 */
  windowMs: number;
}

/** Where credentials are presented: the send plane (`api`, `smtp`) or the admin plane (`admin`, `console`, the analysts' `sql`). */
export type AuthTransport = 'api' | 'smtp' | 'admin' | 'console' | 'sql';

/** The planes whose failures are counted apart: a stale API key never limits the operator. */
export type AuthPlane = 'send' | 'admin';

/** Who an attempt claims to be: `id` tells principals apart, `display` is safe to show (never a secret). */
export interface AuthPrincipal {
  id: string;
  display: string;
}

/** A limit in force, as `GET /admin/v1/auth-blocks` lists it. */
export interface AuthBlock {
  /** Opaque id, for lifting the block. */
  id: string;
  plane: AuthPlane;
  /** `address`: failures for principals that do not exist; `address-principal`: one address failing one principal; `principal`: one principal failing from several addresses. */
  kind: 'address' | 'address-principal' | 'principal';
  address: string | null;
  principal: string | null;
  failures: number;
  expiresAt: string;
}

/** Failures and refusals counted by this process since it started, by transport. */
export type AuthCounts = Record<'failures' | 'refusals', Record<AuthTransport, number>>;

/** The principal of an API key: its first 16 characters tell Bridges apart; 8 of them are shown. */
export function apiKeyPrincipal(apiKey: string): AuthPrincipal {
  return { id: `api:${apiKey.slice(0, 16)}`, display: `${apiKey.slice(0, 8)}…` };
}

/** The principal of an SMTP login; a username that names no Bridge may be a mistyped secret, so it is shown cut. */
export function smtpPrincipal(username: string, known: boolean): AuthPrincipal {
  const name = username.toLowerCase();
  return { id: `smtp:${name}`, display: known ? name : `${name.slice(0, 3)}… (unknown)` };
}

/** The one principal of the admin plane. */
export const ADMIN_PRINCIPAL: AuthPrincipal = { id: 'admin', display: 'admin token' };

const PLANES: Record<AuthTransport, AuthPlane> = {
  api: 'send',
  smtp: 'send',
  admin: 'admin',
  console: 'admin',
  sql: 'admin',
};
/** How long a clean read of an (address, principal) pair is trusted by this process. */
const CLEAN_TTL_MS = 1000;
const CLEAN_MAX = 10_000;
/**
 * How long an address that authenticated a principal stays exempt from that principal's
 * unchecked refusal: a client that was served before is not taken for a guesser.
 */
const TRUSTED_MS = 24 * 3600_000;
/** How often this process renews the mark of an (address, principal) pair it keeps serving. */
const TRUST_RENEW_MS = 10 * 60_000;

interface BlockRef {
  plane: AuthPlane;
  kind: AuthBlock['kind'];
  address: string | null;
  principal: string | null;
  /** Redis keys of the counter (and, for a principal, its address set). */
  keys: string[];
}

/**
 * Counts failed authentications in Redis (shared by every process), per plane. A valid credential
 * is always served: only failing attempts are refused, with `AUTH_RATE_LIMITED` instead of
 * `INVALID_CREDENTIALS`, once their (address, principal) pair, or their address for principals that
 * do not exist, is over its limit. A principal failing from several addresses past its limit is the
 * one case refused before the credential is checked, and only to the addresses that failed it and
 * never authenticated it, so guessing a Bridge's secret stays limited without locking out its clients.
 */
export class AuthFailureLimiter {
  readonly #clean = new Map<string, number>();
  /** (address, principal) pairs whose trust mark this process wrote, until when it need not renew it. */
  readonly #trusted = new Map<string, number>();
  readonly #counts: AuthCounts = {
    failures: { api: 0, smtp: 0, admin: 0, console: 0, sql: 0 },
    refusals: { api: 0, smtp: 0, admin: 0, console: 0, sql: 0 },
  };

  constructor(
    private readonly redis: Redis,
    private readonly layout: KeyLayout,
    private readonly limits: AuthLimits,
    private readonly logger: Logger,
  ) {
    defineLuaCommands(redis, CORE_COMMANDS);
  }

  /**
   * Runs `verify` for one attempt. `principal` may depend on the failure (an SMTP username is known
   * when the store says so, in `INVALID_CREDENTIALS` details `principalKnown`). Throws
   * `AUTH_RATE_LIMITED` (with `retryAfterS`) when the attempt is refused.
   */
  async guard<T>(
    transport: AuthTransport,
    address: string,
    principal: (known: boolean) => AuthPrincipal,
    verify: () => Promise<T> | T,
  ): Promise<T> {
    const plane = PLANES[transport];
    const id = principal(false).id;
    await this.#refuseGuesser(transport, plane, address, id);
    try {
      const served = await verify();
      this.#trust(plane, address, id);
      return served;
    } catch (err) {
      if (!isAppError(err) || err.code !== 'INVALID_CREDENTIALS') throw err;
      const known = err.details?.principalKnown === true;
      throw await this.#failed(transport, plane, address, principal(known), known, err);
    }
  }

  /** What this process counted, for `/metrics`. */
  counts(): AuthCounts {
    return { failures: { ...this.#counts.failures }, refusals: { ...this.#counts.refusals } };
  }

  /** The limits in force now. */
  async listBlocks(): Promise<AuthBlock[]> {
    const index = await unavailableOnError(this.redis.hgetall(this.#indexKey()));
    const blocks: AuthBlock[] = [];
    for (const [id, json] of Object.entries(index)) {
      const ref = JSON.parse(json) as BlockRef;
      const [failures, ttl, spread] = await this.#read(ref);
      const limit = ref.kind === 'principal' ? this.limits.perPrincipal : this.limits.perAddress;
      if (failures < limit || ttl <= 0 || (ref.kind === 'principal' && spread < 2)) {
        await unavailableOnError(this.redis.hdel(this.#indexKey(), id));
        continue;
      }
      blocks.push({
        id,
        plane: ref.plane,
        kind: ref.kind,
        address: ref.address,
        principal: ref.principal,
        failures,
        expiresAt: new Date(Date.now() + ttl).toISOString(),
      });
    }
    return blocks.sort((x, y) => x.expiresAt.localeCompare(y.expiresAt));
  }

  /** Lifts a block (its failures are forgotten); false when there is no such block. */
  async liftBlock(id: string): Promise<boolean> {
    const json = await unavailableOnError(this.redis.hget(this.#indexKey(), id));
    if (json === null) return false;
    const ref = JSON.parse(json) as BlockRef;
    await unavailableOnError(
      this.redis
        .multi()
        .del(...ref.keys)
        .hdel(this.#indexKey(), id)
        .exec(),
    );
    return true;
  }

  #key(plane: AuthPlane, ...parts: string[]): string {
    // One key family (one slot on a cluster): a check's MULTI reads several of a plane's counters.
    return [keyFamily(this.layout, 'authfail'), plane, ...parts].join(':');
  }

  #keys(plane: AuthPlane, address: string, principalId: string) {
    const p = sha256Hex(principalId).slice(0, 32);
    return {
      pair: this.#key(plane, 'pair', p, address),
      trusted: this.#key(plane, 'ok', p, address),
      principal: this.#key(plane, 'p', p),
      spread: this.#key(plane, 'ps', p),
      address: this.#key(plane, 'a', address),
    };
  }

  #indexKey(): string {
    return `${keyFamily(this.layout, 'authfail')}:blocks`;
  }

  /** Marks `address` as a client of the principal (renewed at most every {@link TRUST_RENEW_MS}). */
  #trust(plane: AuthPlane, address: string, principalId: string): void {
    const memo = `${plane}\0${address}\0${principalId}`;
    const until = this.#trusted.get(memo);
    if (until !== undefined && until > Date.now()) return;
    if (this.#trusted.size >= CLEAN_MAX) this.#trusted.clear();
    this.#trusted.set(memo, Date.now() + TRUST_RENEW_MS);
    // The credential was served already: a lost mark only leaves this address to the usual limits.
    this.redis.set(this.#keys(plane, address, principalId).trusted, '1', 'PX', TRUSTED_MS).catch((err: unknown) => {
      this.#trusted.delete(memo);
      this.logger.warn({ err }, 'authentication trust mark not written');
    });
  }

  /**
   * Refuses, unchecked, an address that failed a principal now failing from several addresses
   * past its limit, unless that address authenticated the principal before.
   */
  async #refuseGuesser(
    transport: AuthTransport,
    plane: AuthPlane,
    address: string,
    principalId: string,
  ): Promise<void> {
    const memo = `${plane}\0${address}\0${principalId}`;
    const cleanUntil = this.#clean.get(memo);
    if (cleanUntil !== undefined && cleanUntil > Date.now()) return;
    const k = this.#keys(plane, address, principalId);
    const r = await unavailableOnError(
      this.redis
        .multi()
        .pttl(k.pair)
        .hget(k.principal, 'failures')
        .scard(k.spread)
        .pttl(k.principal)
        .exists(k.trusted)
        .exec(),
    );
    const [pairTtl, total, spread, principalTtl, trusted] = (r ?? []).map(([, v]) => Number(v ?? 0));
    if ((pairTtl ?? 0) <= 0) {
      if (this.#clean.size >= CLEAN_MAX) this.#clean.clear();
      this.#clean.set(memo, Date.now() + CLEAN_TTL_MS);
      return;
    }
    if ((total ?? 0) >= this.limits.perPrincipal && (spread ?? 0) >= 2 && trusted !== 1) {
      this.#counts.refusals[transport]++;
      throw limited(Math.min(pairTtl ?? 0, principalTtl ?? 0));
    }
  }

  async #failed(
    transport: AuthTransport,
    plane: AuthPlane,
    address: string,
    principal: AuthPrincipal,
    known: boolean,
    failure: AppError,
  ): Promise<AppError> {
    this.#clean.clear();
    this.#counts.failures[transport]++;
    const k = this.#keys(plane, address, principal.id);
    const reply = await unavailableOnError(
      this.redis.authRecordFailure(
        k.pair,
        k.principal,
        k.spread,
        k.address,
        address,
        this.limits.windowMs,
        principal.display,
        known ? '1' : '0',
      ),
    );
    const [pair = 0, pairTtl = 0, total = 0, spread = 0, principalTtl = 0, addr = 0, addrTtl = 0] = (
      reply as unknown[]
    ).map(Number);
    const { perAddress, perPrincipal } = this.limits;
    // Each counter grows by one a call, so exactly one failure sees it reach its limit.
    const ctx = { plane, transport, address, principal: principal.display };
    // For a principal that does not exist the address counter is the limit (it counts at least as
    // many failures); the pair is still counted, for telling which addresses failed a principal.
    const pairLimited = known && pair > perAddress;
    if (known && pair === perAddress)
      await this.#became({ ...ctx, kind: 'address-principal', keys: [k.pair] }, pair, pairTtl);
    if (addr === perAddress)
      await this.#became({ ...ctx, kind: 'address', principal: null, keys: [k.address] }, addr, addrTtl);
    const principalBlocked = total >= perPrincipal && spread >= 2;
    const wasBlocked = total - 1 >= perPrincipal && spread - (pair === 1 ? 1 : 0) >= 2;
    if (principalBlocked && !wasBlocked)
      await this.#became(
        { ...ctx, kind: 'principal', address: null, keys: [k.principal, k.spread] },
        total,
        principalTtl,
      );

    const over = [
      pairLimited ? pairTtl : 0,
      addr > perAddress ? addrTtl : 0,
      wasBlocked ? Math.min(pairTtl, principalTtl) : 0,
    ];
    const ttl = Math.max(...over);
    if (ttl <= 0) return failure;
    this.#counts.refusals[transport]++;
    return limited(ttl);
  }

  /** A counter reached its limit: index it for operators and say so once. */
  async #became(ref: BlockRef & { transport: AuthTransport }, failures: number, ttlMs: number): Promise<void> {
    const { transport, ...stored } = ref;
    const id = sha256Hex(`${this.layout.prefix}\0${ref.keys.join('\0')}`).slice(0, 24);
    await unavailableOnError(
      this.redis
        .multi()
        .hset(this.#indexKey(), id, JSON.stringify(stored))
        .pexpire(this.#indexKey(), this.limits.windowMs)
        .exec(),
    );
    const retryAfterS = Math.max(1, Math.ceil(ttlMs / 1000));
    this.logger.warn(
      {
        blockId: id,
        plane: ref.plane,
        transport,
        kind: ref.kind,
        address: ref.address,
        principal: ref.principal,
        failures,
        retryAfterS,
      },
      'authentication failures limited',
    );
  }

  /** Failures, remaining milliseconds and (for a principal) failing addresses of an indexed counter. */
  async #read(ref: BlockRef): Promise<[number, number, number]> {
    const [counter, spread] = ref.keys;
    if (counter === undefined) return [0, 0, 0];
    if (ref.kind !== 'principal' || spread === undefined) {
      const r = await unavailableOnError(this.redis.multi().get(counter).pttl(counter).exec());
      return [Number(r?.[0]?.[1] ?? 0), Number(r?.[1]?.[1] ?? 0), 0];
    }
    const r = await unavailableOnError(this.redis.multi().hget(counter, 'failures').pttl(counter).scard(spread).exec());
    return [Number(r?.[0]?.[1] ?? 0), Number(r?.[1]?.[1] ?? 0), Number(r?.[2]?.[1] ?? 0)];
  }
}

/** Redis being away is "try again later" for the client (503 / 451), not an internal error. */
async function unavailableOnError<T>(op: Promise<T>): Promise<T> {
  try {
    return await op;
  } catch (err) {
    throw new AppError('SERVICE_UNAVAILABLE', 'authentication limits cannot be checked now; retry later', {
      cause: err,
      retryable: true,
    });
  }
}

function limited(ttlMs: number): AppError {
  const retryAfterS = Math.max(1, Math.ceil(ttlMs / 1000));
  return new AppError('AUTH_RATE_LIMITED', `too many failed authentications; retry in ${retryAfterS} s`, {
    retryable: true,
    details: { retryAfterS },
  });
}
