/**
 * Cost of one DKIM signature (relaxed/relaxed, RSA-2048) of the ~4.6 KB benchmark message, as ms
 * per signature and as a ratio to mailauth's own signer measured in the same run.
 *
 * Three cases:
 * - `mailauth dkimSign`: mailauth's streaming signer, given the PEM (it parses the key per message);
 * - `dkimSignature`: ours, key parsed once, body hashed without streams;
 * - `crypto.sign floor`: a bare `crypto.sign('rsa-sha256', …)` of 500 bytes with the parsed key,
 *   the floor of any RSA-2048 DKIM signer.
 * Each case warms up, then runs up to ITERATIONS signatures or TIME_LIMIT_MS, whichever comes first.
 *
 * Run: `node --import tsx bench/dkim-sign.ts`
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import MailComposer from 'nodemailer/lib/mail-composer';
import { dkimSignature, parseDkimKey } from '../workers/signing/index.js';
import { orderHtml } from './bench-platform.js';

const WARMUP = 200;
const ITERATIONS = 3_000;
const TIME_LIMIT_MS = 10_000;

/** Milliseconds per call of `fn` after a warm-up, bounded by ITERATIONS and TIME_LIMIT_MS. */
async function measure(fn: () => unknown): Promise<{ ms: number; runs: number }> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(TIME_LIMIT_MS) * 1_000_000n;
  let runs = 0;
  while (runs < ITERATIONS && process.hrtime.bigint() < deadline) {
    await fn();
    runs++;
  }
  return { ms: Number(process.hrtime.bigint() - start) / 1e6 / runs, runs };
}

/** The header without its time and signature, which differ between runs. */
function withoutTimeAndSignature(header: string): string {
  return header.replace(/t=\d+;?\s*/g, '').replace(/b=[^;]*$/s, '');
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
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const dkim = parseDkimKey('bench.example', 'bm1', pem);
  const signer = { signingDomain: 'bench.example', selector: 'bm1', privateKey: pem };
  const options = { canonicalization: 'relaxed/relaxed', algorithm: 'rsa-sha256', ...signer, signatureData: [signer] };
  const floorInput = raw.subarray(0, 500);

  // Sanity: both signers produce the same header (apart from t= and b=) before being timed.
  const theirs = (await dkimSign(raw, options)).signatures;
  const ours = await dkimSignature(raw, dkim);
  if (withoutTimeAndSignature(ours) !== withoutTimeAndSignature(theirs))
    throw new Error(`headers differ:\n${ours}\n${theirs}`);

  console.log(`message ${raw.length} bytes, RSA-2048; node ${process.version}`);
  const cases: [string, () => unknown][] = [
    ['mailauth dkimSign', () => dkimSign(raw, options)],
    ['dkimSignature', () => dkimSignature(raw, dkim)],
    ['crypto.sign floor (500 B)', () => sign('rsa-sha256', floorInput, dkim.key)],
  ];
  const results: number[] = [];
  for (const [name, fn] of cases) {
    const { ms, runs } = await measure(fn);
    results.push(ms);
    console.log(
      `${name.padEnd(26)} ${ms.toFixed(3).padStart(7)} ms/signature  ${(ms / (results[0] ?? ms)).toFixed(2)}× mailauth  (${runs} runs)`,
    );
  }
  // What each signer costs beyond the RSA signature itself, which no signer can avoid.
  const [mailauthMs = 0, oursMs = 0, floorMs = 0] = results;
  console.log(
    `above the floor: mailauth ${(mailauthMs - floorMs).toFixed(3)} ms, dkimSignature ${(oursMs - floorMs).toFixed(3)} ms`,
  );
}

await main();
