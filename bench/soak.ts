/**
 * Soak: `POST /v1/send` at a steady rate for a long time, sampling memory every 10 s, to show
 * growth that a short benchmark cannot (leaks, unbounded caches, a backlog building up).
 * Loopback only.
 *
 * Load is open-loop (bench/open-loop.ts: requests on a fixed schedule, keep-alive), the ~4 KB
 * HTML message (10 links) through one Bridge: `tracked` (opens and clicks tracked, DKIM-signed)
 * by default. The platform runs in this process with its embedded engines and delivers to a
 * Postfix `smtp-sink` on 127.0.0.1 (bench/postfix.ts installs the Debian package if missing).
 * Each sample row: requests scheduled and accepted so far, messages the sink received, the
 * backlog (accepted − received), this process's RSS and V8 heap, Redis `used_memory` and
 * `used_memory_rss` (`INFO memory` of the platform's Redis), and the accept latency p99 of the
 * window. RSS covers everything in this process: ingress, workers, embedded chDB, and the load
 * generator itself. At the end: first vs last, and the slope per minute by least squares over
 * all samples and over the second half only (past start-up and warm-up).
 *
 * Run: `node --import tsx bench/soak.ts`. Env: `BENCH_SOAK_RATE` requests/s (default 100),
 * `BENCH_SOAK_SECONDS` (default 600), `BENCH_SOAK_BRIDGE` `tracked` | `plain` (default tracked).
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { orderHtml, PLAIN_FROM, startBenchPlatform, TRACKED_FROM, type BenchPlatform } from './bench-platform.js';
import { startOpenLoop, summarize } from './open-loop.js';
import { ensurePostfix, startSmtpSink, type SmtpSink } from './postfix.js';

const positive = (value: string | undefined, fallback: number) => (Number(value) > 0 ? Number(value) : fallback);
const RATE = positive(process.env.BENCH_SOAK_RATE, 100);
const SECONDS = positive(process.env.BENCH_SOAK_SECONDS, 600);
const BRIDGE = process.env.BENCH_SOAK_BRIDGE === 'plain' ? 'plain' : 'tracked';
const SAMPLE_MS = 10_000;
const TIMEOUT_MS = 10_000;
const MB = 1024 * 1024;

interface Sample {
  seconds: number;
  scheduled: number;
  accepted: number;
  errors: number;
  delivered: number;
  rss: number;
  heap: number;
  redisUsed: number;
  redisRss: number;
  p99: number;
}

/** `used_memory` and `used_memory_rss` from Redis `INFO memory`, in bytes (NaN if unreadable). */
async function redisMemory(redis: Redis): Promise<{ used: number; rss: number }> {
  const info = await redis.info('memory').catch(() => '');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
  return { used: field('used_memory'), rss: field('used_memory_rss') };
}

