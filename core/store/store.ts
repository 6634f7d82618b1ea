import { AppError } from '../errors.js';
import { newId, randomSecret } from '../ids.js';
import { safeEqual, sha256Hex, type SecretBox } from '../secret-box.js';
import type { AuthenticatedBridge, Bridge, BridgeWithSecrets, Pool } from '../domain.js';
import type { SqlClient } from './sql.js';

/** Input of {@link Store.createPool}. */
export interface NewPool {
  name: string;
  ips: { ip: string; weight?: number }[];
}

/** Input of {@link Store.createBridge}. */
export interface NewBridge {
  name: string;
  poolId: string;
  trackOpens: boolean;
  trackClicks: boolean;
}

/** All control-plane access: the only module that speaks SQL. Another engine would implement this interface. */
export interface Store {
  createPool(input: NewPool): Promise<Pool>;
  listPools(): Promise<Pool[]>;
  getPool(id: string): Promise<Pool | undefined>;
  createBridge(input: NewBridge): Promise<BridgeWithSecrets>;
  listBridges(): Promise<Bridge[]>;
  getBridge(id: string): Promise<Bridge | undefined>;
  getBridgeWithSecrets(id: string): Promise<BridgeWithSecrets | undefined>;
  /** Resolves SMTP credentials to their Bridge; throws `INVALID_CREDENTIALS` or `CREDENTIAL_REVOKED`. */
  authenticateSmtp(username: string, password: string): Promise<AuthenticatedBridge>;
  /** Resolves an API key to its Bridge; throws `INVALID_CREDENTIALS` or `CREDENTIAL_REVOKED`. */
  authenticateApiKey(apiKey: string): Promise<AuthenticatedBridge>;
}

