import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 'v1';

/** Encrypts and decrypts secrets at rest with AES-256-GCM under one master key. */
export class SecretBox {
  readonly #key: Buffer;

  /** @param key 32 raw bytes */
  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('master key must be 32 bytes');
    this.#key = Buffer.from(key);
  }

  /** `v1.<iv>.<tag>.<ciphertext>` in base64url; a fresh 96-bit IV each call. */
  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      ct.toString('base64url'),
    ].join('.');
  }

  /** Decrypts what {@link seal} produced; throws if it was tampered with. */
  open(sealed: string): string {
    const [version, iv, tag, ct] = sealed.split('.');
    if (version !== VERSION || iv === undefined || tag === undefined || ct === undefined) {
      throw new Error('unrecognised sealed secret');
    }
    const authTag = Buffer.from(tag, 'base64url');
    // A full 128-bit tag only: GCM would otherwise accept a truncated (forgeable) one.
    if (authTag.length !== 16) throw new Error('sealed secret has a truncated auth tag');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
    decipher.setAuthTag(authTag);
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** Parses a master key given as 64 hex digits or base64 of 32 bytes. */
export function parseMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new Error('master key must be 32 bytes (64 hex digits or base64)');
  return key;
}

/** SHA-256 of a secret, hex; used to look up API keys without storing them in the clear. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Compares two secrets in time independent of where they differ. */
export function safeEqual(a: string, b: string): boolean {
  // Hash both so that lengths are equal and the comparison leaks nothing about length either.
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}
