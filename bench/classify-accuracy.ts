/**
 * Accuracy of the bounce classifier next to Sisimai's, on the shared corpora
 * (../shared/corpora/bounces and bounces-more, read in place), with the time per message of each.
 *
 * Ours runs on every message as stored (LF) and again with CRLF line endings; Sisimai (Debian's
 * libsisimai-perl 4.25, installed if missing) runs through bench/sisimai-classify.pl, one perl
 * process per corpus. Sisimai's records become an answer by the rules the corpora's labels follow:
 * - kind: `feedback` is a complaint; no record (or only `delivered` / `vacation`, which Sisimai
 *   reports for messages that are not failures) is none; anything else is a bounce.
 * - hard: reason userunknown, hostunknown or hasmoved, or notaccept with a 5xx status or reply; never
 *   when the status or reply is 4xx or the action is `delayed`.
 * - status: the DSN status it reports, except its pseudo codes `x.0.9xx` (not real status codes,
 *   so a message carrying none is expected to give `null`).
 *
 * Figures per corpus: kind and hard over all messages, hard recall over the expected hard ones,
 * recipient where the corpus asserts one, status by exact equality (null included), false positives
 * (soft or none answered hard; negatives answered bounce or complaint). Then every message either
 * classifier gets wrong, with both answers. The time per message is each one's own (file reading and
 * perl's start-up left out), measured on a second pass over the corpus. A missing corpus is left out
 * (exit 0).
 *
 * Run: `node --import tsx bench/classify-accuracy.ts`
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { classifyMessage } from '../workers/bounces/index.js';
import {
  BOUNCE_CORPORA,
  describeAnswer,
  judge,
  leftOutLine,
  loadCorpus,
  percent,
  score,
  toCrlf,
  type Answer,
  type Corpus,
  type Ratio,
  type Scores,
  type Verdict,
} from '../test/support/bounce-corpora.js';

const run = promisify(execFile);
const SISIMAI_SCRIPT = resolve(import.meta.dirname, 'sisimai-classify.pl');
const out = (line: string) => process.stdout.write(`${line}\n`);

/** What one classifier made of one message. */
interface Outcome {
  answer: Answer;
  verdict: Verdict;
  ms: number;
}

interface Column {
  title: string;
  outcomes: Outcome[];
  scores: Scores;
}

