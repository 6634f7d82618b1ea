import fc from 'fast-check';

// Hostile and garbage values shared by the request generators of test/integration/fuzz-http.test.ts.

export const HOSTILE_BITS = [
  '\r',
  '\n',
  '\r\n',
  '\0',
  '\r\n\r\n',
  '\u2028',
  '\u2029',
  '\u0085',
  '\u000b',
  '\u000c',
  '\t',
  '\x7f',
  '\x1b[31m',
  '\ud800',
  '\udfff',
  '\u202e',
  '\u200b',
  '\ufeff',
  '\uffff',
  '𝔘𝔫𝔦',
  '你好',
  'é',
  '\u0301',
  '"',
  "'",
  '`',
  '<',
  '>',
  '\\',
  '/',
  ':',
  ';',
  ',',
  '@',
  '%00',
  '%0d%0a',
  '&#13;&#10;',
  '=?utf-8?b?Qm9i?=',
  '=?x?q?=0D=0A?=',
  '\r\nBcc: victim@evil.test',
  '\nX-Injected: 1',
  '${jndi:x}',
  '{{x}}',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '__proto__',
  'constructor',
  'toString',
  ' ',
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 30 }) },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(...HOSTILE_BITS), fc.string({ maxLength: 4 })), { maxLength: 6 })
      .map((a) => a.join('')),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }) },
  // Around the limits: 76 (header names), 255 (file names), 998 (subject, header values).
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(76, 77, 254, 255, 256, 997, 998, 999), fc.constantFrom('x', 'é', '\u{1F600}', 'a\r\n'))
      .map(([n, ch]) => ch.repeat(Math.ceil(n / ch.length)).slice(0, n)),
  },
);

/** Hostile strings, now and then far past every field limit (kept rare: they make every request slow). */
export const hostileOrHuge: fc.Arbitrary<string> = fc.oneof(
  { weight: 30, arbitrary: hostileString },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(4096, 70_000), fc.constantFrom('x', 'é', '\u{1F600}', 'a\r\n'))
      .map(([n, ch]) => ch.repeat(Math.ceil(n / ch.length)).slice(0, n)),
  },
);

/** Values of the wrong type for any field, deep nesting included. */
export const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1e308, Number.MAX_SAFE_INTEGER + 2),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
  fc.integer({ min: 1, max: 2000 }).map((depth) => {
    let v: unknown = 'x';
    for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v];
    return v;
  }),
);

/** A field value: mostly of the expected shape (possibly hostile content), sometimes of another type. */
export const field = <T>(good: fc.Arbitrary<T>, wrongWeight = 1): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 8, arbitrary: good }, { weight: wrongWeight, arbitrary: wrongType });

/** Keys no schema has, some with a meaning in JavaScript. */
export const extraKeys = fc.dictionary(
  fc.oneof(
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'surprise', 'Subject', 'TO', ''),
    fc.string({ maxLength: 8 }),
  ),
  fc.anything({ maxDepth: 2 }),
  {
    minKeys: 1,
    maxKeys: 3,
  },
);

/** `arb` one time in `n`, else null. */
export const rarely = <T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

/** Merges extra keys into an object with own properties only (`__proto__` included). */
export const withExtras = (
  obj: Record<string, unknown>,
  extras: Record<string, unknown> | null,
): Record<string, unknown> => {
  if (!extras) return obj;
  const out: Record<string, unknown> = { ...obj };
  for (const [k, v] of Object.entries(extras))
    Object.defineProperty(out, k, { value: v, enumerable: true, configurable: true, writable: true });
  return out;
};

/** A JSON text nested `depth` levels deep, built as text (JSON.stringify would overflow the stack first). */
export const deepJsonText = (depth: number, inObject: boolean): string => {
  const core = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  return inObject ? `{"from":"app@sender.test","to":"deep@example.test","subject":"s","text":"t","x":${core}}` : core;
};

/** Bodies that are not a plausible request at all: random JSON values, non-JSON text, bytes, deep nesting. */
export const garbageBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.anything().map((v) => JSON.stringify(v) ?? 'undefined') },
  { weight: 3, arbitrary: fc.json() },
  { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'null',
      'true',
      '0',
      '[]',
      '{}',
      '""',
      '{"a":',
      '\ufeff{}',
      '{"__proto__":{"polluted":1}}',
      '[{}]',
      '1e999',
      '-0',
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 5_000, max: 60_000 })), fc.boolean())
      .map(([d, inObject]) => deepJsonText(d, inObject)),
  },
);
