/**
 * Cost of open and click tracking on one message, as messages per second and as a ratio to a
 * baseline measured in the same run.
 *
 * The message is a generated newsletter of about 50 KB of HTML with 40 links, inside a
 * multipart/alternative message built by nodemailer (HTML part quoted-printable). Three cases:
 * - `baseline`: the message through mailsplit Splitter → Joiner, nothing rewritten (the floor of
 *   any streaming MIME rewrite);
 * - `mime-noop`: `rewriteHtmlParts` with a rewrite that returns its input (QP decode, charset
 *   round trip, re-encode skipped because nothing changed);
 * - `apply-tracking`: `applyTracking` with opens and clicks on (htmlparser2 scan, 40 signed click
 *   tokens, pixel, QP re-encoding with libqp).
 * Each case warms up, then runs up to ITERATIONS messages or TIME_LIMIT_MS, whichever comes first.
 *
 * Run: `node --import tsx bench/tracking-rewrite.ts`
 */
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Joiner, Splitter } from 'mailsplit';
import MailComposer from 'nodemailer/lib/mail-composer';
import { TrackingTokens } from '../core/index.js';
import { applyTracking, rewriteHtmlParts } from '../workers/tracking/index.js';

const LINKS = 40;
const TARGET_HTML_BYTES = 50_000;
const WARMUP = 50;
const ITERATIONS = 2_000;
const TIME_LIMIT_MS = 10_000;

/** A table-based newsletter with `LINKS` links, padded with article text to about `TARGET_HTML_BYTES`. */
function newsletter(): string {
  const perArticle = LINKS / 2;
  const filler = 'Roasted in small batches, this coffee shows notes of cherry, cocoa and toasted almond. ';
  const repeat = Math.max(1, Math.floor(TARGET_HTML_BYTES / perArticle / filler.length) - 3);
  const rows: string[] = [];
  for (let i = 0; i < perArticle; i++) {
    rows.push(
      `<tr><td style="padding:0 24px 16px;"><table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr>`,
      `<td width="180" valign="top"><a href="https://shop.example/p/${i}?utm_source=newsletter&amp;utm_medium=email&amp;pos=${i}">`,
      `<img src="https://cdn.example/p/${i}.jpg" width="160" alt="Product ${i}" style="display:block;border:0;"></a></td>`,
      `<td valign="top" style="font:15px/22px Georgia,serif;color:#333;"><h2 style="margin:0 0 8px;">Roast nº ${i}</h2>`,
      `<p style="margin:0;">${filler.repeat(repeat)}<a href="https://shop.example/p/${i}#reviews" style="color:#e4572e;">Read more</a></p>`,
      `</td></tr></table></td></tr>\n`,
    );
  }
  return [
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Digest</title>',
    '<!--[if mso]><style>table{border-collapse:collapse;}</style><![endif]--></head>',
    '<body style="margin:0;background:#f4f4f4;"><table role="presentation" width="600" align="center" style="background:#fff;">\n',
    ...rows,
    '<tr><td style="font:12px Arial;color:#888;padding:24px;"><a href="{{unsubscribe_url}}">Unsubscribe</a></td></tr>',
    '</table></body></html>\n',
  ].join('');
}

async function splitJoin(raw: Buffer): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from([raw]), new Splitter(), new Joiner(), async function (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) out.push(chunk);
  });
  return Buffer.concat(out);
}

/** Messages per second of `fn` after a warm-up, bounded by ITERATIONS and TIME_LIMIT_MS. */
async function measure(fn: () => Buffer | Promise<Buffer>): Promise<{ perSecond: number; runs: number }> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(TIME_LIMIT_MS) * 1_000_000n;
  let runs = 0;
  while (runs < ITERATIONS && process.hrtime.bigint() < deadline) {
    await fn();
    runs++;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { perSecond: runs / seconds, runs };
}

async function main(): Promise<void> {
  const html = newsletter();
  const raw = await new MailComposer({
    from: 'Shop <shop@shop.example>',
    to: 'zoe@client.example',
    subject: 'Autumn digest',
    text: 'Our autumn roasts: https://shop.example/',
    html,
  })
    .compile()
    .build();
  const tokens = new TrackingTokens(Buffer.alloc(32, 7));
  const plan = { opens: true, clicks: true, baseUrl: 'https://links.shop.example' };
  const copy = { messageId: 'msg_bench', bridgeId: 'brg_bench', poolId: 'pool_bench', recipient: 'zoe@client.example' };

  // Sanity: the cases do what they claim before being timed.
  if (!(await splitJoin(raw)).equals(raw)) throw new Error('Splitter→Joiner did not round-trip the message');
  if (!rewriteHtmlParts(raw, (h) => h).equals(raw)) throw new Error('no-op rewrite changed the message');
  const tracked = applyTracking(raw, plan, copy, tokens).toString();
  const clicks = tracked.split('/t/c/').length - 1;
  if (clicks < LINKS) throw new Error(`expected ${LINKS} tracked links, found ${clicks}`);

  console.log(
    `html ${Buffer.byteLength(html)} bytes, message ${raw.length} bytes, ${LINKS} links; nproc ${availableParallelism()}; node ${process.version}`,
  );
  const cases: [string, () => Buffer | Promise<Buffer>][] = [
    ['baseline (split→join)', () => splitJoin(raw)],
    ['rewriteHtmlParts no-op', () => rewriteHtmlParts(raw, (h) => h)],
    ['applyTracking opens+clicks', () => applyTracking(raw, plan, copy, tokens)],
  ];
  let baseline = 0;
  for (const [name, fn] of cases) {
    const { perSecond, runs } = await measure(fn);
    if (baseline === 0) baseline = perSecond;
    console.log(
      `${name.padEnd(28)} ${perSecond.toFixed(0).padStart(7)} msg/s  ${(perSecond / baseline).toFixed(2)}× baseline  (${runs} runs)`,
    );
  }
}

await main();
