import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPglite, openPostgres, type SqlClient } from '../../core/index.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

/**
 * Secrets at rest: every row of every control-plane table, read straight from the database after a
 * run that created each kind of secret, holds none of them in the clear (nor base64-encoded).
 */
describe('secrets are encrypted at rest', () => {
  let dir: string | undefined;
  let platform: TestPlatform | undefined;
  afterAll(async () => {
    await platform?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stores no password, API key, webhook secret, DKIM private key or admin token in the clear', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridgemail-at-rest-'));
    platform = await startTestPlatform({ BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE: '1' }, { dataDir: dir });
    const pool = await platform.createPool('rest', ['127.0.0.2']);
    const secrets: string[] = [platform.adminToken, (await readFile(join(dir, 'master.key'), 'utf8')).trim()];
    for (const name of ['a', 'b']) {
      const bridge = await platform.createBridge(name, pool.id);
      secrets.push(bridge.apiKey, bridge.smtp.password);
      const rotated = (await platform.admin('POST', `/admin/v1/bridges/${bridge.id}/rotate`, { what: 'both' })).body;
      secrets.push(rotated.apiKey, rotated.smtp.password);
      const hook = await platform.admin('POST', `/admin/v1/bridges/${bridge.id}/webhooks`, {
        url: 'http://127.0.0.1:9/hook',
        eventTypes: ['delivered'],
      });
      expect(hook.status).toBe(201);
      secrets.push(hook.body.secret);
    }
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(
      (await platform.admin('POST', '/admin/v1/domains', { domain: 'rest.example', privateKey: pem })).status,
    ).toBe(201);
    // The PEM's base64 body lines, any of which would betray the key.
    secrets.push(...pem.split('\n').filter((l) => l.length > 40 && !l.startsWith('-----')));

    // Read every table of the control plane, from outside the platform.
    const databaseUrl = platform.config.databaseUrl;
    let sql: SqlClient;
    if (databaseUrl) sql = await openPostgres(databaseUrl);
    else {
      await platform.stop();
      platform = undefined;
      sql = await openPglite(join(dir, 'pglite'));
    }
    let dump = '';
    try {
      const { rows: tables } = await sql.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
      );
      expect(tables.map((t) => t.table_name)).toEqual(
        expect.arrayContaining(['bridges', 'webhooks', 'domains', 'audit_log']),
      );
      for (const { table_name } of tables) {
        const { rows } = await sql.query(`SELECT * FROM "${table_name}"`);
        dump += JSON.stringify(rows, (_k, v: unknown) =>
          Buffer.isBuffer(v) || v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v,
        );
      }
    } finally {
      await sql.close();
    }
    expect(dump.length).toBeGreaterThan(1000);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(8);
      expect(dump.includes(secret), 'a secret in the clear').toBe(false);
      expect(dump.includes(Buffer.from(secret).toString('base64')), 'a secret in base64').toBe(false);
    }
  }, 120_000);
});
