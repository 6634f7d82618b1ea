import { newId } from '../ids.js';
import type { SqlClient } from './sql.js';

/** Recipients that must not be attempted: per Bridge, or for every Bridge (account-wide). */
export interface SuppressionStore {
  /** Adds (or keeps) a suppression; `bridgeId` null means every Bridge. */
  addSuppression(input: { bridgeId: string | null; address: string; reason: string; sourceMessageId?: string }): Promise<void>;
  /** Which of `addresses` are suppressed for `bridgeId` (its own list or account-wide), lower-cased. */
  suppressedAmong(bridgeId: string, addresses: readonly string[]): Promise<Set<string>>;
}

/** Creates the suppression half of the store. */
export function createSuppressionStore(sql: SqlClient): SuppressionStore {
  return {
    async addSuppression(input) {
      await sql.query(
        `INSERT INTO suppressions (id, bridge_id, address, reason, source_message_id) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (coalesce(bridge_id, ''), address) DO NOTHING`,
        [newId('sup'), input.bridgeId, input.address.toLowerCase(), input.reason, input.sourceMessageId ?? null],
      );
    },
    async suppressedAmong(bridgeId, addresses) {
      if (addresses.length === 0) return new Set();
      const lower = addresses.map((a) => a.toLowerCase());
      const { rows } = await sql.query<{ address: string }>(
        `SELECT DISTINCT address FROM suppressions WHERE address = ANY($1::text[]) AND (bridge_id IS NULL OR bridge_id = $2)`,
        [lower, bridgeId],
      );
      const hit = new Set(rows.map((r) => r.address));
      return new Set(addresses.filter((a) => hit.has(a.toLowerCase())));
    },
  };
}
