/**
 * End-to-end delivery throughput, as messages per second and as ratios to two baselines measured
 * in the same run: nodemailer sending straight to the sink, and a real Postfix relaying to it.
 * Loopback only.
 *
 * Every case delivers ~4 KB messages, one recipient each, to one Postfix `smtp-sink` on
 * 127.0.0.1 (C, no TLS, counted through its `-c` counter; see bench/postfix.ts, and
 * bench/private-postfix.ts for the Postfix baseline). The Debian package `postfix` is installed
 * first if `smtp-sink` is missing (with "No configuration": no system Postfix is set up or
 * started). Cases, in order:
 * - `smtp-source`: Postfix's C generator, 20 sessions reusing their connections (`-d`), 4096-byte
 *   bodies; the ceiling of the machine's loopback SMTP.
 * - `nodemailer-direct`: a pooled nodemailer transport (20 connections) sending the HTML message
 *   below; the first baseline.
 * - `postfix-relay`: a private Postfix instance (own config, queue and data dirs under a temp dir,
 *   SMTP on a free loopback port, `relayhost` = the sink, 20 deliveries in parallel, fsync per
 *   message) fed by `smtp-source` as above; timed until the sink has every message. The second
 *   baseline. It is stopped before the Bridgemail cases start.
 * - Bridgemail, each `plain` (tracking off, From @nokey.example: no DKIM) and `track+dkim`
 *   (opens and clicks tracked, From @bench.example: a DKIM domain, so each copy is rewritten and
 *   signed): `rest` (`POST /v1/send`), `batch` (`POST /v1/send/batch`, 100 messages a call),
 *   `smtp` (submission: pooled nodemailer, STARTTLS, AUTH, prebuilt MIME from a template). The
 *   HTML message has 10 links. The REST clients use node:http with keep-alive. `rest track+dkim
 *   keyed` sends each request with an Idempotency-Key of its own (the cost of the claims).
 * - `rest plain (ab)`, `rest track+dkim (ab)`: `POST /v1/send` again, driven by ApacheBench
 *   (Debian's apache2-utils, installed if missing) from its own process: keep-alive, 50
 *   connections, the same body every time. The in-process client of the `rest` cases costs the
 *   platform's CPU more than the platform's own main thread does; these cases measure without it.
 * - `nodemailer-direct #2`: the baseline again, last, to show drift within the run.
 * - floors (bench/floors.ts): CPU per message of the parts any implementation on this stack pays
 *   (RSA-2048 signature, a trivial Koa accept, a BullMQ job, the nodemailer client), their sum,
 *   the rate that sum allows on this machine's cores, and that rate as a ratio to the
 *   nodemailer-direct #2 run made just before (the most any Bridgemail case could reach).
 * A Bridgemail case is timed from its first submission until the sink has received as many
 * messages as were accepted (the platform runs in this process: ingress, Redis round trips,
 * BullMQ, tracking, DKIM, delivery from Pool IP 127.0.0.2). Each case first runs a small
 * unprinted warm-up. Client concurrency is bounded (50 requests or messages in flight, 5
 * batches); each case is capped at CASE_CAP_MS, after which it prints what it reached. The sink
 * counts all messages, not per case: after a capped case the run waits for the sink to go quiet
 * before the next one.
 *
 * Run: `node --import tsx bench/throughput.ts` (as root, for the install and Postfix). Env
 * `BENCH_N` scales the message counts: BENCH_N=1 is 20000 for smtp-source, 2000 for nodemailer,
 * 1000 for Postfix and 3000 per Bridgemail case; `BENCH_ONLY` (comma-separated case names)
 * runs only some Bridgemail cases; `BENCH_BASELINES=0` skips the three baselines (ratios then
 * show as -); `BENCH_CPU=0` hides the CPU split (ms of CPU per message for each thread of this
 * process, redis-server and smtp-sink) printed under each Bridgemail case; `BENCH_REDIS=1` adds the
 * Redis commands each message cost (calls and server microseconds, from INFO commandstats).
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import MailComposer from 'nodemailer/lib/mail-composer';
import {
  MESSAGE_LINKS,
  orderHtml,
  PLAIN_FROM,
  startBenchPlatform,
  TRACKED_FROM,
  type BenchPlatform,
} from './bench-platform.js';
import { ensureApacheBench, runApacheBench } from './apache-bench.js';
import { cpuSnapshot, cpuSplit } from './cpu-split.js';
import { startProfile } from './profile.js';
import { redisCommandLines, resetRedisStats } from './redis-stats.js';
import { ensurePostfix, startSmtpSink, type SmtpSink } from './postfix.js';
import {
  BODY_BYTES,
  CASE_CAP_MS,
  SOURCE_SESSIONS,
  report,
  runCase,
  runSource,
  settle,
  type CaseResult,
} from './case-runner.js';
import { startPrivatePostfix } from './private-postfix.js';
import {
  BATCH_CONCURRENCY,
  BATCH_SIZE,
  BENCH_TEMPLATE,
  bridgemailCases,
  CONCURRENCY,
  pooled,
  type Transport,
} from './bridgemail-cases.js';
import { bullmqFloor, floorLines, httpFloor, rsaFloor, smtpClientFloor, type Floor } from './floors.js';

const SCALE = Number(process.env.BENCH_N) > 0 ? Number(process.env.BENCH_N) : 1;
/** `BENCH_PROFILE=<dir>` writes a CPU profile of this process for each Bridgemail case there. */
const PROFILE_DIR = process.env.BENCH_PROFILE;
/** `BENCH_PROFILE_HEAP=1`: with BENCH_PROFILE, a sampling allocation profile (`.heapprofile`) instead. */
const HEAP_PROFILE = process.env.BENCH_PROFILE_HEAP === '1';
/** `BENCH_ONLY=rest track+dkim,smtp plain` runs only those Bridgemail cases (for profiling). */
/** `BENCH_CPU=0` hides the CPU split printed under each Bridgemail case. */
const SHOW_CPU = process.env.BENCH_CPU !== '0';
/** Processes besides this one whose CPU the split counts (matched in their command lines). */
const OTHER_PROCESSES = ['redis-server', 'smtp-sink'];
const BASELINES = process.env.BENCH_BASELINES !== '0';
/** `BENCH_REDIS=1` prints, under each Bridgemail case, the Redis commands per message (INFO commandstats). */
const SHOW_REDIS = process.env.BENCH_REDIS === '1';
let cpuLines: string[] = [];
const ONLY = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const scaled = (n: number) => Math.max(1, Math.round(n * SCALE));
const SOURCE_N = scaled(20_000);
const BASELINE_N = scaled(2000);
const POSTFIX_N = scaled(1000);
const CASE_N = scaled(3000);
/**
 * `BENCH_WARMUP` messages are sent, unmeasured, before each case, so that V8 has compiled the hot
 * paths before the measured part; Bridgemail cases warm up three times as long (6,000 by default).
 * docs/performance.md has the measurements behind these numbers.
 */
