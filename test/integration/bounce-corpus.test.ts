import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyMessage, type Classification } from '../../workers/bounces/index.js';

// The shared corpus is read in place (STYLE.md §7): never copied into the repository.
const repoRoot = resolve(import.meta.dirname, '../..');
const CORPUS = resolve(repoRoot, '../shared/corpora/bounces');

interface Expected {
  kind: 'bounce' | 'complaint';
  recipient: string | null;
  recipient_alt?: string[];
  recipients?: string[];
  hard: boolean;
  status: string | null;
  reason: string;
  feedback_type?: string;
  delayed?: boolean;
}

function readJson(name: string): unknown {
  const path = join(CORPUS, name);
  if (!existsSync(path)) {
    throw new Error(
      `bounce corpus not found at ${CORPUS} (expected ${name}); it lives beside the repository in ../shared/corpora/bounces`,
    );
  }
  return JSON.parse(readFileSync(path, 'utf8'));
}

const expected = readJson('expected.json') as Record<string, Expected>;
const negatives = readJson('negatives.json') as Record<string, { kind: 'none'; category: string }>;

const toCrlf = (raw: Buffer): Buffer => Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');

const FIELDS = ['kind', 'recipient', 'hard', 'status', 'reason (informational)'] as const;
const score = new Map<string, { ok: number; total: number }>();
function tally(field: string, ok: boolean): void {
  const s = score.get(field) ?? { ok: 0, total: 0 };
  s.total++;
  if (ok) s.ok++;
  score.set(field, s);
}

function recipientMatches(got: Classification, want: Expected): boolean {
  const accepted = [want.recipient, ...(want.recipient_alt ?? [])].map((r) => r?.toLowerCase() ?? null);
  if (!accepted.includes(got.recipient?.toLowerCase() ?? null)) return false;
  if (!want.recipients) return true;
  const gotAll = (got.recipients ?? []).map((r) => r.toLowerCase()).sort();
  return JSON.stringify(gotAll) === JSON.stringify(want.recipients.map((r) => r.toLowerCase()).sort());
}

afterAll(() => {
  const lines = [...score].map(
    ([field, s]) => `  ${field.padEnd(22)} ${s.ok}/${s.total} (${((100 * s.ok) / s.total).toFixed(1)}%)`,
  );
  console.log(`bounce corpus accuracy (as stored + CRLF):\n${lines.join('\n')}`);
});

describe('bounce corpus', () => {
  for (const [file, want] of Object.entries(expected)) {
    for (const variant of ['as stored', 'CRLF'] as const) {
      it(`${file} (${variant})`, async () => {
        const stored = readFileSync(join(CORPUS, 'eml', file));
        const got = await classifyMessage(variant === 'CRLF' ? toCrlf(stored) : stored);
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

  for (const [file, neg] of Object.entries(negatives)) {
    for (const variant of ['as stored', 'CRLF'] as const) {
      it(`${file} is not a bounce: ${neg.category} (${variant})`, async () => {
        const stored = readFileSync(join(CORPUS, 'negative', file));
        const got = await classifyMessage(variant === 'CRLF' ? toCrlf(stored) : stored);
        tally('kind', got.kind === 'none');
        expect(got.kind).toBe('none');
        expect(got.hard).toBe(false);
      });
    }
  }
});
