import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { TrackingTokens, type TrackingClaims } from './tracking-token.js';

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
const tokens = new TrackingTokens(KEY);

// Ids as newId() makes them, a typical recipient and a typical ~60-character link.
const OPEN: TrackingClaims = {
  k: 'o',
  m: 'msg_018c2f3a9b10e4d2c7a1f05b9e3d',
  b: 'br_018c2f3a11004f9a2b7c6d5e4f3a',
  p: 'pool_018c2f3a0f0012ab34cd56ef7890',
  r: 'zoë.martin@client.example',
  t: 1_700_000_000_000,
};
const CLICK: TrackingClaims = {
  ...OPEN,
  k: 'c',
  i: 3,
  u: 'https://shop.example/products/autumn-roast?utm_source=mail#buy',
};

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const replaceAt = (s: string, i: number, c: string) => s.slice(0, i) + c + s.slice(i + 1);

/** The length of a token that carries the claims as signed JSON: base64url JSON, '.', a 16-byte MAC in base64url. */
const signedJsonLength = (c: TrackingClaims) => Buffer.from(JSON.stringify(c)).toString('base64url').length + 1 + 22;

const hexId = (prefix: string) => fc.stringMatching(/^[0-9a-f]{28}$/).map((hex) => `${prefix}_${hex}`);
const text = fc.string({ unit: 'grapheme', maxLength: 80 });
const claimsArb = fc.record({
  m: fc.oneof(hexId('msg'), text),
  b: fc.oneof(hexId('br'), text),
  p: fc.oneof(hexId('pool'), text),
  r: fc.oneof(fc.emailAddress(), fc.constant('')),
  t: fc.nat({ max: 2 ** 48 - 1 }),
});