function sisimaiVersion(): string | null {
  const probe = spawnSync('perl', ['-MSisimai', '-e', 'print Sisimai->version'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : null;
}

/**
 * Installs the Debian package libsisimai-perl unless perl already loads Sisimai; runs
 * `apt-get update` only if the first install attempt fails. Needs root.
 */
async function ensureSisimai(): Promise<string> {
  const present = sisimaiVersion();
  if (present) return present;
  out('installing the Debian package libsisimai-perl');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const options = { env, maxBuffer: 64 << 20, timeout: 600_000 };
  const install = () => run('apt-get', ['install', '-y', '--no-install-recommends', 'libsisimai-perl'], options);
  try {
    await install();
  } catch {
    await run('apt-get', ['update'], options);
    await install();
  }
  const installed = sisimaiVersion();
  if (!installed) throw new Error('libsisimai-perl installed but perl cannot load Sisimai');
  return installed;
}

const sisimaiRecord = z.object({
  recipient: z.string(),
  reason: z.string(),
  deliverystatus: z.string(),
  replycode: z.coerce.string(),
  feedbacktype: z.string(),
  action: z.string(),
});
const sisimaiLine = z.object({
  file: z.string(),
  ms: z.number(),
  records: z.array(sisimaiRecord).optional(),
  error: z.string().optional(),
});
type SisimaiRecord = z.infer<typeof sisimaiRecord>;

const HARD_REASONS = new Set(['userunknown', 'hostunknown', 'hasmoved']);
const NOT_FAILURES = new Set(['delivered', 'vacation']);

/** Sisimai's status, without its pseudo codes `x.0.9xx` (which no message carries). */
function realStatus(status: string): string | null {
  return status === '' || /^\d\.0\.9\d\d$/.test(status) ? null : status;
}

function sisimaiHard(r: SisimaiRecord): boolean {
  if (r.deliverystatus.startsWith('4') || r.replycode.startsWith('4') || r.action === 'delayed') return false;
  if (HARD_REASONS.has(r.reason)) return true;
  return r.reason === 'notaccept' && (r.deliverystatus.startsWith('5') || r.replycode.startsWith('5'));
}

function sisimaiAnswer(records: SisimaiRecord[]): Answer {
  const failures = records.filter((r) => !NOT_FAILURES.has(r.reason));
  const first = failures[0];
  if (!first) return { kind: 'none', recipient: null, hard: false, status: null, reason: records[0]?.reason };
  const recipient = first.recipient.toLowerCase() || null;
  if (first.reason === 'feedback') {
    return { kind: 'complaint', recipient, hard: false, status: realStatus(first.deliverystatus), reason: 'feedback' };
  }
  // A report about several recipients has a status only where they all got the same one.
  const statuses = new Set(failures.map((r) => realStatus(r.deliverystatus)));
  const status = statuses.size === 1 ? realStatus(first.deliverystatus) : null;
  return { kind: 'bounce', recipient, hard: failures.every(sisimaiHard), status, reason: first.reason };
}

/**
 * Runs Sisimai over the whole corpus in one perl process, twice: the second pass is the one kept, so
 * that its time per message leaves out loading its modules, as ours leaves out the JIT's warm-up.
 */
async function runSisimai(corpus: Corpus): Promise<Outcome[]> {
  const paths = corpus.messages.map((m) => m.path);
  const args = [SISIMAI_SCRIPT, ...paths, ...paths];
  const { stdout, stderr } = await run('perl', args, { maxBuffer: 64 << 20, timeout: 600_000 });
  if (stderr.trim()) out(`  (Sisimai wrote ${stderr.trim().split('\n').length} lines to stderr)`);
  const byFile = new Map(
    stdout
      .trim()
      .split('\n')
      .map((l) => sisimaiLine.parse(JSON.parse(l)))
      .map((l) => [l.file, l]),
  ); // later lines replace earlier ones: the second pass wins
  return corpus.messages.map((m) => {
    const line = byFile.get(m.path);
    if (!line) throw new Error(`Sisimai printed no line for ${m.path}`);
    const answer = line.error
      ? { kind: 'none' as const, recipient: null, hard: false, status: null, reason: `error: ${line.error.trim()}` }
      : sisimaiAnswer(line.records ?? []);
    return { answer, verdict: judge(m.want, answer), ms: line.ms };
  });
}

/** Our answer, or an error shown as one (kind none) so that one message that throws does not end the run. */
async function classifyOrError(raw: Buffer): Promise<Answer> {
  try {
    return await classifyMessage(raw);
  } catch (err) {
    return { kind: 'none', recipient: null, hard: false, status: null, reason: `error: ${String(err)}` };
  }
}

/** Classifies every message once untimed (the JIT's warm-up), then again timed. */
async function runOurs(corpus: Corpus, crlf: boolean): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const m of corpus.messages) await classifyOrError(readFileSync(m.path));
  for (const m of corpus.messages) {
    const stored = readFileSync(m.path);
    const raw = crlf ? toCrlf(stored) : stored;
    const start = performance.now();
    const answer = await classifyOrError(raw);
    const ms = performance.now() - start;
    outcomes.push({ answer, verdict: judge(m.want, answer), ms });
  }
  return outcomes;
}

function column(title: string, corpus: Corpus, outcomes: Outcome[]): Column {
  return {
    title,
    outcomes,
    scores: score(outcomes.map((o, i) => ({ want: corpus.messages[i]!.want, verdict: o.verdict }))),
  };
}

