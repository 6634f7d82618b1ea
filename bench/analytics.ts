/**
 * A Bridge stats query over synthetic events, aggregated path vs scanning raw events, in one run.
 *
 * Opens embedded chDB in a temp dir, applies the real schema (so `events_per_minute_mv` feeds the
 * aggregates on every insert) and generates BENCH_EVENTS events inside ClickHouse with
 * `INSERT … SELECT … FROM numbers()`, in chunks: 8 events per message (queued, sent, deferred,
 * delivered or bounced, opened ×2 with one by a machine, clicked, complained 1 in 50) over 20
 * Bridges, 4 Pools, 8 IPs and 30 days. Then, for one Bridge over the whole range:
 * - `aggregated`: `queryStats` (merges the uniqExact states of `events_per_minute`);
 * - `raw scan`: the same 13 totals with uniqExactIf over `events` (what stats cost without the
 *   aggregates), checked to give the same numbers.
 * Each query runs once to warm up, then BENCH_REPEAT times; the median is printed.
 *
 * Run: `node --import tsx bench/analytics.ts` (env BENCH_EVENTS, default 50_000_000 — 100 M takes
 * over 5 min to generate on a 2-core box at ~300 k events/s through the view; BENCH_REPEAT,
 * default 3).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  applySchema,
  openClickHouse,
  queryStats,
  type BridgeStats,
  type ClickHouseClient,
} from '../analytics/index.js';

const EVENTS = Number(process.env.BENCH_EVENTS) > 0 ? Math.floor(Number(process.env.BENCH_EVENTS)) : 50_000_000;
const REPEAT = Number(process.env.BENCH_REPEAT) > 0 ? Math.floor(Number(process.env.BENCH_REPEAT)) : 3;
const CHUNK = 10_000_000;
const DB = 'bridgemail';
const FROM = new Date(Date.UTC(2024, 0, 1));
// 100 M events span 30 days; fewer span proportionally less, so each minute holds as many events
// (and the aggregates compress as much) as at full scale.
const SPAN_MS = Math.max(3_600_000, Math.round((30 * 86_400_000 * EVENTS) / 100_000_000 / 60_000) * 60_000);
const TO = new Date(FROM.getTime() + SPAN_MS);
const BRIDGE = 'br_7';

/** Synthetic events for numbers() rows [offset, offset + count): see the file comment. */
function generateSql(offset: number, count: number): string {
  return `
    INSERT INTO ${DB}.events (event_id, type, ts, message_id, bridge_id, pool_id, ip, recipient, recipient_domain, attempt, machine, hard, reply_code)
    SELECT
      concat('ev', toString(number)) AS event_id,
      multiIf(k = 0, 'queued', k = 1, 'sent', k = 2, 'deferred', k = 3, if(intDiv(m, 20) % 10 = 0, 'bounced', 'delivered'),
              k IN (4, 5), 'opened', k = 6, 'clicked', if(intDiv(m, 20) % 50 = 0, 'complained', 'opened')) AS type,
      toDateTime64(${FROM.getTime() / 1000} + toUInt64(number * ${SPAN_MS / EVENTS / 1000}) + k, 3, 'UTC') AS ts,
      concat('msg', toString(m)) AS message_id,
      concat('br_', toString(m % 20)) AS bridge_id,
      concat('pool_', toString(m % 4)) AS pool_id,
      if(k IN (1, 2, 3), concat('10.0.', toString(m % 4), '.', toString(m % 8)), '') AS ip,
      concat('u', toString(m % 1000003), '@d', toString(m % 97), '.test') AS recipient,
      concat('d', toString(m % 97), '.test') AS recipient_domain,
      toUInt16(if(k = 2, 1, 0)) AS attempt,
      toUInt8(k = 5 OR (k = 6 AND intDiv(m, 20) % 5 = 0)) AS machine,
      toUInt8(k = 3 AND intDiv(m, 20) % 20 = 0) AS hard,
      toUInt16(multiIf(k = 2, 451, k = 3, if(intDiv(m, 20) % 10 = 0, 550, 250), 0)) AS reply_code
    FROM (SELECT number, intDiv(number, 8) AS m, number % 8 AS k FROM numbers(${offset}, ${count}))`;
}

