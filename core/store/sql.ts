import { AppError } from '../errors.js';
/** A row-returning SQL executor; both Postgres engines implement it with the same SQL. */
export interface SqlExecutor {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** Runs one or more statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

/** A Postgres connection (server or embedded) able to run transactions. */
export interface SqlClient extends SqlExecutor {
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** `pglite` or `postgres`, for logs. */
  readonly engine: 'pglite' | 'postgres';
}

/**
 * PostgreSQL's answers to values it cannot store (NUL or invalid UTF-8 in text, a number out of
 * range for its column, malformed input for a type, a value too large): the caller's input is at
 * fault, so they surface as `VALIDATION_FAILED` rather than as internal errors.
 */
const INPUT_ERRORS = new Set(['22021', '22P05', '22003', '22P02', '22001', '54000']);

function asInputError(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && INPUT_ERRORS.has(code)) {
    return new AppError('VALIDATION_FAILED', `a value cannot be stored: ${(err as Error).message}`, { cause: err });
  }
  return err;
}

/** The same client, its input errors mapped by {@link asInputError}. */
function guarded(client: SqlClient): SqlClient {
  const rethrow = (err: unknown): never => {
    throw asInputError(err);
  };
  return {
    ...client,
    query: <T = Record<string, unknown>>(text: string, params?: unknown[]) =>
      client.query<T>(text, params).catch(rethrow),
    exec: (text) => client.exec(text).catch(rethrow),
    transaction: (fn) => client.transaction(fn).catch(rethrow),
  };
}

/** Opens a PostgreSQL server connection pool from a `postgres://` URL. */
export async function openPostgres(url: string): Promise<SqlClient> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle connection the server ends (a restart, a failover, an administrator) leaves the pool and
  // the next query opens another; without a listener its error would end the process.
  pool.on('error', () => undefined);
  await pool.query('SELECT 1');
  return guarded({
    engine: 'postgres',
    query: async (text, params) => {
      const r = await pool.query(text, params);
      return { rows: r.rows as never[] };
    },
    exec: async (text) => {
      await pool.query(text);
    },
    transaction: async (fn) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: SqlExecutor = {
          query: async (text, params) => ({ rows: (await client.query(text, params)).rows as never[] }),
          exec: async (text) => {
            await client.query(text);
          },
        };
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  });
}

/** Opens (creating if needed) the embedded PGlite engine in `dir`. */
export async function openPglite(dir: string): Promise<SqlClient> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(dir);
  return guarded({
    engine: 'pglite',
    query: async (text, params) => {
      const r = await db.query(text, params);
      return { rows: r.rows as never[] };
    },
    exec: async (text) => {
      await db.exec(text);
    },
    transaction: (fn) =>
      db.transaction(async (tx) =>
        fn({
          query: async (text, params) => ({ rows: (await tx.query(text, params)).rows as never[] }),
          exec: async (text) => {
            await tx.exec(text);
          },
        }),
      ),
    close: () => db.close(),
  });
}
