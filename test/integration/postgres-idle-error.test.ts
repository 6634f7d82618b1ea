import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type SqlClient } from '../../core/index.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres-server.js';

// The control plane's PostgreSQL pool outlives connections the server ends (a restart, a failover,
// an administrator's pg_terminate_backend): the process keeps running and the next query reconnects.
describe('PostgreSQL pool when the server ends its idle connections', () => {
  let server: TestPostgres;
  let sql: SqlClient;

  beforeAll(async () => {
    server = await startTestPostgres();
    sql = await openPostgres(server.url);
  }, 60_000);
  afterAll(async () => {
    await sql?.close();
    await server?.stop();
  });

  it('keeps running and answers the next query on a new connection', async () => {
    const [{ pid }] = (await sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      const ended = await admin.query('SELECT pg_terminate_backend($1) AS ok', [pid]);
      expect(ended.rows[0]?.ok).toBe(true);
    } finally {
      await admin.end();
    }
    // The pool hears of it as an error on an idle client; an unheard error would fail this run.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { rows } = await sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    expect(rows[0]?.pid).not.toBe(pid);
  });
});
