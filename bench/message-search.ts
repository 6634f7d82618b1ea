/**
 * The activity search (`searchMessages`) over synthetic events: the platform's `events` table
 * against a plain copy of the same rows, in one run.
 *
 * Opens embedded chDB in a temp dir, creates `events` with the platform's DDL (`eventsSchema`:
 * its ORDER BY, skip index and recipient projection; the per-minute aggregates are left out, the search does not read
 * them) and a copy `scan.events`: the same columns in a MergeTree with no sort key, skip index or
 * projection, so every query there is a plain scan. Both are filled with the same BENCH_EVENTS
 * events, generated inside ClickHouse by `INSERT … SELECT … FROM numbers()` in chunks: 5 events a
 * message (queued, sent, a deferral or an open, delivered / bounced / deferred again, a click or a
 * complaint) over 20 Bridges (a hash of the message, so each Bridge has every outcome), 2 M
 * recipients and 30 days (fewer events span fewer days, so a day holds as many events as at full
 * scale). Then, on both tables, with the same answer checked:
 * - (a) one recipient's messages (exact address, newest first);
 * - (b) one Bridge's bounced messages of the last full day;
 * - (c) the same for a day two weeks back (when the data spans that far): the query reads every
 *   event after that day, as a later retry or report can change a message's state;
 * - (d) one Bridge's messages of that day, any state.
 * Each runs once (its time printed as the first run), then BENCH_REPEAT times, each run another
 * address or Bridge so that no cache answers a repeat, the two tables taking turns to go first;
 * the median of the repeats is printed.
 *
 * Run: `node --import tsx bench/message-search.ts` (env BENCH_EVENTS, default 100_000_000;
 * BENCH_REPEAT, default 3).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { eventsSchema, openClickHouse, searchMessages, type ClickHouseClient } from '../analytics/index.js';
import type { MessageSearch } from '../core/index.js';

const EVENTS = Number(process.env.BENCH_EVENTS) > 0 ? Math.floor(Number(process.env.BENCH_EVENTS)) : 100_000_000;
const REPEAT = Number(process.env.BENCH_REPEAT) > 0 ? Math.floor(Number(process.env.BENCH_REPEAT)) : 3;
const CHUNK = 10_000_000;
const DB = 'bridgemail';
const SCAN_DB = 'scan';
const PER_MESSAGE = 5;
const DAY_MS = 86_400_000;
const FROM = Date.UTC(2024, 0, 1);
const SPAN_MS = Math.max(2 * DAY_MS, Math.round((30 * DAY_MS * EVENTS) / 100_000_000 / 1000) * 1000);
const TO = FROM + SPAN_MS;
const MESSAGES = Math.ceil(EVENTS / PER_MESSAGE);

/** Synthetic events for numbers() rows [offset, offset + count) into `table`: see the file comment. */
function generateSql(table: string, offset: number, count: number): string {
  return `
    INSERT INTO ${table} (event_id, type, ts, message_id, bridge_id, pool_id, ip, recipient, recipient_domain, attempt, hard, reply_code, reply)
    SELECT
      concat('ev', toString(number)) AS event_id,
      multiIf(k = 0, 'queued', k = 1, 'sent', k = 2, if(m % 5 = 0, 'deferred', 'opened'),
              k = 3, multiIf(m % 20 = 1, 'bounced', m % 50 = 2, 'deferred', 'delivered'),
              if(m % 200 = 3, 'complained', 'clicked')) AS type,
      toDateTime64(${FROM / 1000} + intDiv(m * ${SPAN_MS / 1000}, ${MESSAGES}) + [0, 1, 60, 300, 7200][k + 1], 3, 'UTC') AS ts,
      concat('msg', toString(m)) AS message_id,
      concat('br_', toString(intHash32(m) % 20)) AS bridge_id,
      concat('pool_', toString(intHash32(m) % 4)) AS pool_id,
      if(k IN (1, 2, 3), concat('10.0.', toString(m % 4), '.', toString(m % 8)), '') AS ip,
      concat('u', toString(m % 2000003), '@d', toString(m % 2000003 % 97), '.test') AS recipient,
      concat('d', toString(m % 2000003 % 97), '.test') AS recipient_domain,
      toUInt16(multiIf(k = 2 AND m % 5 = 0, 1, k = 3, if(m % 5 = 0, 2, 1), 0)) AS attempt,
      toUInt8(k = 3 AND m % 20 = 1) AS hard,
      toUInt16(multiIf(k = 3 AND m % 20 = 1, 550, k = 3, 250, k = 2 AND m % 5 = 0, 451, 0)) AS reply_code,
      multiIf(k = 3 AND m % 20 = 1, '550 5.1.1 user unknown', k = 3, '250 ok', '') AS reply
    FROM (SELECT number, intDiv(number, ${PER_MESSAGE}) AS m, number % ${PER_MESSAGE} AS k FROM numbers(${offset}, ${count}))`;
}

interface Timing<T> {
  s: number;
  cold: number;
  value: T;
}

/**
 * Times run i of `a` and of `b` for i = 0 … REPEAT, alternating which goes first, so that a change
 * in the machine's load falls on both sides alike. Run 0 is the first (cold) run; the median of the
 * others is the figure.
 */
async function timeBoth<T>(
  a: (i: number) => Promise<T>,
  b: (i: number) => Promise<T>,
): Promise<[Timing<T>, Timing<T>]> {
  const times: [number[], number[]] = [[], []];
  const values: [T | undefined, T | undefined] = [undefined, undefined];
  for (let i = 0; i <= REPEAT; i++) {
    for (const side of i % 2 === 0 ? [0, 1] : [1, 0]) {
      const start = performance.now();
      const value = await (side === 0 ? a : b)(i);
      times[side]!.push((performance.now() - start) / 1000);
      if (i === 0) values[side] = value;
    }
  }
  const timing = (side: 0 | 1): Timing<T> => {
    const [cold = 0, ...rest] = times[side];
    rest.sort((x, y) => x - y);
    return { s: rest[Math.floor(rest.length / 2)] ?? cold, cold, value: values[side] as T };
  };
  return [timing(0), timing(1)];
}

