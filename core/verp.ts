import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** Lower-case RFC 4648 base32 without padding. */
export function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** Bytes of {@link base32} text (any case); undefined for a character outside the alphabet. */
export function unbase32(text: string): Buffer | undefined {
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of text.toLowerCase()) {
    const i = ALPHABET.indexOf(ch);
    if (i === -1) return undefined;
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** What a VERP return path identifies. */
export interface VerpTarget {
  messageId: string;
  /** First 4 bytes of SHA-256 of the lower-cased recipient, hex: enough to pick it among the message's recipients. */
  recipientHash: string;
}

/** SHA-256 prefix identifying a recipient inside one message. */
export function recipientHash(recipient: string): string {
  return createHash('sha256').update(recipient.toLowerCase()).digest().subarray(0, 4).toString('hex');
}

/**
 * Variable envelope return paths (VERP): `<prefix>+<token>@<bounce domain>`, the token naming the
 * message and the recipient, authenticated with a truncated HMAC so that bounces cannot be forged
 * onto other messages. Lower-case base32, because some MTAs fold the case of local parts; the
 * local part stays well under the 64 characters of RFC 5321 §4.5.3.1.1.
 */
export class VerpAddresses {
  readonly #key: Buffer;

  constructor(
    masterKey: Buffer,
    readonly prefix: string,
    readonly domain: string,
  ) {
    this.#key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'bridgemail verp v1', 32));
  }

  /** The envelope sender for one recipient of one message. */
  address(messageId: string, recipient: string): string {
    const id = /^msg_([0-9a-f]{28})$/.exec(messageId)?.[1];
    if (!id) throw new Error(`not a message id: ${messageId}`);
    const payload = Buffer.concat([Buffer.from(id, 'hex'), Buffer.from(recipientHash(recipient), 'hex')]);
    const mac = createHmac('sha256', this.#key).update(payload).digest().subarray(0, 5);
    return `${this.prefix}+${base32(Buffer.concat([payload, mac]))}@${this.domain}`;
  }

  /** The message and recipient a return path names, or undefined when it is not one of ours. */
  parse(address: string): VerpTarget | undefined {
    const at = address.lastIndexOf('@');
    const local = address.slice(0, at).toLowerCase();
    if (at < 0 || address.slice(at + 1).toLowerCase() !== this.domain.toLowerCase()) return undefined;
    if (!local.startsWith(`${this.prefix.toLowerCase()}+`)) return undefined;
    const bytes = unbase32(local.slice(this.prefix.length + 1));
    if (!bytes || bytes.length !== 23) return undefined;
    const payload = bytes.subarray(0, 18);
    const mac = createHmac('sha256', this.#key).update(payload).digest().subarray(0, 5);
    if (!timingSafeEqual(mac, bytes.subarray(18))) return undefined;
    return {
      messageId: `msg_${payload.subarray(0, 14).toString('hex')}`,
      recipientHash: payload.subarray(14).toString('hex'),
    };
  }
}