const cell = (r: Ratio) => `${percent(r)} (${r.ok}/${r.total})`;
const meanMs = (outcomes: Outcome[]) =>
  (outcomes.reduce((sum, o) => sum + o.ms, 0) / Math.max(outcomes.length, 1)).toFixed(2);

function printTable(columns: Column[]): void {
  const rows: [string, (c: Column) => string][] = [
    ['kind', (c) => cell(c.scores.kind)],
    ['hard (all messages)', (c) => cell(c.scores.hard)],
    ['hard recall', (c) => cell(c.scores.hardRecall)],
    ['recipient (asserted)', (c) => cell(c.scores.recipient)],
    ['status (exact)', (c) => cell(c.scores.status)],
    ['false positives', (c) => String(c.scores.falsePositives)],
    ['ms per message', (c) => meanMs(c.outcomes)],
  ];
  out(`  ${''.padEnd(22)}${columns.map((c) => c.title.padEnd(22)).join('')}`);
  for (const [label, value] of rows) out(`  ${label.padEnd(22)}${columns.map((c) => value(c).padEnd(22)).join('')}`);
}

/** The fields of a verdict that are wrong, e.g. `kind,hard,FP`. */
function faults(v: Verdict): string {
  const names = [
    v.kind ? '' : 'kind',
    v.hard ? '' : 'hard',
    v.recipient === false ? 'recipient' : '',
    v.status ? '' : 'status',
    v.falsePositive ? 'FP' : '',
  ];
  return names.filter(Boolean).join(',');
}

function printWrong(corpus: Corpus, columns: Column[]): void {
  const [ours, oursCrlf, sisimai] = columns as [Column, Column, Column];
  const wrong = corpus.messages.flatMap((m, i) =>
    columns.some((c) => c.outcomes[i]!.verdict.wrong) ? [{ m, i }] : [],
  );
  out(`  messages either classifier gets wrong (${wrong.length}):`);
  for (const { m, i } of wrong) {
    const mta = 'mta' in m.want && m.want.mta ? ` (${m.want.mta})` : '';
    out(`  ${m.file}${mta}`);
    out(`      want     ${describeAnswer(m.want)}`);
    const line = (name: string, o: Outcome) =>
      out(
        `      ${name.padEnd(8)} ${describeAnswer(o.answer)}${o.verdict.wrong ? `   ✗ ${faults(o.verdict)}` : '   ok'}`,
      );
    line('ours', ours.outcomes[i]!);
    const crlf = oursCrlf.outcomes[i]!;
    if (describeAnswer(crlf.answer) !== describeAnswer(ours.outcomes[i]!.answer)) line('ours/CRLF', crlf);
    line('sisimai', sisimai.outcomes[i]!);
  }
}

async function main(): Promise<void> {
  const corpora = BOUNCE_CORPORA.map((name) => ({ name, corpus: loadCorpus(name) }));
  for (const { name, corpus } of corpora) if (!corpus) out(leftOutLine(name));
  const present = corpora.flatMap(({ corpus }) => (corpus ? [corpus] : []));
  if (present.length === 0) return;
  const version = await ensureSisimai();
  out(`node ${process.version}, Sisimai ${version}`);
  for (const corpus of present) {
    const negatives = corpus.messages.filter((m) => m.want.kind === 'none').length;
    out(`\n${corpus.name}: ${corpus.messages.length} messages (${negatives} of them negatives)`);
    const columns = [
      column('ours (as stored)', corpus, await runOurs(corpus, false)),
      column('ours (CRLF)', corpus, await runOurs(corpus, true)),
      column(`Sisimai ${version}`, corpus, await runSisimai(corpus)),
    ];
    printTable(columns);
    const differ = columns[0]!.outcomes.filter(
      (o, i) => describeAnswer(o.answer) !== describeAnswer(columns[1]!.outcomes[i]!.answer),
    ).length;
    out(`  ours: ${differ} messages answered differently as stored and with CRLF`);
    printWrong(corpus, columns);
  }
}

await main();
