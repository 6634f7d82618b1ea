import { AppError } from '../errors.js';
import { newId, randomSecret } from '../ids.js';
import { sha256Hex } from '../secret-box.js';
import type { SqlClient } from './sql.js';
import { normalizeBridgeLimits, type BridgeLimits } from '../bridge-limiter.js';

/** The account every object of an installation older than accounts belongs to. */
export const DEFAULT_ACCOUNT_ID = 'acc_default';

/** Prefix of every account token of the admin API, so leaked ones are recognisable by secret scanners. */
export const ACCOUNT_TOKEN_PREFIX = 'bma_';

/** A customer of the installation: its Bridges, templates, suppressions, webhooks and DKIM domains. */
export interface Account {
  id: string;
  name: string;
  /** The plan includes dedicated IPs: its Bridges may sit on Pools dedicated to it. */
  dedicatedIps: boolean;
  /** Sending limits over all of its Bridges together (each Bridge's own limits apply as well); null: none. */
  limits: BridgeLimits | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Editable fields of an account (`limits` null or `{}` removes them). */
export interface AccountInput {
  name?: string;
  dedicatedIps?: boolean;
  limits?: BridgeLimits | null;
}

/** A named admin token of one account (its secret is kept as a SHA-256 only). */
export interface AccountToken {
  id: string;
  accountId: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** Accounts and their admin tokens. */
export interface AccountStore {
  /** Throws `ACCOUNT_NAME_TAKEN`. */
  createAccount(input: AccountInput & { name: string }): Promise<Account>;
  listAccounts(): Promise<Account[]>;
  getAccount(id: string): Promise<Account | undefined>;
  /** Throws `NOT_FOUND`, `ACCOUNT_NAME_TAKEN`. */
  updateAccount(id: string, patch: AccountInput): Promise<Account>;
  /** Deletes an account that owns nothing live (`ACCOUNT_IN_USE` otherwise); the default one stays. */
  deleteAccount(id: string): Promise<Account>;
  /** A new token, its secret returned this once. Throws `NOT_FOUND`. */
  createAccountToken(accountId: string, name: string): Promise<{ token: AccountToken; secret: string }>;
  listAccountTokens(accountId: string): Promise<AccountToken[]>;
  /** Throws `NOT_FOUND` (also for another account's token). */
  revokeAccountToken(accountId: string, tokenId: string): Promise<AccountToken>;
  /** The token's account and id, its last use recorded; undefined for an unknown or revoked token. */
  authenticateAccountToken(secret: string): Promise<{ accountId: string; tokenId: string } | undefined>;
  /** The same for a token known by its id (a console session opened with it). */
  useAccountToken(tokenId: string): Promise<{ accountId: string; tokenId: string } | undefined>;
}

interface AccountRow {
  id: string;
  name: string;
  dedicated_ips: boolean;
  limits: BridgeLimits | null;
  created_at: Date;
  updated_at: Date;
}

interface TokenRow {
  id: string;
  account_id: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const toAccount = (r: AccountRow): Account => ({
  id: r.id,
  name: r.name,
  dedicatedIps: r.dedicated_ips,
  limits: normalizeBridgeLimits(r.limits),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toToken = (r: TokenRow): AccountToken => ({
  id: r.id,
  accountId: r.account_id,
  name: r.name,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

const nameTaken = (err: unknown): unknown =>
  (err as { code?: unknown }).code === '23505'
    ? new AppError('ACCOUNT_NAME_TAKEN', 'another account has this name', { field: 'name', cause: err })
    : err;

/** The `limits` column's value: JSON text, or null when no limit is set. */
const limitsColumn = (limits: BridgeLimits | null | undefined): string | null => {
  const normalized = normalizeBridgeLimits(limits);
  return normalized ? JSON.stringify(normalized) : null;
};

/** Creates the account half of the store. */
export function createAccountStore(sql: SqlClient): AccountStore {
  const get = async (id: string) => (await sql.query<AccountRow>('SELECT * FROM accounts WHERE id = $1', [id])).rows[0];
  return {
    async createAccount(input) {
      try {
        const { rows } = await sql.query<AccountRow>(
          'INSERT INTO accounts (id, name, dedicated_ips, limits) VALUES ($1, $2, $3, $4) RETURNING *',
          [newId('acc'), input.name, input.dedicatedIps ?? false, limitsColumn(input.limits)],
        );
        if (!rows[0]) throw new Error('insert returned no row');
        return toAccount(rows[0]);
      } catch (err) {
        throw nameTaken(err);
      }
    },
    async listAccounts() {
      return (await sql.query<AccountRow>('SELECT * FROM accounts ORDER BY created_at, id')).rows.map(toAccount);
    },
    async getAccount(id) {
      const r = await get(id);
      return r && toAccount(r);
    },
    async updateAccount(id, patch) {
      try {
        const { rows } = await sql.query<AccountRow>(
          `UPDATE accounts SET name = coalesce($2, name), dedicated_ips = coalesce($3, dedicated_ips),
                  limits = CASE WHEN $4 THEN $5::jsonb ELSE limits END, updated_at = now()
            WHERE id = $1 RETURNING *`,
          [id, patch.name ?? null, patch.dedicatedIps ?? null, patch.limits !== undefined, limitsColumn(patch.limits)],
        );
        if (!rows[0]) throw new AppError('NOT_FOUND', `no account ${id}`);
        return toAccount(rows[0]);
      } catch (err) {
        throw nameTaken(err);
      }
    },
    async deleteAccount(id) {
      if (id === DEFAULT_ACCOUNT_ID) throw new AppError('ACCOUNT_IN_USE', 'the default account cannot be deleted');
      return sql.transaction(async (tx) => {
        const { rows } = await tx.query<AccountRow>('SELECT * FROM accounts WHERE id = $1 FOR UPDATE', [id]);
        const account = rows[0];
        if (!account) throw new AppError('NOT_FOUND', `no account ${id}`);
        // Deleted Bridges keep their rows (their stats stay readable): an account that had any is kept too.
        const owned = await tx.query<{ n: number }>(
          `SELECT (SELECT count(*) FROM bridges WHERE account_id = $1)
                + (SELECT count(*) FROM templates WHERE account_id = $1)
                + (SELECT count(*) FROM domains WHERE account_id = $1)
                + (SELECT count(*) FROM pools WHERE account_id = $1 AND deleted_at IS NULL) AS n`,
          [id],
        );
        if (Number(owned.rows[0]?.n ?? 0) > 0)
          throw new AppError('ACCOUNT_IN_USE', 'the account still owns Bridges, templates, domains or Pools');
        await tx.query('DELETE FROM suppressions WHERE account_id = $1', [id]);
        await tx.query('DELETE FROM accounts WHERE id = $1', [id]);
        return toAccount(account);
      });
    },
    async createAccountToken(accountId, name) {
      if (!(await get(accountId))) throw new AppError('NOT_FOUND', `no account ${accountId}`);
      const secret = `${ACCOUNT_TOKEN_PREFIX}${randomSecret(32)}`;
      const { rows } = await sql.query<TokenRow>(
        'INSERT INTO account_tokens (id, account_id, name, token_hash) VALUES ($1, $2, $3, $4) RETURNING *',
        [newId('tok'), accountId, name, sha256Hex(secret)],
      );
      if (!rows[0]) throw new Error('insert returned no row');
      return { token: toToken(rows[0]), secret };
    },
    async listAccountTokens(accountId) {
      const { rows } = await sql.query<TokenRow>(
        'SELECT * FROM account_tokens WHERE account_id = $1 ORDER BY created_at, id',
        [accountId],
      );
      return rows.map(toToken);
    },
    async revokeAccountToken(accountId, tokenId) {
      const { rows } = await sql.query<TokenRow>(
        `UPDATE account_tokens SET revoked_at = coalesce(revoked_at, now())
          WHERE id = $1 AND account_id = $2 RETURNING *`,
        [tokenId, accountId],
      );
      if (!rows[0]) throw new AppError('NOT_FOUND', `no token ${tokenId}`);
      return toToken(rows[0]);
    },
    async authenticateAccountToken(secret) {
      if (!secret.startsWith(ACCOUNT_TOKEN_PREFIX) || secret.length > 200) return undefined;
      // The lookup is by hash (a unique index): comparing hashes leaks nothing usable about the secret.
      const { rows } = await sql.query<TokenRow>(
        `UPDATE account_tokens SET last_used_at = now()
          WHERE token_hash = $1 AND revoked_at IS NULL RETURNING *`,
        [sha256Hex(secret)],
      );
      const r = rows[0];
      return r && { accountId: r.account_id, tokenId: r.id };
    },
    async useAccountToken(tokenId) {
      const { rows } = await sql.query<TokenRow>(
        'UPDATE account_tokens SET last_used_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING *',
        [tokenId],
      );
      const r = rows[0];
      return r && { accountId: r.account_id, tokenId: r.id };
    },
  };
}
