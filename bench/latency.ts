/**
 * API accept latency of `POST /v1/send` at a fixed offered rate, next to a trivial Koa endpoint
 * (reads the body, answers 202 `{}`) in the same process: the baseline of what Node's HTTP
 * server and Koa cost here. Loopback only.
 *
 * Load comes from an open-loop generator in its own process (bench/open-loop-process.ts), as an
 * API client's would, so its work does not share the measured event loop: request i starts at
 * `start + i / rate` over keep-alive connections whatever happened to earlier ones, and its
 * latency runs from that scheduled time to the end of the answer, so stalls are not hidden
 * (no coordinated omission). The same ~4 KB HTML message (10 links) is sent to both, through the
 * Bridge with opens and clicks tracked and From a DKIM domain. The platform runs in this process
 * and delivers to a Postfix `smtp-sink` on 127.0.0.1 (bench/postfix.ts installs the Debian
 * package if it is missing) while the run goes on, so tracking, signing and delivery of what was
 * accepted compete with the API for the same cores, as in production. Each target first gets
 * an unrecorded warm-up at the same rate.
 *
 * Run: `node --import tsx bench/latency.ts`. Env: `BENCH_LATENCY_RATE` requests/s (default 500),
 * `BENCH_LATENCY_SECONDS` per target (default 20), `BENCH_LATENCY_WARMUP_SECONDS` (default 2).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Koa from 'koa';
import { orderHtml, startBenchPlatform, TRACKED_FROM, type BenchPlatform } from './bench-platform.js';
import { summarize, type LatencySummary } from './open-loop.js';
import { runOpenLoopProcess } from './open-loop-process.js';
import { ensurePostfix, startSmtpSink, type SmtpSink } from './postfix.js';

const positive = (value: string | undefined, fallback: number) => (Number(value) > 0 ? Number(value) : fallback);
const RATE = positive(process.env.BENCH_LATENCY_RATE, 500);
const SECONDS = positive(process.env.BENCH_LATENCY_SECONDS, 20);
const WARMUP_SECONDS = positive(process.env.BENCH_LATENCY_WARMUP_SECONDS, 2);
const TIMEOUT_MS = 10_000;
/** Issue 25's targets: p99 of /v1/send within this many times the trivial endpoint's p99 ... */
const P99_RATIO_TARGET = 5;
/** ... and no stall of the event loop longer than this while /v1/send is measured. */
const LOOP_MAX_TARGET_MS = 50;

/** The baseline: a Koa app that drains the request body and answers 202 `{}`. */
async function startTrivialKoa(): Promise<{ url: string; close(): Promise<void> }> {
  const app = new Koa();
  app.use(async (ctx) => {
    await new Promise<void>((resolve, reject) => {
      ctx.req.on('end', resolve).on('error', reject).resume();
    });
    ctx.status = 202;
    ctx.body = {};
  });
  const handle = app.callback();
  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/send`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** One measured run at RATE against `url`, after an unrecorded warm-up. */
async function measure(url: string, apiKey: string, html: string, tag: string) {
  const load = (seconds: number, prefix: string) =>
    runOpenLoopProcess({
      url,
      rate: RATE,
      seconds,
      timeoutMs: TIMEOUT_MS,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      bodyTemplate: JSON.stringify({ from: TRACKED_FROM, to: `${prefix}{i}@sink.example`, subject: 'Order {i}', html }),
    });
  const warm = await load(WARMUP_SECONDS, `warm-${tag}-`);
  // How long this process's event loop was blocked meanwhile: the share of the latency that no
  // handler of the request itself accounts for (histogram values in ns).
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const run = await load(SECONDS, `${tag}-`);
  loop.disable();
  return { ...run, warmOk: warm.progress.ok, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6 };
}

function row(name: string, r: Awaited<ReturnType<typeof measure>>, s: LatencySummary): string {
  const p = r.progress;
  const notes = [
    p.errors ? `${p.errors} errors, first: ${p.firstError ?? ''}` : '',
    p.skipped ? `${p.skipped} skipped (too many in flight)` : '',
  ].filter(Boolean);
  const ms = (v: number) => v.toFixed(2).padStart(8);
  return `${name.padEnd(16)} ${String(p.ok).padStart(6)} ok ${(p.ok / r.seconds).toFixed(0).padStart(5)} req/s   p50 ${ms(s.p50)}  p90 ${ms(s.p90)}  p99 ${ms(s.p99)}  max ${ms(s.max)} ms   event-loop delay p99 ${r.loopP99.toFixed(0)} max ${r.loopMax.toFixed(0)} ms${notes.length ? `  [${notes.join('; ')}]` : ''}`;
}

async function main(): Promise<void> {
  const html = orderHtml();
  await ensurePostfix((line) => console.log(line));
  console.log(`nproc ${availableParallelism()}  node ${process.version}`);
  console.log(
    `open loop: ${RATE} req/s offered for ${SECONDS} s per target (warm-up ${WARMUP_SECONDS} s); body ${Buffer.byteLength(html)} bytes of HTML as JSON`,
  );
  let sink: SmtpSink | undefined;
  let bench: BenchPlatform | undefined;
  let koa: Awaited<ReturnType<typeof startTrivialKoa>> | undefined;
  try {
    sink = await startSmtpSink();
    bench = await startBenchPlatform({ sinkPort: sink.port });
    koa = await startTrivialKoa();
    const base = await measure(koa.url, bench.tracked.apiKey, html, 'koa');
    const baseSummary = summarize(base.progress.latencies);
    console.log(row('trivial koa', base, baseSummary));
    const deliveredBefore = sink.received();
    const send = await measure(bench.sendUrl, bench.tracked.apiKey, html, 'send');
    const sendSummary = summarize(send.progress.latencies);
    console.log(row('POST /v1/send', send, sendSummary));
    const x = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(1)}×` : '-');
    console.log(
      `ratio send/koa   p50 ${x(sendSummary.p50, baseSummary.p50)}  p90 ${x(sendSummary.p90, baseSummary.p90)}  p99 ${x(sendSummary.p99, baseSummary.p99)}  max ${x(sendSummary.max, baseSummary.max)}`,
    );
    // The targets: an API client sees the p99, and a stall of the loop delays every request in flight.
    const ratio = baseSummary.p99 > 0 ? sendSummary.p99 / baseSummary.p99 : Infinity;
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    console.log(
      `target p99 send/koa ≤ ${P99_RATIO_TARGET}×: ${ratio.toFixed(1)}× (${verdict(ratio <= P99_RATIO_TARGET)});  ` +
        `target event-loop delay max ≤ ${LOOP_MAX_TARGET_MS} ms during /v1/send: ${send.loopMax.toFixed(0)} ms (${verdict(send.loopMax <= LOOP_MAX_TARGET_MS)})`,
    );
    const accepted = send.warmOk + send.progress.ok;
    console.log(
      `(meanwhile the platform delivered ${sink.received() - deliveredBefore} of the ${accepted} messages /v1/send accepted, warm-up included)`,
    );
  } finally {
    await koa?.close();
    await bench?.close();
    await sink?.close();
  }
}

await main();
