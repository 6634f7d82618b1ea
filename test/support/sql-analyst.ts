import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { toRow } from '../../analytics/index.js';
import { generateEvents } from './analytics-events.js';
import { startTestPlatform, type TestPlatform } from './test-platform.js';

/** The platform's ClickHouse database, as analysts name it. */
export const DB = 'bridgemail';

/** A platform serving the analysts' SQL endpoint, its events loaded, and one analyst credential. */
export interface AnalystPlatform {
  platform: TestPlatform;
  /** The endpoint's URL, ending in `/`. */
  base: string;
  name: string;
  secret: string;
  /** `@clickhouse/client` connected as the analyst to the platform's database. */
  analyst: ClickHouseClient;
  /** The events loaded into ClickHouse. */
  events: ReturnType<typeof generateEvents>;
  /** A raw HTTP POST, as curl makes it: the analyst's credentials unless `password` says otherwise (null: none). */
  raw: (
    query: string,
    init?: { params?: Record<string, string> | undefined; password?: string | null },
  ) => Promise<{ status: number; headers: Headers; body: string }>;
  stop(): Promise<void>;
}

/** Starts a platform with `BRIDGEMAIL_SQL_PORT` on, loads generated events and creates the analyst `ana`. */
export async function startAnalystPlatform(env: Record<string, string> = {}): Promise<AnalystPlatform> {
  const platform = await startTestPlatform({ BRIDGEMAIL_SQL_PORT: '0', ...env });
  const base = `http://127.0.0.1:${platform.ports.sql}/`;
  const events = generateEvents();
  for (let i = 0; i < events.length; i += 1000) {
    await platform.clickhouse!.insert({
      table: `${DB}.events`,
      values: events.slice(i, i + 1000).map(toRow),
      format: 'JSONEachRow',
    });
  }
  const created = await platform.admin('POST', '/admin/v1/analysts', { name: 'ana' });
  if (created.status !== 201) throw new Error(`analyst not created: ${created.status}`);
  const { name, secret } = created.body as { name: string; secret: string };
  const analyst = createClient({
    url: base,
    username: name,
    password: secret,
    database: DB,
    log: { level: ClickHouseLogLevel.OFF },
  });
  const raw: AnalystPlatform['raw'] = async (query, init = {}) => {
    const url = new URL(base);
    for (const [k, v] of Object.entries(init.params ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = {};
    const password = init.password === undefined ? secret : init.password;
    if (password !== null) headers.authorization = `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;
    const res = await fetch(url, { method: 'POST', body: query, headers });
    return { status: res.status, headers: res.headers, body: await res.text() };
  };
  return {
    platform,
    base,
    name,
    secret,
    analyst,
    events,
    raw,
    stop: async () => {
      await analyst.close();
      await platform.stop();
    },
  };
}
