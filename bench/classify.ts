/**
 * Throughput of the bounce classifier over the shared corpora (../shared/corpora/bounces and
 * bounces-more, messages and negatives, read in place), as messages per second next to a baseline
 * measured in the same run: mailparser's `simpleParser` on the same files (the cost of just parsing
 * the MIME). A corpus that is not there is left out; with neither, nothing is measured.
 *
 * Each case warms up, then loops over its messages for about TIME_LIMIT_MS: each corpus alone, then all
 * of them together.
 *
 * Run: `node --import tsx bench/classify.ts`
 */
import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { classifyMessage } from '../workers/bounces/index.js';
import { BOUNCE_CORPORA, leftOutLine, loadCorpus } from '../test/support/bounce-corpora.js';

const TIME_LIMIT_MS = 5_000;
const WARMUP_ROUNDS = 3;

/** The messages of each corpus that is there, read once. */
function loadSets(): { name: string; messages: Buffer[] }[] {
  return BOUNCE_CORPORA.flatMap((name) => {
    const corpus = loadCorpus(name);
    if (corpus) return [{ name, messages: corpus.messages.map((m) => readFileSync(m.path)) }];
    process.stdout.write(`${leftOutLine(name)}\n`);
    return [];
  });
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

/** The ratio on one set of messages: the baseline, then the classifier, back to back. */
async function compare(title: string, messages: Buffer[]): Promise<void> {
  const bytes = messages.reduce((n, m) => n + m.length, 0);
  process.stdout.write(`\n${title}: ${messages.length} messages, ${(bytes / 1024).toFixed(0)} KiB\n`);
  const baseline = await measure('baseline: simpleParser', messages, (raw) => simpleParser(raw));
  const classify = await measure('classifyMessage', messages, (raw) => classifyMessage(raw));
  process.stdout.write(`classifyMessage / simpleParser: ${(classify / baseline).toFixed(2)}x\n`);
}

// Each corpus alone (bounces alone is the set earlier figures were measured on), then all together.
const sets = loadSets();
process.stdout.write(`node ${process.version}\n`);
for (const set of sets) await compare(set.name, set.messages);
if (sets.length > 1)
  await compare(
    sets.map((s) => s.name).join(' + '),
    sets.flatMap((s) => s.messages),
  );
