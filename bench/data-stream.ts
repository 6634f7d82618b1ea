/**
 * Cost of turning a signed copy into SMTP DATA (dot-stuffing, line ends) per message, as µs and as
 * a ratio to nodemailer's DataStream measured in the same run: DataStream as it is, against
 * DataStream with the pass-through delivery installs (workers/delivery/data-stream-fast.ts). The
 * body is CRLF-only with no line starting with a dot, as the copies we sign are; both are checked
 * to give the same bytes first. Each case alternates with the other for ROUNDS rounds of up to
 * ITERATIONS messages or TIME_LIMIT_MS each; the median round is printed.
 *
 * Run: `node --import tsx bench/data-stream.ts`
 */
import DataStream from 'nodemailer/lib/smtp-connection/data-stream.js';
import { installPassThrough } from '../workers/delivery/data-stream-fast.js';
import { orderHtml } from './bench-platform.js';

const ROUNDS = 5;
const ITERATIONS = 10_000;
const TIME_LIMIT_MS = 1_000;

const body = Buffer.from(
  `DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=bench\r\nFrom: a@example.com\r\nSubject: bench\r\n\r\n${orderHtml().replace(/\r?\n/g, '\r\n')}`,
  'utf8',
);

/** One message through a DataStream; resolves with what came out. */
function once(fast: boolean): Promise<Buffer> {
  const stream = new DataStream();
  if (fast && !installPassThrough(stream)) throw new Error('the pass-through did not install on this nodemailer');
  const out: Buffer[] = [];
  stream.on('data', (c: Buffer) => out.push(c));
  const done = new Promise<Buffer>((resolve) => stream.once('end', () => resolve(Buffer.concat(out))));
  stream.write(body);
  stream.end();
  return done;
}

async function round(fast: boolean): Promise<number> {
  const deadline = performance.now() + TIME_LIMIT_MS;
  const start = performance.now();
  let n = 0;
  while (n < ITERATIONS && performance.now() < deadline) {
    await once(fast);
    n++;
  }
  return ((performance.now() - start) * 1000) / n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const [slowOut, fastOut] = [await once(false), await once(true)];
  if (!slowOut.equals(fastOut)) throw new Error('the pass-through changed the bytes');
  const slow: number[] = [];
  const fast: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    slow.push(await round(false));
    fast.push(await round(true));
  }
  const [s, f] = [median(slow), median(fast)];
  console.log(`body ${body.length} bytes; median of ${ROUNDS} alternating rounds`);
  console.log(`DataStream                 ${s.toFixed(2).padStart(7)} µs/msg  1.00×`);
  console.log(`DataStream + pass-through  ${f.toFixed(2).padStart(7)} µs/msg  ${(s / f).toFixed(2)}× faster`);
}

await main();
