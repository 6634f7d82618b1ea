/**
 * Throughput of the bounce classifier over the shared corpus (../shared/corpora/bounces, read in
 * place), as messages per second next to a baseline measured in the same run: mailparser's
 * `simpleParser` on the same files (the cost of just parsing the MIME).
 *
 * Each case warms up, then loops over the whole corpus for about TIME_LIMIT_MS.
 *
 * Run: `node --import tsx bench/classify.ts`
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { simpleParser } from 'mailparser';
import { classifyMessage } from '../workers/bounces/index.js';

const TIME_LIMIT_MS = 5_000;
const WARMUP_ROUNDS = 3;
const CORPUS = resolve(import.meta.dirname, '../../shared/corpora/bounces');

function loadCorpus(): Buffer[] {
  if (!existsSync(CORPUS)) throw new Error(`bounce corpus not found at ${CORPUS}`);
  return ['eml', 'negative'].flatMap((dir) =>
    readdirSync(join(CORPUS, dir))
      .filter((name) => name.endsWith('.eml'))
      .map((name) => readFileSync(join(CORPUS, dir, name))),
  );
}

async function measure(name: string, messages: Buffer[], run: (raw: Buffer) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < WARMUP_ROUNDS; i++) for (const m of messages) await run(m);
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < TIME_LIMIT_MS) {
    for (const m of messages) await run(m);
    count += messages.length;
  }
  const rate = count / ((performance.now() - start) / 1000);
  process.stdout.write(`${name.padEnd(28)} ${rate.toFixed(0).padStart(7)} messages/s  (${count} messages)\n`);
  return rate;
}

const messages = loadCorpus();
const bytes = messages.reduce((n, m) => n + m.length, 0);
process.stdout.write(
  `corpus: ${messages.length} messages, ${(bytes / 1024).toFixed(0)} KiB, node ${process.version}\n`,
);
const baseline = await measure('baseline: simpleParser', messages, (raw) => simpleParser(raw));
const classify = await measure('classifyMessage', messages, (raw) => classifyMessage(raw));
process.stdout.write(`classifyMessage / simpleParser: ${(classify / baseline).toFixed(2)}x\n`);
