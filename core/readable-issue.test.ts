import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from './errors.js';
import { validate } from './http.js';

/** The message `validate` gives for `value` against `schema`. */
function messageFor(schema: z.ZodType, value: unknown): string {
  try {
    validate(schema, value);
  } catch (err) {
    if (err instanceof AppError) return err.message;
    throw err;
  }
  throw new Error('expected a validation failure');
}

describe('validation messages a person can read', () => {
  const send = z.object({ to: z.string(), count: z.number().int().optional() }).strict();

  it('a missing field is "required"', () => {
    expect(messageFor(send, {})).toBe('to: required');
    expect(messageFor(z.object({ list: z.array(z.string()) }), {})).toBe('list: required');
  });

  it('a wrong type names the expected and the given type', () => {
    expect(messageFor(send, { to: 5 })).toBe('to: expected a string, got a number');
    expect(messageFor(send, { to: null })).toBe('to: expected a string, got null');
    expect(messageFor(send, { to: ['a'] })).toBe('to: expected a string, got an array');
    expect(messageFor(send, { to: 'a', count: 1.5 })).toBe('count: expected an integer, got a number');
    expect(messageFor(send, 'text')).toBe('body: expected an object, got a string');
  });

  it('sizes in characters, items or plain numbers', () => {
    expect(messageFor(z.object({ s: z.string().max(3) }), { s: 'abcd' })).toBe('s: must be at most 3 characters');
    expect(messageFor(z.object({ s: z.string().min(2) }), { s: 'a' })).toBe('s: must be at least 2 characters');
    expect(messageFor(z.object({ s: z.string().min(1) }), { s: '' })).toBe('s: must not be empty');
    expect(messageFor(z.object({ l: z.array(z.string()).max(1) }), { l: ['a', 'b'] })).toBe(
      'l: must be at most 1 item',
    );
    expect(messageFor(z.object({ l: z.array(z.string()).nonempty() }), { l: [] })).toBe('l: must not be empty');
    expect(messageFor(z.object({ n: z.number().max(10) }), { n: 11 })).toBe('n: must be at most 10');
    expect(messageFor(z.object({ n: z.number().positive() }), { n: 0 })).toBe('n: must be greater than 0');
    expect(messageFor(z.object({ s: z.string().length(4) }), { s: 'abc' })).toBe('s: must be exactly 4 characters');
  });

  it('formats, enums, literals and unknown keys', () => {
    expect(messageFor(z.object({ e: z.email() }), { e: 'nobody' })).toBe('e: not an email address');
    expect(messageFor(z.object({ u: z.url() }), { u: 'nope' })).toBe('u: not a URL');
    expect(messageFor(z.object({ r: z.string().regex(/^a+$/) }), { r: 'b' })).toBe('r: has an invalid format');
    expect(messageFor(z.object({ k: z.enum(['bridge', 'account']) }), { k: 'x' })).toBe(
      'k: must be one of "bridge", "account"',
    );
    expect(messageFor(z.object({ k: z.literal('on') }), { k: 'x' })).toBe('k: must be "on"');
    expect(messageFor(send, { to: 'a', surprise: 1 })).toBe('surprise: unknown field');
  });

  it('a union of types says which types it takes', () => {
    const oneOrMany = z.object({ to: z.union([z.string(), z.array(z.string())]) });
    expect(messageFor(oneOrMany, { to: 5 })).toBe('to: expected a string or an array, got a number');
    expect(messageFor(oneOrMany, {})).toBe('to: required');
  });

  it('a message the schema sets itself is kept', () => {
    expect(messageFor(z.object({ h: z.string().regex(/^x/, 'must start with x') }), { h: 'y' })).toBe(
      'h: must start with x',
    );
    const refined = z
      .object({ a: z.string() })
      .superRefine((_, ctx) => ctx.addIssue({ code: 'custom', path: ['a'], message: 'own words' }));
    expect(messageFor(refined, { a: 'x' })).toBe('a: own words');
  });
});
