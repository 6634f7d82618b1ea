import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createStore,
  DEFAULT_ACCOUNT_ID,
  migrate,
  MIGRATIONS,
  openPglite,
  openPostgres,
  SecretBox,
  type SqlClient,
  type Store,
} from '../../core/index.js';
import { startTestPostgres } from '../support/postgres-server.js';

/** The same SQL on both engines: embedded PGlite, and a PostgreSQL server started for the test. */
const ENGINES = [
  {
    name: 'PGlite',
    // One process owns an embedded database: a second admin process is a second store on it.
    open: async (dir: string) => {
      const sql = await openPglite(join(dir, 'pg'));
      return { sql, stop: async () => undefined, another: async () => sql };
    },
  },
  {
    name: 'PostgreSQL',
    open: async () => {
      const server = await startTestPostgres();
      return {
        sql: await openPostgres(server.url),
        stop: () => server.stop(),
        another: () => openPostgres(server.url),
      };
    },
  },
];

describe.each(ENGINES)('store on $name: accounts, their tokens, Pool kinds and the rebind', ({ open }) => {
  let dir: string;
  let sql: SqlClient;
  let stop: () => Promise<unknown>;
  /** Connections of a second admin process to the same database. */
  let another: () => Promise<SqlClient>;
  let store: Store;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridgemail-accounts-'));
    ({ sql, stop, another } = await open(dir));
    // An installation from before accounts: its objects must land in the default account.
    await sql.exec(`CREATE TABLE schema_migrations (
      id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    for (const m of MIGRATIONS.filter((m) => m.id < 7)) {
      await sql.exec(m.sql);
      await sql.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [m.id, m.name]);
    }
    await sql.exec(`
      INSERT INTO pools (id, name) VALUES ('pool_old', 'old');
      INSERT INTO bridges (id, name, pool_id, smtp_username, smtp_password_enc, api_key_hash, api_key_enc)
        VALUES ('br_old', 'old', 'pool_old', 'u-old', 'x', 'h-old', 'x');
      INSERT INTO suppressions (id, bridge_id, address, reason) VALUES ('sup_old', NULL, 'all@x.test', 'manual');
      INSERT INTO templates (id, name, alias, subject) VALUES ('tpl_old', 'old', 'old', 's');`);
    expect(await migrate(sql)).toEqual(MIGRATIONS.filter((m) => m.id >= 7).map((m) => m.id));
    store = createStore(sql, new SecretBox(randomBytes(32)));
  });
  afterAll(async () => {
    await sql?.close();
    await stop?.();
    await rm(dir, { recursive: true, force: true });
  });

  it('moves what existed into the default account, shared Pools included', async () => {
    expect((await store.getAccount(DEFAULT_ACCOUNT_ID))?.name).toBe('default');
    expect(await store.getBridge('br_old')).toMatchObject({ accountId: DEFAULT_ACCOUNT_ID });
    expect(await store.getPool('pool_old')).toMatchObject({ kind: 'shared', accountId: null, queueTag: null });
    expect(await store.getTemplate('tpl_old')).toMatchObject({ accountId: DEFAULT_ACCOUNT_ID });
    expect(await store.suppressedAmong('br_old', ['all@x.test'])).toEqual(new Set(['all@x.test']));
  });

  it('creates, renames and deletes accounts; a name is unique; one owning objects stays', async () => {
    const a = await store.createAccount({ name: 'acme' });
    expect(a).toMatchObject({ name: 'acme', dedicatedIps: false });
    await expect(store.createAccount({ name: 'acme' })).rejects.toMatchObject({ code: 'ACCOUNT_NAME_TAKEN' });
    expect(await store.updateAccount(a.id, { dedicatedIps: true })).toMatchObject({ name: 'acme', dedicatedIps: true });
    await store.createBridge({ name: 'b', poolId: 'pool_old', accountId: a.id, trackOpens: false, trackClicks: false });
    await expect(store.deleteAccount(a.id)).rejects.toMatchObject({ code: 'ACCOUNT_IN_USE' });
    await expect(store.deleteAccount(DEFAULT_ACCOUNT_ID)).rejects.toMatchObject({ code: 'ACCOUNT_IN_USE' });
    const empty = await store.createAccount({ name: 'empty' });
    expect((await store.deleteAccount(empty.id)).id).toBe(empty.id);
    expect(await store.getAccount(empty.id)).toBeUndefined();
  });

  it('keeps tokens as hashes, records their last use and refuses revoked or foreign ones', async () => {
    const a = await store.createAccount({ name: 'tokens-a' });
    const b = await store.createAccount({ name: 'tokens-b' });
    const { token, secret } = await store.createAccountToken(a.id, 'ci');
    expect(secret).toMatch(/^bma_/);
    const stored = await sql.query<{ token_hash: string }>('SELECT token_hash FROM account_tokens WHERE id = $1', [
      token.id,
    ]);
    expect(stored.rows[0]?.token_hash).not.toContain(secret);
    expect(token.lastUsedAt).toBeNull();
    expect(await store.authenticateAccountToken(secret)).toEqual({ accountId: a.id, tokenId: token.id });
    expect((await store.listAccountTokens(a.id))[0]?.lastUsedAt).toBeInstanceOf(Date);
    expect(await store.authenticateAccountToken(`${secret}x`)).toBeUndefined();
    await expect(store.revokeAccountToken(b.id, token.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await store.revokeAccountToken(a.id, token.id);
    expect(await store.authenticateAccountToken(secret)).toBeUndefined();
  });

  it("binds Bridges to shared Pools, to the account's dedicated ones only with the plan, never to another's", async () => {
    const basic = await store.createAccount({ name: 'basic' });
    const pro = await store.createAccount({ name: 'pro', dedicatedIps: true });
    const shared = await store.createPool({ name: 'shared-1', ips: [{ ip: '127.0.0.51' }] });
    const proPool = await store.createPool({
      name: 'pro-1',
      ips: [{ ip: '127.0.0.52' }],
      kind: 'dedicated',
      accountId: pro.id,
    });
    const basicPool = await store.createPool({
      name: 'basic-1',
      ips: [{ ip: '127.0.0.53' }],
      kind: 'dedicated',
      accountId: basic.id,
    });
    await expect(store.createPool({ name: 'x', ips: [{ ip: '127.0.0.54' }], kind: 'dedicated' })).rejects.toMatchObject(
      { code: 'VALIDATION_FAILED', field: 'accountId' },
    );
    const bridge = (accountId: string, poolId: string) =>
      store.createBridge({ name: `b-${poolId}`, poolId, accountId, trackOpens: false, trackClicks: false });
    expect((await bridge(basic.id, shared.id)).poolId).toBe(shared.id);
    expect((await bridge(pro.id, proPool.id)).poolId).toBe(proPool.id);
    await expect(bridge(basic.id, proPool.id)).rejects.toMatchObject({ code: 'POOL_NOT_FOUND', field: 'poolId' });
    await expect(bridge(basic.id, basicPool.id)).rejects.toMatchObject({ code: 'POOL_NOT_ALLOWED', field: 'poolId' });
    expect((await store.listPools({ accountId: basic.id })).map((p) => p.id)).not.toContain(proPool.id);
    expect((await store.listPools({ accountId: pro.id })).map((p) => p.id)).toEqual(
      expect.arrayContaining([shared.id, proPool.id]),
    );
  });

  it("stores the queue tag chosen for a new Pool's id, and none when nothing chooses one", async () => {
    const asked: string[] = [];
    const tagged = await store.createPool({
      name: 'tagged',
      ips: [{ ip: '127.0.0.71' }],
      chooseQueueTag: (id) => {
        asked.push(id);
        return Promise.resolve(`pool-${id}-2`);
      },
    });
    expect(asked).toEqual([tagged.id]);
    expect(tagged.queueTag).toBe(`pool-${tagged.id}-2`);
    expect((await store.listPools()).find((p) => p.id === tagged.id)?.queueTag).toBe(`pool-${tagged.id}-2`);
    expect((await store.createPool({ name: 'untagged', ips: [{ ip: '127.0.0.72' }] })).queueTag).toBeNull();
    // A choice that fails creates nothing.
    const failing = () => Promise.reject(new Error('cluster unreachable'));
    await expect(
      store.createPool({ name: 'never', ips: [{ ip: '127.0.0.73' }], chooseQueueTag: failing }),
    ).rejects.toThrow('cluster unreachable');
    expect((await store.listPools()).map((p) => p.name)).not.toContain('never');
  });

  it('chooses the queue tags of Pools created at once, by two admin processes, one after another', async () => {
    const before = (await store.listPools()).length;
    const otherSql = await another();
    const otherProcess = createStore(otherSql, new SecretBox(randomBytes(32)));
    try {
      // A choice that counts the live Pools it is given and takes a while (a round trip to the
      // cluster): run side by side, all six would count the same Pools.
      const countingChoice = async (id: string, live: readonly { id: string }[]) => {
        await new Promise((r) => setTimeout(r, 20));
        return `pool-${id}-${live.length - before + 1}`;
      };
      const failing = () => Promise.reject(new Error('cluster unreachable'));
      const created = await Promise.allSettled(
        Array.from({ length: 7 }, (_, i) =>
          (i % 2 === 0 ? store : otherProcess).createPool({
            name: `at-once-${i}`,
            ips: [{ ip: `127.0.0.${80 + i}` }],
            chooseQueueTag: i === 2 ? failing : countingChoice,
          }),
        ),
      );
      // One failed choice does not stop the others.
      expect(created.map((c) => c.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
      ]);
      const counts = created.flatMap((c) =>
        c.status === 'fulfilled' ? [Number(c.value.queueTag!.split('-').pop())] : [],
      );
      expect(counts.sort()).toEqual([1, 2, 3, 4, 5, 6]);
    } finally {
      if (otherSql !== sql) await otherSql.close();
    }
  });

  it('rebinds every live Bridge of one account in one go, keeping ids and credentials', async () => {
    const acc = await store.createAccount({ name: 'upgrading', dedicatedIps: true });
    const other = await store.createAccount({ name: 'bystander' });
    const shared = await store.createPool({ name: 'shared-2', ips: [{ ip: '127.0.0.61' }] });
    const own = await store.createPool({
      name: 'own-2',
      ips: [{ ip: '127.0.0.62' }],
      kind: 'dedicated',
      accountId: acc.id,
    });
    const mk = (accountId: string, name: string) =>
      store.createBridge({ name, poolId: shared.id, accountId, trackOpens: false, trackClicks: false });
    const [b1, b2, b3] = [await mk(acc.id, 'one'), await mk(acc.id, 'two'), await mk(other.id, 'three')];
    const moved = await store.rebindAccount(acc.id, shared.id, own.id);
    expect(moved.bridgeIds).toEqual([b1.id, b2.id].sort());
    const after = await store.getBridgeWithSecrets(b1.id);
    expect(after).toMatchObject({ id: b1.id, name: 'one', poolId: own.id, smtpUsername: b1.smtpUsername });
    expect(after?.secrets).toEqual(b1.secrets);
    expect((await store.getBridge(b2.id))?.poolId).toBe(own.id);
    expect((await store.getBridge(b3.id))?.poolId).toBe(shared.id);
    await expect(store.rebindAccount(other.id, shared.id, own.id)).rejects.toMatchObject({
      code: 'POOL_NOT_FOUND',
      field: 'to',
    });
    await store.updateAccount(acc.id, { dedicatedIps: false });
    await expect(store.rebindAccount(acc.id, shared.id, own.id)).rejects.toMatchObject({ code: 'POOL_NOT_ALLOWED' });
    // The downgrade: back to the shared Pool.
    expect((await store.rebindAccount(acc.id, own.id, shared.id)).bridgeIds).toHaveLength(2);
  });

  it("scopes account-wide suppressions to the account's Bridges", async () => {
    const a = await store.createAccount({ name: 'sup-a' });
    const b = await store.createAccount({ name: 'sup-b' });
    const mk = (accountId: string, name: string) =>
      store.createBridge({ name, poolId: 'pool_old', accountId, trackOpens: false, trackClicks: false });
    const [ba, bb] = [await mk(a.id, 'sa'), await mk(b.id, 'sb')];
    expect(await store.addSuppression({ accountId: a.id, bridgeId: null, address: 'x@y.test', reason: 'manual' })).toBe(
      true,
    );
    expect(await store.suppressedAmong(ba.id, ['x@y.test'])).toEqual(new Set(['x@y.test']));
    expect(await store.suppressedAmong(bb.id, ['x@y.test'])).toEqual(new Set());
    await expect(
      store.addSuppression({ accountId: a.id, bridgeId: bb.id, address: 'z@y.test', reason: 'manual' }),
    ).rejects.toMatchObject({ code: 'BRIDGE_NOT_FOUND' });
    const keys = await store.suppressionKeys();
    expect(keys).toContainEqual({ bridgeId: null, accountId: a.id, address: 'x@y.test' });
    expect((await store.listSuppressions({ accountId: b.id, limit: 10 })).length).toBe(0);
  });
});
