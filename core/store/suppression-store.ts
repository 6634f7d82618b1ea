import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import type { SqlClient } from './sql.js';
import { DEFAULT_ACCOUNT_ID } from './account-store.js';

/** A recipient that must not be attempted: for one Bridge, or for every Bridge of its account (`bridgeId` null). */
export interface Suppression {
  id: string;
  /** The account it belongs to (a Bridge's entry: the Bridge's account). */
  accountId: string;
  bridgeId: string | null;
  address: string;
  reason: string;
  sourceMessageId: string | null;
  createdAt: Date;
}

/** Filters and paging of {@link SuppressionStore.listSuppressions}. */
export interface SuppressionQuery {
  /** One account's entries only. */
  accountId?: string;
  bridgeId?: string;
  reason?: string;
  since?: Date;
  until?: Date;
  /** Case-insensitive substring of the address. */
  search?: string;
  limit: number;
  /** Id of the last entry of the previous page (newest first). */
  before?: string;
}

/** The suppression list. */
export interface SuppressionStore {
  /**
   * Adds (or keeps) a suppression; returns whether it was new. Throws `BRIDGE_NOT_FOUND` for an
   * unknown Bridge id (or one of another account than `accountId`). `accountId` defaults to the
   * Bridge's account, or the default account for an account-wide entry.
   */
  addSuppression(input: {
    accountId?: string;
    bridgeId: string | null;
    address: string;
    reason: string;
    sourceMessageId?: string;
  }): Promise<boolean>;
  /** Which of `addresses` are suppressed for `bridgeId` (its own list or account-wide). */
  suppressedAmong(bridgeId: string, addresses: readonly string[]): Promise<Set<string>>;
  listSuppressions(query: SuppressionQuery): Promise<Suppression[]>;
  /** Every suppressed (Bridge or account-wide, address) pair: what {@link SuppressionIndex} holds in memory. */
  suppressionKeys(): Promise<{ bridgeId: string | null; accountId: string; address: string }[]>;
  /** The account of every Bridge, deleted ones included (the index's account-wide lookups). */
  bridgeAccounts(): Promise<{ id: string; accountId: string }[]>;
  getSuppression(id: string): Promise<Suppression | undefined>;
  removeSuppression(id: string): Promise<Suppression>;
}

interface Row {
  id: string;
  account_id: string;
  bridge_id: string | null;
  address: string;
  reason: string;
  source_message_id: string | null;
  created_at: Date;
}

const toSuppression = (r: Row): Suppression => ({
  id: r.id,
  accountId: r.account_id,
  bridgeId: r.bridge_id,
  address: r.address,
  reason: r.reason,
  sourceMessageId: r.source_message_id,
  createdAt: r.created_at,
});

/** Creates the suppression half of the store. */
export function createSuppressionStore(sql: SqlClient): SuppressionStore {
  return {
    async addSuppression(input) {
      // A suppression for a Bridge that never existed would never match a message and hides a typo;
      // a deleted Bridge's id is still accepted, so an exported list imports back whole.
      let accountId = input.accountId ?? DEFAULT_ACCOUNT_ID;
      if (input.bridgeId !== null) {
        const known = await sql.query<{ account_id: string }>('SELECT account_id FROM bridges WHERE id = $1', [
          input.bridgeId,
        ]);
        const owner = known.rows[0]?.account_id;
        if (owner === undefined || (input.accountId !== undefined && owner !== input.accountId))
          throw new AppError('BRIDGE_NOT_FOUND', 'no Bridge has this id', { field: 'bridgeId' });
        accountId = owner;
      }
      const { rows } = await sql.query(
        `INSERT INTO suppressions (id, bridge_id, address, reason, source_message_id, account_id)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (account_id, coalesce(bridge_id, ''), address) DO NOTHING RETURNING id`,
        [
          newId('sup'),
          input.bridgeId,
          input.address.toLowerCase(),
          input.reason,
          input.sourceMessageId ?? null,
          accountId,
        ],
      );
      return rows.length > 0;
    },
    async suppressedAmong(bridgeId, addresses) {
      if (addresses.length === 0) return new Set();
      const lower = addresses.map((a) => a.toLowerCase());
      const { rows } = await sql.query<{ address: string }>(
        `SELECT DISTINCT address FROM suppressions WHERE address = ANY($1::text[]) AND (bridge_id = $2
            OR (bridge_id IS NULL AND account_id = (SELECT account_id FROM bridges WHERE id = $2)))`,
        [lower, bridgeId],
      );
      const hit = new Set(rows.map((r) => r.address));
      return new Set(addresses.filter((a) => hit.has(a.toLowerCase())));
    },
    async suppressionKeys() {
      const { rows } = await sql.query<{ bridge_id: string | null; account_id: string; address: string }>(
        'SELECT bridge_id, account_id, address FROM suppressions',
      );
      return rows.map((r) => ({ bridgeId: r.bridge_id, accountId: r.account_id, address: r.address }));
    },
    async bridgeAccounts() {
      const { rows } = await sql.query<{ id: string; account_id: string }>('SELECT id, account_id FROM bridges');
      return rows.map((r) => ({ id: r.id, accountId: r.account_id }));
    },
    async listSuppressions(q) {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (clause: string, value: unknown) => {
        params.push(value);
        where.push(clause.replace('?', `$${params.length}`));
      };
      if (q.accountId !== undefined) add('account_id = ?', q.accountId);
      if (q.bridgeId) add('bridge_id = ?', q.bridgeId);
      if (q.reason) add('reason = ?', q.reason);
      if (q.since) add('created_at >= ?', q.since);
      if (q.until) add('created_at < ?', q.until);
      if (q.search) add("address LIKE '%' || ? || '%'", q.search.toLowerCase());
      if (q.before) add('(created_at, id) < (SELECT created_at, id FROM suppressions WHERE id = ?)', q.before);
      params.push(q.limit);
      const { rows } = await sql.query<Row>(
        `SELECT * FROM suppressions ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
        params,
      );
      return rows.map(toSuppression);
    },
    async getSuppression(id) {
      const { rows } = await sql.query<Row>('SELECT * FROM suppressions WHERE id = $1', [id]);
      return rows[0] && toSuppression(rows[0]);
    },
    async removeSuppression(id) {
      const { rows } = await sql.query<Row>('DELETE FROM suppressions WHERE id = $1 RETURNING *', [id]);
      if (!rows[0]) throw new AppError('NOT_FOUND', `no suppression ${id}`);
      return toSuppression(rows[0]);
    },
  };
}
