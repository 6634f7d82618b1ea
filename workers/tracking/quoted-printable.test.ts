import fc from 'fast-check';
import * as libqp from 'libqp';
import { describe, expect, it } from 'vitest';
import { decodeQuotedPrintable, encodeQuotedPrintable } from './quoted-printable.js';

// libqp is the oracle: ours must give its bytes on every input, quirks included.

const libqpEncode = (decoded: Buffer, lineLength: number) =>
  Buffer.from(libqp.wrap(libqp.encode(decoded), lineLength), 'latin1');

/** Hex of both results, so that a failure shows where they part. */
function sameEncoding(decoded: Buffer, lineLength = 76): void {
  expect(encodeQuotedPrintable(decoded, lineLength).toString('latin1')).toBe(
    libqpEncode(decoded, lineLength).toString('latin1'),
  );
}

function sameDecoding(encoded: Buffer): void {
  expect(decodeQuotedPrintable(encoded).toString('hex')).toBe(libqp.decode(encoded).toString('hex'));
}

const bytes = (s: string) => Buffer.from(s, 'utf8');
const latin1 = (s: string) => Buffer.from(s, 'latin1');

/** Pieces of HTML-like text, with what the encoder and wrapper treat specially. */
// Arrays take size 'max': fast-check's default size keeps them to about ten elements.
const textPiece = fc
  .oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom(
        '<a href="https://shop.example/p?a=1&amp;b=2">',
        'Roasted',
        'coffee',
        '<td style="padding:0 24px;">',
        'x',
        '=',
        '==',
        '=3D',
        '-',
        '--',
        '.',
        ',',
        '!',
        '?',
        'nº 42',
        'Zoë',
        'Ünïcödé',
        '日本語',
        '🎉',
        'é',
      ),
    },
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        ' ',
        '  ',
        '\t',
        ' \t',
        '\r\n',
        '\n',
        '\r',
        '\r\r\n',
        '\n\n',
        ' \r\n',
        '\t\n',
        ' \r',
        '\r\n-',
        '\n--boundary',
      ),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'a'.repeat(80),
        'b'.repeat(150),
        'é'.repeat(40),
        '🎉'.repeat(25),
        '-'.repeat(90),
        '='.repeat(30),
        'word '.repeat(30),
        'w.'.repeat(60),
      ),
    },
    { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  )
  .map(bytes);
const rawPiece = fc.uint8Array({ minLength: 1, maxLength: 6 }).map((a) => Buffer.from(a));
const text = fc
  .array(fc.oneof({ weight: 8, arbitrary: textPiece }, { weight: 1, arbitrary: rawPiece }), {
    maxLength: 80,
    size: 'max',
  })
  .map((p) => Buffer.concat(p));
const anyBytes = fc.uint8Array({ maxLength: 800, size: 'max' }).map((a) => Buffer.from(a));
const plain = fc.oneof({ weight: 3, arbitrary: text }, { weight: 1, arbitrary: anyBytes });

/** Line lengths as callers pass them, and the odd ones libqp clamps, defaults or compares as fractions. */
const lineLength = fc.oneof(
  { weight: 6, arbitrary: fc.constant(76) },
  { weight: 3, arbitrary: fc.integer({ min: -3, max: 120 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, Number.NaN, 4.5, 9.99, 76.5, Number.POSITIVE_INFINITY) },
);

/** Pieces of quoted-printable input, well formed or not. */
const qpPiece = fc
  .constantFrom(
    '=',
    '==',
    '=\r\n',
    '=\n',
    '=\r',
    '= \r\n',
    '=\t\n',
    '=  ',
    '=ZZ',
    '=4',
    '=41',
    '=a9',
    '=C3=A9',
    '=3D',
    '=2D',
    '=0',
    '=G1',
    '=\r\nA',
    '4=\r\n1',
    ' ',
    '\t',
    '  \t',
    '\r',
    '\n',
    '\r\n',
    '\r\r\n',
    ' \r\n',
    '\t\n',
    ' \r',
    'abc',
    'Hello, world.',
    'é',
    '\u00ff',
    '\u0080',
    'AF',
    'af',
  )
  .map(latin1);
const qpSoup = fc
  .array(fc.oneof({ weight: 6, arbitrary: qpPiece }, { weight: 1, arbitrary: rawPiece }), {
    maxLength: 60,
    size: 'max',
  })
  .map((p) => Buffer.concat(p));

/** libqp's own encoder output, then broken by hand: bytes replaced, inserted or cut out. */
const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('replace', 'insert', 'delete'), with: qpPiece });
const brokenEncoding = fc.tuple(plain, lineLength, fc.array(edit, { maxLength: 4 })).map(([decoded, n, edits]) => {
  let qp = libqpEncode(decoded, n);
  for (const e of edits) {
    const at = qp.length === 0 ? 0 : e.at % qp.length;
    const tail =
      e.kind === 'insert'
        ? qp.subarray(at)
        : qp.subarray(Math.min(qp.length, at + (e.kind === 'delete' ? 1 + (e.at % 3) : e.with.length)));
    qp = Buffer.concat([qp.subarray(0, at), e.kind === 'delete' ? Buffer.alloc(0) : e.with, tail]);
  }
  return qp;
});
const lfEncoding = fc
  .tuple(plain, lineLength)
  .map(([decoded, n]) => latin1(libqpEncode(decoded, n).toString('latin1').replace(/\r\n/g, '\n')));

