import { AppError } from '../errors.js';
import type { SqlClient, SqlExecutor } from './sql.js';

/** What a rebind did. */
export interface Rebind {
  accountId: string;
  from: string;
  to: string;
  /** The Bridges moved (live ones of the account that were on `from`), oldest first. */
  bridgeIds: string[];
}

/** Which Pools an account's Bridges sit on, and the one way to move them. */
export interface PoolAccessStore {
  /**
   * Moves every live Bridge of the account from Pool `from` to Pool `to` in one transaction; ids,
   * names and credentials stay. Throws `ACCOUNT_NOT_FOUND`, `POOL_NOT_FOUND`, `POOL_NOT_ALLOWED`.
   */
  rebindAccount(accountId: string, from: string, to: string): Promise<Rebind>;
}

/**
 * Checks inside `tx` that the account may bind Bridges to the Pool, locking the Pool row against
 * its deletion: a shared Pool takes anyone's, a dedicated one only its account's and only while the
 * account's plan has dedicated IPs. Another account's dedicated Pool is `POOL_NOT_FOUND`: from this
 * account it does not exist.
 */
export async function checkPoolFor(tx: SqlExecutor, poolId: string, accountId: string): Promise<void> {
  const account = await tx.query<{ dedicated_ips: boolean }>('SELECT dedicated_ips FROM accounts WHERE id = $1', [
    accountId,
  ]);
  if (!account.rows[0]) throw new AppError('ACCOUNT_NOT_FOUND', `no account ${accountId}`, { field: 'accountId' });
  const { rows } = await tx.query<{ kind: string; account_id: string | null }>(
    'SELECT kind, account_id FROM pools WHERE id = $1 AND deleted_at IS NULL FOR SHARE',
    [poolId],
  );
  const pool = rows[0];
  if (!pool || (pool.kind === 'dedicated' && pool.account_id !== accountId))
    throw new AppError('POOL_NOT_FOUND', `pool ${poolId} does not exist`, { field: 'poolId' });
  if (pool.kind === 'dedicated' && !account.rows[0].dedicated_ips)
    throw new AppError('POOL_NOT_ALLOWED', "the account's plan has no dedicated IPs: bind to a shared Pool", {
      field: 'poolId',
    });
}

/** Creates the Pool-access half of the store. */
export function createPoolAccessStore(sql: SqlClient): PoolAccessStore {
  return {
    rebindAccount(accountId, from, to) {
      return sql.transaction(async (tx) => {
        const account = await tx.query('SELECT id FROM accounts WHERE id = $1 FOR UPDATE', [accountId]);
        if (account.rows.length === 0) throw new AppError('ACCOUNT_NOT_FOUND', `no account ${accountId}`);
        const source = await tx.query('SELECT id FROM pools WHERE id = $1', [from]);
        if (source.rows.length === 0)
          throw new AppError('POOL_NOT_FOUND', `pool ${from} does not exist`, { field: 'from' });
        await checkPoolFor(tx, to, accountId).catch((err: unknown) => {
          throw err instanceof AppError ? new AppError(err.code, err.message, { field: 'to', cause: err }) : err;
        });
        const { rows } = await tx.query<{ id: string }>(
          `UPDATE bridges SET pool_id = $3, updated_at = now()
            WHERE account_id = $1 AND pool_id = $2 AND deleted_at IS NULL RETURNING id`,
          [accountId, from, to],
        );
        return { accountId, from, to, bridgeIds: rows.map((r) => r.id).sort() };
      });
    },
  };
}
