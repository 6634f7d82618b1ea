import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import type { Pool, PoolKind } from '../domain.js';
import type { SqlClient } from './sql.js';

/** Input of {@link PoolStore.createPool}. */
export interface NewPool {
  name: string;
  ips: { ip: string; weight?: number }[];
  /** @defaultValue 'shared' */
  kind?: PoolKind;
  /** The account of a dedicated Pool (required for one, refused for a shared one). */
  accountId?: string | null;
  /**
   * Chooses the hash tag of the new Pool's queue (on a Redis Cluster: `choosePoolQueueTag`), given
   * its id and the live Pools; absent, the Pool keeps `pool-<id>` (stored as null).
   */
  chooseQueueTag?: (poolId: string, livePools: readonly Pick<Pool, 'id' | 'queueTag'>[]) => Promise<string>;
}

/** Pools and their IPs. */
export interface PoolStore {
  createPool(input: NewPool): Promise<Pool>;
  /** Live Pools (deleted ones are left out); with `accountId`, those its Bridges may use (shared, or dedicated to it). */
  listPools(options?: { accountId?: string }): Promise<Pool[]>;
  /** A Pool, deleted or not (queued mail of a deleted Pool still needs its IPs). */
  getPool(id: string): Promise<Pool | undefined>;
  renamePool(id: string, name: string): Promise<Pool>;
  addPoolIp(id: string, ip: string, weight: number): Promise<Pool>;
  setPoolIpWeight(id: string, ip: string, weight: number): Promise<Pool>;
  removePoolIp(id: string, ip: string): Promise<Pool>;
  /** Deletes a Pool no live Bridge is bound to (`POOL_IN_USE` otherwise); its IPs become free. */
  deletePool(id: string): Promise<Pool>;
}

interface PoolRow {
  id: string;
  name: string;
  kind: PoolKind;
  account_id: string | null;
  queue_tag: string | null;
  created_at: Date;
  deleted_at: Date | null;
  ips: { ip: string; weight: number }[] | null;
}

/** Maps unique-constraint violations of pools to stable error codes. */
export function mapPoolConflict(err: unknown): unknown {
  const e = err as { code?: unknown; constraint?: unknown };
  if (e?.code !== '23505') return err;
  if (e.constraint === 'pools_name_key')
    return new AppError('POOL_NAME_TAKEN', 'a pool with this name exists', { field: 'name', cause: err });
  if (e.constraint === 'pool_ips_active_ip' || e.constraint === 'pool_ips_pkey') {
    return new AppError('IP_IN_USE', 'the IP already belongs to a pool', { field: 'ips', cause: err });
  }
  return new AppError('CONFLICT', 'conflicts with an existing resource', { cause: err });
}

/** The advisory lock (`pg_advisory_xact_lock`) under which a new Pool's queue tag is chosen. */
const PLACEMENT_LOCK = 0x506f6f6c;