async function fill(client: ClickHouseClient, table: string): Promise<void> {
  const start = performance.now();
  for (let offset = 0; offset < EVENTS; offset += CHUNK) {
    await client.command({ query: generateSql(table, offset, Math.min(CHUNK, EVENTS - offset)) });
    const s = (performance.now() - start) / 1000;
    console.log(`  ${table}: ${Math.min(offset + CHUNK, EVENTS).toLocaleString('en')} events in ${s.toFixed(1)} s`);
  }
}

/** Times `search(i)` on both tables; run i of each side asks the same, and no two runs ask the same. */
async function compare(client: ClickHouseClient, label: string, search: (i: number) => MessageSearch): Promise<void> {
  const [indexed, scan] = await timeBoth(
    (i) => searchMessages(client, DB, search(i), TO),
    (i) => searchMessages(client, SCAN_DB, search(i), TO),
  );
  const same = JSON.stringify(indexed.value) === JSON.stringify(scan.value);
  const cache = await (
    await client.query({ query: "SELECT getSetting('use_query_condition_cache') AS on", format: 'JSONEachRow' })
  ).json<{ on: unknown }>();
  console.log(
    `${label}: ${indexed.value.rows.length} rows, same answer: ${same}, condition cache ${String(cache[0]?.on)}`,
  );
  console.log(
    `  events (sort key + projection):   ${indexed.s.toFixed(3)} s  (first run ${indexed.cold.toFixed(3)} s)`,
  );
  console.log(`  plain scan copy:                  ${scan.s.toFixed(3)} s  (first run ${scan.cold.toFixed(3)} s)`);
  console.log(`  ratio scan / events:              ${(scan.s / indexed.s).toFixed(1)}×`);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bridgemail-bench-search-'));
  const client = openClickHouse({ chdbPath: join(dir, 'chdb') });
  try {
    console.log(
      `nproc ${availableParallelism()}  node ${process.version}  events ${EVENTS.toLocaleString('en')}  span ${(SPAN_MS / DAY_MS).toFixed(1)} days  repeat ${REPEAT}`,
    );
    // The platform's events table; the aggregate view is left out (the search does not read it).
    for (const statement of eventsSchema(DB).filter((s) => !/AGGREGAT|MATERIALIZED|events_per_minute/.test(s)))
      await client.command({ query: statement });
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${SCAN_DB}` });
    await client.command({
      query: `CREATE TABLE ${SCAN_DB}.events AS ${DB}.events ENGINE = MergeTree ORDER BY tuple()`,
    });
    await client.command({ query: `ALTER TABLE ${SCAN_DB}.events DROP INDEX IF EXISTS events_message_id` });
    await client.command({ query: `ALTER TABLE ${SCAN_DB}.events DROP PROJECTION IF EXISTS events_by_recipient` });
    // ClickHouse remembers which granules a filter matched (the query condition cache): each run
    // asks something new anyway, and the cache is off so neither table gets a head start.
    await client.command({ query: 'SET use_query_condition_cache = 0' });
    await fill(client, `${DB}.events`);
    await fill(client, `${SCAN_DB}.events`);
    const sizes = await (
      await client.query({
        query: `SELECT database, sum(rows) AS rows, sum(data_compressed_bytes) AS bytes, sum(secondary_indices_compressed_bytes) AS index_bytes
                FROM system.parts WHERE table = 'events' AND active GROUP BY database ORDER BY database`,
        format: 'JSONEachRow',
      })
    ).json<{ database: string; rows: string; bytes: string; index_bytes: string }>();
    for (const s of sizes)
      console.log(
        `  ${s.database}.events: ${Number(s.rows).toLocaleString('en')} rows, ${(Number(s.bytes) / 1e6).toFixed(0)} MB compressed, skip indexes ${(Number(s.index_bytes) / 1e6).toFixed(0)} MB`,
      );

    // Recipients of the last messages: addresses with MESSAGES / 2 M messages each.
    await compare(client, '(a) one recipient', (i) => {
      const address = (MESSAGES - 1 - i) % 2_000_003;
      return { recipient: `u${address}@d${address % 97}.test`, limit: 50 };
    });
    const lastDay = Math.floor(TO / DAY_MS) * DAY_MS - DAY_MS;
    await compare(client, `(b) a Bridge's bounced on ${new Date(lastDay).toISOString().slice(0, 10)}`, (i) => ({
      bridgeId: `br_${i + 1}`,
      status: 'bounced',
      from: new Date(lastDay),
      to: new Date(lastDay + DAY_MS),
      limit: 50,
    }));
    if (SPAN_MS >= 16 * DAY_MS) {
      const older = lastDay - 14 * DAY_MS;
      await compare(client, `(c) a Bridge's bounced on ${new Date(older).toISOString().slice(0, 10)}`, (i) => ({
        bridgeId: `br_${i + 1}`,
        status: 'bounced',
        from: new Date(older),
        to: new Date(older + DAY_MS),
        limit: 50,
      }));
      await compare(client, `(d) a Bridge's messages on ${new Date(older).toISOString().slice(0, 10)}`, (i) => ({
        bridgeId: `br_${i + 1}`,
        from: new Date(older),
        to: new Date(older + DAY_MS),
        limit: 50,
      }));
    }
  } finally {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
