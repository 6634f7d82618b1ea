import type { Bridge } from './domain.js';
import type { BridgeStore } from './store/index.js';

/** What a worker needs of a Bridge at send time. */
export type BridgeSettings = Pick<
  Bridge,
  'id' | 'accountId' | 'trackOpens' | 'trackClicks' | 'trackingBaseUrl' | 'listUnsubscribe' | 'deletedAt'
> &
  /** Undefined: live. */
  Partial<Pick<Bridge, 'mode'>>;

/**
 * Bridge settings read at send time, cached briefly per process; every change announced on the
 * control channel invalidates the entry, so a toggle applies to messages processed from then on.
 */
export class BridgeSettingsCache {
  readonly #entries = new Map<string, { value: BridgeSettings | undefined; at: number }>();

  /** @param ttlMs backstop lifetime should an invalidation be missed */
  constructor(
    private readonly store: Pick<BridgeStore, 'getBridge'>,
    private readonly ttlMs = 5000,
  ) {}

  async get(bridgeId: string): Promise<BridgeSettings | undefined> {
    const hit = this.#entries.get(bridgeId);
    if (hit && Date.now() - hit.at <= this.ttlMs) return hit.value;
    const bridge = await this.store.getBridge(bridgeId);
    const value = bridge && {
      id: bridge.id,
      accountId: bridge.accountId,
      trackOpens: bridge.trackOpens,
      trackClicks: bridge.trackClicks,
      trackingBaseUrl: bridge.trackingBaseUrl,
      listUnsubscribe: bridge.listUnsubscribe,
      deletedAt: bridge.deletedAt,
      mode: bridge.mode,
    };
    if (this.#entries.size > 10_000) this.#entries.clear();
    this.#entries.set(bridgeId, { value, at: Date.now() });
    return value;
  }

  invalidate(bridgeId: string): void {
    this.#entries.delete(bridgeId);
  }

  clear(): void {
    this.#entries.clear();
  }
}