/** Creates the Pool half of the store. */
export function createPoolStore(sql: SqlClient): PoolStore {
  const load = async (where: string, params: unknown[]): Promise<Pool[]> => {
    const { rows } = await sql.query<PoolRow>(
      `SELECT p.id, p.name, p.kind, p.account_id, p.queue_tag, p.created_at, p.deleted_at,
              (SELECT json_agg(json_build_object('ip', i.ip, 'weight', i.weight) ORDER BY i.ip)
                 FROM pool_ips i WHERE i.pool_id = p.id) AS ips
         FROM pools p ${where} ORDER BY p.created_at, p.id`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      kind: r.kind,
      accountId: r.account_id,
      createdAt: r.created_at,
      deletedAt: r.deleted_at,
      ips: r.ips ?? [],
      queueTag: r.queue_tag,
    }));
  };
  const getLive = async (id: string): Promise<Pool> => {
    const [pool] = await load('WHERE p.id = $1 AND p.deleted_at IS NULL', [id]);
    if (!pool) throw new AppError('NOT_FOUND', `no pool ${id}`);
    return pool;
  };
  const mutate = async (id: string, fn: () => Promise<unknown>): Promise<Pool> => {
    await getLive(id);
    try {
      await fn();
    } catch (err) {
      throw mapPoolConflict(err);
    }
    return getLive(id);
  };

  return {
    async createPool(input) {
      const id = newId('pool');
      const kind = input.kind ?? 'shared';
      const accountId = input.accountId ?? null;
      if ((kind === 'dedicated') !== (accountId !== null))
        throw new AppError('VALIDATION_FAILED', 'accountId: required for a dedicated Pool, refused for a shared one', {
          field: 'accountId',
        });
      try {
        await sql.transaction(async (tx) => {
          if (accountId !== null) {
            const known = await tx.query('SELECT 1 FROM accounts WHERE id = $1', [accountId]);
            if (known.rows.length === 0)
              throw new AppError('ACCOUNT_NOT_FOUND', `no account ${accountId}`, { field: 'accountId' });
          }
          let queueTag: string | null = null;
          if (input.chooseQueueTag) {
            // Queue tags are chosen one Pool at a time across every admin process, so that each choice
            // counts the Pools created before it (two at once would pick the same primary): the lock is
            // held until this Pool is committed. The tag is stored with the row: a worker that sees the
            // Pool sees its tag.
            await tx.query('SELECT pg_advisory_xact_lock($1)', [PLACEMENT_LOCK]);
            const live = await tx.query<{ id: string; queue_tag: string | null }>(
              'SELECT id, queue_tag FROM pools WHERE deleted_at IS NULL',
            );
            queueTag = await input.chooseQueueTag(
              id,
              live.rows.map((r) => ({ id: r.id, queueTag: r.queue_tag })),
            );
          }
          await tx.query('INSERT INTO pools (id, name, kind, account_id, queue_tag) VALUES ($1, $2, $3, $4, $5)', [
            id,
            input.name,
            kind,
            accountId,
            queueTag,
          ]);
          for (const { ip, weight } of input.ips) {
            await tx.query('INSERT INTO pool_ips (pool_id, ip, weight) VALUES ($1, $2, $3)', [id, ip, weight ?? 1]);
          }
        });
      } catch (err) {
        throw mapPoolConflict(err);
      }
      return getLive(id);
    },
    listPools: (options = {}) =>
      options.accountId === undefined
        ? load('WHERE p.deleted_at IS NULL', [])
        : load("WHERE p.deleted_at IS NULL AND (p.kind = 'shared' OR p.account_id = $1)", [options.accountId]),
    async getPool(id) {
      return (await load('WHERE p.id = $1', [id]))[0];
    },
    renamePool: (id, name) => mutate(id, () => sql.query('UPDATE pools SET name = $2 WHERE id = $1', [id, name])),
    addPoolIp: (id, ip, weight) =>
      mutate(id, () => sql.query('INSERT INTO pool_ips (pool_id, ip, weight) VALUES ($1, $2, $3)', [id, ip, weight])),
    async setPoolIpWeight(id, ip, weight) {
      const pool = await getLive(id);
      if (!pool.ips.some((i) => i.ip === ip)) throw new AppError('NOT_FOUND', `${ip} is not in pool ${id}`);
      await sql.query('UPDATE pool_ips SET weight = $3 WHERE pool_id = $1 AND ip = $2', [id, ip, weight]);
      return getLive(id);
    },
    async removePoolIp(id, ip) {
      const pool = await getLive(id);
      if (!pool.ips.some((i) => i.ip === ip)) throw new AppError('NOT_FOUND', `${ip} is not in pool ${id}`);
      if (pool.ips.length === 1) throw new AppError('POOL_NEEDS_IP', 'a pool keeps at least one IP', { field: 'ip' });
      await sql.query('DELETE FROM pool_ips WHERE pool_id = $1 AND ip = $2', [id, ip]);
      return getLive(id);
    },
    async deletePool(id) {
      const pool = await getLive(id);
      await sql.transaction(async (tx) => {
        // Lock the pool row: a Bridge being created on it concurrently waits (it takes FOR SHARE).
        await tx.query('SELECT id FROM pools WHERE id = $1 FOR UPDATE', [id]);
        const { rows } = await tx.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM bridges WHERE pool_id = $1 AND deleted_at IS NULL',
          [id],
        );
        if ((rows[0]?.n ?? 0) > 0) throw new AppError('POOL_IN_USE', `${rows[0]?.n} bridge(s) are bound to this pool`);
        await tx.query('UPDATE pools SET deleted_at = now() WHERE id = $1', [id]);
        await tx.query('UPDATE pool_ips SET active = false WHERE pool_id = $1', [id]);
      });
      return { ...pool, deletedAt: new Date() };
    },
  };
}
