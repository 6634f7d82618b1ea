import { AppError } from '../errors.js';
import { newId, randomSecret } from '../ids.js';
import { safeEqual, sha256Hex, type SecretBox } from '../secret-box.js';
import type {
  AuthenticatedBridge,
  Bridge,
  BridgeAuthState,
  BridgeMode,
  BridgeWithSecrets,
  Transport,
} from '../domain.js';
import { normalizeBridgeLimits, type BridgeLimits } from '../bridge-limiter.js';
import type { SqlClient, SqlExecutor } from './sql.js';
import { DEFAULT_ACCOUNT_ID } from './account-store.js';
import { checkPoolFor } from './pool-access.js';

/** Input of {@link BridgeStore.createBridge}. */
export interface NewBridge {
  name: string;
  poolId: string;
  /** The account it belongs to. @defaultValue the default account */
  accountId?: string;
  trackOpens: boolean;
  trackClicks: boolean;
  /** One-click List-Unsubscribe on each copy. @defaultValue false */
  listUnsubscribe?: boolean;
  /** @defaultValue 'live' */
  mode?: BridgeMode;
  /** Sending limits; null or `{}`: none. @defaultValue null */
  limits?: BridgeLimits | null;
}

/** Editable fields of a Bridge (the Pool binding is not one of them). */
export interface BridgePatch {
  name?: string;
  trackOpens?: boolean;
  trackClicks?: boolean;
  trackingBaseUrl?: string | null;
  listUnsubscribe?: boolean;
  mode?: BridgeMode;
  /** null or `{}` removes every limit. */
  limits?: BridgeLimits | null;
}

/** Bridges, their sealed credentials and their lifecycle. */
export interface BridgeStore {
  createBridge(input: NewBridge): Promise<BridgeWithSecrets>;
  /** Live Bridges, oldest first; deleted ones too (marked by `deletedAt`) with `includeDeleted`; one account's with `accountId`. */
  listBridges(options?: { includeDeleted?: boolean; accountId?: string }): Promise<Bridge[]>;
  /** Any Bridge, deleted ones included (their stats stay readable), without secrets. */
  getBridge(id: string): Promise<Bridge | undefined>;
  /** A live Bridge with its secrets; a deleted Bridge's are never opened again (`BRIDGE_DELETED`). */
  getBridgeWithSecrets(id: string): Promise<BridgeWithSecrets | undefined>;
  updateBridge(id: string, patch: BridgePatch): Promise<Bridge>;
  /** New secrets for the transports named; the old ones stop working and a revocation is lifted. */
  rotateCredentials(id: string, transports: Transport[]): Promise<BridgeWithSecrets>;
  revokeCredential(id: string, transport: Transport): Promise<Bridge>;
  /** Soft delete: credentials fail from now on, queued mail finishes, stats stay readable. */
  deleteBridge(id: string): Promise<Bridge>;
  getAuthState(id: string): Promise<BridgeAuthState | undefined>;
  /** Resolves SMTP credentials to their Bridge; throws `INVALID_CREDENTIALS`, `CREDENTIAL_REVOKED` or `BRIDGE_DELETED`. */
  authenticateSmtp(username: string, password: string): Promise<AuthenticatedBridge>;
  /** Resolves an API key to its Bridge; throws `INVALID_CREDENTIALS`, `CREDENTIAL_REVOKED` or `BRIDGE_DELETED`. */
  authenticateApiKey(apiKey: string): Promise<AuthenticatedBridge>;
}

/**
 * The refusal of a deleted Bridge's credentials, the same over SMTP and REST. It is only given for
 * credentials that are right, so it tells nothing to someone guessing.
 */
export function deletedBridgeCredentials(): AppError {
  return new AppError('BRIDGE_DELETED', 'the Bridge of these credentials was deleted');
}

const deletedBridge = (id: string) => new AppError('BRIDGE_DELETED', `bridge ${id} was deleted`);

