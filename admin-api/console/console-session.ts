import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** Name of the console's session cookie. */
export const SESSION_COOKIE = 'bm_session';

/** Request header that carries the CSRF token on every console change. */
export const CSRF_HEADER = 'x-csrf-token';

/** A verified console session. */
export interface ConsoleSession {
  /** Random id of the session (the CSRF token is bound to it). */
  id: string;
  /** When the session ends (ms since the epoch). */
  expiresAt: number;
  /** The account token it was opened with; absent: the operator's (admin token). */
  tokenId?: string;
}

/**
 * Stateless console sessions: the cookie holds `v1.<expiry>.<id>.<mac>` (the operator's) or
 * `v2.<expiry>.<id>.<tokenId>.<mac>` (an account token's, checked against the store on every call
 * so a revoked token ends its sessions), an HMAC under a key derived
 * from the admin token, so any admin process can check it and rotating the admin token ends every
 * session. The CSRF token is a second HMAC of the session id (synchroniser token without server
 * state); the browser reads it from `GET /console/api/session` and sends it in {@link CSRF_HEADER}.
 */
export class ConsoleSessions {
  readonly #key: Buffer;

  /**
   * @param adminToken - the admin token; sessions are bound to it
   * @param ttlMs - session lifetime @defaultValue 12 hours
   */
  constructor(
    adminToken: string,
    readonly ttlMs: number = 12 * 3600 * 1000,
  ) {
    this.#key = Buffer.from(hkdfSync('sha256', adminToken, Buffer.alloc(0), 'bridgemail console sessions v1', 32));
  }

  /** Opens a new session (an account token's with `tokenId`); returns the cookie value and the session. */
  issue(now = Date.now(), tokenId?: string): { cookie: string; session: ConsoleSession } {
    const id = randomBytes(18).toString('base64url');
    const expiresAt = now + this.ttlMs;
    const body = tokenId === undefined ? `v1.${expiresAt}.${id}` : `v2.${expiresAt}.${id}.${tokenId}`;
    const session: ConsoleSession = tokenId === undefined ? { id, expiresAt } : { id, expiresAt, tokenId };
    return { cookie: `${body}.${this.#mac(body)}`, session };
  }

  /** Checks a cookie value; the session when it is genuine and not expired. */
  verify(cookie: string | undefined, now = Date.now()): ConsoleSession | undefined {
    if (!cookie || cookie.length > 300) return undefined;
    const parts = cookie.split('.');
    const v2 = parts[0] === 'v2' && parts.length === 5;
    if (!v2 && (parts.length !== 4 || parts[0] !== 'v1')) return undefined;
    const mac = parts.pop() ?? '';
    if (!this.#equal(mac, this.#mac(parts.join('.')))) return undefined;
    const [, expiry = '', id = '', tokenId] = parts;
    const expiresAt = Number(expiry);
    if (!Number.isSafeInteger(expiresAt) || expiresAt <= now) return undefined;
    return tokenId === undefined ? { id, expiresAt } : { id, expiresAt, tokenId };
  }

  /** The CSRF token of a session. */
  csrfToken(session: ConsoleSession): string {
    return this.#mac(`csrf.${session.id}`);
  }

  /** Whether `token` is the CSRF token of `session` (constant time). */
  checkCsrf(session: ConsoleSession, token: string | undefined): boolean {
    return token !== undefined && this.#equal(token, this.csrfToken(session));
  }

  #mac(text: string): string {
    return createHmac('sha256', this.#key).update(text).digest('base64url');
  }

  #equal(a: string, b: string): boolean {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
  }
}