const WARMUP_N = Number(process.env.BENCH_WARMUP) > 0 ? Number(process.env.BENCH_WARMUP) : 2000;
const PLATFORM_WARMUP_N = Number(process.env.BENCH_WARMUP) > 0 ? Number(process.env.BENCH_WARMUP) : 6000;

/**
 * `POST /v1/send` driven by ApacheBench from its own process (keep-alive, CONCURRENCY
 * connections, the same body every time): the platform without a JavaScript client on its CPU.
 */
function abCases(sink: SmtpSink, bench: BenchPlatform, html: string) {
  const viaAb =
    (apiKey: string, from: string) =>
    async (n: number): Promise<CaseResult> => {
      const base = sink.received();
      const start = performance.now();
      const deadline = start + CASE_CAP_MS;
      const body = { from, to: 'r@sink.example', subject: 'Order', html };
      const ab = await runApacheBench({
        url: bench.sendUrl,
        apiKey,
        body,
        requests: n,
        concurrency: CONCURRENCY,
        timeoutMs: CASE_CAP_MS,
      });
      const submitEnd = performance.now();
      const reachedAt = await sink.waitFor(base + ab.accepted, deadline);
      return {
        delivered: sink.received() - base,
        accepted: ab.accepted,
        seconds: ((reachedAt ?? performance.now()) - start) / 1000,
        submitSeconds: (submitEnd - start) / 1000,
        errors: ab.refused,
        firstError: ab.refused ? 'refused or failed requests (see ab)' : undefined,
        capped: reachedAt === undefined,
        clientCpuSeconds: ab.cpuSeconds,
      };
    };
  return [
    { name: 'rest plain (ab)', run: viaAb(bench.plain.apiKey, PLAIN_FROM) },
    { name: 'rest track+dkim (ab)', run: viaAb(bench.tracked.apiKey, TRACKED_FROM) },
  ];
}

/** A warm-up (unprinted unless it failed), then the measured case; settles after a capped one. */
async function warmAndRun(
  sink: SmtpSink,
  name: string,
  run: (n: number) => Promise<CaseResult>,
  n: number,
  around: (measure: () => Promise<CaseResult>) => Promise<CaseResult> = (measure) => measure(),
  warmup = WARMUP_N,
): Promise<CaseResult> {
  const warm = await run(warmup);
  if (warm.capped || warm.errors) {
    console.log(`  (warm-up of ${name}: ${warm.delivered} delivered, ${warm.errors} errors ${warm.firstError ?? ''})`);
    await settle(sink);
  }
  const r = await around(() => run(n));
  if (r.capped) await settle(sink);
  return r;
}

