import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** What a tracking token carries; signed, so none of it can be altered or forged. */
export interface TrackingClaims {
  /** `o` open pixel, `c` click. */
  k: 'o' | 'c';
  /** Message id. */
  m: string;
  /** Bridge id. */
  b: string;
  /** Pool id. */
  p: string;
  /** Recipient, when the copy went to exactly one. */
  r: string;
  /** When the tracked copy was built (ms), to spot scanners that click within seconds. */
  t: number;
  /** Link index within the HTML (clicks). */
  i?: number;
  /** Original URL (clicks): the redirect target, covered by the signature. */
  u?: string;
}

const SIGNATURE_BYTES = 16;

/** Signs and verifies tracking tokens with an HMAC-SHA256 key derived from the master key. */
export class TrackingTokens {
  readonly #key: Buffer;

  /** @param masterKey the platform's 32-byte master key; a dedicated subkey is derived (HKDF). */
  constructor(masterKey: Buffer) {
    this.#key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'bridgemail tracking tokens v1', 32));
  }

  /** `<base64url claims>.<base64url truncated HMAC>`; URL-safe. */
  sign(claims: TrackingClaims): string {
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${body}.${this.#mac(body).toString('base64url')}`;
  }

  /**
   * Signs the click tokens of one copy: `sign({ k: 'c', ...claims, i, u })` for each link, with
   * the claims' JSON written once instead of once a link (the same token, byte for byte).
   */
  clickSigner(claims: Omit<TrackingClaims, 'k' | 'i' | 'u'>): (i: number, url: string) => string {
    const head = `${JSON.stringify({ k: 'c', ...claims }).slice(0, -1)},"i":`;
    return (i, url) => {
      const body = Buffer.from(`${head}${JSON.stringify(i)},"u":${JSON.stringify(url)}}`).toString('base64url');
      return `${body}.${this.#mac(body).toString('base64url')}`;
    };
  }

  /** The claims of a valid token of kind `kind`, or undefined for anything forged, altered or malformed. */
  verify(token: string, kind: TrackingClaims['k']): TrackingClaims | undefined {
    if (token.length > 8192) return undefined;
    const [body, sig, extra] = token.split('.');
    if (!body || !sig || extra !== undefined) return undefined;
    // Compare the canonical spelling: base64url decoding is lenient, and one token must have one form.
    const given = Buffer.from(sig);
    const expected = Buffer.from(this.#mac(body).toString('base64url'));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TrackingClaims;
      if (claims.k !== kind || typeof claims.m !== 'string' || typeof claims.b !== 'string') return undefined;
      if (kind === 'c' && (typeof claims.u !== 'string' || !/^https?:\/\//i.test(claims.u) || /[\x00-\x1f\x7f]/.test(claims.u))) {
        return undefined;
      }
      return claims;
    } catch {
      return undefined;
    }
  }

  #mac(body: string): Buffer {
    return createHmac('sha256', this.#key).update(body).digest().subarray(0, SIGNATURE_BYTES);
  }
}
