import { describe, it, expect } from 'vitest';
import { SecretBox, parseMasterKey, safeEqual, sha256Hex } from './secret-box.js';

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');

/** Flips one bit of a base64url field and re-encodes it. */
function flipBit(field: string): string {
  const bytes = Buffer.from(field, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  return bytes.toString('base64url');
}

describe('SecretBox', () => {
  it('opens what it sealed, including non-ASCII and empty text', () => {
    const box = new SecretBox(KEY);
    for (const plaintext of ['smtp-password', 'päss wörd ✉️', '']) {
      expect(box.open(box.seal(plaintext))).toBe(plaintext);
    }
  });

  it('produces v1.<iv>.<tag>.<ciphertext> with a 96-bit IV and a 128-bit tag', () => {
    const sealed = new SecretBox(KEY).seal('hello');
    const [version, iv, tag, ct] = sealed.split('.');
    expect(version).toBe('v1');
    expect(Buffer.from(iv!, 'base64url')).toHaveLength(12);
    expect(Buffer.from(tag!, 'base64url')).toHaveLength(16);
    expect(Buffer.from(ct!, 'base64url')).toHaveLength(5);
    expect(sealed).not.toContain('hello');
  });

  it('uses a fresh IV each time, so sealing the same text twice differs', () => {
    const box = new SecretBox(KEY);
    const a = box.seal('same secret');
    const b = box.seal('same secret');
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
    expect(box.open(a)).toBe(box.open(b));
  });

  it('refuses a tampered ciphertext, tag or IV', () => {
    const box = new SecretBox(KEY);
    const [version, iv, tag, ct] = box.seal('secret value').split('.') as [string, string, string, string];
    expect(() => box.open([version, iv, tag, flipBit(ct)].join('.'))).toThrow();
    expect(() => box.open([version, iv, flipBit(tag), ct].join('.'))).toThrow();
    expect(() => box.open([version, flipBit(iv), tag, ct].join('.'))).toThrow();
  });

  it('refuses a secret sealed under another key', () => {
    const sealed = new SecretBox(KEY).seal('secret');
    const other = new SecretBox(Buffer.alloc(32, 0xaa));
    expect(() => other.open(sealed)).toThrow();
  });

  it('refuses an unknown version or a malformed string', () => {
    const box = new SecretBox(KEY);
    const sealed = box.seal('secret');
    expect(() => box.open(sealed.replace(/^v1\./, 'v2.'))).toThrow('unrecognised sealed secret');
    expect(() => box.open('v1.only-two')).toThrow('unrecognised sealed secret');
    expect(() => box.open('plaintext')).toThrow('unrecognised sealed secret');
  });

  it('requires a 32-byte key and copies it', () => {
    expect(() => new SecretBox(Buffer.alloc(16))).toThrow('master key must be 32 bytes');
    expect(() => new SecretBox(Buffer.alloc(33))).toThrow('master key must be 32 bytes');
    const key = Buffer.from(KEY);
    const box = new SecretBox(key);
    const sealed = box.seal('secret');
    key.fill(0);
    expect(box.open(sealed)).toBe('secret');
  });
});

describe('parseMasterKey', () => {
  it('parses 64 hex digits, in either case and with surrounding whitespace', () => {
    const hex = KEY.toString('hex');
    expect(parseMasterKey(hex).equals(KEY)).toBe(true);
    expect(parseMasterKey(`  ${hex.toUpperCase()}\n`).equals(KEY)).toBe(true);
  });

  it('parses base64 of 32 bytes', () => {
    expect(parseMasterKey(KEY.toString('base64')).equals(KEY)).toBe(true);
    const random = Buffer.from('9f'.repeat(32), 'hex');
    expect(parseMasterKey(random.toString('base64')).equals(random)).toBe(true);
  });

  it('refuses keys of the wrong length', () => {
    const message = 'master key must be 32 bytes (64 hex digits or base64)';
    expect(() => parseMasterKey('')).toThrow(message);
    expect(() => parseMasterKey(KEY.toString('hex').slice(0, 62))).toThrow(message);
    expect(() => parseMasterKey(Buffer.alloc(16).toString('base64'))).toThrow(message);
    expect(() => parseMasterKey(Buffer.alloc(48, 0xff).toString('base64'))).toThrow(message);
  });
});

describe('safeEqual', () => {
  it('is true only for identical strings', () => {
    expect(safeEqual('bm_live_abc', 'bm_live_abc')).toBe(true);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('bm_live_abc', 'bm_live_abd')).toBe(false);
    expect(safeEqual('short', 'a much longer secret')).toBe(false);
    expect(safeEqual('abc', 'ABC')).toBe(false);
  });
});

describe('sha256Hex', () => {
  it('hashes to the known SHA-256 digest', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('SecretBox tag length', () => {
  it('refuses a truncated auth tag', () => {
    const box = new SecretBox(Buffer.alloc(32, 7));
    const [v, iv, tag, ct] = box.seal('hello').split('.');
    for (const bytes of [4, 8, 12]) {
      const short = Buffer.from(tag!, 'base64url').subarray(0, bytes).toString('base64url');
      expect(() => box.open([v, iv, short, ct].join('.'))).toThrow();
    }
  });
});
