import type { BridgeLimits } from './bridge-limiter.js';
import { AppError } from './errors.js';
import { sha256Hex } from './secret-box.js';
import type { AuthenticatedBridge, BridgeAuthState, Transport } from './domain.js';
import { deletedBridgeCredentials, type BridgeStore } from './store/index.js';

/** Options of {@link BridgeAuthCache}. */
export interface BridgeAuthCacheOptions {
  /** Longest life of a cached entry, a backstop should an invalidation be missed. @defaultValue 30000 */
  ttlMs?: number;
  /** Most cached credentials. @defaultValue 10000 */
  maxEntries?: number;
}

interface Entry<T> {
  value: T;
  at: number;
}

/**
 * Caches successful authentications and Bridge credential states in process, so SMTP AUTH and
 * API calls do not decrypt secrets on every request. Every change to a Bridge is announced on
 * the control channel and {@link invalidate}s its entries in every process, so a rotation,
 * revocation or deletion is honoured at once; {@link assertCurrent} lets long-lived SMTP
 * sessions notice it on their next command.
 */
export class BridgeAuthCache {
  readonly #store: Pick<BridgeStore, 'authenticateApiKey' | 'authenticateSmtp' | 'getAuthState'>;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #credentials = new Map<string, Entry<AuthenticatedBridge & { transport: Transport }>>();
  readonly #states = new Map<string, Entry<BridgeAuthState>>();

  constructor(
    store: Pick<BridgeStore, 'authenticateApiKey' | 'authenticateSmtp' | 'getAuthState'>,
    options: BridgeAuthCacheOptions = {},
  ) {
    this.#store = store;
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  /** Authenticates an API key (cached by its hash). */
  authenticateApiKey(apiKey: string): Promise<AuthenticatedBridge> {
    return this.#authenticate('api', sha256Hex(`api\0${apiKey}`), () => this.#store.authenticateApiKey(apiKey));
  }

  /** Authenticates SMTP credentials (cached by a hash of both). */
  authenticateSmtp(username: string, password: string): Promise<AuthenticatedBridge> {
    return this.#authenticate('smtp', sha256Hex(`smtp\0${username}\0${password}`), () =>
      this.#store.authenticateSmtp(username, password),
    );
  }

  /**
   * Throws unless `bridge`'s credential for `transport` is still the live, unrevoked one; returns the
   * Bridge's current state (its mode, and its Pool after a rebind, may have changed since `bridge`
   * was authenticated).
   */
  async assertCurrent(bridge: AuthenticatedBridge, transport: Transport): Promise<BridgeAuthState> {
    const state = await this.#state(bridge.id);
    if (!state) throw new AppError('INVALID_CREDENTIALS', 'invalid credentials');
    // Refused with the same code and words as a fresh AUTH or API call with these credentials.
    if (state.deleted) throw deletedBridgeCredentials();
    const cred = state[transport];
    if (cred.revoked)
      throw new AppError(
        'CREDENTIAL_REVOKED',
        `the ${transport === 'smtp' ? 'SMTP credentials' : 'API key'} of this Bridge are revoked`,
      );
    if (cred.generation !== bridge.generation)
      throw new AppError('INVALID_CREDENTIALS', 'the credentials were rotated');
    return state;
  }

  /** The Bridge's sending limits, from the cached state (read for free once the Bridge has authenticated). */
  async limits(bridgeId: string): Promise<BridgeLimits | null> {
    return (await this.#state(bridgeId))?.limits ?? null;
  }

  /** The Bridge's account and that account's limits over all of its Bridges, from the same cached state. */
  async accountLimits(bridgeId: string): Promise<{ accountId: string; limits: BridgeLimits | null } | null> {
    const state = await this.#state(bridgeId);
    return state ? { accountId: state.accountId, limits: state.accountLimits } : null;
  }

  /** Forgets everything cached about one Bridge. */
  invalidate(bridgeId: string): void {
    this.#states.delete(bridgeId);
    for (const [key, entry] of this.#credentials) if (entry.value.id === bridgeId) this.#credentials.delete(key);
  }

  /** Forgets everything (e.g. after the control channel reconnects and may have missed messages). */
  clear(): void {
    this.#states.clear();
    this.#credentials.clear();
  }

  async #authenticate(
    transport: Transport,
    key: string,
    load: () => Promise<AuthenticatedBridge>,
  ): Promise<AuthenticatedBridge> {
    const hit = this.#fresh(this.#credentials, key);
    if (hit) {
      try {
        const { mode, poolId } = await this.assertCurrent(hit, transport);
        return { ...hit, mode, poolId };
      } catch (err) {
        this.#credentials.delete(key);
        // A revoked credential or a deleted Bridge is reported as such; anything else falls through to the store.
        if (err instanceof AppError && (err.code === 'CREDENTIAL_REVOKED' || err.code === 'BRIDGE_DELETED')) throw err;
      }
    }
    const bridge = await load();
    this.#put(this.#credentials, key, { ...bridge, transport });
    return bridge;
  }

  async #state(bridgeId: string): Promise<BridgeAuthState | undefined> {
    const hit = this.#fresh(this.#states, bridgeId);
    if (hit) return hit;
    const state = await this.#store.getAuthState(bridgeId);
    if (state) this.#put(this.#states, bridgeId, state);
    return state;
  }

  #fresh<T>(map: Map<string, Entry<T>>, key: string): T | undefined {
    const entry = map.get(key);
    if (!entry) return undefined;
    if (Date.now() - entry.at > this.#ttlMs) {
      map.delete(key);
      return undefined;
    }
    return entry.value;
  }

  #put<T>(map: Map<string, Entry<T>>, key: string, value: T): void {
    if (map.size >= this.#maxEntries) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
    map.set(key, { value, at: Date.now() });
  }
}
