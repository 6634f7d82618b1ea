import { request } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import AplaClickHouse from '@apla/clickhouse';
import { ClickHouseLogLevel, createClient, TupleParam } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressBlocks, decompressBlocks } from '../../analytics/native-compression.js';
import { DB, startAnalystPlatform, type AnalystPlatform } from '../support/sql-analyst.js';

describe('the SQL endpoint speaks what ClickHouse clients and data sources send', () => {
  let setup: AnalystPlatform;
  let raw: AnalystPlatform['raw'];
  let analyst: AnalystPlatform['analyst'];
  let base: string;
  let name: string;
  let secret: string;
  let events: AnalystPlatform['events'];
  const eventCount = async () => Number((await raw(`SELECT count() FROM ${DB}.events`)).body.trim());

  beforeAll(async () => {
    setup = await startAnalystPlatform();
    ({ raw, analyst, base, name, secret, events } = setup);
  }, 120_000);
  afterAll(async () => {
    await setup?.stop();
  });

  it('binds query parameters as ClickHouse does: typed, never read as code, left alone in literals', async () => {
    const rs = await analyst.query({
      query:
        'SELECT {s:String} AS s, {d:DateTime} AS d, {arr:Array(String)} AS arr, {t:Tuple(UInt8, String)} AS t, ' +
        '{n:Nullable(String)} AS n, {u:UInt64} AS u, {id:Identifier} AS i FROM (SELECT 7 AS seven)',
      query_params: {
        s: "it's\ta \\ test\n'); DROP TABLE events; --",
        d: new Date('2026-01-02T03:04:05Z'),
        arr: ["x'y", 'z\\w'],
        t: new TupleParam([1, "a'b"]),
        n: null,
        u: 42,
        id: 'seven',
      },
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([
      {
        s: "it's\ta \\ test\n'); DROP TABLE events; --",
        d: '2026-01-02 03:04:05',
        arr: ["x'y", 'z\\w'],
        t: [1, "a'b"],
        n: null,
        u: 42,
        i: 7,
      },
    ]);
    expect(await eventCount()).toBe(events.length);
    // curl's way: param_ in the URL; a placeholder inside a literal or a comment stays text.
    const curl = await raw("SELECT {a:UInt8} + 1, '{a:UInt8}' /* {b:String} */", { params: { param_a: '41' } });
    expect(curl.body).toBe('42\t{a:UInt8}\n');
    const missing = await raw('SELECT {a:UInt8}');
    expect(missing.status).toBe(400);
    expect(missing.body).toMatch(
      /^Code: 456\. DB::Exception: Substitution `a` is not set\. \(UNKNOWN_QUERY_PARAMETER\)/,
    );
    const bad = await raw('SELECT {a:UInt8}', { params: { param_a: 'many' } });
    expect(bad.headers.get('x-clickhouse-exception-code')).not.toBeNull();
  });

  it('compresses results with enable_http_compression and reads compressed bodies, as ClickHouse does', async () => {
    const query = 'SELECT number FROM numbers(1000) FORMAT TSV';
    const get = (path: string, headers: Record<string, string>, body?: Buffer) =>
      new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
        const req = request(`${base}${path}`, { method: 'POST', auth: `${name}:${secret}`, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        });
        req.on('error', reject);
        req.end(body ?? query);
      });
    const expected = Array.from({ length: 1000 }, (_, i) => `${i}\n`).join('');
    const zipped = await get('?enable_http_compression=1', { 'accept-encoding': 'br;q=0.5, gzip' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(zipped.body).toString()).toBe(expected);
    // Without the setting, or without an encoding the client accepts, the result goes out plain.
    expect((await get('', { 'accept-encoding': 'gzip' })).body.toString()).toBe(expected);
    expect((await get('?enable_http_compression=1', { 'accept-encoding': 'zstd' })).body.toString()).toBe(expected);
    const sent = await get('', { 'content-encoding': 'gzip' }, gzipSync(query));
    expect(sent.body.toString()).toBe(expected);
    const garbled = await get('', { 'content-encoding': 'gzip' }, Buffer.from('not gzip'));
    expect([garbled.status, garbled.body.toString()]).toEqual([
      400,
      expect.stringMatching(/^Code: 354\. DB::Exception: Cannot decompress/) as unknown,
    ]);
    // ClickHouse's own blocks (JDBC's and clickhouse-go's default): LZ4 results, compressed queries.
    const framed = await get('?compress=1', {});
    expect(framed.body.readUInt8(16)).toBe(0x82);
    expect(decompressBlocks(framed.body, 1 << 20).toString()).toBe(expected);
    expect(framed.body.length).toBeLessThan(expected.length);
    const both = await get('?compress=1&enable_http_compression=1', { 'accept-encoding': 'gzip' });
    expect(decompressBlocks(gunzipSync(both.body), 1 << 20).toString()).toBe(expected);
    expect((await get('?decompress=1', {}, compressBlocks(Buffer.from(query)))).body.toString()).toBe(expected);
    const damaged = compressBlocks(Buffer.from(query));
    damaged[damaged.length - 1] = damaged[damaged.length - 1]! ^ 0xff;
    const refused = await get('?decompress=1', {}, damaged);
    expect([refused.status, refused.body.toString()]).toEqual([
      400,
      expect.stringMatching(/^Code: 40\. DB::Exception: .*\(CHECKSUM_DOESNT_MATCH\)/) as unknown,
    ]);
    // @clickhouse/client compresses both ways when asked to.
    const client = createClient({
      url: base,
      username: name,
      password: secret,
      database: DB,
      compression: { request: true, response: true },
      log: { level: ClickHouseLogLevel.OFF },
    });
    const rows = await (await client.query({ query: 'SELECT count() AS c FROM events', format: 'JSONEachRow' })).json();
    expect(rows).toEqual([{ c: events.length }]);
    await client.close();
    expect(zipped.headers['x-clickhouse-timezone']).toBeTruthy();
  });

  it('serves a second, independent client unchanged (@apla/clickhouse, as Cube and PostHog use it)', async () => {
    const port = Number(new URL(base).port);
    const client = new AplaClickHouse({ host: '127.0.0.1', port, user: name, password: secret });
    const compact = await client.querying(`SELECT type, count() AS n FROM ${DB}.events GROUP BY type ORDER BY type`);
    expect(compact.meta.map((m) => m.name)).toEqual(['type', 'n']);
    expect(compact.rows).toBeGreaterThan(1);
    const objects = new AplaClickHouse({ host: '127.0.0.1', port, user: name, password: secret, dataObjects: true });
    expect((await objects.querying('SELECT 1 AS one')).data).toEqual([{ one: 1 }]);
    // Its read-only mode sends GET with the query in the URL.
    const viaGet = new AplaClickHouse({ host: '127.0.0.1', port, user: name, password: secret, readonly: true });
    expect((await viaGet.querying('SELECT 2 AS two')).data).toEqual([[2]]);
    await expect(objects.querying(`DROP TABLE ${DB}.events`)).rejects.toThrow(/READONLY|164/);
    expect(await eventCount()).toBe(events.length);
  });

  it('answers the metadata queries data sources run to connect and browse the schema', async () => {
    // Grafana's and Metabase's ClickHouse sources, and JDBC's DatabaseMetaData, ask these.
    const queries: [string, RegExp][] = [
      ['SELECT 1', /^1\n$/],
      ['SELECT version()', /^\d+\.\d+/],
      ['SELECT currentUser(), timezone(), version()', /\t/],
      ['SHOW DATABASES', new RegExp(`(^|\n)${DB}\n`)],
      [`SHOW TABLES FROM ${DB}`, /(^|\n)events\n/],
      [`DESC TABLE ${DB}.events`, /^event_id\t/],
      ['SELECT name FROM system.databases ORDER BY name', new RegExp(`(^|\n)${DB}\n`)],
      [`SELECT name, engine FROM system.tables WHERE database = '${DB}' ORDER BY name`, /(^|\n)events\t\w*MergeTree/],
      [
        `SELECT name, type, position FROM system.columns WHERE database = '${DB}' AND table = 'events' ` +
          'ORDER BY position',
        /^event_id\t/,
      ],
      ["SELECT name, is_aggregate FROM system.functions WHERE name = 'count'", /^count\t1\n$/],
    ];
    for (const [query, expected] of queries) {
      const res = await raw(query);
      expect([query, res.status, res.body]).toEqual([query, 200, expect.stringMatching(expected) as unknown]);
    }
  });
});