interface BridgeRow {
  id: string;
  name: string;
  account_id: string;
  pool_id: string;
  track_opens: boolean;
  track_clicks: boolean;
  tracking_base_url: string | null;
  list_unsubscribe: boolean;
  mode: BridgeMode;
  limits: BridgeLimits | null;
  smtp_username: string;
  smtp_password_enc: string;
  smtp_revoked_at: Date | null;
  smtp_generation: number;
  api_key_hash: string;
  api_key_enc: string;
  api_revoked_at: Date | null;
  api_generation: number;
  deleted_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** The `limits` column's value: JSON text, or null when no limit is set. */
const limitsColumn = (limits: BridgeLimits | null | undefined): string | null => {
  const normalized = normalizeBridgeLimits(limits);
  return normalized ? JSON.stringify(normalized) : null;
};

/** Advisory lock key under which Bridge names are claimed (distinct from the migration lock's). */
const BRIDGE_NAME_LOCK = 727275;

/** How two Bridge names are compared: trimmed, in one Unicode form, case folded. */
const nameKey = (name: string) => name.trim().normalize('NFC').toLowerCase();

/** Prefix of every API key, so leaked keys are recognisable by secret scanners. */
export const API_KEY_PREFIX = 'bm_';

const newSmtpUsername = () =>
  `bm-${randomSecret(9)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x')}`;
const newApiKey = () => `${API_KEY_PREFIX}${randomSecret(32)}`;

/** Creates the Bridge half of the store; secrets are sealed with `box` before they reach a table. */
export function createBridgeStore(sql: SqlClient, box: SecretBox): BridgeStore {
  const toBridge = (r: BridgeRow): Bridge => ({
    id: r.id,
    name: r.name,
    accountId: r.account_id,
    poolId: r.pool_id,
    trackOpens: r.track_opens,
    trackClicks: r.track_clicks,
    trackingBaseUrl: r.tracking_base_url,
    listUnsubscribe: r.list_unsubscribe,
    mode: r.mode,
    limits: normalizeBridgeLimits(r.limits),
    smtpUsername: r.smtp_username,
    smtpStatus: r.deleted_at ? 'deleted' : r.smtp_revoked_at ? 'revoked' : 'active',
    apiStatus: r.deleted_at ? 'deleted' : r.api_revoked_at ? 'revoked' : 'active',
    deletedAt: r.deleted_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });
  const withSecrets = (r: BridgeRow): BridgeWithSecrets => ({
    ...toBridge(r),
    secrets: { smtpPassword: box.open(r.smtp_password_enc), apiKey: box.open(r.api_key_enc) },
  });
  const row = async (id: string, tx: SqlExecutor = sql) =>
    (await tx.query<BridgeRow>('SELECT * FROM bridges WHERE id = $1', [id])).rows[0];
  const liveRow = async (id: string) => {
    const r = await row(id);
    if (!r) throw new AppError('NOT_FOUND', `no bridge ${id}`);
    if (r.deleted_at) throw deletedBridge(id);
    return r;
  };
  const updateLive = async (id: string, set: string, params: unknown[], tx: SqlExecutor = sql): Promise<BridgeRow> => {
    const { rows } = await tx.query<BridgeRow>(
      `UPDATE bridges SET ${set}, updated_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING *`,
      [id, ...params],
    );
    if (!rows[0]) {
      // A deleted Bridge is told apart from one that never existed.
      const r = await row(id, tx);
      throw r ? deletedBridge(id) : new AppError('NOT_FOUND', `no bridge ${id}`);
    }
    return rows[0];
  };
  // Names tell Bridges apart in the console (the delete dialog, the lists), so two live Bridges
  // never share one, compared trimmed and case-insensitively. Creates and renames serialise on an
  // advisory lock rather than a unique index: an index would fail the migration of an installation
  // that already holds duplicates, while the lock refuses new ones and lets old ones be renamed.
  // Case is folded here, not by SQL `lower()`, which folds only ASCII under the C locale.
  // Names are unique within an account: another account's names are never shown.
  const claimName = async (tx: SqlExecutor, name: string, exceptId: string | null, accountId: string) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [BRIDGE_NAME_LOCK]);
    const { rows } = await tx.query<{ id: string; name: string }>(
      'SELECT id, name FROM bridges WHERE deleted_at IS NULL AND account_id = $1',
      [accountId],
    );
    const key = nameKey(name);
    const holder = rows.find((r) => r.id !== exceptId && nameKey(r.name) === key);
    // The holder's own spelling is named, so the operator sees which Bridge is in the way.
    if (holder)
      throw new AppError('BRIDGE_NAME_TAKEN', `a Bridge named "${holder.name}" already exists`, { field: 'name' });
  };
  // Deleted Bridges are found too: their right credentials are refused as deleted, not as unknown.
  const findByCredential = async (column: 'smtp_username' | 'api_key_hash', value: string) =>
    (await sql.query<BridgeRow>(`SELECT * FROM bridges WHERE ${column} = $1`, [value])).rows[0];
  // `principalKnown` (never shown to the client) lets the failure limiter count a wrong password of
  // a real username apart from unknown usernames.
  const invalid = (principalKnown = false) =>
    new AppError('INVALID_CREDENTIALS', 'invalid credentials', { details: { principalKnown } });

  return {
    async createBridge(input) {
      const id = newId('br');
      const smtpPassword = randomSecret(24);
      const apiKey = newApiKey();
      const accountId = input.accountId ?? DEFAULT_ACCOUNT_ID;
      const created = await sql.transaction(async (tx) => {
        await checkPoolFor(tx, input.poolId, accountId);
        await claimName(tx, input.name, null, accountId);
        const { rows } = await tx.query<BridgeRow>(
          `INSERT INTO bridges (id, name, pool_id, track_opens, track_clicks, smtp_username, smtp_password_enc,
                                api_key_hash, api_key_enc, mode, list_unsubscribe, limits, account_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *`,
          [
            id,
            input.name,
            input.poolId,
            input.trackOpens,
            input.trackClicks,
            newSmtpUsername(),
            box.seal(smtpPassword),
            sha256Hex(apiKey),
            box.seal(apiKey),
            input.mode ?? 'live',
            input.listUnsubscribe ?? false,
            limitsColumn(input.limits),
            accountId,
          ],
        );
        return rows[0];
      });
      if (!created) throw new Error('insert returned no row');
      return withSecrets(created);
    },
    async listBridges(options = {}) {
      const where = ['true'];
      if (!options.includeDeleted) where.push('deleted_at IS NULL');
      const params = options.accountId === undefined ? [] : [options.accountId];
      if (options.accountId !== undefined) where.push('account_id = $1');
      const text = `SELECT * FROM bridges WHERE ${where.join(' AND ')} ORDER BY created_at, id`;
      return (await sql.query<BridgeRow>(text, params)).rows.map(toBridge);
    },
    async getBridge(id) {
      const r = await row(id);
      return r && toBridge(r);
    },
    async getBridgeWithSecrets(id) {
      const r = await row(id);
      if (r?.deleted_at) throw deletedBridge(id);
      return r && withSecrets(r);
    },
    async updateBridge(id, patch) {
      const current = await liveRow(id);
      const sets: string[] = [];
      const params: unknown[] = [];
      const columns = [
        ['name', patch.name],
        ['track_opens', patch.trackOpens],
        ['track_clicks', patch.trackClicks],
        ['tracking_base_url', patch.trackingBaseUrl],
        ['list_unsubscribe', patch.listUnsubscribe],
        ['mode', patch.mode],
        ['limits', patch.limits === undefined ? undefined : limitsColumn(patch.limits)],
      ] as const;
      for (const [column, value] of columns) {
        if (value === undefined) continue;
        params.push(value);
        sets.push(`${column} = $${params.length + 1}`);
      }
      if (sets.length === 0) return toBridge(await liveRow(id));
      const { name } = patch;
      if (name === undefined) return toBridge(await updateLive(id, sets.join(', '), params));
      return toBridge(
        await sql.transaction(async (tx) => {
          await claimName(tx, name, id, current.account_id);
          return updateLive(id, sets.join(', '), params, tx);
        }),
      );
    },
    async rotateCredentials(id, transports) {
      await liveRow(id);
      const sets: string[] = [];
      const params: unknown[] = [];
      const add = (sql: string, ...values: unknown[]) => {
        let text = sql;
        for (const v of values) {
          params.push(v);
          text = text.replace('?', `$${params.length + 1}`);
        }
        sets.push(text);
      };
      if (transports.includes('smtp')) {
        add('smtp_password_enc = ?', box.seal(randomSecret(24)));
        sets.push('smtp_revoked_at = NULL', 'smtp_generation = smtp_generation + 1');
      }
      if (transports.includes('api')) {
        const apiKey = newApiKey();
        add('api_key_hash = ?', sha256Hex(apiKey));
        add('api_key_enc = ?', box.seal(apiKey));
        sets.push('api_revoked_at = NULL', 'api_generation = api_generation + 1');
      }
      return withSecrets(await updateLive(id, sets.join(', '), params));
    },
    async revokeCredential(id, transport) {
      const column = transport === 'smtp' ? 'smtp_revoked_at' : 'api_revoked_at';
      return toBridge(await updateLive(id, `${column} = coalesce(${column}, now())`, []));
    },
    async deleteBridge(id) {
      return toBridge(await updateLive(id, 'deleted_at = now()', []));
    },
    async getAuthState(id) {
      const { rows } = await sql.query<BridgeRow & { account_limits: BridgeLimits | null }>(
        'SELECT b.*, a.limits AS account_limits FROM bridges b JOIN accounts a ON a.id = b.account_id WHERE b.id = $1',
        [id],
      );
      const r = rows[0];
      if (!r) return undefined;
      return {
        id: r.id,
        poolId: r.pool_id,
        accountId: r.account_id,
        accountLimits: normalizeBridgeLimits(r.account_limits),
        deleted: r.deleted_at !== null,
        mode: r.mode,
        limits: normalizeBridgeLimits(r.limits),
        smtp: { revoked: r.smtp_revoked_at !== null, generation: r.smtp_generation },
        api: { revoked: r.api_revoked_at !== null, generation: r.api_generation },
      };
    },
    async authenticateSmtp(username, password) {
      const r = await findByCredential('smtp_username', username);
      // Compare against a random value when the user is unknown so both paths cost the same.
      const ok = safeEqual(r ? box.open(r.smtp_password_enc) : randomSecret(24), password);
      if (!r || !ok) throw invalid(r !== undefined);
      if (r.deleted_at) throw deletedBridgeCredentials();
      if (r.smtp_revoked_at) throw new AppError('CREDENTIAL_REVOKED', 'SMTP credentials of this Bridge are revoked');
      return {
        id: r.id,
        accountId: r.account_id,
        poolId: r.pool_id,
        name: r.name,
        generation: r.smtp_generation,
        mode: r.mode,
      };
    },
    async authenticateApiKey(apiKey) {
      if (!apiKey.startsWith(API_KEY_PREFIX) || apiKey.length > 200) throw invalid();
      const r = await findByCredential('api_key_hash', sha256Hex(apiKey));
      if (!r || !safeEqual(box.open(r.api_key_enc), apiKey)) throw invalid();
      if (r.deleted_at) throw deletedBridgeCredentials();
      if (r.api_revoked_at) throw new AppError('CREDENTIAL_REVOKED', 'the API key of this Bridge is revoked');
      return {
        id: r.id,
        accountId: r.account_id,
        poolId: r.pool_id,
        name: r.name,
        generation: r.api_generation,
        mode: r.mode,
      };
    },
  };
}
