import { AppError } from '../errors.js';
import { newId, randomSecret } from '../ids.js';
import { safeEqual, sha256Hex, type SecretBox } from '../secret-box.js';
import type { AuthenticatedBridge, Bridge, BridgeAuthState, BridgeWithSecrets, Transport } from '../domain.js';
import type { SqlClient } from './sql.js';

/** Input of {@link BridgeStore.createBridge}. */
export interface NewBridge {
  name: string;
  poolId: string;
  trackOpens: boolean;
  trackClicks: boolean;
}

/** Editable fields of a Bridge (the Pool binding is not one of them). */
export interface BridgePatch {
  name?: string;
  trackOpens?: boolean;
  trackClicks?: boolean;
  trackingBaseUrl?: string | null;
}

/** Bridges, their sealed credentials and their lifecycle. */
export interface BridgeStore {
  createBridge(input: NewBridge): Promise<BridgeWithSecrets>;
  /** Live Bridges, oldest first; deleted ones too (marked by `deletedAt`) with `includeDeleted`. */
  listBridges(options?: { includeDeleted?: boolean }): Promise<Bridge[]>;
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
  pool_id: string;
  track_opens: boolean;
  track_clicks: boolean;
  tracking_base_url: string | null;
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
    poolId: r.pool_id,
    trackOpens: r.track_opens,
    trackClicks: r.track_clicks,
    trackingBaseUrl: r.tracking_base_url,
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
  const row = async (id: string) => (await sql.query<BridgeRow>('SELECT * FROM bridges WHERE id = $1', [id])).rows[0];
  const liveRow = async (id: string) => {
    const r = await row(id);
    if (!r) throw new AppError('NOT_FOUND', `no bridge ${id}`);
    if (r.deleted_at) throw deletedBridge(id);
    return r;
  };
  const updateLive = async (id: string, set: string, params: unknown[]): Promise<BridgeRow> => {
    const { rows } = await sql.query<BridgeRow>(
      `UPDATE bridges SET ${set}, updated_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING *`,
      [id, ...params],
    );
    if (!rows[0]) {
      // A deleted Bridge is told apart from one that never existed.
      const r = await row(id);
      throw r ? deletedBridge(id) : new AppError('NOT_FOUND', `no bridge ${id}`);
    }
    return rows[0];
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
      const created = await sql.transaction(async (tx) => {
        const pool = await tx.query('SELECT id FROM pools WHERE id = $1 AND deleted_at IS NULL FOR SHARE', [
          input.poolId,
        ]);
        if (pool.rows.length === 0)
          throw new AppError('POOL_NOT_FOUND', `pool ${input.poolId} does not exist`, { field: 'poolId' });
        const { rows } = await tx.query<BridgeRow>(
          `INSERT INTO bridges (id, name, pool_id, track_opens, track_clicks, smtp_username, smtp_password_enc,
                                api_key_hash, api_key_enc)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
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
          ],
        );
        return rows[0];
      });
      if (!created) throw new Error('insert returned no row');
      return withSecrets(created);
    },
    async listBridges(options = {}) {
      const where = options.includeDeleted ? '' : 'WHERE deleted_at IS NULL ';
      return (await sql.query<BridgeRow>(`SELECT * FROM bridges ${where}ORDER BY created_at, id`)).rows.map(toBridge);
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
      await liveRow(id);
      const sets: string[] = [];
      const params: unknown[] = [];
      const columns = [
        ['name', patch.name],
        ['track_opens', patch.trackOpens],
        ['track_clicks', patch.trackClicks],
        ['tracking_base_url', patch.trackingBaseUrl],
      ] as const;
      for (const [column, value] of columns) {
        if (value === undefined) continue;
        params.push(value);
        sets.push(`${column} = $${params.length + 1}`);
      }
      if (sets.length === 0) return toBridge(await liveRow(id));
      return toBridge(await updateLive(id, sets.join(', '), params));
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
      const r = await row(id);
      if (!r) return undefined;
      return {
        id: r.id,
        deleted: r.deleted_at !== null,
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
      return { id: r.id, poolId: r.pool_id, name: r.name, generation: r.smtp_generation };
    },
    async authenticateApiKey(apiKey) {
      if (!apiKey.startsWith(API_KEY_PREFIX) || apiKey.length > 200) throw invalid();
      const r = await findByCredential('api_key_hash', sha256Hex(apiKey));
      if (!r || !safeEqual(box.open(r.api_key_enc), apiKey)) throw invalid();
      if (r.deleted_at) throw deletedBridgeCredentials();
      if (r.api_revoked_at) throw new AppError('CREDENTIAL_REVOKED', 'the API key of this Bridge is revoked');
      return { id: r.id, poolId: r.pool_id, name: r.name, generation: r.api_generation };
    },
  };
}
