/**
 * Where the index reads the whole suppression list from: the entries (`bridgeId` null: every Bridge
 * of `accountId`) and the account of every Bridge.
 */
export type SuppressionSource = () => Promise<{
  entries: { bridgeId: string | null; accountId: string; address: string }[];
  bridges: { id: string; accountId: string }[];
}>;

/**
 * The suppression list in memory, for the checks every message makes at acceptance and at each
 * delivery pass: one set lookup per recipient instead of a database query. Rebuilt from the store
 * when a change is announced (coalesced: one reload runs at a time, and one more follows if changes
 * arrived meanwhile); a lookup made while a reload is pending waits for it, so a change this process
 * announced is in force for its next lookup. About 100 bytes per suppressed address.
 */
export class SuppressionIndex {
  #keys = new Set<string>();
  #accounts = new Map<string, string>();
  #loading: Promise<void> | undefined;
  #again = false;
  #loaded = false;

  constructor(private readonly source: SuppressionSource) {}

  /** Which of `recipients` are suppressed for `bridgeId` (its own list or its account's). */
  async among(bridgeId: string, recipients: readonly string[]): Promise<Set<string>> {
    if (this.#loading) await this.#loading;
    else if (!this.#loaded) await this.refresh();
    const keys = this.#keys;
    // A Bridge created since the last load has no account here; its creation is announced as a
    // suppression change, so the load that knows it is at most a second away.
    const account = this.#accounts.get(bridgeId);
    return new Set(
      recipients.filter((r) => {
        const address = r.toLowerCase();
        return (account !== undefined && keys.has(`@${account}\n${address}`)) || keys.has(`${bridgeId}\n${address}`);
      }),
    );
  }

  /** Reloads the list (after a change anywhere); resolves once the reload that covers it is done. */
  refresh(): Promise<void> {
    if (this.#loading) {
      this.#again = true;
      return this.#loading;
    }
    this.#loading = this.#reload().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  /** Entries held (for metrics). */
  get size(): number {
    return this.#keys.size;
  }

  async #reload(): Promise<void> {
    do {
      this.#again = false;
      const { entries, bridges } = await this.source();
      this.#keys = new Set(entries.map((r) => `${r.bridgeId ?? `@${r.accountId}`}\n${r.address.toLowerCase()}`));
      this.#accounts = new Map(bridges.map((b) => [b.id, b.accountId]));
      this.#loaded = true;
    } while (this.#again);
  }
}