describe('encodeQuotedPrintable', () => {
  it('gives the bytes of libqp encode + wrap on random input', () => {
    fc.assert(
      fc.property(plain, lineLength, (decoded, n) => sameEncoding(decoded, n)),
      { numRuns: 8_000, seed: 20_450 },
    );
  });

  it('gives the bytes of libqp on hand-written edge cases', () => {
    const cases = [
      '',
      ' ',
      'a \r\nb\t\nc ',
      '-start\r\n-line\n-lf\r-cr',
      '--boundary',
      `${'a'.repeat(75)}-${'b'.repeat(10)}`, // a hyphen a soft break puts at the start of a line
      `${'a'.repeat(74)}é${'b'.repeat(10)}`, // an escape across the wrap point
      `${'a'.repeat(70)}🎉🎉${'b'.repeat(10)}`, // a UTF-8 sequence across it
      '🎉'.repeat(40),
      `${'a'.repeat(76)}`,
      `${'a'.repeat(77)}`,
      `${'word '.repeat(20)}`,
      `${'a'.repeat(75)} ${'b'.repeat(10)}`, // a break char as the last one of the line
      `${'x'.repeat(100)}\r${'y'.repeat(100)}`, // a bare CR is part of the line
      `${'='.repeat(40)}`,
    ];
    for (const c of cases) for (const n of [76, 4, 5, 6, 10, 0, 4.5]) sameEncoding(bytes(c), n);
    sameEncoding(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x61]), 10);
    sameEncoding(Buffer.concat([bytes('a'), Buffer.alloc(60, 0x80), bytes('-b'), Buffer.alloc(60, 0xc3)]), 20);
  });
});

describe('decodeQuotedPrintable', () => {
  it('gives the bytes of libqp decode on random bytes and quoted-printable soup', () => {
    fc.assert(
      fc.property(fc.oneof(anyBytes, qpSoup), (encoded) => sameDecoding(encoded)),
      { numRuns: 8_000, seed: 20_451 },
    );
  });

  it("gives the bytes of libqp decode on libqp's own output, whole, with LF line breaks and broken by hand", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          plain.map((d) => libqpEncode(d, 76)),
          lfEncoding,
          brokenEncoding,
        ),
        (encoded) => sameDecoding(encoded),
      ),
      { numRuns: 5_000, seed: 20_452 },
    );
  });

  it('gives the bytes of libqp on hand-written edge cases', () => {
    const cases = [
      '',
      '=',
      '==',
      '=ZZ',
      '=4',
      '=41=42=4',
      '=a9=Af',
      '=\r',
      '=\r\r\n',
      'a=\r\nb=\nc=',
      'a= \t\r\nb=  ',
      '=4=\r\n1', // a soft break inside an escape: the escape is read after the break goes
      '=\r\t\n41', // a soft break once the tab before the LF is gone
      '==\n41',
      'trailing  \r\nspace\t\nend  ',
      'kept  inside',
      '  \r\n\r\n  ',
      'raw \u00e9 \u00ff bytes',
    ];
    for (const c of cases) sameDecoding(latin1(c));
    expect(decodeQuotedPrintable(latin1('=4=\r\n1 =ZZ=\n')).toString('latin1')).toBe('A =ZZ');
  });
});
