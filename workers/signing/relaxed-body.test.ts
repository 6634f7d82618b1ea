import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { dkimBody } from 'mailauth/lib/dkim/body/index.js';
import { describe, expect, it } from 'vitest';
import { relaxedBodyHash as relaxedBodyHashOf } from './relaxed-body.js';

const relaxedBodyHash = (body: string) => relaxedBodyHashOf(Buffer.from(body, 'latin1'));

/** mailauth's relaxed/sha256 body hash of `body`, fed to its streaming hasher in the given pieces. */
function mailauthBodyHash(body: string, cuts: number[] = []): string {
  const hasher = dkimBody('relaxed', 'sha256', false);
  const bytes = Buffer.from(body, 'latin1');
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    hasher.update(bytes.subarray(from, cut));
    from = cut;
  }
  hasher.update(bytes.subarray(from));
  return hasher.digest('base64');
}

const sha256 = (canonical: string) => createHash('sha256').update(canonical, 'latin1').digest('base64');

/** Bodies built mostly from the bytes the canonicalisation cares about, plus any byte now and then. */
const bodyArbitrary = fc.string({
  unit: fc.oneof(
    { arbitrary: fc.constantFrom(' ', '\t', '\r', '\n'), weight: 8 },
    { arbitrary: fc.constantFrom('a', '\xe9'), weight: 4 },
    { arbitrary: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), weight: 1 },
  ),
  maxLength: 80,
});

describe('relaxedBodyHash', () => {
  // Each case pins a behaviour of mailauth's RelaxedHash (mailauth 4.13), checked against both the
  // canonical form written out and mailauth itself.
  const cases: [string, string, string][] = [
    ['empty body', '', ''],
    ['only line breaks', '\r\n\r\n\n', ''],
    ['only whitespace lines', '  \t \r\n \r\n\t\n', ''],
    ['runs of WSP become one SP, trailing WSP goes', ' \tx\t y \r\n', ' x y\r\n'],
    ['bare LF becomes CRLF', 'a\nb\n', 'a\r\nb\r\n'],
    ['trailing empty lines dropped', 'a\r\n\r\n\r\n', 'a\r\n'],
    ['CRLF added to a last line without one', 'a b', 'a b\r\n'],
    ['quirk: one trailing space kept on a last line without line break', 'a ', 'a \r\n'],
    ['two trailing spaces on a last line without line break go', 'a  ', 'a\r\n'],
    ['quirk: a bare CR is not a line break, trailing CRs are dropped like LFs', 'a\rb\r', 'a\rb\r\n'],
    ['quirk: " \\r\\r\\n" is not rewritten, its space stays', 'a \r\r\nb\r\n', 'a \r\r\nb\r\n'],
    ['quirk: WSP after a bare CR moves before it when the line is rewritten', 'a\r\tb\r\n', 'a \rb\r\n'],
    ['quirk: ... and stays after it when the line is not', 'a\r b\r\n', 'a\r b\r\n'],
    ['bare LFs after CRLF', 'a\r\n\n\nb', 'a\r\n\r\n\r\nb\r\n'],
    ['8-bit bytes are ordinary bytes', '\xe9  \xff\t\r\n', '\xe9 \xff\r\n'],
  ];
  for (const [name, body, canonical] of cases) {
    it(name, () => {
      expect(relaxedBodyHash(body)).toBe(sha256(canonical));
      expect(relaxedBodyHash(body)).toBe(mailauthBodyHash(body));
    });
  }

  it("equals mailauth's streaming hash for random bodies, however mailauth receives them in chunks", () => {
    const withCuts = bodyArbitrary.chain((body) =>
      fc.tuple(fc.constant(body), fc.array(fc.nat({ max: body.length }), { maxLength: 4 })),
    );
    fc.assert(
      fc.property(withCuts, ([body, cuts]) => {
        expect(relaxedBodyHash(body)).toBe(mailauthBodyHash(body, cuts));
      }),
      { numRuns: 20_000 },
    );
  });

  it('handles a large body without quadratic blow-up', () => {
    const body = `${'\r'.repeat(200_000)}\tx${' '.repeat(200_000)}\t\r\n`;
    expect(relaxedBodyHash(body)).toBe(mailauthBodyHash(body));
  });
});
