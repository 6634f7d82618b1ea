import { describe, it, expect } from 'vitest';
import { parseMxOverride } from './mx-override.js';

describe('parseMxOverride', () => {
  it('parses domain=host:port pairs and the * wildcard', () => {
    const map = parseMxOverride('example.test=127.0.0.1:2526,*=127.0.0.1:2525');
    expect([...map]).toEqual([
      ['example.test', [{ host: '127.0.0.1', port: 2526, priority: 0 }]],
      ['*', [{ host: '127.0.0.1', port: 2525, priority: 0 }]],
    ]);
  });

  it('defaults the port to 25', () => {
    expect(parseMxOverride('example.test=mx.example.test').get('example.test')).toEqual([
      { host: 'mx.example.test', port: 25, priority: 0 },
    ]);
  });

  it('takes IPv6 hosts in brackets, with or without a port', () => {
    expect(parseMxOverride('example.test=[::1]:2525').get('example.test')).toEqual([
      { host: '::1', port: 2525, priority: 0 },
    ]);
    expect(parseMxOverride('example.test=[2001:db8::25]').get('example.test')).toEqual([
      { host: '2001:db8::25', port: 25, priority: 0 },
    ]);
  });

  it('lower-cases domains and keeps several entries for one domain in order of priority', () => {
    const map = parseMxOverride('Example.TEST=127.0.0.1:2601, example.test=127.0.0.2:2602,example.test=127.0.0.3');
    expect([...map.keys()]).toEqual(['example.test']);
    expect(map.get('example.test')).toEqual([
      { host: '127.0.0.1', port: 2601, priority: 0 },
      { host: '127.0.0.2', port: 2602, priority: 10 },
      { host: '127.0.0.3', port: 25, priority: 20 },
    ]);
  });

  it('ignores blanks and empty entries', () => {
    expect(parseMxOverride('').size).toBe(0);
    expect(parseMxOverride(' , ,').size).toBe(0);
    expect([...parseMxOverride(' a.test=h:1 , ,').keys()]).toEqual(['a.test']);
  });

  it('throws on bad entries', () => {
    for (const text of [
      'example.test',
      'example.test=',
      '=127.0.0.1:25',
      'example.test=127.0.0.1:abc',
      'example.test=::1:25',
      'example.test=127.0.0.1:123456',
      'example.test=127.0.0.1:25,broken',
    ]) {
      expect(() => parseMxOverride(text), text).toThrow(/bad MX override entry/);
    }
  });

  it('throws on ports out of range', () => {
    expect(() => parseMxOverride('example.test=127.0.0.1:0')).toThrow(/bad port/);
    expect(() => parseMxOverride('example.test=127.0.0.1:65536')).toThrow(/bad port/);
    expect(parseMxOverride('example.test=127.0.0.1:65535').get('example.test')?.[0]?.port).toBe(65535);
  });
});
