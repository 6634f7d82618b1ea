/**
 * Events inserted per second by the analytics writer (Redis stream → consumer group → batched
 * insert into embedded chDB → XACK), next to inserting the same rows straight into chDB in the
 * same batches (the baseline: what ClickHouse alone costs), in one run.
 *
 *   node --import tsx bench/event-writer.ts        (BENCH_EVENTS, default 100000)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { applySchema, openClickHouse, startEventWriter, toRow } from '../analytics/index.js';
import {
  createLogger,
  EventPublisher,
  eventStreamKey,
  newId,
  spawnRedisServer,
  type NewMailEvent,
} from '../core/index.js';

const N = Number(process.env.BENCH_EVENTS ?? 100_000);
const BATCH = 1000;
const logger = createLogger({ level: 'silent' });

function event(i: number): NewMailEvent {
  return {
    type: 'delivered',
    messageId: `msg_${i.toString(16).padStart(28, '0')}`,
    bridgeId: `br_${i % 20}`,
    poolId: 'pool_1',
    ip: '127.0.0.2',
    recipient: `r${i}@example.test`,
    replyCode: 250,
    reply: '250 ok',
  };
}

const dir = await mkdtemp(join(tmpdir(), 'bench-writer-'));
const redis = await spawnRedisServer({ dir: join(dir, 'redis'), logger });
const ch = openClickHouse({ chdbPath: join(dir, 'chdb') });
await applySchema(ch, 'bench');
console.log(`nproc ${cpus().length}  node ${process.version}  events ${N}  batch ${BATCH}`);

// Baseline: the same rows inserted directly, batch by batch.
let t0 = performance.now();
for (let i = 0; i < N; i += BATCH) {
  const rows = [];
  for (let j = i; j < Math.min(N, i + BATCH); j++) rows.push(toRow({ ...event(j), id: newId('ev'), ts: Date.now() }));
  await ch.insert({ table: 'bench.events', values: rows, format: 'JSONEachRow' });
}
const direct = N / ((performance.now() - t0) / 1000);
console.log(`direct insert        ${direct.toFixed(0).padStart(8)} events/s  1.00×`);

// The writer: publish everything to the stream first, then time the drain.
const pub = new Redis(redis.url);
const publisher = new EventPublisher(pub, 'bw');
for (let i = 0; i < N; i += BATCH)
  await publisher.publish(Array.from({ length: Math.min(BATCH, N - i) }, (_, k) => event(i + k)));
const key = eventStreamKey('bw');
t0 = performance.now();
const writer = await startEventWriter({
  redis: new Redis(redis.url, { maxRetriesPerRequest: null }),
  prefix: 'bw',
  clickhouse: ch,
  database: 'bench',
  logger,
  batchSize: BATCH,
  flushMs: 100,
});
const deadline = Date.now() + 300_000;
while ((await pub.xlen(key)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
const seconds = (performance.now() - t0) / 1000;
const viaWriter = writer.inserted / seconds;
console.log(
  `writer (Redis→chDB)  ${viaWriter.toFixed(0).padStart(8)} events/s  ${(viaWriter / direct).toFixed(2)}×  (${writer.inserted} inserted in ${seconds.toFixed(1)} s)`,
);
await writer.close();
pub.disconnect();
await ch.close();
await redis.stop();
await rm(dir, { recursive: true, force: true });
