/**
 * The shared bounce corpora (../shared/corpora/bounces and bounces-more), read in place, and the
 * scoring both the corpus test and bench/classify-accuracy.ts apply to a classifier's answers.
 *
 * A user's clone has no ../shared: {@link loadCorpus} returns `null` then, and callers say the corpus
 * was left out. `BRIDGEMAIL_SHARED_CORPORA` points at another directory holding the corpora (a missing
 * one shows the left-out path).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The directory holding the shared corpora. */
export const SHARED_CORPORA =
  process.env.BRIDGEMAIL_SHARED_CORPORA ?? resolve(import.meta.dirname, '../../../shared/corpora');

/** The bounce corpora, in the order they are reported. */
export const BOUNCE_CORPORA = ['bounces', 'bounces-more'] as const;
export type BounceCorpusName = (typeof BOUNCE_CORPORA)[number];

/** One entry of a corpus' expected.json (see its README for the schema). */
export interface Expected {
  kind: 'bounce' | 'complaint';
  recipient: string | null;
  recipient_alt?: string[];
  recipients?: string[];
  hard: boolean;
  status: string | null;
  reason: string;
  reply_code?: string;
  feedback_type?: string;
  delayed?: boolean;
  mta?: string;
}

/** What is expected of a message: an expected.json entry, or `none` for the negatives. */
export type Want = Expected | { kind: 'none'; category?: string };

export interface CorpusMessage {
  /** File name inside `eml/` or `negative/`. */
  file: string;
  path: string;
  want: Want;
}

export interface Corpus {
  name: BounceCorpusName;
  dir: string;
  messages: CorpusMessage[];
}

/** The directory of one corpus (whether or not it exists). */
export function corpusDir(name: BounceCorpusName): string {
  return join(SHARED_CORPORA, name);
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** Reads a corpus' expectations and message paths; `null` when the corpus is not there. */
export function loadCorpus(name: BounceCorpusName): Corpus | null {
  const dir = corpusDir(name);
  if (!existsSync(join(dir, 'expected.json'))) return null;
  const messages: CorpusMessage[] = Object.entries(readJson(join(dir, 'expected.json'))).map(([file, want]) => ({
    file,
    path: join(dir, 'eml', file),
    want: want as Expected,
  }));
  const negatives = join(dir, 'negatives.json');
  if (existsSync(negatives)) {
    for (const [file, want] of Object.entries(readJson(negatives))) {
      messages.push({ file, path: join(dir, 'negative', file), want: { ...(want as object), kind: 'none' } });
    }
  }
  return { name, dir, messages };
}

/** The line printed when a corpus is absent. */
export function leftOutLine(name: BounceCorpusName): string {
  return `${corpusDir(name)} not found: the ${name} corpus is left out (it lives beside the repository in ../shared/corpora)`;
}

/** The same message with CRLF line endings, as it arrives over SMTP. */
export function toCrlf(raw: Buffer): Buffer {
  return Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

/** The part of a classifier's answer that is scored. */
export interface Answer {
  kind: 'bounce' | 'complaint' | 'none';
  recipient: string | null;
  hard: boolean;
  status: string | null;
  reason?: string;
}

/** How one answer compares with what is expected; `recipient` is `null` where none is asserted. */
export interface Verdict {
  kind: boolean;
  hard: boolean;
  recipient: boolean | null;
  status: boolean;
  /** Expected soft or none but answered hard, or a negative answered bounce or complaint. */
  falsePositive: boolean;
  wrong: boolean;
}

/** Compares one answer with the corpus' expectation (recipients case-insensitively, `recipient_alt` accepted). */
export function judge(want: Want, got: Answer): Verdict {
  const expected = want.kind === 'none' ? null : want;
  const wantHard = expected?.hard ?? false;
  const wantStatus = expected?.status ?? null;
  let recipient: boolean | null = null;
  if (expected?.recipient) {
    const accepted = [expected.recipient, ...(expected.recipient_alt ?? [])].map((r) => r.toLowerCase());
    recipient = got.recipient !== null && accepted.includes(got.recipient.toLowerCase());
  }
  const verdict = {
    kind: got.kind === want.kind,
    hard: got.hard === wantHard,
    recipient,
    status: got.status === wantStatus,
    falsePositive: (!wantHard && got.hard) || (want.kind === 'none' && got.kind !== 'none'),
  };
  return { ...verdict, wrong: !verdict.kind || !verdict.hard || recipient === false || !verdict.status };
}

export interface Ratio {
  ok: number;
  total: number;
}

/** Aggregate figures over a corpus. */
export interface Scores {
  messages: number;
  kind: Ratio;
  hard: Ratio;
  /** Of the messages expected hard, how many were answered hard. */
  hardRecall: Ratio;
  recipient: Ratio;
  status: Ratio;
  falsePositives: number;
}

const count = (verdicts: boolean[]): Ratio => ({ ok: verdicts.filter(Boolean).length, total: verdicts.length });

/** Sums verdicts into the figures the targets are stated in. */
export function score(results: { want: Want; verdict: Verdict }[]): Scores {
  const verdicts = results.map((r) => r.verdict);
  return {
    messages: results.length,
    kind: count(verdicts.map((v) => v.kind)),
    hard: count(verdicts.map((v) => v.hard)),
    hardRecall: count(results.filter((r) => r.want.kind !== 'none' && r.want.hard).map((r) => r.verdict.hard)),
    recipient: count(verdicts.flatMap((v) => (v.recipient === null ? [] : [v.recipient]))),
    status: count(verdicts.map((v) => v.status)),
    falsePositives: verdicts.filter((v) => v.falsePositive).length,
  };
}

/** A ratio as a percentage with one decimal (`-` when nothing was counted). */
export function percent(r: Ratio): string {
  return r.total === 0 ? '-' : `${((100 * r.ok) / r.total).toFixed(1)}%`;
}

/** One answer in a few words: `bounce hard 5.1.1 <a@b> userunknown`. */
export function describeAnswer(a: Answer | Want): string {
  if (a.kind === 'none') return 'none';
  const reason = 'reason' in a && a.reason ? ` ${a.reason}` : '';
  return `${a.kind} ${a.hard ? 'hard' : 'soft'} ${a.status ?? '-'} <${a.recipient ?? '-'}>${reason}`;
}
