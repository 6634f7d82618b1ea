import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyMessage, type Classification } from '../../workers/bounces/index.js';
import {
  describeAnswer,
  judge,
  leftOutLine,
  loadCorpus,
  percent,
  score,
  toCrlf,
  type CorpusMessage,
  type Expected,
  type Ratio,
  type Verdict,
} from '../support/bounce-corpora.js';

// The shared corpora are read in place (STYLE.md §7), never copied into the repository. A user's
// clone has no ../shared: each corpus' tests run when it is there and say it was left out otherwise.
const bounces = loadCorpus('bounces');
const more = loadCorpus('bounces-more');
if (!bounces) console.log(leftOutLine('bounces'));
if (!more) console.log(leftOutLine('bounces-more'));

const VARIANTS = ['as stored', 'CRLF'] as const;
type Variant = (typeof VARIANTS)[number];

async function classifyFile(path: string, variant: Variant): Promise<Classification> {
  const stored = readFileSync(path);
  return classifyMessage(variant === 'CRLF' ? toCrlf(stored) : stored);
}

const FIELDS = ['kind', 'recipient', 'hard', 'status', 'reason (informational)'] as const;
const tallies = new Map<string, { ok: number; total: number }>();
function tally(field: string, ok: boolean): void {
  const s = tallies.get(field) ?? { ok: 0, total: 0 };
  s.total++;
  if (ok) s.ok++;
  tallies.set(field, s);
}

function recipientMatches(got: Classification, want: Expected): boolean {
  const accepted = [want.recipient, ...(want.recipient_alt ?? [])].map((r) => r?.toLowerCase() ?? null);
  if (!accepted.includes(got.recipient?.toLowerCase() ?? null)) return false;
  if (!want.recipients) return true;
  const gotAll = (got.recipients ?? []).map((r) => r.toLowerCase()).sort();
  return JSON.stringify(gotAll) === JSON.stringify(want.recipients.map((r) => r.toLowerCase()).sort());
}

describe.runIf(bounces !== null)('bounce corpus (../shared/corpora/bounces): every message', () => {
  afterAll(() => {
    const lines = [...tallies].map(
      ([field, s]) => `  ${field.padEnd(22)} ${s.ok}/${s.total} (${((100 * s.ok) / s.total).toFixed(1)}%)`,
    );
    console.log(`bounce corpus accuracy (as stored + CRLF):\n${lines.join('\n')}`);
  });

  for (const { file, path, want } of bounces?.messages ?? []) {
    for (const variant of VARIANTS) {
      if (want.kind === 'none') {
        it(`${file} is not a bounce (${variant})`, async () => {
          const got = await classifyFile(path, variant);
          tally('kind', got.kind === 'none');
          expect(got.kind).toBe('none');
          expect(got.hard).toBe(false);
        });
        continue;
      }
      it(`${file} (${variant})`, async () => {
        const got = await classifyFile(path, variant);
        const checks = {
          kind: got.kind === want.kind,
          recipient: recipientMatches(got, want),
          hard: got.hard === want.hard,
          status: got.status === want.status,
        };
        for (const field of FIELDS.slice(0, 4)) tally(field, checks[field as keyof typeof checks]);
        tally('reason (informational)', got.reason === want.reason);
        if (want.delayed) expect(got.delayed).toBe(true);
        if (want.feedback_type) expect(got.feedbackType).toBe(want.feedback_type);
        expect({
          kind: got.kind,
          recipientOk: checks.recipient,
          recipient: got.recipient,
          hard: got.hard,
          status: got.status,
        }).toEqual({
          kind: want.kind,
          recipientOk: true,
          recipient: got.recipient,
          hard: want.hard,
          status: want.status,
        });
      });
    }
  }
});

/** One message of bounces-more, classified as stored and with CRLF. */
interface Result {
  message: CorpusMessage;
  got: Record<Variant, Classification>;
  verdict: Record<Variant, Verdict>;
  /** What the classifier threw, if it did (its answer is then counted as none). */
  errors: string[];
}

/**
 * Floors on bounces-more: what the classifier reaches there, so that a change that loses ground
 * fails. Issue 26's targets (kind 99.5%, hard 99%, recipient 99%, status 98%, no false positive)
 * are for reports of servers outside both corpora; here the labels include Sisimai's readings that
 * nothing in the report's text decides (docs/bounces.md lists them), which keep hard and false
 * positives below the targets.
 */
const FLOORS = { kind: 99, hard: 94, recipient: 99, status: 96.5, falsePositives: 12 };