/** Least-squares slope of `value` over `seconds`, per minute (0 with fewer than two samples). */
function slopePerMinute(samples: readonly Sample[], value: (s: Sample) => number): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mx = samples.reduce((a, s) => a + s.seconds / 60, 0) / n;
  const my = samples.reduce((a, s) => a + value(s), 0) / n;
  let [num, den] = [0, 0];
  for (const s of samples) {
    num += (s.seconds / 60 - mx) * (value(s) - my);
    den += (s.seconds / 60 - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function printRow(s: Sample): void {
  const mb = (v: number) => (Number.isNaN(v) ? '     -' : (v / MB).toFixed(1).padStart(6));
  console.log(
    `${s.seconds.toFixed(0).padStart(5)} ${String(s.scheduled).padStart(8)} ${String(s.accepted).padStart(8)} ${String(s.errors).padStart(6)} ${String(s.delivered).padStart(9)} ${String(s.accepted - s.delivered).padStart(8)}  ${mb(s.rss)} ${mb(s.heap)}  ${mb(s.redisUsed)} ${mb(s.redisRss)}  ${s.p99.toFixed(1).padStart(8)}`,
  );
}

function printGrowth(samples: readonly Sample[]): void {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last) return;
  const secondHalf = samples.filter((s) => s.seconds >= last.seconds / 2);
  const line = (name: string, value: (s: Sample) => number) => {
    const [a, b] = [value(first), value(last)];
    const pct = a > 0 ? `${(((b - a) / a) * 100).toFixed(0)}%` : '-';
    console.log(
      `${name.padEnd(16)} ${(a / MB).toFixed(1).padStart(7)} → ${(b / MB).toFixed(1).padStart(7)} MB  (${((b - a) / MB).toFixed(1)} MB, ${pct})  slope ${(slopePerMinute(samples, value) / MB).toFixed(2)} MB/min, second half ${(slopePerMinute(secondHalf, value) / MB).toFixed(2)} MB/min`,
    );
  };
  console.log(`growth over ${last.seconds.toFixed(0)} s (first sample → last):`);
  line('process rss', (s) => s.rss);
  line('v8 heap used', (s) => s.heap);
  line('redis used', (s) => s.redisUsed);
  line('redis rss', (s) => s.redisRss);
  console.log(
    `${'backlog'.padEnd(16)} ${first.accepted - first.delivered} → ${last.accepted - last.delivered} messages  slope ${slopePerMinute(samples, (s) => s.accepted - s.delivered).toFixed(0)} msg/min`,
  );
}

async function main(): Promise<void> {
  const html = orderHtml();
  await ensurePostfix((line) => console.log(line));
  console.log(`nproc ${availableParallelism()}  node ${process.version}`);
  console.log(
    `soak: ${RATE} req/s for ${SECONDS} s through the ${BRIDGE} Bridge; sample every ${SAMPLE_MS / 1000} s; body ${Buffer.byteLength(html)} bytes of HTML as JSON`,
  );
  let sink: SmtpSink | undefined;
  let bench: BenchPlatform | undefined;
  let redis: Redis | undefined;
  try {
    sink = await startSmtpSink();
    const counter = sink;
    bench = await startBenchPlatform({ sinkPort: sink.port });
    const bridge = bench[BRIDGE];
    const from = BRIDGE === 'plain' ? PLAIN_FROM : TRACKED_FROM;
    const monitor = new Redis(bench.platform.redisUrl, { maxRetriesPerRequest: 1, connectionName: 'bench-soak' });
    redis = monitor;
    const base = sink.received();
    const start = performance.now();
    const run = startOpenLoop({
      url: bench.sendUrl,
      rate: RATE,
      seconds: SECONDS,
      timeoutMs: TIMEOUT_MS,
      headers: { authorization: `Bearer ${bridge.apiKey}`, 'content-type': 'application/json' },
      body: (i) => JSON.stringify({ from, to: `soak${i}@sink.example`, subject: `Order ${i}`, html }),
    });
    let done = false;
    void run.done.then(() => {
      done = true;
    });
    const samples: Sample[] = [];
    let seen = 0;
    const sample = async () => {
      const p = run.progress;
      const window = p.latencies.slice(seen);
      seen = p.latencies.length;
      const memory = process.memoryUsage();
      const r = await redisMemory(monitor);
      const s: Sample = {
        seconds: (performance.now() - start) / 1000,
        scheduled: p.scheduled,
        accepted: p.ok,
        errors: p.errors + p.skipped,
        delivered: counter.received() - base,
        rss: memory.rss,
        heap: memory.heapUsed,
        redisUsed: r.used,
        redisRss: r.rss,
        p99: summarize(window).p99,
      };
      samples.push(s);
      printRow(s);
    };
    console.log(
      `${'t s'.padStart(5)} ${'sched'.padStart(8)} ${'accepted'.padStart(8)} ${'errors'.padStart(6)} ${'delivered'.padStart(9)} ${'backlog'.padStart(8)}  ${'rss MB'.padStart(6)} ${'heap'.padStart(6)}  ${'redis'.padStart(6)} ${'r.rss'.padStart(6)}  ${'p99 ms'.padStart(8)}`,
    );
    await sample();
    // Bounded: the schedule, then at most the generator's drain time.
    const maxSamples = Math.ceil((SECONDS * 1000 + TIMEOUT_MS + 5_000) / SAMPLE_MS) + 1;
    for (let k = 1; k <= maxSamples && !done; k++) {
      const due = start + k * SAMPLE_MS;
      while (!done && performance.now() < due) await sleep(Math.min(250, due - performance.now()));
      await sample();
    }
    const { progress } = await run.done;
    const all = summarize(progress.latencies);
    console.log(
      `accepted ${progress.ok} of ${progress.scheduled} (${progress.errors} errors${progress.firstError ? `, first: ${progress.firstError}` : ''}; ${progress.skipped} skipped); accept latency p50 ${all.p50.toFixed(1)} p99 ${all.p99.toFixed(1)} max ${all.max.toFixed(1)} ms; delivered ${counter.received() - base}`,
    );
    printGrowth(samples);
  } finally {
    redis?.disconnect();
    await bench?.close();
    await sink?.close();
  }
}

await main();
