import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import { AppError } from './errors.js';
import {
  bearerToken,
  formatPath,
  LONE_SURROGATE,
  MAX_JSON_DEPTH,
  nestedDeeperThan,
  parseJson,
  validate,
} from './http.js';

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

describe('formatPath', () => {
  it('writes paths as clients do', () => {
    expect(formatPath([])).toBe('');
    expect(formatPath(['subject'])).toBe('subject');
    expect(formatPath(['to', 0])).toBe('to[0]');
    expect(formatPath(['attachments', 1, 'content'])).toBe('attachments[1].content');
    expect(formatPath(['headers', 'X-Tag'])).toBe('headers.X-Tag');
    expect(formatPath([0, 'name'])).toBe('[0].name');
    expect(formatPath(['a', 0, 1])).toBe('a[0][1]');
  });
});

describe('validate', () => {
  const schema = z.object({
    name: z.string().min(1),
    tags: z.array(z.string()).optional(),
  });

  it('returns the parsed value', () => {
    expect(validate(schema, { name: 'x', tags: ['a'] })).toEqual({ name: 'x', tags: ['a'] });
  });

  it('returns transformed output', () => {
    expect(
      validate(
        z.string().transform((s) => s.length),
        'abcd',
      ),
    ).toBe(4);
  });

  it('throws VALIDATION_FAILED naming the field of the first issue', () => {
    const err = thrown(() => validate(schema, { name: 'x', tags: ['a', 5] }));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.field).toBe('tags[1]');
    expect(err.message).toMatch(/^tags\[1\]: /);
  });

  it('names the body when the whole value is wrong, with no field', () => {
    const err = thrown(() => validate(schema, 'not an object'));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.field).toBeUndefined();
    expect(err.message).toMatch(/^body: /);
  });
});

describe('bearerToken', () => {
  it('extracts the token', () => {
    expect(bearerToken('Bearer bm_live_abc123')).toBe('bm_live_abc123');
    expect(bearerToken('bearer tok')).toBe('tok');
    expect(bearerToken('BEARER   tok  ')).toBe('tok');
  });

  it('throws UNAUTHENTICATED without a usable bearer header', () => {
    for (const header of [undefined, '', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer a b', 'tok']) {
      const err = thrown(() => bearerToken(header));
      expect(err.code).toBe('UNAUTHENTICATED');
    }
  });
});

/** How deep a parsed JSON value nests arrays and objects (a scalar is 0). */
function depthOf(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  return 1 + Math.max(0, ...Object.values(v).map(depthOf));
}

/** The reference: every character in turn, a backslash inside a string skipping the next one. */
function deeperByCharacters(text: string, max: number): boolean {
  let [depth, inString] = [0, false];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (++depth > max) return true;
    } else if (c === ']' || c === '}') depth--;
  }
  return false;
}

describe('nestedDeeperThan', () => {
  it('tells the depth of JSON values, brackets and escaped quotes inside strings aside', () => {
    const tricky = fc.constantFrom('[', ']', '{', '}', '"', '\\', '\\"', 'x');
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.string({ unit: tricky }),
        fc.integer(),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(fc.string({ unit: tricky, maxLength: 3 }), tie('node'), { maxKeys: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 6 }), (v, max) => {
        expect(nestedDeeperThan(JSON.stringify(v), max)).toBe(depthOf(v) > max);
      }),
      { numRuns: 2000 },
    );
  });

  it('answers as a character-by-character scan on any text, JSON or not', () => {
    const soup = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', ' '), maxLength: 200 });
    fc.assert(
      fc.property(soup, fc.integer({ min: 0, max: 8 }), (text, max) => {
        expect(nestedDeeperThan(text, max)).toBe(deeperByCharacters(text, max));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('parseJson', () => {
  it('parses ordinary bodies and refuses bodies nested deeper than the limit', () => {
    const at = (depth: number) => Buffer.from('['.repeat(depth) + ']'.repeat(depth));
    expect(parseJson(at(MAX_JSON_DEPTH))).toBeDefined();
    expect(() => parseJson(at(MAX_JSON_DEPTH + 1))).toThrow(expect.objectContaining({ code: 'INVALID_JSON' }));
    expect(() => parseJson(at(100_000))).toThrow(/nests deeper than 32 levels/);
    // Brackets inside strings (escaped quotes included) do not count.
    expect(parseJson(Buffer.from(JSON.stringify({ s: '[[[['.repeat(50) + '\\"' + '{{{'.repeat(50) })))).toEqual({
      s: '[[[['.repeat(50) + '\\"' + '{{{'.repeat(50),
    });
    expect(() => parseJson(Buffer.from('{"a":'))).toThrow(expect.objectContaining({ code: 'INVALID_JSON' }));
  });

  it('names an empty body as such', () => {
    for (const body of ['', ' ', '\r\n\t']) {
      expect(() => parseJson(Buffer.from(body))).toThrow(
        expect.objectContaining({ code: 'INVALID_JSON', message: 'empty body' }),
      );
    }
  });
});

describe('LONE_SURROGATE', () => {
  it('finds unpaired surrogates only', () => {
    expect(LONE_SURROGATE.test('a\ud800b')).toBe(true);
    expect(LONE_SURROGATE.test('a\udfffb')).toBe(true);
    expect(LONE_SURROGATE.test('emoji 😀 and パス')).toBe(false);
  });
});
