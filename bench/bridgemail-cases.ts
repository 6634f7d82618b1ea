/**
 * The Bridgemail cases of `bench/throughput.ts`: how each submits its messages (REST single and
 * batch, SMTP through a pooled nodemailer transport), plain and with tracking + DKIM, and REST with
 * a tag or from a template.
 */
import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { z } from 'zod';
import { PLAIN_FROM, postJson, TRACKED_FROM, type BenchPlatform } from './bench-platform.js';
import { CASE_CAP_MS, type SubmitUnit } from './case-runner.js';

export const CONCURRENCY = 50;
export const BATCH_SIZE = 100;
export const BATCH_CONCURRENCY = 5;

/** A pooled nodemailer transport to 127.0.0.1: 20 connections, reused for every message. */
export function pooled(port: number, auth?: { user: string; pass: string }) {
  const tls = { secure: false, tls: { rejectUnauthorized: false }, ...(auth ? { auth, requireTLS: true } : {}) };
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    pool: true,
    maxConnections: 20,
    maxMessages: Infinity,
    ...tls,
  });
}
export type Transport = ReturnType<typeof pooled>;

const batchAnswer = z.object({
  data: z.array(
    z.object({ id: z.string().optional(), error: z.object({ code: z.string(), message: z.string() }).optional() }),
  ),
});

/** The submitter of a case of `n` messages. */
type CaseOf = (n: number) => SubmitUnit;

/** The template of the `rest plain template` case: the same subject and HTML as the other cases. */
export const BENCH_TEMPLATE = 'bench-order';

/**
 * The Bridgemail cases: REST, batch and SMTP, each plain and with tracking + DKIM; and REST plain
 * with a tag and metadata, and from a template ({@link BENCH_TEMPLATE}, made by `main`), whose
 * cost per message is read against `rest plain`.
 */
export function bridgemailCases(bench: BenchPlatform, ingress: { plain: Transport; tracked: Transport }, html: string) {
  const message = (from: string, i: number) => ({ from, to: `r${i}@sink.example`, subject: `Order ${i}`, html });
  const labelled = (from: string, i: number) => ({
    ...message(from, i),
    tag: 'receipts',
    metadata: { orderId: `ord-${i}`, plan: 'pro' },
  });
  const templated = (from: string, i: number) => ({
    from,
    to: `r${i}@sink.example`,
    templateAlias: BENCH_TEMPLATE,
    templateModel: { n: i },
  });
  // `keyed`: every request with an Idempotency-Key of its own (unique across warm-up and case).
  const run = randomBytes(4).toString('hex');
  let keys = 0;
  const single =
    (apiKey: string, from: string, keyed = false, body: (from: string, i: number) => object = message): CaseOf =>
    () =>
    async (i: number) => {
      await postJson(
        bench.sendUrl,
        apiKey,
        body(from, i),
        CASE_CAP_MS,
        keyed ? { 'idempotency-key': `bench-${run}-${++keys}` } : {},
      );
      return { accepted: 1 };
    };
  const batch =
    (apiKey: string, from: string): CaseOf =>
    (n: number) =>
    async (b: number) => {
      const body = Array.from({ length: Math.min(BATCH_SIZE, n - b * BATCH_SIZE) }, (_, k) =>
        message(from, b * BATCH_SIZE + k),
      );
      const answer = batchAnswer.parse(await postJson(`${bench.sendUrl}/batch`, apiKey, body, CASE_CAP_MS));
      const refused = answer.data.find((d) => d.error);
      const accepted = answer.data.filter((d) => d.id).length;
      return refused?.error ? { accepted, error: `${refused.error.code}: ${refused.error.message}` } : { accepted };
    };
  // The SMTP client sends prebuilt MIME (a template with the message number filled in), as an
  // application with its own templates would: MIME building in the load generator would be
  // charged to the platform it shares the CPU with.
  const viaSmtp = (transport: Transport, from: string): CaseOf => {
    const template = new MailComposer({
      ...message(from, 0),
      to: 'r__N__@sink.example',
      subject: 'Order __N__',
      messageId: '<__N__.bench@bench.example>',
    })
      .compile()
      .build()
      .then((raw) => raw.toString('latin1').split('__N__'));
    return () => async (i: number) => {
      const raw = Buffer.from((await template).join(String(i)), 'latin1');
      await transport.sendMail({ envelope: { from, to: [`r${i}@sink.example`] }, raw });
      return { accepted: 1 };
    };
  };
  const { plain, tracked } = bench;
  return [
    { name: 'rest plain', unit: 1, concurrency: CONCURRENCY, submit: single(plain.apiKey, PLAIN_FROM) },
    { name: 'rest track+dkim', unit: 1, concurrency: CONCURRENCY, submit: single(tracked.apiKey, TRACKED_FROM) },
    {
      name: 'rest plain tag',
      unit: 1,
      concurrency: CONCURRENCY,
      submit: single(plain.apiKey, PLAIN_FROM, false, labelled),
    },
    {
      name: 'rest plain template',
      unit: 1,
      concurrency: CONCURRENCY,
      submit: single(plain.apiKey, PLAIN_FROM, false, templated),
    },
    {
      name: 'rest track+dkim keyed',
      unit: 1,
      concurrency: CONCURRENCY,
      submit: single(tracked.apiKey, TRACKED_FROM, true),
    },
    { name: 'batch plain', unit: BATCH_SIZE, concurrency: BATCH_CONCURRENCY, submit: batch(plain.apiKey, PLAIN_FROM) },
    {
      name: 'batch track+dkim',
      unit: BATCH_SIZE,
      concurrency: BATCH_CONCURRENCY,
      submit: batch(tracked.apiKey, TRACKED_FROM),
    },
    { name: 'smtp plain', unit: 1, concurrency: CONCURRENCY, submit: viaSmtp(ingress.plain, PLAIN_FROM) },
    { name: 'smtp track+dkim', unit: 1, concurrency: CONCURRENCY, submit: viaSmtp(ingress.tracked, TRACKED_FROM) },
  ];
}
