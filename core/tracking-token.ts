import { createCipheriv, createHmac, createSecretKey, hkdfSync, timingSafeEqual, type KeyObject } from 'node:crypto';

/** What a tracking token carries; encrypted and authenticated, so none of it can be read, altered or forged. */
export interface TrackingClaims {
  /** `o` open pixel, `c` click, `u` one-click unsubscribe (List-Unsubscribe, RFC 8058). */
  k: 'o' | 'c' | 'u';
  /** Message id. */
  m: string;
  /** Bridge id. */
  b: string;
  /** Pool id. */
  p: string;
  /** Recipient, when the copy went to exactly one. */
  r: string;
  /** When the tracked copy was built (ms, below 2^48), to spot scanners that click within seconds. */
  t: number;
  /** Link index within the HTML (clicks). */
  i?: number;
  /** Original URL (clicks): the redirect target. */
  u?: string;
}

/** Bytes of the synthetic IV, which is also the authentication tag. */
const SIV_BYTES = 16;
/** Longer tokens are refused before any work: tracked URLs stay far below. */
const MAX_TOKEN_CHARS = 8192;
const KIND_BYTE = { o: 1, c: 2, u: 3 } as const;
/** Hex digits after the `_` of an id as newId() makes it; such ids are carried as bytes. */
const ID_HEX_DIGITS = 28;
const ID_PATTERN = new RegExp(`^(.*)_([0-9a-f]{${ID_HEX_DIGITS}})$`, 's');

/** Whether `text` holds a C0 control character or DEL: no link a sender wrote contains one. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * Makes and opens tracking tokens: the claims in a compact binary form, encrypted with
 * deterministic authenticated encryption (SIV: the IV is an HMAC-SHA256 of the plaintext,
 * truncated to 128 bits, which then keys AES-256-CTR), under two keys derived from the master key.
 * A token reveals nothing of what it carries, and any change to it fails the IV check.
 */
export class TrackingTokens {
  readonly #macKey: KeyObject;
  readonly #encKey: KeyObject;

  /** @param masterKey the platform's 32-byte master key; dedicated subkeys are derived (HKDF). */
  constructor(masterKey: Buffer) {
    const derive = (info: string) =>
      createSecretKey(Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), info, 32)));
    this.#macKey = derive('bridgemail tracking tokens v2 mac');
    this.#encKey = derive('bridgemail tracking tokens v2 enc');
  }

  /** A base64url token of `claims` (the same claims always give the same token). */
  sign(claims: TrackingClaims): string {
    const plain = encodeClaims(claims);
    const siv = this.#siv(plain);
    return Buffer.concat([siv, this.#ctr(siv, plain)]).toString('base64url');
  }

  /** The claims of a valid token of kind `kind`, or undefined for anything forged, altered or malformed. */
  verify(token: string, kind: TrackingClaims['k']): TrackingClaims | undefined {
    if (token.length > MAX_TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
    const bytes = Buffer.from(token, 'base64url');
    // One token has one spelling: base64url decoding ignores the spare bits of the last character.
    if (bytes.length <= SIV_BYTES || bytes.toString('base64url') !== token) return undefined;
    const siv = bytes.subarray(0, SIV_BYTES);
    const plain = this.#ctr(siv, bytes.subarray(SIV_BYTES));
    if (!timingSafeEqual(siv, this.#siv(plain))) return undefined;
    const claims = decodeClaims(plain);
    if (claims?.k !== kind) return undefined;
    if (
      kind === 'c' &&
      (typeof claims.u !== 'string' || !/^https?:\/\//i.test(claims.u) || hasControlCharacter(claims.u))
    ) {
      return undefined;
    }
    return claims;
  }

  #siv(plain: Buffer): Buffer {
    return createHmac('sha256', this.#macKey).update(plain).digest().subarray(0, SIV_BYTES);
  }

  /** AES-256-CTR from `iv`: encrypts and decrypts alike. */
  #ctr(iv: Buffer, data: Buffer): Buffer {
    return createCipheriv('aes-256-ctr', this.#encKey, iv).update(data);
  }
}

/**
 * `kind, t (6 bytes), m, b, p, r[, i, u]`: numbers as LEB128 varints, strings as a varint header
 * then their bytes. The header is `length << 1` for UTF-8 text; `prefixLength << 1 | 1` for an id
 * `<prefix>_<28 hex digits>`, whose digits follow the prefix as 14 bytes.
 */
function encodeClaims(c: TrackingClaims): Buffer {
  const strings = c.k === 'c' ? [c.m, c.b, c.p, c.r, c.u ?? ''] : [c.m, c.b, c.p, c.r];
  const out = Buffer.allocUnsafe(7 + 10 + strings.reduce((n, s) => n + 5 + 3 * s.length, 0));
  out[0] = KIND_BYTE[c.k];
  out.writeUIntBE(c.t, 1, 6);
  let at = 7;
  const varint = (n: number) => {
    for (; n > 0x7f; n = Math.floor(n / 0x80)) out[at++] = (n % 0x80) | 0x80;
    out[at++] = n;
  };
  strings.forEach((s, index) => {
    if (index === 4) varint(c.i ?? 0);
    const id = ID_PATTERN.exec(s);
    const text = id ? (id[1] ?? '') : s;
    varint(Buffer.byteLength(text) * 2 + (id ? 1 : 0));
    at += out.write(text, at);
    if (id) at += out.write(id[2] ?? '', at, 'hex');
  });
  return out.subarray(0, at);
}

/** The claims {@link encodeClaims} wrote, or undefined when `b` is not exactly such an encoding. */
function decodeClaims(b: Buffer): TrackingClaims | undefined {
  const k = b[0] === KIND_BYTE.o ? 'o' : b[0] === KIND_BYTE.c ? 'c' : b[0] === KIND_BYTE.u ? 'u' : undefined;
  if (!k || b.length < 7) return undefined;
  let at = 7;
  const varint = () => {
    let n = 0;
    for (let scale = 1; at < b.length && scale < 2 ** 35; scale *= 0x80) {
      const byte = b[at++] ?? 0;
      n += (byte & 0x7f) * scale;
      if (byte < 0x80) return n;
    }
    return -1;
  };
  const string = () => {
    const header = varint();
    const [length, isId] = [Math.floor(header / 2), header % 2 === 1];
    if (header < 0 || at + length + (isId ? ID_HEX_DIGITS / 2 : 0) > b.length) return undefined;
    const text = b.toString('utf8', at, (at += length));
    return isId ? `${text}_${b.toString('hex', at, (at += ID_HEX_DIGITS / 2))}` : text;
  };
  const [m, bridge, p, r] = [string(), string(), string(), string()];
  if (m === undefined || bridge === undefined || p === undefined || r === undefined) return undefined;
  const claims: TrackingClaims = { k, m, b: bridge, p, r, t: b.readUIntBE(1, 6) };
  if (k === 'c') {
    const i = varint();
    const u = string();
    if (i < 0 || u === undefined) return undefined;
    Object.assign(claims, { i, u });
  }
  return at === b.length ? claims : undefined;
}
