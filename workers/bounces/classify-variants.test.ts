import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addBlankLinesAndTrailingSpace,
  foldFields,
  loadFixtures,
  recaseFieldNames,
  toCrlf,
  translateDiagnostic,
  wrapInForward,
  type Fixture,
} from '../../test/support/bounce-variants.js';
import { INTL_SAMPLES, LANGUAGES, type IntlReason } from '../../test/support/intl-diagnostics.js';
import { classifyMessage } from './classify.js';
import { isHardReason } from './reasons.js';
import type { Classification } from './types.js';

/**
 * Property tests: a report rewritten in a way that does not change what it says (line endings,
 * folding, case of field names, a forwarding wrapper, blank lines and trailing whitespace, the
 * diagnostic in another language) classifies as the report itself does.
 */
const fixtures = loadFixtures();
const byName = new Map(fixtures.map((f) => [f.name, f]));
const names = fixtures.map((f) => f.name);
const RUNS = { numRuns: 60 };

function fixture(name: string): Fixture {
  const found = byName.get(name);
  if (!found) throw new Error(`no fixture ${name}`);
  return found;
}

/** The fields a rewrite must leave alone. */
const essence = (c: Pick<Classification, 'kind' | 'hard' | 'recipient' | 'reason' | 'status'>) => ({
  kind: c.kind,
  hard: c.hard,
  recipient: c.recipient,
  reason: c.reason,
  status: c.status,
});

const lineEndings = fc.boolean();
const withEndings = (raw: string, crlf: boolean): string => (crlf ? toCrlf(raw) : raw);
const folds = fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { minLength: 1, maxLength: 8 });
const masks = fc.array(fc.nat({ max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 12 });
const blanks = fc.array(fc.nat(), { maxLength: 6 });
const trailing = fc.array(fc.tuple(fc.nat(), fc.constantFrom(' ', '\t', '  ', ' \t ')), { maxLength: 8 });

async function expectSame(name: string, raw: string): Promise<void> {
  expect(essence(await classifyMessage(raw))).toEqual(essence(fixture(name).expect));
}

describe('classifyMessage holds under rewrites of the team-written samples', () => {
  it('CRLF and LF line endings', async () => {
    for (const f of fixtures) await expectSame(f.name, toCrlf(f.raw));
  });

  it('fields folded at arbitrary whitespace', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), folds, lineEndings, async (name, picks, crlf) => {
        await expectSame(name, withEndings(foldFields(fixture(name).raw, picks), crlf));
      }),
      RUNS,
    );
  });

  it('field names in any mix of upper and lower case', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), masks, lineEndings, async (name, m, crlf) => {
        await expectSame(name, withEndings(recaseFieldNames(fixture(name).raw, m), crlf));
      }),
      RUNS,
    );
  });

  it('forwarded whole as a message/rfc822 part of a multipart/mixed', async () => {
    const notes = fc.constantFrom('FYI, this came back.', 'See the attached report.', '');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), notes, lineEndings, async (name, note, crlf) => {
        await expectSame(name, withEndings(wrapInForward(fixture(name).raw, note), crlf));
      }),
      RUNS,
    );
  });

  it('extra blank lines between paragraphs and field groups, trailing whitespace', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), blanks, trailing, lineEndings, async (name, b, t, crlf) => {
        await expectSame(name, withEndings(addBlankLinesAndTrailingSpace(fixture(name).raw, b, t), crlf));
      }),
      RUNS,
    );
  });

  it('all of these at once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...names),
        folds,
        masks,
        blanks,
        trailing,
        lineEndings,
        async (name, picks, m, b, t, crlf) => {
          const raw = foldFields(recaseFieldNames(fixture(name).raw, m), picks);
          await expectSame(name, withEndings(addBlankLinesAndTrailingSpace(raw, b, t), crlf));
        },
      ),
      RUNS,
    );
  });
});

const translatable = fixtures.filter((f) => f.diagnostic.length > 0).map((f) => f.name);
const language = fc.constantFrom(...LANGUAGES);

function sampleOf(lang: (typeof LANGUAGES)[number], reason: IntlReason, index: number): string {
  const samples = INTL_SAMPLES[lang][reason];
  return samples[index % samples.length] ?? '';
}

describe('classifyMessage on samples with the diagnostic in another language', () => {
  it('a translation of the same diagnostic classifies the same', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...translatable), language, fc.nat(), async (name, lang, index) => {
        const f = fixture(name);
        const translation = sampleOf(lang, f.translateAs as IntlReason, index);
        await expectSame(name, translateDiagnostic(f, translation));
      }),
      { numRuns: 100 },
    );
  });

  // Samples whose status code says nothing about the reason: the translated text alone decides.
  const neutral = ['exim-text.eml', 'domino-text.eml', 'userunknown-hard.eml'];
  const reasons = fc.constantFrom(...(Object.keys(INTL_SAMPLES.de) as IntlReason[]));

  it('where the status code says nothing, the translated text gives the reason and hardness', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...neutral), language, reasons, fc.nat(), async (name, lang, reason, i) => {
        const f = fixture(name);
        const got = await classifyMessage(translateDiagnostic(f, sampleOf(lang, reason, i)));
        expect(got).toMatchObject({ kind: 'bounce', recipient: f.expect.recipient, reason });
        expect(got.hard).toBe(isHardReason(reason, f.expect.status, f.expect.replyCode));
      }),
      { numRuns: 100 },
    );
  });
});

// The smallest rewrites the properties above have found failing, kept as fixed cases so a fix can
// be checked without waiting for the random search to meet them again.
describe('classifyMessage on the minimal rewrites the properties found', () => {
  const rewrites: [string, string, (raw: string) => string][] = [
    ['exim-text.eml', 'forwarded as message/rfc822', (raw) => wrapInForward(raw, 'FYI, this came back.')],
    ['qmail-text.eml', 'forwarded as message/rfc822', (raw) => wrapInForward(raw, '')],
    ['domino-text.eml', 'forwarded as message/rfc822', (raw) => wrapInForward(raw, '')],
    [
      'arf-complaint.eml',
      'a space after a boundary delimiter (RFC 2046 §5.1.1 transport padding)',
      (raw) =>
        raw.replace(
          '--arf_1\nContent-Type: message/feedback-report',
          '--arf_1 \nContent-Type: message/feedback-report',
        ),
    ],
    [
      'delay-warning.eml',
      'Action folded right after its colon',
      (raw) => raw.replace('Action: delayed', 'Action:\n delayed'),
    ],
  ];
  it.each(rewrites)('%s, %s', async (name, _what, rewrite) => {
    const f = fixture(name);
    const got = await classifyMessage(rewrite(f.raw));
    expect(essence(got)).toEqual(essence(f.expect));
    expect(got.delayed).toBe(f.expect.delayed);
  });

  it('arf-complaint.eml, Feedback-Type folded right after its colon', async () => {
    const f = fixture('arf-complaint.eml');
    const got = await classifyMessage(f.raw.replace('Feedback-Type: abuse', 'Feedback-Type:\n abuse'));
    expect(got).toMatchObject({ kind: 'complaint', recipient: 'ivy@example.net', feedbackType: 'abuse' });
  });
});