/** The 13 totals of one Bridge scanning raw events, with the same dedup keys as the aggregates. */
async function rawTotals(client: ClickHouseClient): Promise<BridgeStats> {
  const result = await client.query({
    query: `
      SELECT
        uniqExactIf((message_id, recipient), type = 'sent')               AS sent,
        uniqExactIf((message_id, recipient), type = 'delivered')          AS delivered,
        uniqExactIf((message_id, recipient, attempt), type = 'deferred')  AS deferred,
        uniqExactIf((message_id, recipient), type = 'bounced')            AS bounced,
        uniqExactIf((message_id, recipient), type = 'bounced' AND hard = 1) AS hardBounces,
        uniqExactIf((message_id, recipient), type = 'bounced' AND hard = 0) AS softBounces,
        uniqExactIf((message_id, recipient), type = 'complained')         AS complaints,
        uniqExactIf(event_id, type = 'opened' AND machine = 0)            AS opens,
        uniqExactIf((message_id, recipient), type = 'opened' AND machine = 0) AS uniqueOpens,
        uniqExactIf(event_id, type = 'opened' AND machine = 1)            AS machineOpens,
        uniqExactIf(event_id, type = 'clicked' AND machine = 0)           AS clicks,
        uniqExactIf((message_id, recipient), type = 'clicked' AND machine = 0) AS uniqueClicks,
        uniqExactIf(event_id, type = 'clicked' AND machine = 1)           AS machineClicks
      FROM ${DB}.events
      WHERE bridge_id = {bridge:String} AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}`,
    query_params: {
      bridge: BRIDGE,
      from: FROM.toISOString().replace('T', ' ').replace('Z', ''),
      to: TO.toISOString().replace('T', ' ').replace('Z', ''),
    },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<Record<keyof BridgeStats, string>>();
  return Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, Number(v)])) as BridgeStats;
}

async function timeMedian<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  let value = await run();
  const times: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const start = performance.now();
    value = await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] ?? 0, value };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bridgemail-bench-analytics-'));
  const client = openClickHouse({ chdbPath: join(dir, 'chdb') });
  try {
    console.log(
      `nproc ${availableParallelism()}  node ${process.version}  events ${EVENTS.toLocaleString('en')}  repeat ${REPEAT}`,
    );
    await applySchema(client, DB);
    const insertStart = performance.now();
    for (let offset = 0; offset < EVENTS; offset += CHUNK) {
      await client.command({ query: generateSql(offset, Math.min(CHUNK, EVENTS - offset)) });
      const s = (performance.now() - insertStart) / 1000;
      console.log(`  generated ${Math.min(offset + CHUNK, EVENTS).toLocaleString('en')} events in ${s.toFixed(1)} s`);
    }
    const insertS = (performance.now() - insertStart) / 1000;
    const sizes = await (
      await client.query({
        query: `SELECT table, sum(rows) AS rows, sum(data_compressed_bytes) AS bytes FROM system.parts WHERE database = '${DB}' AND active GROUP BY table ORDER BY table`,
        format: 'JSONEachRow',
      })
    ).json<{ table: string; rows: string; bytes: string }>();
    console.log(
      `insert ${EVENTS.toLocaleString('en')} events through the view: ${insertS.toFixed(1)} s (${Math.round(EVENTS / insertS).toLocaleString('en')} events/s)`,
    );
    for (const s of sizes)
      console.log(
        `  ${s.table}: ${Number(s.rows).toLocaleString('en')} rows, ${(Number(s.bytes) / 1e6).toFixed(1)} MB compressed`,
      );

    const aggregated = await timeMedian(
      async () => (await queryStats(client, DB, { scope: { bridgeId: BRIDGE }, from: FROM, to: TO })).totals,
    );
    const raw = await timeMedian(() => rawTotals(client));
    const same = JSON.stringify(aggregated.value) === JSON.stringify(raw.value);
    console.log(
      `Bridge ${BRIDGE} stats over ${(SPAN_MS / 3_600_000).toFixed(0)} h (${(EVENTS / 20).toLocaleString('en')} of its events), median of ${REPEAT}:`,
    );
    console.log(`  aggregated (events_per_minute): ${aggregated.ms.toFixed(1)} ms`);
    console.log(`  raw scan (events):              ${raw.ms.toFixed(1)} ms`);
    console.log(`  ratio raw / aggregated:         ${(raw.ms / aggregated.ms).toFixed(1)}×   same totals: ${same}`);
    console.log(`  totals: ${JSON.stringify(aggregated.value)}`);
    if (!same) console.log(`  raw totals: ${JSON.stringify(raw.value)}`);
  } finally {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