async function main(): Promise<void> {
  const html = orderHtml();
  await ensurePostfix((line) => console.log(line));
  ensureApacheBench((line) => console.log(line));
  console.log(`nproc ${availableParallelism()}  node ${process.version}  BENCH_N ${SCALE}`);
  console.log(
    `html ${Buffer.byteLength(html)} bytes, ${MESSAGE_LINKS} links; smtp-source bodies ${BODY_BYTES} bytes, ${SOURCE_SESSIONS} sessions; concurrency ${CONCURRENCY} (batches: ${BATCH_CONCURRENCY} × ${BATCH_SIZE}); cap ${CASE_CAP_MS / 1000} s per case; warm-up ${WARMUP_N} per baseline, ${PLATFORM_WARMUP_N} per Bridgemail case`,
  );
  const sink = await startSmtpSink();
  const direct = pooled(sink.port);
  let bench: BenchPlatform | undefined;
  const ingress: Transport[] = [];
  try {
    if (BASELINES)
      report('smtp-source', await warmAndRun(sink, 'smtp-source', (n) => runSource(sink, sink.port, n), SOURCE_N));

    const viaDirect = (n: number) =>
      runCase(sink, n, CONCURRENCY, async (i) => {
        await direct.sendMail({ from: PLAIN_FROM, to: `r${i}@sink.example`, subject: `Order ${i}`, html });
        return { accepted: 1 };
      });
    if (BASELINES)
      report('nodemailer-direct', await warmAndRun(sink, 'nodemailer-direct', viaDirect, BASELINE_N), 'nodemailer');

    if (BASELINES) {
      const postfix = await startPrivatePostfix({ relayPort: sink.port, concurrency: SOURCE_SESSIONS });
      try {
        report(
          'postfix-relay',
          await warmAndRun(sink, 'postfix-relay', (n) => runSource(sink, postfix.port, n), POSTFIX_N),
          'postfix',
        );
      } finally {
        await postfix.stop();
      }
    }

    bench = await startBenchPlatform({ sinkPort: sink.port });
    await bench.adminPost('/admin/v1/templates', {
      name: 'Bench order',
      alias: BENCH_TEMPLATE,
      subject: 'Order {{n}}',
      html,
    });
    const smtpPort = bench.platform.ports.smtp;
    const redisUrl = bench.platform.redisUrl;
    const transports = {
      plain: pooled(smtpPort, { user: bench.plain.smtp.username, pass: bench.plain.smtp.password }),
      tracked: pooled(smtpPort, { user: bench.tracked.smtp.username, pass: bench.tracked.smtp.password }),
    };
    ingress.push(transports.plain, transports.tracked);
    const cases = [
      ...bridgemailCases(bench, transports, html).map((c) => ({
        name: c.name,
        run: (n: number) => runCase(sink, Math.ceil(n / c.unit), c.concurrency, c.submit(n)),
      })),
      ...abCases(sink, bench, html),
    ];
    for (const c of cases.filter((c) => ONLY.length === 0 || ONLY.includes(c.name))) {
      const adjacent = BASELINES ? await viaDirect(BASELINE_N) : undefined;
      const profile = PROFILE_DIR ? await startProfile(HEAP_PROFILE) : undefined;
      const r = await warmAndRun(
        sink,
        c.name,
        c.run,
        CASE_N,
        async (measure) => {
          if (SHOW_REDIS) await resetRedisStats(redisUrl);
          const before = await cpuSnapshot(OTHER_PROCESSES);
          const result = await measure();
          const client: Array<[string, number]> =
            result.clientCpuSeconds === undefined ? [] : [['ab (load generator)', result.clientCpuSeconds]];
          if (SHOW_CPU) cpuLines = cpuSplit(before, await cpuSnapshot(OTHER_PROCESSES), result.delivered || 1, client);
          if (SHOW_REDIS) cpuLines.push(...(await redisCommandLines(redisUrl, result.delivered || 1)));
          return result;
        },
        PLATFORM_WARMUP_N,
      );
      report(c.name, r, undefined, adjacent);
      for (const line of cpuLines) console.log(line);
      cpuLines = [];
      if (profile && PROFILE_DIR)
        console.log(`  profile: ${await profile.stop(join(PROFILE_DIR, `${c.name.replace(/\W+/g, '-')}.cpuprofile`))}`);
    }

    // The baseline again: how much the machine drifted during the run.
    const last = BASELINES ? await warmAndRun(sink, 'nodemailer-direct #2', viaDirect, BASELINE_N) : undefined;
    if (last) {
      report('nodemailer-direct #2', last);
      const raw = await new MailComposer({ from: TRACKED_FROM, to: 'r1@sink.example', subject: 'Order 1', html })
        .compile()
        .build();
      const single = await bullmqFloor(redisUrl, BASELINE_N * 2, raw.length);
      const floors: Floor[] = [
        rsaFloor(),
        await httpFloor(
          { from: TRACKED_FROM, to: 'r@sink.example', subject: 'Order', html },
          BASELINE_N * 2,
          CONCURRENCY,
        ),
        await bullmqFloor(redisUrl, BASELINE_N * 2, raw.length, 20),
        await smtpClientFloor(sink, raw, BASELINE_N * 2),
      ];
      const reference = { name: 'nodemailer-direct #2', perSecond: last.delivered / last.seconds };
      for (const line of floorLines(floors, availableParallelism(), [single], reference)) console.log(line);
    }
  } finally {
    direct.close();
    for (const t of ingress) t.close();
    await bench?.close();
    await sink.close();
  }
}

await main();