describe('TrackingTokens', () => {
  it('verifies what it signed, for opens, clicks and unsubscribes, each only as its own kind', () => {
    expect(tokens.verify(tokens.sign(OPEN), 'o')).toEqual(OPEN);
    expect(tokens.verify(tokens.sign(CLICK), 'c')).toEqual(CLICK);
    const unsubscribe: TrackingClaims = { ...OPEN, k: 'u' };
    expect(tokens.verify(tokens.sign(unsubscribe), 'u')).toEqual(unsubscribe);
    expect(tokens.verify(tokens.sign(unsubscribe), 'o')).toBeUndefined();
    expect(tokens.verify(tokens.sign(OPEN), 'u')).toBeUndefined();
    expect(tokens.verify(tokens.sign(CLICK), 'u')).toBeUndefined();
    fc.assert(
      fc.property(claimsArb, fc.nat(), fc.webUrl({ withQueryParameters: true, withFragments: true }), (c, i, u) => {
        expect(tokens.verify(tokens.sign({ k: 'o', ...c }), 'o')).toEqual({ k: 'o', ...c });
        expect(tokens.verify(tokens.sign({ k: 'c', ...c, i, u }), 'c')).toEqual({ k: 'c', ...c, i, u });
        expect(tokens.verify(tokens.sign({ k: 'u', ...c }), 'u')).toEqual({ k: 'u', ...c });
      }),
      { numRuns: 200 },
    );
  });

  it('makes canonical base64url tokens that verify with a new instance on the same master key', () => {
    const token = tokens.sign(CLICK);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(token, 'base64url').toString('base64url')).toBe(token);
    expect(new TrackingTokens(Buffer.from(KEY)).verify(token, 'c')).toEqual(CLICK);
  });

  it('reveals neither recipient, ids nor URL: not in the token, nor in its base64 or base64url decodings', () => {
    const secrets = [
      CLICK.r,
      'martin',
      'client.example',
      CLICK.m,
      CLICK.b,
      CLICK.p,
      CLICK.u!,
      'shop.example',
      'autumn-roast',
    ];
    // The ids' hex digits as the bytes a compact binary encoding would carry.
    const idBytes = [CLICK.m, CLICK.b, CLICK.p].map((id) => Buffer.from(id.slice(-28), 'hex'));
    for (const token of [tokens.sign(CLICK), tokens.sign(OPEN)]) {
      const views = [token];
      for (let shift = 0; shift < 4; shift++) {
        for (const encoding of ['base64', 'base64url'] as const) {
          const bytes = Buffer.from(token.slice(shift), encoding);
          views.push(bytes.toString('utf8'), bytes.toString('latin1'));
          for (const id of idBytes) expect(bytes.includes(id)).toBe(false);
        }
      }
      for (const view of views) for (const s of secrets) expect(view).not.toContain(s);
    }
  });

  it('is shorter than the same claims as signed JSON, for a typical link and for any claims', () => {
    expect(tokens.sign(CLICK).length).toBeLessThanOrEqual(signedJsonLength(CLICK));
    expect(tokens.sign(OPEN).length).toBeLessThanOrEqual(signedJsonLength(OPEN));
    fc.assert(
      fc.property(claimsArb, fc.nat(), fc.oneof(fc.webUrl({ withQueryParameters: true }), text), (c, i, u) => {
        const click: TrackingClaims = { k: 'c', ...c, i, u };
        expect(tokens.sign(click).length).toBeLessThanOrEqual(signedJsonLength(click));
        expect(tokens.sign({ k: 'o', ...c }).length).toBeLessThanOrEqual(signedJsonLength({ k: 'o', ...c }));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a token with any single character changed, to any other base64url character', () => {
    for (const [token, kind] of [
      [tokens.sign(CLICK), 'c'],
      [tokens.sign(OPEN), 'o'],
    ] as const) {
      for (let i = 0; i < token.length; i++) {
        for (const c of B64URL) if (c !== token[i]) expect(tokens.verify(replaceAt(token, i, c), kind)).toBeUndefined();
      }
    }
  });

  it('refuses a token cut short or extended', () => {
    const token = tokens.sign(CLICK);
    for (let n = 0; n < token.length; n++) expect(tokens.verify(token.slice(0, n), 'c')).toBeUndefined();
    for (const tail of ['A', 'AA', 'AAAA', '=', '.', token]) expect(tokens.verify(token + tail, 'c')).toBeUndefined();
  });

  it('refuses a token of the other kind', () => {
    expect(tokens.verify(tokens.sign(OPEN), 'c')).toBeUndefined();
    expect(tokens.verify(tokens.sign(CLICK), 'o')).toBeUndefined();
  });

  it('refuses a token made with another master key', () => {
    const foreign = new TrackingTokens(Buffer.alloc(32, 0xee));
    expect(tokens.verify(foreign.sign(OPEN), 'o')).toBeUndefined();
    expect(tokens.verify(foreign.sign(CLICK), 'c')).toBeUndefined();
  });

  it('refuses an authentic click whose URL is not a plain http(s) URL', () => {
    for (const u of [
      'javascript:alert(document.cookie)',
      'JavaScript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'https://shop.example/\r\nSet-Cookie: a=b',
      'https://shop.example/\nx',
      'https://shop.example/\rx',
      'https://shop.example/\0',
      '//evil.example/',
      '',
    ]) {
      expect(tokens.verify(tokens.sign({ ...CLICK, u }), 'c')).toBeUndefined();
    }
  });

  it('refuses an authentic click without a URL', () => {
    const { u: _u, ...withoutUrl } = CLICK;
    expect(tokens.verify(tokens.sign(withoutUrl), 'c')).toBeUndefined();
  });

  it('refuses malformed tokens', () => {
    const token = tokens.sign(OPEN);
    for (const bad of [
      '',
      '.',
      'abc',
      '====',
      `${token}=`,
      `${token}.${token}`,
      token.replace(/./, '+'),
      token.repeat(60),
    ]) {
      expect(tokens.verify(bad, 'o')).toBeUndefined();
    }
  });
});
