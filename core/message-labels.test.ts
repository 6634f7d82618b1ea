import { describe, expect, it } from 'vitest';
import { isAppError } from './errors.js';
import { takeControlHeaders } from './control-headers.js';
import { labelsFromHeaders, metadataProblem, tagProblem } from './message-labels.js';

describe('tag and metadata validation', () => {
  it('takes 1 to 64 characters of A-Z a-z 0-9 . _ - as a tag, nothing else', () => {
    for (const ok of ['a', 'welcome-email', 'v1.2_b', 'x'.repeat(64)]) expect(tagProblem(ok), ok).toBeUndefined();
    for (const bad of ['', 'x'.repeat(65), 'with space', 'é', 'a/b', 'a\r\nb'])
      expect(tagProblem(bad), bad).toBeDefined();
  });

  it('limits metadata to 20 keys of 40 characters, values of 1,000 characters, 8 KB in all', () => {
    expect(metadataProblem({})).toBeUndefined();
    expect(metadataProblem({ 'order-id': '123', user: 'é'.repeat(1000) })).toBeUndefined();
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    expect(metadataProblem(keys(20))).toBeUndefined();
    expect(metadataProblem(keys(21))).toEqual({ message: 'at most 20 keys' });
    expect(metadataProblem({ ['k'.repeat(41)]: 'v' })?.key).toBe('k'.repeat(41));
    expect(metadataProblem({ 'a b': 'v' })?.key).toBe('a b');
    expect(metadataProblem({ long: 'v'.repeat(1001) })).toEqual({
      key: 'long',
      message: expect.stringContaining('1000'),
    });
    // 9 values of 1,000 bytes each: within every per-key limit, over 8 KB together.
    const big = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'v'.repeat(1000)]));
    expect(metadataProblem(big)).toEqual({ message: expect.stringContaining('8192 bytes') });
  });
});

describe('labels from SMTP header fields', () => {
  const raw = (header: string) => Buffer.from(`From: a@x.example\r\n${header}Subject: s\r\n\r\nbody\r\n`, 'latin1');
  const labels = (header: string) => {
    const taken = takeControlHeaders(raw(header));
    const tags = [...(taken.values.get('x-bridgemail-tag') ?? []), ...(taken.values.get('x-pm-tag') ?? [])].map(
      (value) => ({ name: 'X-Bridgemail-Tag', value }),
    );
    return { taken, labels: labelsFromHeaders(tags, taken.prefixed) };
  };

  it("takes ours and Postmark's fields out, keeping the key's case and UTF-8 values", () => {
    const utf8 = Buffer.from('café', 'utf8').toString('latin1');
    const { taken, labels: l } = labels(
      `X-Bridgemail-Tag: welcome\r\nX-Bridgemail-Metadata-Order-Id: 42\r\nX-PM-Metadata-user: ${utf8}\r\n`,
    );
    expect(l).toEqual({ tag: 'welcome', metadata: { 'Order-Id': '42', user: 'café' } });
    expect(taken.raw.toString('latin1')).toBe('From: a@x.example\r\nSubject: s\r\n\r\nbody\r\n');
    expect(labels('X-PM-Tag: promo\r\n').labels).toEqual({ tag: 'promo' });
  });

  it('refuses a bad tag, two different tags and bad metadata with CONTROL_HEADER_INVALID naming the field', () => {
    const refused = (header: string) => {
      try {
        labels(header);
      } catch (err) {
        if (isAppError(err)) return { code: err.code, field: err.field, message: err.message };
      }
      return undefined;
    };
    expect(refused('X-Bridgemail-Tag: no spaces please\r\n')).toMatchObject({
      code: 'CONTROL_HEADER_INVALID',
      field: 'X-Bridgemail-Tag',
    });
    expect(refused('X-Bridgemail-Tag: a\r\nX-Bridgemail-Tag: b\r\n')?.message).toContain('one tag');
    expect(refused(`X-Bridgemail-Metadata-Note: ${'v'.repeat(1001)}\r\n`)).toMatchObject({
      code: 'CONTROL_HEADER_INVALID',
      field: 'X-Bridgemail-Metadata-Note',
    });
    expect(refused('X-Bridgemail-Metadata-: v\r\n')?.code).toBe('CONTROL_HEADER_INVALID');
  });
});
