/**
 * Floors: the CPU per message of the parts that every Bridgemail on this stack must pay, measured
 * in the same run as the throughput cases, so the end-to-end figures can be read against what is
 * reachable at all on this machine.
 *
 * - `RSA-2048 signature`: one bare `crypto.sign('rsa-sha256')` of a DKIM header block with a
 *   parsed key (any RSA DKIM signer pays it once per copy).
 * - `HTTP accept`: a trivial Koa app in this process answering 202 to `POST` with the same JSON
 *   body as the REST cases (body read and parsed, nothing else), driven by ab from its own process.
 * - `BullMQ job`: add one job carrying a ~4.8 KB body (base64, as the platform's jobs do) and
 *   process it with an empty processor, 50 at a time, against the platform's redis-server (AOF on);
 *   this process and redis-server counted. Then again with 20 messages a job, as the Pool queues share
 *   jobs under load; the sum counts that one (what the platform does), the other is shown.
 * - `nodemailer client`: a pooled nodemailer transport (20 connections) sending prebuilt MIME to
 *   the sink, the JavaScript SMTP client alone; this process and smtp-sink counted.
 * CPU is read from /proc (all threads of this process, plus the named processes).
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import Koa from 'koa';
import nodemailer from 'nodemailer';
import { runApacheBench } from './apache-bench.js';
import { cpuSnapshot, type CpuSnapshot } from './cpu-split.js';
import type { SmtpSink } from './postfix.js';

/** One floor: CPU ms per message. */
export interface Floor {
  name: string;
  ms: number;
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const cpuMs = (before: CpuSnapshot, after: CpuSnapshot, n: number) =>
  ((sum(after.threads) - sum(before.threads) + sum(after.others) - sum(before.others)) * 1000) / n;

/** CPU ms per call of a synchronous step on this thread (process.cpuUsage). */
function perCall(fn: () => unknown, n: number): number {
  for (let i = 0; i < Math.min(200, n); i++) fn();
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / n;
}

/** The RSA-2048 signature floor. */
export function rsaFloor(): Floor {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const headers = Buffer.from(
    `from:Shop <shop@bench.example>\r\nto:r1@sink.example\r\nsubject:Order 1\r\n${'x'.repeat(300)}`,
  );
  return { name: 'RSA-2048 signature (node:crypto)', ms: perCall(() => sign('sha256', headers, privateKey), 1000) };
}

/** The HTTP accept floor: trivial Koa, JSON body parsed, 202. */
export async function httpFloor(body: unknown, requests: number, concurrency: number): Promise<Floor> {
  const app = new Koa();
  app.use(async (ctx) => {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    ctx.status = 202;
    ctx.body = { id: typeof parsed === 'object' ? 'msg_floor' : '' };
  });
  const handle = app.callback();
  const server = createServer((req, res) => void handle(req, res)).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/send`;
  try {
    await runApacheBench({
      url,
      apiKey: 'floor',
      body,
      requests: Math.min(500, requests),
      concurrency,
      timeoutMs: 60_000,
    });
    const before = await cpuSnapshot([]);
    const ab = await runApacheBench({ url, apiKey: 'floor', body, requests, concurrency, timeoutMs: 60_000 });
    const after = await cpuSnapshot([]);
    return { name: 'HTTP accept, trivial Koa (ab drives it)', ms: cpuMs(before, after, ab.complete || 1) };
  } finally {
    server.close();
  }
}

/**
 * The queue floor: BullMQ add + process of jobs with the messages inline, `perJob` messages a job
 * (1: a job per message; more: as the Pool queues share jobs under load).
 */
export async function bullmqFloor(redisUrl: string, messages: number, bodyBytes: number, perJob = 1): Promise<Floor> {
  const jobs = Math.max(1, Math.round(messages / perJob));
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: null, enableAutoPipelining: true });
  const consumer = new Redis(redisUrl, { maxRetriesPerRequest: null, enableAutoPipelining: true });
  const prefix = `floor${Date.now()}`;
  const queue = new Queue('floor', { connection: producer, prefix });
  const raw = Buffer.alloc(bodyBytes, 'a').toString('base64');
  let done = 0;
  let finish: () => void = () => {};
  const all = new Promise<void>((resolve) => (finish = resolve));
  const worker = new Worker(
    'floor',
    () => {
      if (++done === jobs) finish();
      return Promise.resolve();
    },
    { connection: consumer, prefix, concurrency: 50 },
  );
  try {
    const before = await cpuSnapshot(['redis-server']);
    for (let i = 0; i < jobs; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, jobs - i) }, (_, k) =>
          queue.add(
            'deliver',
            { batch: Array.from({ length: perJob }, (_, m) => ({ raw, n: m })) },
            { jobId: `f${i + k}`, attempts: 8, removeOnComplete: { age: 3600, count: 1000 } },
          ),
        ),
      );
    }
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 60_000))]);
    const after = await cpuSnapshot(['redis-server']);
    const name =
      perJob === 1 ? 'BullMQ job add + process (+ redis-server)' : `BullMQ, ${perJob} messages a job (+ redis-server)`;
    return { name, ms: cpuMs(before, after, (done || 1) * perJob) };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    producer.disconnect();
    consumer.disconnect();
  }
}

/** The SMTP client floor: pooled nodemailer, prebuilt MIME, to the sink. */
export async function smtpClientFloor(sink: SmtpSink, raw: Buffer, messages: number): Promise<Floor> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: sink.port,
    pool: true,
    maxConnections: 20,
    maxMessages: Infinity,
    secure: false,
  });
  const send = (i: number) =>
    transport.sendMail({ envelope: { from: 'shop@bench.example', to: [`f${i}@sink.example`] }, raw });
  try {
    const run = async (n: number) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          while (next < n) await send(next++);
        }),
      );
    };
    await run(Math.min(500, messages));
    const before = await cpuSnapshot(['smtp-sink']);
    await run(messages);
    const after = await cpuSnapshot(['smtp-sink']);
    return { name: 'nodemailer client, prebuilt MIME (+ smtp-sink)', ms: cpuMs(before, after, messages) };
  } finally {
    transport.close();
  }
}

/** A rate measured in the same run, to state the floors' ceiling as a ratio to it. */
export interface ReferenceRate {
  name: string;
  perSecond: number;
}

/**
 * The floors as printed lines, with their sum and the rate it allows on `cores` cores; `shown` are
 * printed but not summed. With `reference` (the nodemailer-direct run made just before the
 * floors), also that ceiling as a ratio to it: the machine's speed moves both alike, so the ratio
 * holds from one machine and day to the next where the msg/s do not.
 */
export function floorLines(
  floors: readonly Floor[],
  cores: number,
  shown: readonly Floor[] = [],
  reference?: ReferenceRate,
): string[] {
  const total = floors.reduce((s, f) => s + f.ms, 0);
  const ceiling = (cores * 1000) / total;
  return [
    'floors: CPU per message of parts every implementation on this stack pays (measured now)',
    ...shown.map((f) => `  ${f.name.padEnd(46)} ${f.ms.toFixed(3).padStart(7)} ms/msg  (not in the sum)`),
    ...floors.map((f) => `  ${f.name.padEnd(46)} ${f.ms.toFixed(3).padStart(7)} ms/msg`),
    `  ${'sum'.padEnd(46)} ${total.toFixed(3).padStart(7)} ms/msg  → at most ${Math.floor(ceiling)} msg/s on ${cores} cores with nothing else`,
    ...(reference && reference.perSecond > 0
      ? [
          `  ${'ceiling / reference'.padEnd(46)} ${(ceiling / reference.perSecond).toFixed(2).padStart(7)}×       ${reference.name} ran at ${Math.round(reference.perSecond)} msg/s just before`,
        ]
      : []),
  ];
}
