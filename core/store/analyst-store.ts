import { randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import { sha256Hex } from '../secret-box.js';
import type { SqlClient } from './sql.js';

/** An analyst credential of the SQL endpoint; its secret is stored as a SHA-256 hash only. */
export interface Analyst {
  id: string;
  name: string;
  createdAt: Date;
}

/** Analyst credentials: created with a secret shown once, listed, revoked. */
export interface AnalystStore {
  /** Creates an analyst; the secret (random, 32 bytes) is returned here and never again. */
  createAnalyst(name: string): Promise<{ analyst: Analyst; secret: string }>;
  listAnalysts(): Promise<Analyst[]>;
  /** Revokes (deletes) an analyst; false when there is none with that id. */
  deleteAnalyst(id: string): Promise<boolean>;
  /** The analyst a name and secret identify, if any. */
  findAnalyst(name: string, secret: string): Promise<Analyst | undefined>;
}

interface AnalystRow {
  id: string;
  name: string;
  created_at: Date;
}

const toAnalyst = (r: AnalystRow): Analyst => ({ id: r.id, name: r.name, createdAt: r.created_at });

/** Creates the analyst half of the store. */
export function createAnalystStore(sql: SqlClient): AnalystStore {
  return {
    async createAnalyst(name) {
      const secret = `bma_${randomBytes(32).toString('base64url')}`;
      try {
        const { rows } = await sql.query<AnalystRow>(
          'INSERT INTO analysts (id, name, secret_hash) VALUES ($1, $2, $3) RETURNING id, name, created_at',
          [newId('anl'), name, sha256Hex(secret)],
        );
        return { analyst: toAnalyst(rows[0]!), secret };
      } catch (err) {
        if ((err as { code?: string }).code === '23505') {
          throw new AppError('CONFLICT', `an analyst named ${name} exists`);
        }
        throw err;
      }
    },
    async listAnalysts() {
      const { rows } = await sql.query<AnalystRow>('SELECT id, name, created_at FROM analysts ORDER BY created_at, id');
      return rows.map(toAnalyst);
    },
    async deleteAnalyst(id) {
      const { rows } = await sql.query<{ id: string }>('DELETE FROM analysts WHERE id = $1 RETURNING id', [id]);
      return rows.length > 0;
    },
    async findAnalyst(name, secret) {
      const { rows } = await sql.query<AnalystRow>(
        'SELECT id, name, created_at FROM analysts WHERE secret_hash = $1 AND name = $2',
        [sha256Hex(secret), name],
      );
      return rows[0] ? toAnalyst(rows[0]) : undefined;
    },
  };
}
