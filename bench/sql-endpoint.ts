/**
 * Stats API latency while an analyst runs heavy aggregations on the SQL endpoint, next to the same
 * without the analyst, in one run.
 *
 * Starts every role in this process (embedded engines, `BRIDGEMAIL_SQL_PORT=0`), creates a Pool, a
 * Bridge and an analyst through the admin API and generates BENCH_EVENTS events inside ClickHouse
 * (`INSERT … SELECT … FROM numbers()`, through the aggregates' view; a tenth of them on the Bridge).
 * Then, for BENCH_SECONDS each:
 * - `alone`: `GET /admin/v1/bridges/:id/stats` over the whole range, back to back;
 * - `with analyst`: the same while `@clickhouse/client`, with the analyst's credentials, runs a
 *   GROUP BY over every event (uniqExact per recipient domain) in a loop.
 * Prints p50 / p99 of each and their ratio, and how many analyst queries completed.
 *
 * Run: `node --import tsx bench/sql-endpoint.ts` (env BENCH_EVENTS, default 10_000_000;
 * BENCH_SECONDS, default 20).
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { startPlatform } from '../cli/platform.js';
import { createLogger, loadConfig } from '../core/index.js';
import { loopbackEnv } from './bench-platform.js';

const EVENTS = Number(process.env.BENCH_EVENTS) > 0 ? Math.floor(Number(process.env.BENCH_EVENTS)) : 10_000_000;
const SECONDS = Number(process.env.BENCH_SECONDS) > 0 ? Number(process.env.BENCH_SECONDS) : 20;
const CHUNK = 5_000_000;
const DB = 'bridgemail';
const FROM = new Date(Date.UTC(2024, 0, 1));
const SPAN_MS = 7 * 86_400_000;
const TO = new Date(FROM.getTime() + SPAN_MS);

/** Synthetic events for numbers() rows [offset, offset + count): 8 per message over 10 Bridges, `bridgeId` one of them. */
function generateSql(bridgeId: string, offset: number, count: number): string {
  return `
    INSERT INTO ${DB}.events (event_id, type, ts, message_id, bridge_id, pool_id, ip, recipient, recipient_domain, attempt, machine, hard, reply_code)
    SELECT
      concat('ev', toString(number)) AS event_id,
      multiIf(k = 0, 'queued', k = 1, 'sent', k = 2, 'deferred', k = 3, if(intDiv(m, 10) % 10 = 0, 'bounced', 'delivered'),
              k IN (4, 5), 'opened', k = 6, 'clicked', 'opened') AS type,
      toDateTime64(${FROM.getTime() / 1000} + toUInt64(number * ${SPAN_MS / EVENTS / 1000}) + k, 3, 'UTC') AS ts,
      concat('msg', toString(m)) AS message_id,
      if(m % 10 = 0, '${bridgeId}', concat('br_', toString(m % 10))) AS bridge_id,
      'pool_0' AS pool_id,
      if(k IN (1, 2, 3), concat('10.0.0.', toString(m % 8)), '') AS ip,
      concat('u', toString(m % 1000003), '@d', toString(m % 97), '.test') AS recipient,
      concat('d', toString(m % 97), '.test') AS recipient_domain,
      toUInt16(if(k = 2, 1, 0)) AS attempt,
      toUInt8(k = 5) AS machine,
      toUInt8(k = 3 AND intDiv(m, 10) % 20 = 0) AS hard,
      toUInt16(multiIf(k = 2, 451, k = 3, 250, 0)) AS reply_code
    FROM (SELECT number, intDiv(number, 8) AS m, number % 8 AS k FROM numbers(${offset}, ${count}))`;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bridgemail-bench-sql-'));
  const config = loadConfig({ ...loopbackEnv(dataDir), BRIDGEMAIL_SQL_PORT: '0' });
  const platform = await startPlatform(
    config,
    createLogger({ level: config.logLevel, destination: createWriteStream('/dev/null') }),
  );
  const admin = async (method: string, path: string, body?: unknown): Promise<Record<string, string>> => {
    const res = await fetch(`${platform.urls.admin}${path}`, {
      method,
      headers: { authorization: `Bearer ${platform.adminToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (res.status >= 300) throw new Error(`admin ${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as Record<string, string>;
  };
  try {
    console.log(`nproc ${availableParallelism()}  node ${process.version}  events ${EVENTS.toLocaleString('en')}`);
    const pool = await admin('POST', '/admin/v1/pools', { name: 'bench', ips: ['127.0.0.2'] });
    const bridge = await admin('POST', '/admin/v1/bridges', { name: 'bench', poolId: pool.id ?? '' });
    const analyst = await admin('POST', '/admin/v1/analysts', { name: 'bench' });
    const writer = platform.clickhouse;
    if (!writer) throw new Error('no ClickHouse client');
    const start = performance.now();
    for (let offset = 0; offset < EVENTS; offset += CHUNK) {
      await writer.command({ query: generateSql(bridge.id ?? '', offset, Math.min(CHUNK, EVENTS - offset)) });
    }
    console.log(
      `generated ${EVENTS.toLocaleString('en')} events in ${((performance.now() - start) / 1000).toFixed(1)} s`,
    );

    const statsPath = `/admin/v1/bridges/${bridge.id ?? ''}/stats?from=${FROM.toISOString()}&to=${TO.toISOString()}`;
    const measure = async () => {
      const times: number[] = [];
      const end = performance.now() + SECONDS * 1000;
      while (performance.now() < end) {
        const t = performance.now();
        await admin('GET', statsPath);
        times.push(performance.now() - t);
      }
      return times.sort((a, b) => a - b);
    };
    await admin('GET', statsPath); // warm-up
    const alone = await measure();

    const client = createClient({
      url: `http://127.0.0.1:${platform.ports.sql}`,
      username: analyst.name ?? '',
      password: analyst.secret ?? '',
      database: DB,
      request_timeout: 120_000,
      log: { level: ClickHouseLogLevel.OFF },
    });
    let running = true;
    let analystQueries = 0;
    const analystMs: number[] = [];
    const loop = (async () => {
      while (running) {
        const t = performance.now();
        await (
          await client.query({
            query:
              'SELECT recipient_domain, uniqExact(message_id) AS messages, uniqExact(recipient) AS recipients, count() AS events FROM events GROUP BY recipient_domain ORDER BY messages DESC',
            format: 'JSONEachRow',
          })
        ).json();
        analystMs.push(performance.now() - t);
        analystQueries++;
      }
    })();
    const withAnalyst = await measure();
    running = false;
    await loop;
    await client.close();

    const line = (label: string, t: number[]) =>
      `  ${label.padEnd(14)} p50 ${percentile(t, 50).toFixed(1).padStart(7)} ms   p99 ${percentile(t, 99).toFixed(1).padStart(7)} ms   (${t.length} requests)`;
    console.log(`stats API (GET /admin/v1/bridges/:id/stats over ${SPAN_MS / 86_400_000} days), ${SECONDS} s each:`);
    console.log(line('alone', alone));
    console.log(line('with analyst', withAnalyst));
    console.log(
      `  ratio with / alone: p50 ${(percentile(withAnalyst, 50) / percentile(alone, 50)).toFixed(2)}×, p99 ${(percentile(withAnalyst, 99) / percentile(alone, 99)).toFixed(2)}×`,
    );
    const sortedAnalyst = analystMs.sort((a, b) => a - b);
    console.log(
      `  analyst: ${analystQueries} aggregations over ${EVENTS.toLocaleString('en')} events, median ${percentile(sortedAnalyst, 50).toFixed(0)} ms`,
    );
  } finally {
    await platform.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