describe.runIf(more !== null)('bounce corpus (../shared/corpora/bounces-more): accuracy floors', () => {
  const results = new Map<string, Result>();
  // Every message classified once, as stored and with CRLF, before the tests read the answers.
  beforeAll(async () => {
    for (const message of more?.messages ?? []) {
      // One message that throws fails its own test below, not every figure of the corpus.
      const errors: string[] = [];
      const attempt = (variant: Variant) =>
        classifyFile(message.path, variant).catch((err: unknown): Classification => {
          errors.push(`${variant}: ${String(err)}`);
          return { kind: 'none', recipient: null, hard: false, status: null, reason: 'error' };
        });
      const got = { 'as stored': await attempt('as stored'), CRLF: await attempt('CRLF') };
      const verdict = { 'as stored': judge(message.want, got['as stored']), CRLF: judge(message.want, got.CRLF) };
      results.set(message.file, { message, got, verdict, errors });
    }
  });

  /** Every (message, variant) pair, both line-ending variants counted. */
  const all = () =>
    [...results.values()].flatMap((r) => VARIANTS.map((variant) => ({ ...r, variant, v: r.verdict[variant] })));
  const scores = () => score(all().map(({ message, v }) => ({ want: message.want, verdict: v })));
  /** The misjudged messages, one line each (both variants on one line when they got the same answer). */
  const misjudged = (wrong: (v: Verdict) => boolean) =>
    [...results.values()].flatMap(({ message, got, verdict }) => {
      const variants = VARIANTS.filter((variant) => wrong(verdict[variant]));
      const answers = [...new Set(variants.map((variant) => describeAnswer(got[variant])))];
      const line = (which: string, answer: string) =>
        `${message.file} (${which}): want ${describeAnswer(message.want)}; got ${answer}`;
      if (answers.length === 1) return [line(variants.join(' + '), answers[0] ?? '')];
      return variants.map((variant) => line(variant, describeAnswer(got[variant])));
    });

  afterAll(() => {
    if (results.size === 0) return;
    const s = scores();
    const line = (name: string, r: Ratio) => `  ${name.padEnd(22)} ${percent(r)} (${r.ok}/${r.total})`;
    console.log(
      [
        'bounces-more accuracy (as stored + CRLF):',
        line('kind', s.kind),
        line('hard (all messages)', s.hard),
        line('hard recall', s.hardRecall),
        line('recipient (asserted)', s.recipient),
        line('status (exact)', s.status),
        `  ${'false positives'.padEnd(22)} ${s.falsePositives}`,
      ].join('\n'),
    );
  });

  for (const { file } of more?.messages ?? []) {
    it(`${file}: classified without an error, the same answer as stored and with CRLF`, () => {
      const result = results.get(file);
      expect(result, 'classified in beforeAll').toBeDefined();
      expect(result?.errors).toEqual([]);
      expect(result?.got.CRLF).toEqual(result?.got['as stored']);
    });
  }

  /** Asserts a rate at or above its floor, listing every misjudged message otherwise. */
  function expectRate(name: string, r: Ratio, target: number, wrong: (v: Verdict) => boolean): void {
    expect(r.total, `${name}: nothing counted`).toBeGreaterThan(0);
    const message = `${name} ${percent(r)} (${r.ok}/${r.total}), floor ${target}%; misjudged:\n${misjudged(wrong).join('\n')}`;
    expect((100 * r.ok) / r.total, message).toBeGreaterThanOrEqual(target);
  }

  it(`kind ≥ ${FLOORS.kind}% (all messages)`, () => {
    expectRate('kind', scores().kind, FLOORS.kind, (v) => !v.kind);
  });

  it(`hard ≥ ${FLOORS.hard}% (all messages)`, () => {
    expectRate('hard', scores().hard, FLOORS.hard, (v) => !v.hard);
  });

  it(`recipient ≥ ${FLOORS.recipient}% (where the corpus asserts one)`, () => {
    expectRate('recipient', scores().recipient, FLOORS.recipient, (v) => v.recipient === false);
  });

  it(`status ≥ ${FLOORS.status}% (exact, null included)`, () => {
    expectRate('status', scores().status, FLOORS.status, (v) => !v.status);
  });

  it(`false positives ≤ ${FLOORS.falsePositives} (soft answered hard), and every negative answered none`, () => {
    expect(results.size).toBe(more?.messages.length);
    const falsePositives = [...results.values()].filter((r) => r.verdict['as stored'].falsePositive);
    expect(falsePositives.filter((r) => r.message.want.kind === 'none').map((r) => r.message.file)).toEqual([]);
    expect(falsePositives.length, misjudged((v) => v.falsePositive).join('\n')).toBeLessThanOrEqual(
      FLOORS.falsePositives,
    );
  });
});
