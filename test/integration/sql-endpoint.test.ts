import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toRow } from '../../analytics/index.js';
import { DB, startAnalystPlatform, type AnalystPlatform } from '../support/sql-analyst.js';
import type { TestPlatform } from '../support/test-platform.js';

describe('the analysts’ read-only SQL endpoint (ClickHouse HTTP interface over embedded chDB)', () => {
  let setup: AnalystPlatform;
  let platform: TestPlatform;
  let base: string;
  let analyst: ClickHouseClient;
  let name: string;
  let secret: string;
  let events: AnalystPlatform['events'];
  let raw: AnalystPlatform['raw'];
  const eventCount = async () => Number((await raw(`SELECT count() FROM ${DB}.events`)).body.trim());

  beforeAll(async () => {
    setup = await startAnalystPlatform({ BRIDGEMAIL_SQL_MAX_RESULT_ROWS: '50000' });
    ({ platform, base, analyst, name, secret, events, raw } = setup);
  }, 120_000);
  afterAll(async () => {
    await setup?.stop();
  });

  it('answers /ping as ClickHouse does, and @clickhouse/client connects', async () => {
    const res = await fetch(`${base}ping`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('Ok.\n');
    expect((await analyst.ping()).success).toBe(true);
  });

  it('runs every example query of docs/analytics.md through @clickhouse/client', async () => {
    const doc = await readFile(new URL('../../docs/analytics.md', import.meta.url), 'utf8');
    const blocks = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    for (const sql of blocks) {
      const result = await analyst
        .query({ query: sql.trim().replace(/;\s*$/, ''), format: 'JSONEachRow' })
        .catch((err: unknown) => {
          throw new Error(`docs query failed: ${String(err)}\n${sql}`);
        });
      expect(Array.isArray(await result.json())).toBe(true);
    }
    const [row] = await (
      await analyst.query({ query: 'SELECT uniqExact(event_id) AS u FROM events', format: 'JSONEachRow' })
    ).json<{ u: string }>();
    expect(Number(row?.u)).toBe(events.length);
  });

  it('speaks the formats, the database and default_format parameters and the X-ClickHouse headers', async () => {
    const q = 'SELECT number AS n, toString(number) AS s FROM numbers(2)';
    const tsv = await raw(q);
    expect(tsv.status).toBe(200);
    expect(tsv.body).toBe('0\t0\n1\t1\n');
    expect(tsv.headers.get('x-clickhouse-format')).toBe('TabSeparated');
    expect(JSON.parse(tsv.headers.get('x-clickhouse-summary') ?? '{}')).toHaveProperty('read_rows');
    expect((await raw(`${q} FORMAT TSVWithNames`)).body).toBe('n\ts\n0\t0\n1\t1\n');
    expect((await raw(q, { params: { default_format: 'CSVWithNames' } })).body).toBe('"n","s"\n0,"0"\n1,"1"\n');
    const each = await raw(q, { params: { default_format: 'JSONEachRow' } });
    expect(each.headers.get('x-clickhouse-format')).toBe('JSONEachRow');
    // chDB's JSON formats keep 64-bit integers unquoted (output_format_json_quote_64bit_integers = 0).
    const rows = each.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { n: unknown; s: string });
    expect(rows.map((r) => [Number(r.n), r.s])).toEqual([
      [0, '0'],
      [1, '1'],
    ]);
    const json = JSON.parse((await raw(`${q} FORMAT JSON`)).body);
    expect(json.rows).toBe(2);
    expect(json.meta).toEqual([
      { name: 'n', type: 'UInt64' },
      { name: 's', type: 'String' },
    ]);
    // The query in the URL, GET, and the database parameter.
    const get = await fetch(
      `${base}?query=${encodeURIComponent('SELECT currentDatabase()')}&database=system&user=${name}&password=${secret}`,
    );
    expect(await get.text()).toBe('system\n');
    const headers = { 'X-ClickHouse-User': name, 'X-ClickHouse-Key': secret };
    const viaHeaders = await fetch(`${base}?query=${encodeURIComponent('SELECT currentDatabase()')}`, { headers });
    expect(await viaHeaders.text()).toBe(`${DB}\n`);
    expect((await raw('SHOW TABLES')).body).toContain('events');
    expect((await raw('DESCRIBE TABLE events')).body).toContain('event_id');
    expect((await raw(`EXISTS TABLE ${DB}.events`)).body).toBe('1\n');
    expect((await raw('EXPLAIN SELECT 1')).status).toBe(200);
    // Binary formats of the tools' drivers (Grafana's clickhouse-go: Native; Metabase's JDBC: RowBinary…).
    for (const format of ['Native', 'RowBinaryWithNamesAndTypes']) {
      const res = await raw(`SELECT 1 AS one FORMAT ${format}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-clickhouse-format')).toBe(format);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.body.length).toBeGreaterThan(0);
    }
    expect((await raw('WITH 2 AS x SELECT x * 3;  -- trailing comment\n')).body).toBe('6\n');
  });

  it('refuses wrong, missing and bad credentials with 516 AUTHENTICATION_FAILED', async () => {
    for (const password of [null, 'wrong', `${secret}x`, platform.adminToken]) {
      const res = await raw('SELECT 1', { password });
      expect(res.status).toBe(401);
      expect(res.headers.get('x-clickhouse-exception-code')).toBe('516');
      expect(res.body).toMatch(/^Code: 516\. DB::Exception: .*\(AUTHENTICATION_FAILED\)\n$/);
    }
    const bad = createClient({
      url: base,
      username: 'someone',
      password: secret,
      log: { level: ClickHouseLogLevel.OFF },
    });
    await expect(bad.query({ query: 'SELECT 1' })).rejects.toMatchObject({ code: '516' });
    await bad.close();
  });

  const forbidden: [string, string, number, Record<string, string>?][] = [
    ['INSERT', `INSERT INTO ${DB}.events (event_id) VALUES ('x')`, 164],
    ['ALTER', `ALTER TABLE ${DB}.events DELETE WHERE 1`, 164],
    ['DROP', `DROP TABLE ${DB}.events`, 164],
    ['CREATE', 'CREATE TABLE t (x UInt8) ENGINE = Memory', 164],
    ['TRUNCATE', `TRUNCATE TABLE ${DB}.events`, 164],
    ['OPTIMIZE', `OPTIMIZE TABLE ${DB}.events FINAL`, 164],
    ['SYSTEM', 'SYSTEM DROP MARK CACHE', 164],
    ['KILL', 'KILL QUERY ALL', 164],
    ['SET', 'SET readonly = 0', 164],
    ['GRANT', 'GRANT ALL ON *.* TO default', 164],
    ['ATTACH', `ATTACH TABLE ${DB}.x`, 164],
    ['DETACH', `DETACH TABLE ${DB}.events`, 164],
    ['RENAME', `RENAME TABLE ${DB}.events TO ${DB}.gone`, 164],
    ['DELETE', `DELETE FROM ${DB}.events WHERE 1`, 164],
    ['USE', 'USE system', 164],
    ['file()', "SELECT * FROM file('/etc/passwd', 'LineAsString')", 497],
    ['url()', "SELECT * FROM url('http://127.0.0.1:1/x', 'CSV', 'a String')", 497],
    ['s3()', "SELECT * FROM s3('http://127.0.0.1:1/b/k', 'CSV')", 497],
    ['remote()', "SELECT * FROM remote('127.0.0.1:9000', system.one)", 497],
    ['mysql()', "SELECT * FROM mysql('127.0.0.1:3306', 'd', 't', 'u', 'p')", 497],
    ['postgresql()', "SELECT * FROM postgresql('127.0.0.1:5432', 'd', 't', 'u', 'p')", 497],
    ['INTO OUTFILE', "SELECT 1 INTO OUTFILE '/tmp/bridgemail-sql-endpoint-test.txt'", 497],
    ['INTO OUTFILE hidden by a comment', "SELECT 1 INTO/**/OUTFILE '/tmp/bridgemail-sql-endpoint-test.txt'", 497],
    ['icebergS3()', "SELECT * FROM icebergS3('http://127.0.0.1:1/b/t')", 497],
    ['deltaLakeAzure()', "SELECT * FROM deltaLakeAzure('x', 'y', 'z')", 497],
    ['fileCluster()', "SELECT * FROM fileCluster('c', '/etc/passwd')", 497],
    ['executable()', "SELECT * FROM executable('x.sh', 'TSV', 'a String')", 497],
    ['a table function in a subquery', "SELECT (SELECT count() FROM FILE ('/etc/passwd', 'LineAsString'))", 497],
    ['a second statement', `SELECT 1; DROP TABLE ${DB}.events`, 62],
    ['a second statement after a comment', `SELECT 1 /* ; */; -- x\nDROP TABLE ${DB}.events`, 62],
    ['a statement hidden after a block comment', `/* SELECT */ DROP TABLE ${DB}.events`, 164],
    ['a statement after a line comment', `-- SELECT 1\nDROP TABLE ${DB}.events`, 164],
    ['a nested comment', `/* /* */ SELECT */ DROP TABLE ${DB}.events`, 164],
    ['an unterminated comment', 'SELECT 1 /* ', 62],
    ['an unterminated string', "SELECT 'x", 62],
    ['SETTINGS readonly = 0', `SELECT count() FROM ${DB}.events SETTINGS readonly = 0`, 164],
    ['SETTINGS max_result_rows', 'SELECT 1 SETTINGS max_result_rows = 0', 164],
    ['an empty query', '  -- nothing\n', 62],
    ['a table function by a quoted name', "SELECT * FROM `file`('/etc/passwd', 'LineAsString')", 497],
    ['a table function by a double-quoted name', `SELECT * FROM "s3"('http://127.0.0.1:1/b/k', 'CSV')`, 497],
    [
      'a table function named by an Identifier parameter',
      "SELECT * FROM {f:Identifier}('/etc/passwd', 'LineAsString')",
      497,
      { param_f: 'file' },
    ],
    ['a call smuggled in a parameter type', "SELECT {a:String) FROM file('/etc/passwd'}", 497, { param_a: 'x' }],
  ];

  it.each(forbidden)('refuses %s with its ClickHouse code, and the data stays', async (_, sql, code, params) => {
    const before = await eventCount();
    expect(before).toBe(events.length);
    const res = await raw(sql, { params });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers.get('x-clickhouse-exception-code')).toBe(String(code));
    expect(res.body).toMatch(new RegExp(`^Code: ${code}\\. DB::Exception: .+\\([A-Z_]+\\)\\n$`));
    expect(await eventCount()).toBe(before);
    expect((await raw(`EXISTS TABLE ${DB}.events`)).body).toBe('1\n');
  });

  it('wrote no file for INTO OUTFILE', () => {
    expect(existsSync('/tmp/bridgemail-sql-endpoint-test.txt')).toBe(false);
  });

  it('keeps a semicolon or a comment marker inside a string literal as data', async () => {
    expect((await raw("SELECT 'a; DROP TABLE x' AS s")).body).toBe('a; DROP TABLE x\n');
    // TSV escapes the quote.
    expect((await raw("SELECT 'it''s -- not /* a comment */'")).body).toBe("it\\'s -- not /* a comment */\n");
    expect((await raw("SELECT 'file(x)' AS s")).body).toBe('file(x)\n');
    // URL functions are not the url() table function.
    expect((await raw("SELECT length(URLHierarchy('https://a.test/b/c'))")).body).toBe('3\n');
  });

  it('refuses a result over the configured size with TOO_MANY_ROWS_OR_BYTES (396)', async () => {
    const res = await raw('SELECT number FROM numbers(100000)');
    expect(res.status).toBe(500);
    expect(res.headers.get('x-clickhouse-exception-code')).toBe('396');
    expect(res.body).toContain('TOO_MANY_ROWS_OR_BYTES');
    // Settings in URL parameters do not lift the limits.
    const lifted = await raw('SELECT number FROM numbers(100000)', {
      params: { max_result_rows: '0', readonly: '0', result_overflow_mode: 'break' },
    });
    expect(lifted.headers.get('x-clickhouse-exception-code')).toBe('396');
    // @clickhouse/client sees ClickHouse's error.
    await expect(analyst.query({ query: 'SELECT number FROM numbers(100000)' })).rejects.toMatchObject({
      code: '396',
    });
  });

  it('refuses a query reading more rows than configured with TOO_MANY_ROWS (158)', async () => {
    const res = await raw('SELECT count() FROM numbers(200000000)');
    expect(res.status).toBe(500);
    expect(res.headers.get('x-clickhouse-exception-code')).toBe('158');
    expect(res.body).toMatch(/^Code: 158\. DB::Exception: .+\(TOO_MANY_ROWS\)\n$/);
  });

  it('lists analysts without secrets, audits changes, and refuses a revoked credential', async () => {
    const other = await platform.admin('POST', '/admin/v1/analysts', { name: 'temp' });
    expect(other.status).toBe(201);
    expect((await platform.admin('POST', '/admin/v1/analysts', { name: 'temp' })).status).toBe(409);
    expect((await platform.admin('POST', '/admin/v1/analysts', { name: 'bad name' })).status).toBe(400);
    const list = await platform.admin('GET', '/admin/v1/analysts');
    expect(list.body.data.map((a: { name: string }) => a.name)).toEqual(['ana', 'temp']);
    expect(JSON.stringify(list.body)).not.toContain(other.body.secret);
    const client = createClient({
      url: base,
      username: 'temp',
      password: other.body.secret,
      log: { level: ClickHouseLogLevel.OFF },
    });
    expect(await (await client.query({ query: 'SELECT 1', format: 'JSONEachRow' })).json()).toEqual([{ '1': 1 }]);
    expect((await platform.admin('DELETE', `/admin/v1/analysts/${other.body.id}`)).status).toBe(204);
    expect((await platform.admin('DELETE', `/admin/v1/analysts/${other.body.id}`)).status).toBe(404);
    await expect(client.query({ query: 'SELECT 1' })).rejects.toMatchObject({ code: '516' });
    await client.close();
    const audit = await platform.admin('GET', `/admin/v1/audit?targetId=${other.body.id}`);
    expect(audit.body.data.map((e: { action: string }) => e.action).sort()).toEqual([
      'analyst.create',
      'analyst.revoke',
    ]);
    expect(JSON.stringify(audit.body)).not.toContain(other.body.secret);
  });

  it('limits failed authentications like the admin plane, and still serves the valid secret', async () => {
    let limited: Awaited<ReturnType<typeof raw>> | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      const res = await raw('SELECT 1', { password: `guess${i}` });
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(401);
    }
    expect(limited?.headers.get('x-clickhouse-exception-code')).toBe('516');
    expect(limited?.body).toMatch(/^Code: 516\. DB::Exception: Too many failed authentications/);
    expect((await raw('SELECT 1')).body).toBe('1\n');
  });

  it('runs analyst queries one at a time: beyond the waiting line, 503 with 202 TOO_MANY_SIMULTANEOUS_QUERIES', async () => {
    const heavy = 'SELECT sum(number) FROM numbers(80000000)';
    const results = await Promise.all(Array.from({ length: 20 }, () => raw(heavy)));
    const busy = results.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    for (const r of busy) {
      expect(r.headers.get('x-clickhouse-exception-code')).toBe('202');
      expect(r.body).toContain('(TOO_MANY_SIMULTANEOUS_QUERIES)');
    }
    const served = results.filter((r) => r.status === 200);
    expect(served.length).toBeGreaterThanOrEqual(9);
    for (const r of served) expect(r.body).toBe('3199999960000000\n');
  });

  it('counts analyst queries by outcome on /metrics', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${platform.ports.ops}/metrics`)).text();
    const count = (outcome: string) =>
      Number(new RegExp(`^bridgemail_sql_queries_total\\{outcome="${outcome}"[^}]*\\} (\\d+)`, 'm').exec(metrics)?.[1]);
    expect(count('ok')).toBeGreaterThan(10);
    expect(count('READONLY')).toBeGreaterThanOrEqual(15);
    expect(count('AUTHENTICATION_FAILED')).toBeGreaterThan(0);
    expect(metrics).toMatch(/^bridgemail_sql_query_seconds_total\{[^}]*\} [\d.]+$/m);
  });

  it('leaves the platform writing: events inserted after analyst queries land', async () => {
    await platform.clickhouse!.insert({
      table: `${DB}.events`,
      values: events.slice(0, 3).map(toRow),
      format: 'JSONEachRow',
    });
    expect(await eventCount()).toBe(events.length + 3);
  });
});
