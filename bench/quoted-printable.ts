/**
 * Cost of quoted-printable decoding and encoding of the body of the ~4.6 KB benchmark message (one
 * HTML part), as µs per message and as a ratio to libqp measured in the same run. The tracking
 * rewrite does one of each per message copy.
 *
 * Four cases:
 * - `libqp decode`: `libqp.decode(body)`, what the tracking rewrite used;
 * - `decodeQuotedPrintable`: ours, on the same body;
 * - `libqp encode+wrap`: `Buffer.from(libqp.wrap(libqp.encode(html), 76), 'latin1')`;
 * - `encodeQuotedPrintable`: ours, on the same HTML.
 * Both pairs are checked to give the same bytes first. Each case warms up, then runs up to
 * ITERATIONS calls or TIME_LIMIT_MS, whichever comes first.
 *
 * Run: `node --import tsx bench/quoted-printable.ts`
 */
import * as libqp from 'libqp';
import MailComposer from 'nodemailer/lib/mail-composer';
import { decodeQuotedPrintable, encodeQuotedPrintable } from '../workers/tracking/index.js';
import { orderHtml } from './bench-platform.js';

const WARMUP = 2_000;
const ITERATIONS = 20_000;
const TIME_LIMIT_MS = 2_000;
const LINE_LENGTH = 76;

/** Microseconds per call of `fn` after a warm-up, bounded by ITERATIONS and TIME_LIMIT_MS. */
function measure(fn: () => Buffer): { us: number; runs: number } {
  let sink = 0;
  for (let i = 0; i < WARMUP; i++) sink += fn().length;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(TIME_LIMIT_MS) * 1_000_000n;
  let runs = 0;
  while (runs < ITERATIONS && process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 100; i++) sink += fn().length;
    runs += 100;
  }
  const us = Number(process.hrtime.bigint() - start) / 1e3 / runs;
  if (sink === 0) throw new Error('nothing was produced');
  return { us, runs };
}

/** The body of the message, a single quoted-printable text/html part as nodemailer builds it. */
function htmlBody(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  const start = text.indexOf('\r\n\r\n') + 4;
  const header = text.slice(0, start);
  if (
    start < 4 ||
    !/^Content-Type: text\/html/im.test(header) ||
    !/^Content-Transfer-Encoding: quoted-printable/im.test(header)
  ) {
    throw new Error('the message is not a single quoted-printable HTML part');
  }
  return raw.subarray(start);
}

async function main(): Promise<void> {
  const raw = await new MailComposer({
    from: 'Shop <shop@bench.example>',
    to: 'zoe@client.example',
    subject: 'Your order',
    html: orderHtml(),
  })
    .compile()
    .build();
  const body = htmlBody(raw);
  const html = libqp.decode(body);

  const pairs: [string, () => Buffer, string, () => Buffer][] = [
    ['libqp decode', () => libqp.decode(body), 'decodeQuotedPrintable', () => decodeQuotedPrintable(body)],
    [
      'libqp encode+wrap',
      () => Buffer.from(libqp.wrap(libqp.encode(html), LINE_LENGTH), 'latin1'),
      'encodeQuotedPrintable',
      () => encodeQuotedPrintable(html, LINE_LENGTH),
    ],
  ];
  // Sanity: ours gives libqp's bytes before being timed.
  for (const [theirName, theirs, ourName, ours] of pairs) {
    if (!theirs().equals(ours())) throw new Error(`${ourName} differs from ${theirName}`);
  }

  console.log(
    `message ${raw.length} bytes, HTML part ${body.length} bytes quoted-printable, ${html.length} bytes decoded; node ${process.version}`,
  );
  for (const [theirName, theirs, ourName, ours] of pairs) {
    const baseline = measure(theirs);
    const ourResult = measure(ours);
    for (const [name, r] of [
      [theirName, baseline],
      [ourName, ourResult],
    ] as const) {
      console.log(
        `${name.padEnd(22)} ${r.us.toFixed(2).padStart(7)} µs/message  ${(r.us / baseline.us).toFixed(2)}× libqp  (${r.runs} runs)`,
      );
    }
  }
}

await main();
