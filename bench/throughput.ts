/**
 * End-to-end delivery throughput, as messages per second and as a ratio to nodemailer sending
 * straight to the same sink in the same run. Loopback only.
 *
 * Every case sends the same ~4 KB HTML message (10 links), one recipient each, to one counting
 * `smtp-server` sink on 127.0.0.1 (STARTTLS offered, so every path pays for TLS to the sink):
 * - `nodemailer-direct`: a pooled nodemailer transport (20 connections) straight to the sink;
 *   the baseline.
 * - `rest plain`: `POST /v1/send` through a Bridge with tracking off, From @nokey.example (no DKIM).
 * - `rest track+dkim`: `POST /v1/send` through a Bridge with opens and clicks tracked, From
 *   @bench.example (a DKIM domain), so each copy is rewritten and signed.
 * - `batch track+dkim`: the same via `POST /v1/send/batch`, 100 messages a call.
 * - `smtp track+dkim`: the same via SMTP submission (pooled nodemailer, STARTTLS, AUTH).
 * - `nodemailer-direct #2`: the baseline again, last, to show drift within the run.
 * A Bridgemail case is timed from its first submission until the sink has received every message
 * that was accepted (the platform runs in this process: ingress, Redis round trips, BullMQ,
 * tracking, DKIM, delivery from Pool IP 127.0.0.2). Each case first runs a small unprinted warm-up.
 * Client concurrency is bounded (50 requests or messages in flight, 5 batches); each case is
 * capped at CASE_CAP_MS, after which it prints what it reached.
 *
 * Run: `node --import tsx bench/throughput.ts` (env `BENCH_N` scales the message counts:
 * BENCH_N=1 is 2000 for the baseline and 1000 per Bridgemail case).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { z } from 'zod';
import { startPlatform } from '../cli/platform.js';
import { createLogger, loadConfig } from '../core/index.js';

const SCALE = Number(process.env.BENCH_N) > 0 ? Number(process.env.BENCH_N) : 1;
const BASELINE_N = Math.max(1, Math.round(2000 * SCALE));
const CASE_N = Math.max(1, Math.round(1000 * SCALE));
const WARMUP_N = 50;
const CONCURRENCY = 50;
const BATCH_SIZE = 100;
const BATCH_CONCURRENCY = 5;
const CASE_CAP_MS = 120_000;
const LINKS = 10;

/** An HTML message of about 4 KB with `LINKS` links. */
function orderHtml(): string {
  const text = 'Thanks for your order. Your parcel is being prepared and will ship within two working days. ';
  const rows = Array.from(
    { length: LINKS },
    (_, i) => `<p style="font:15px/22px Arial,sans-serif;">${text.repeat(3)}<a href="https://shop.example/orders/${i}?utm_source=mail&amp;pos=${i}">Item ${i}</a></p>\n`,
  );
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Your order</title></head><body>\n${rows.join('')}</body></html>\n`;
}

/** A sink that counts messages per recipient domain and remembers when the last one arrived. */
async function startCountingSink() {
  const seen = new Map<string, { n: number; lastAt: number }>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH'],
    logger: false,
    closeTimeout: 2_000,
    onData(stream, session, callback) {
      stream.on('end', () => {
        for (const rcpt of session.envelope.rcptTo) {
          const domain = rcpt.address.slice(rcpt.address.lastIndexOf('@') + 1).toLowerCase();
          seen.set(domain, { n: (seen.get(domain)?.n ?? 0) + 1, lastAt: performance.now() });
        }
        callback(null, 'Ok: counted');
      });
      stream.resume();
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.server.address() as AddressInfo).port,
    seen: (domain: string) => seen.get(domain) ?? { n: 0, lastAt: 0 },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
type CountingSink = Awaited<ReturnType<typeof startCountingSink>>;

/** What one case reached; `submitSeconds` is until the last submission was answered (ingress alone). */
interface CaseResult {
  delivered: number;
  accepted: number;
  seconds: number;
  submitSeconds: number;
  errors: number;
  firstError: string | undefined;
  capped: boolean;
}

/**
 * Submits `units` units (a message or a batch) with at most `concurrency` in flight, then waits
 * until the sink has every accepted message of `domain`; both bounded by CASE_CAP_MS.
 */
async function runCase(
  sink: CountingSink,
  domain: string,
  units: number,
  concurrency: number,
  submit: (unit: number) => Promise<{ accepted: number; error?: string }>,
): Promise<CaseResult> {
  const start = performance.now();
  const deadline = start + CASE_CAP_MS;
  let [next, accepted, errors] = [0, 0, 0];
  let [submitting, submitEnd] = [true, deadline];
  let firstError: string | undefined;
  const worker = async () => {
    while (next < units && performance.now() < deadline) {
      const unit = next++;
      try {
        const r = await submit(unit);
        accepted += r.accepted;
        if (r.error !== undefined) {
          errors++;
          firstError ??= r.error;
        }
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  void Promise.all(Array.from({ length: Math.min(concurrency, units) }, worker)).then(() => {
    submitting = false;
    submitEnd = performance.now();
  });
  while (performance.now() < deadline && (submitting || sink.seen(domain).n < accepted)) await sleep(5);
  const { n, lastAt } = sink.seen(domain);
  const capped = submitting || n < accepted;
  const seconds = ((capped || n === 0 ? performance.now() : lastAt) - start) / 1000;
  return { delivered: n, accepted, seconds, submitSeconds: (submitEnd - start) / 1000, errors, firstError, capped };
}

/** One REST call; throws on a non-2xx answer with its status and body. */
async function post(url: string, apiKey: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(CASE_CAP_MS),
  });
  const text = await res.text();
  if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

const created = z.object({ id: z.string() });
const bridgeSchema = created.extend({ apiKey: z.string(), smtp: z.object({ username: z.string(), password: z.string() }) });
const batchAnswer = z.object({ data: z.array(z.object({ id: z.string().optional(), error: z.object({ code: z.string(), message: z.string() }).optional() })) });

/** Submits unit `i` (a message, or a batch) of a case of `n` messages; they go to `@domain`. */
type Submit = (domain: string, n: number) => (i: number) => Promise<{ accepted: number; error?: string }>;

/** A pooled nodemailer transport (the shape the brief fixes for the baseline). */
function pooled(port: number, auth?: { user: string; pass: string }) {
  const tls = { secure: false, tls: { rejectUnauthorized: false }, ...(auth ? { auth, requireTLS: true } : {}) };
  return nodemailer.createTransport({ host: '127.0.0.1', port, pool: true, maxConnections: 20, maxMessages: Infinity, ...tls });
}

async function main(): Promise<void> {
  const html = orderHtml();
  console.log(`nproc ${availableParallelism()}  node ${process.version}`);
  console.log(`html ${Buffer.byteLength(html)} bytes, ${LINKS} links; concurrency ${CONCURRENCY} (batches: ${BATCH_CONCURRENCY} × ${BATCH_SIZE}); cap ${CASE_CAP_MS / 1000} s per case; warm-up ${WARMUP_N} per case`);
  const sink = await startCountingSink();
  const dataDir = await mkdtemp(join(tmpdir(), 'bridgemail-bench-'));
  const config = loadConfig({
    BRIDGEMAIL_DATA_DIR: dataDir,
    BRIDGEMAIL_API_PORT: '0',
    BRIDGEMAIL_ADMIN_PORT: '0',
    BRIDGEMAIL_SMTP_PORT: '0',
    BRIDGEMAIL_SMTPS_PORT: '0',
    BRIDGEMAIL_HELO_NAME: 'bridgemail.bench',
    BRIDGEMAIL_MX_OVERRIDE: `*=127.0.0.1:${sink.port}`,
    BRIDGEMAIL_LOG_LEVEL: 'silent',
    BRIDGEMAIL_DELIVERY_CONCURRENCY: '50',
    BRIDGEMAIL_SHAPING: JSON.stringify({ ip: { perSecond: 10_000, connections: 500 }, destination: { perSecond: 10_000, connections: 200 } }),
  });
  const platform = await startPlatform(config, createLogger({ level: config.logLevel })).catch(async (err: unknown) => {
    await sink.close();
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  });
  const direct = pooled(sink.port);
  let ingress: ReturnType<typeof pooled> | undefined;
  try {
    const admin = async <T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<T> => {
      const res = await fetch(`${platform.urls.admin}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${platform.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`admin ${path} answered ${res.status}: ${await res.text()}`);
      return schema.parse(await res.json());
    };
    const pool = await admin('/admin/v1/pools', { name: 'bench', ips: ['127.0.0.2'] }, created);
    const plain = await admin('/admin/v1/bridges', { name: 'plain', poolId: pool.id, trackOpens: false, trackClicks: false }, bridgeSchema);
    const tracked = await admin('/admin/v1/bridges', { name: 'tracked', poolId: pool.id, trackOpens: true, trackClicks: true }, bridgeSchema);
    await admin('/admin/v1/domains', { domain: 'bench.example' }, created);
    const apiSend = `${platform.urls.api}/v1/send`;
    ingress = pooled(platform.ports.smtp, { user: tracked.smtp.username, pass: tracked.smtp.password });
    const smtpIngress = ingress;

    const message = (from: string, domain: string, i: number) => ({ from, to: `r${i}@${domain}`, subject: `Order ${i}`, html });
    const single = (apiKey: string, from: string): Submit => (domain) => async (i: number) => {
      await post(apiSend, apiKey, message(from, domain, i));
      return { accepted: 1 };
    };
    const viaSmtp = (transport: typeof direct, from: string): Submit => (domain) => async (i: number) => {
      await transport.sendMail(message(from, domain, i));
      return { accepted: 1 };
    };
    const batch = (apiKey: string, from: string): Submit => (domain, n) => async (b: number) => {
      const body = Array.from({ length: Math.min(BATCH_SIZE, n - b * BATCH_SIZE) }, (_, k) => message(from, domain, b * BATCH_SIZE + k));
      const answer = batchAnswer.parse(await post(`${apiSend}/batch`, apiKey, body));
      const refused = answer.data.find((d) => d.error);
      const accepted = answer.data.filter((d) => d.id).length;
      return refused?.error ? { accepted, error: `${refused.error.code}: ${refused.error.message}` } : { accepted };
    };
    const cases: { name: string; n: number; unit: number; concurrency: number; submit: Submit }[] = [
      { name: 'nodemailer-direct', n: BASELINE_N, unit: 1, concurrency: CONCURRENCY, submit: viaSmtp(direct, 'shop@nokey.example') },
      { name: 'rest plain', n: CASE_N, unit: 1, concurrency: CONCURRENCY, submit: single(plain.apiKey, 'shop@nokey.example') },
      { name: 'rest track+dkim', n: CASE_N, unit: 1, concurrency: CONCURRENCY, submit: single(tracked.apiKey, 'shop@bench.example') },
      { name: 'batch track+dkim', n: CASE_N, unit: BATCH_SIZE, concurrency: BATCH_CONCURRENCY, submit: batch(tracked.apiKey, 'shop@bench.example') },
      { name: 'smtp track+dkim', n: CASE_N, unit: 1, concurrency: CONCURRENCY, submit: viaSmtp(smtpIngress, 'shop@bench.example') },
      // The baseline again: how much the machine drifted during the run.
      { name: 'nodemailer-direct #2', n: BASELINE_N, unit: 1, concurrency: CONCURRENCY, submit: viaSmtp(direct, 'shop@nokey.example') },
    ];
    let baseline = 0;
    for (const [index, c] of cases.entries()) {
      const slug = c.name.replace(/[^a-z0-9]+/g, '-');
      const warm = await runCase(sink, `warm-${slug}.example`, Math.ceil(WARMUP_N / c.unit), c.concurrency, c.submit(`warm-${slug}.example`, WARMUP_N));
      if (warm.capped || warm.errors) console.log(`  (warm-up of ${c.name}: ${warm.delivered} delivered, ${warm.errors} errors ${warm.firstError ?? ''})`);
      const r = await runCase(sink, `case${index}-${slug}.example`, Math.ceil(c.n / c.unit), c.concurrency, c.submit(`case${index}-${slug}.example`, c.n));
      const perSecond = r.delivered / r.seconds;
      if (index === 0) baseline = perSecond;
      const notes = [
        r.capped ? `capped at ${CASE_CAP_MS / 1000} s: ${r.delivered}/${r.accepted} accepted reached the sink` : '',
        r.errors ? `${r.errors} submission errors, first: ${r.firstError ?? ''}` : '',
      ].filter(Boolean);
      console.log(
        `${c.name.padEnd(20)} ${String(r.delivered).padStart(6)} msgs  ${perSecond.toFixed(0).padStart(6)} msg/s  ${(baseline ? perSecond / baseline : 0).toFixed(2)}× nodemailer-direct  (${r.seconds.toFixed(2)} s; submitted in ${r.submitSeconds.toFixed(2)} s)${notes.length ? `  [${notes.join('; ')}]` : ''}`,
      );
    }
  } finally {
    direct.close();
    ingress?.close();
    await platform.close();
    await sink.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
