import { describe, it, expect } from 'vitest';
import { groupByDomain } from './deliver-recipients.js';

describe('groupByDomain', () => {
  it('groups recipients by domain, keeping their order and spelling', () => {
    const groups = groupByDomain(['a@example.com', 'b@example.org', 'c@example.com']);
    expect([...groups]).toEqual([
      ['example.com', ['a@example.com', 'c@example.com']],
      ['example.org', ['b@example.org']],
    ]);
  });

  it('lower-cases the domain only, so differently-cased domains share one transaction', () => {
    const groups = groupByDomain(['Alice@Example.COM', 'bob@example.com']);
    expect([...groups]).toEqual([['example.com', ['Alice@Example.COM', 'bob@example.com']]]);
  });

  it('splits at the last @ so a quoted local part with @ keeps its domain', () => {
    expect([...groupByDomain(['"a@b"@example.net'])]).toEqual([['example.net', ['"a@b"@example.net']]]);
  });

  it('keeps duplicates and returns an empty map for no recipients', () => {
    expect(groupByDomain(['x@example.com', 'x@example.com']).get('example.com')).toEqual([
      'x@example.com',
      'x@example.com',
    ]);
    expect(groupByDomain([]).size).toBe(0);
  });

  it('treats an address literal as its own domain', () => {
    expect([...groupByDomain(['postmaster@[127.0.0.1]'])]).toEqual([['[127.0.0.1]', ['postmaster@[127.0.0.1]']]]);
  });
});
