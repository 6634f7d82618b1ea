/**
 * Cost of building the MIME of one REST send request, as CPU ms per message (this process's user
 * + system time; wall-clock ms beside it) and as a ratio to nodemailer's MailComposer (what
 * `buildMime` used to be) measured in the same run.
 *
 * Two requests:
 * - `typical`: one recipient, a subject, the ~4 KB HTML with 10 links of the throughput
 *   benchmarks, no text, no attachments;
 * - `text+html, non-ASCII subject`: the same HTML, a plain-text part and a subject with
 *   umlauts, an emoji and CJK (so multipart/alternative and encoded words).
 * Each is built by `composeMime` (MailComposer) and by `buildMime` (the synchronous path, with
 * MailComposer as fallback); both messages are parsed and compared once before timing. Each case
 * warms up, then runs up to ITERATIONS messages or TIME_LIMIT_MS per side, whichever comes first,
 * in ROUNDS blocks alternating between the two sides (so both see the same machine load).
 *
 * Run: `node --import tsx bench/build-mime.ts`
 */
import { simpleParser } from 'mailparser';
import { buildMime, composeMime, sendRequestSchema, type SendRequest } from '../ingress/index.js';
import { orderHtml, PLAIN_FROM } from './bench-platform.js';

const WARMUP = 300;
const ITERATIONS = 5_000;
const ROUNDS = 5;
const TIME_LIMIT_MS = 10_000;
const MESSAGE_ID = '<msg_01J0BENCH@mail.bridgemail.example>';

/** Time spent so far: wall clock and this process's CPU (user + system), in ms. */
function now(): { wall: number; cpu: number } {
  const cpu = process.cpuUsage();
  return { wall: performance.now(), cpu: (cpu.user + cpu.system) / 1000 };
}

interface Cost {
  /** CPU ms per message. */
  cpu: number;
  /** Wall-clock ms per message. */
  wall: number;
  runs: number;
}

/**
 * Cost per call of each function, after a warm-up. The calls are made in ROUNDS alternating
 * blocks so that both sides see the same machine load, up to ITERATIONS calls or TIME_LIMIT_MS
 * each.
 */
async function measurePair(fns: [() => Promise<unknown>, () => Promise<unknown>]): Promise<[Cost, Cost]> {
  for (const fn of fns) for (let i = 0; i < WARMUP; i++) await fn();
  const totals = fns.map(() => ({ cpu: 0, wall: 0, runs: 0 }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, fn] of fns.entries()) {
      const total = totals[i] ?? { cpu: 0, wall: 0, runs: 0 };
      const start = now();
      let runs = 0;
      while (runs < ITERATIONS / ROUNDS && now().wall - start.wall < TIME_LIMIT_MS / ROUNDS) {
        await fn();
        runs++;
      }
      const end = now();
      total.cpu += end.cpu - start.cpu;
      total.wall += end.wall - start.wall;
      total.runs += runs;
    }
  }
  const [a, b] = totals.map((t) => ({ cpu: t.cpu / t.runs, wall: t.wall / t.runs, runs: t.runs }));
  if (!a || !b) throw new Error('no measurement');
  return [a, b];
}

/** Fails the run if the two messages do not read the same (boundaries aside). */
async function checkSame(req: SendRequest): Promise<void> {
  const date = new Date();
  const [ours, theirs] = await Promise.all([buildMime(req, MESSAGE_ID, date), composeMime(req, MESSAGE_ID, date)]);
  const [a, b] = await Promise.all([simpleParser(ours), simpleParser(theirs)]);
  const view = (m: typeof a) =>
    JSON.stringify([m.subject, m.from?.text, m.to, m.messageId, m.date, m.html, m.text?.replace(/\r\n/g, '\n')]);
  if (view(a) !== view(b)) throw new Error(`buildMime and MailComposer disagree:\n${view(a)}\n${view(b)}`);
}

async function main(): Promise<void> {
  const html = orderHtml();
  const cases: [string, SendRequest][] = [
    [
      'typical',
      sendRequestSchema.parse({ from: `Shop <${PLAIN_FROM}>`, to: 'zoe@client.example', subject: 'Your order', html }),
    ],
    [
      'text+html, non-ASCII subject',
      sendRequestSchema.parse({
        from: `Shop <${PLAIN_FROM}>`,
        to: 'Zoë Müller <zoe@client.example>',
        subject: 'Ihre Bestellung 🎉 ist unterwegs – 注文 #1042',
        text: 'Thanks for your order. Your parcel is being prepared and will ship within two working days.\n'.repeat(
          10,
        ),
        html,
      }),
    ],
  ];
  console.log(
    `html ${Buffer.byteLength(html)} bytes; node ${process.version}; up to ${ITERATIONS} messages or ${TIME_LIMIT_MS / 1000} s per line`,
  );
  for (const [name, req] of cases) {
    await checkSame(req);
    const [composer, ours] = await measurePair([
      () => composeMime(req, MESSAGE_ID, new Date()),
      () => buildMime(req, MESSAGE_ID, new Date()),
    ]);
    console.log(name);
    for (const [label, cost] of [
      ['MailComposer', composer],
      ['buildMime', ours],
    ] as const) {
      const ratio = cost.cpu / composer.cpu;
      console.log(
        `  ${label.padEnd(13)} ${cost.cpu.toFixed(3).padStart(6)} ms CPU/message  ${ratio.toFixed(2)}× MailComposer` +
          `  (wall ${cost.wall.toFixed(3)} ms, ${(cost.wall / composer.wall).toFixed(2)}×; ${cost.runs} runs)`,
      );
    }
  }
}

await main();
