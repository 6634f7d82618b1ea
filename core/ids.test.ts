import { afterEach, describe, it, expect, vi } from 'vitest';
import { newId, randomSecret } from './ids.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('newId', () => {
  it('is the prefix, an underscore, 12 hex digits of time and 16 random hex digits', () => {
    const id = newId('msg');
    expect(id).toMatch(/^msg_[0-9a-f]{28}$/);
  });

  it('encodes the creation time in milliseconds', () => {
    vi.spyOn(Date, 'now').mockReturnValue(0x0123456789ab);
    expect(newId('br').slice(0, 15)).toBe('br_0123456789ab');
    vi.spyOn(Date, 'now').mockReturnValue(1);
    expect(newId('br').slice(0, 15)).toBe('br_000000000001');
  });

  it('differs between two ids made in the same millisecond', () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    const ids = new Set(Array.from({ length: 100 }, () => newId('msg')));
    expect(ids.size).toBe(100);
  });

  it('stays unique across refills of its random pool', () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    // 512 ids per 4 KB block: 2,000 ids draw from four blocks.
    const ids = new Set(Array.from({ length: 2000 }, () => newId('ev')));
    expect(ids.size).toBe(2000);
  });

  it('sorts by creation time', () => {
    const times = [1_700_000_000_000, 1_700_000_000_001, 1_700_000_001_000, 1_800_000_000_000, 2_000_000_000_000];
    const ids = times.map((t) => {
      vi.spyOn(Date, 'now').mockReturnValue(t);
      return newId('evt');
    });
    expect([...ids].reverse().sort()).toEqual(ids);
  });
});

describe('randomSecret', () => {
  it('is base64url of the requested number of bytes', () => {
    expect(randomSecret()).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(Buffer.from(randomSecret(16), 'base64url')).toHaveLength(16);
    expect(randomSecret()).not.toBe(randomSecret());
  });
});

describe('randomSecret', () => {
  it('is base64url of the requested number of bytes', () => {
    expect(randomSecret(24)).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(randomSecret(9)).toMatch(/^[A-Za-z0-9_-]{12}$/);
  });

  it('never begins with "-", which command-line tools read as an option', () => {
    // One plain base64url string in 64 begins with "-": 5,000 draws would hold about 78 of them.
    const secrets = Array.from({ length: 5000 }, () => randomSecret(24));
    expect(secrets.filter((s) => s.startsWith('-'))).toEqual([]);
    expect(new Set(secrets.map((s) => s[0])).size).toBeGreaterThan(60);
  });
});