interface BridgeRow {
  id: string;
  name: string;
  pool_id: string;
  track_opens: boolean;
  track_clicks: boolean;
  smtp_username: string;
  smtp_password_enc: string;
  smtp_revoked_at: Date | null;
  api_key_hash: string;
  api_key_enc: string;
  api_revoked_at: Date | null;
  deleted_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const API_KEY_PREFIX = 'bm_';

/** Creates the PostgreSQL-backed store; secrets are sealed with `box` before they reach a table. */
export function createStore(sql: SqlClient, box: SecretBox): Store {
  const toBridge = (r: BridgeRow): Bridge => ({
    id: r.id,
    name: r.name,
    poolId: r.pool_id,
    trackOpens: r.track_opens,
    trackClicks: r.track_clicks,
    smtpUsername: r.smtp_username,
    smtpStatus: r.smtp_revoked_at ? 'revoked' : 'active',
    apiStatus: r.api_revoked_at ? 'revoked' : 'active',
    deletedAt: r.deleted_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });
  const withSecrets = (r: BridgeRow): BridgeWithSecrets => ({
    ...toBridge(r),
    secrets: { smtpPassword: box.open(r.smtp_password_enc), apiKey: box.open(r.api_key_enc) },
  });
  const loadPools = async (where: string, params: unknown[]): Promise<Pool[]> => {
    const { rows } = await sql.query<{ id: string; name: string; created_at: Date; ips: { ip: string; weight: number }[] | null }>(
      `SELECT p.id, p.name, p.created_at,
              (SELECT json_agg(json_build_object('ip', i.ip, 'weight', i.weight) ORDER BY i.ip)
                 FROM pool_ips i WHERE i.pool_id = p.id) AS ips
         FROM pools p ${where} ORDER BY p.created_at, p.id`,
      params,
    );
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, ips: r.ips ?? [] }));
  };
  const findLiveBridge = async (column: 'smtp_username' | 'api_key_hash', value: string) => {
    const { rows } = await sql.query<BridgeRow>(
      `SELECT * FROM bridges WHERE ${column} = $1 AND deleted_at IS NULL`,
      [value],
    );
    return rows[0];
  };
  const invalid = () => new AppError('INVALID_CREDENTIALS', 'invalid credentials');

  return {
    async createPool(input) {
      const id = newId('pool');
      try {
        await sql.transaction(async (tx) => {
          await tx.query('INSERT INTO pools (id, name) VALUES ($1, $2)', [id, input.name]);
          for (const { ip, weight } of input.ips) {
            await tx.query('INSERT INTO pool_ips (pool_id, ip, weight) VALUES ($1, $2, $3)', [id, ip, weight ?? 1]);
          }
        });
      } catch (err) {
        throw mapUniqueViolation(err);
      }
      const [pool] = await loadPools('WHERE p.id = $1', [id]);
      if (!pool) throw new Error('pool vanished after insert');
      return pool;
    },
    listPools: () => loadPools('', []),
    async getPool(id) {
      return (await loadPools('WHERE p.id = $1', [id]))[0];
    },
    async createBridge(input) {
      if (!(await this.getPool(input.poolId))) {
        throw new AppError('POOL_NOT_FOUND', `pool ${input.poolId} does not exist`, { field: 'poolId' });
      }
      const id = newId('br');
      const smtpUsername = `bm-${randomSecret(9).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`;
      const smtpPassword = randomSecret(24);
      const apiKey = `${API_KEY_PREFIX}${randomSecret(32)}`;
      const { rows } = await sql.query<BridgeRow>(
        `INSERT INTO bridges (id, name, pool_id, track_opens, track_clicks, smtp_username, smtp_password_enc,
                              api_key_hash, api_key_enc)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
        [id, input.name, input.poolId, input.trackOpens, input.trackClicks, smtpUsername, box.seal(smtpPassword),
          sha256Hex(apiKey), box.seal(apiKey)],
      );
      const row = rows[0];
      if (!row) throw new Error('insert returned no row');
      return withSecrets(row);
    },
    async listBridges() {
      const { rows } = await sql.query<BridgeRow>('SELECT * FROM bridges ORDER BY created_at, id');
      return rows.map(toBridge);
    },
    async getBridge(id) {
      const { rows } = await sql.query<BridgeRow>('SELECT * FROM bridges WHERE id = $1', [id]);
      return rows[0] && toBridge(rows[0]);
    },
    async getBridgeWithSecrets(id) {
      const { rows } = await sql.query<BridgeRow>('SELECT * FROM bridges WHERE id = $1', [id]);
      return rows[0] && withSecrets(rows[0]);
    },
    async authenticateSmtp(username, password) {
      const row = await findLiveBridge('smtp_username', username);
      // Compare against a sealed dummy when the user is unknown so both paths cost the same.
      const expected = row ? box.open(row.smtp_password_enc) : randomSecret(24);
      const ok = safeEqual(expected, password);
      if (!row || !ok) throw invalid();
      if (row.smtp_revoked_at) throw new AppError('CREDENTIAL_REVOKED', 'SMTP credentials of this Bridge are revoked');
      return { id: row.id, poolId: row.pool_id, name: row.name };
    },
    async authenticateApiKey(apiKey) {
      if (!apiKey.startsWith(API_KEY_PREFIX) || apiKey.length > 200) throw invalid();
      const row = await findLiveBridge('api_key_hash', sha256Hex(apiKey));
      if (!row || !safeEqual(box.open(row.api_key_enc), apiKey)) throw invalid();
      if (row.api_revoked_at) throw new AppError('CREDENTIAL_REVOKED', 'the API key of this Bridge is revoked');
      return { id: row.id, poolId: row.pool_id, name: row.name };
    },
  };
}

function mapUniqueViolation(err: unknown): unknown {
  const e = err as { code?: unknown; constraint?: unknown; detail?: unknown };
  if (e && e.code === '23505') {
    if (e.constraint === 'pools_name_key') return new AppError('POOL_NAME_TAKEN', 'a pool with this name exists', { field: 'name', cause: err });
    if (e.constraint === 'pool_ips_ip_key') return new AppError('IP_IN_USE', 'an IP of this pool already belongs to another pool', { field: 'ips', cause: err });
    return new AppError('CONFLICT', 'conflicts with an existing resource', { cause: err });
  }
  return err;
}
