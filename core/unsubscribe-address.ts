import { createCipheriv, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { base32, recipientHash, unbase32 } from './verp.js';

/** What a List-Unsubscribe `mailto:` address names; the rest is looked up from the message's events. */
export interface UnsubscribeMailTarget {
  messageId: string;
  /** {@link recipientHash} of the recipient: picks it among the message's recipients. */
  recipientHash: string;
}

/** Local part prefix of the `mailto:` addresses; a VERP return path always has a `+` instead. */
export const UNSUBSCRIBE_LOCAL_PREFIX = 'unsub-';

/** 14 bytes of message id, 4 of recipient hash. */
const PAYLOAD_BYTES = 18;
/** Synthetic IV, also the authentication tag. */
const TAG_BYTES = 8;

/**
 * The `mailto:` half of a List-Unsubscribe header: `unsub-<token>@<bounce domain>`, which the
 * inbound MX accepts. The token (message id and recipient hash) is encrypted and authenticated
 * (SIV: the tag is a truncated HMAC of the plaintext and keys AES-256-CTR), so it shows neither the
 * message nor the recipient and cannot be forged. Lower-case base32 like VERP, because some MTAs fold
 * the case of local parts; the local part (48 characters) stays under RFC 5321's 64.
 */
export class UnsubscribeAddresses {
  readonly #macKey: Buffer;
  readonly #encKey: Buffer;

  constructor(
    masterKey: Buffer,
    readonly domain: string,
  ) {
    const derive = (info: string) => Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), info, 32));
    this.#macKey = derive('bridgemail unsubscribe mailto v1 mac');
    this.#encKey = derive('bridgemail unsubscribe mailto v1 enc');
  }

  /** The address a recipient mails to unsubscribe from one Bridge, for one message of it. */
  address(messageId: string, recipient: string): string {
    const id = /^msg_([0-9a-f]{28})$/.exec(messageId)?.[1];
    if (!id) throw new Error(`not a message id: ${messageId}`);
    const plain = Buffer.concat([Buffer.from(id, 'hex'), Buffer.from(recipientHash(recipient), 'hex')]);
    const tag = this.#tag(plain);
    return `${UNSUBSCRIBE_LOCAL_PREFIX}${base32(Buffer.concat([tag, this.#ctr(tag, plain)]))}@${this.domain}`;
  }

  /** The message and recipient an address names, or undefined when it is not one of ours. */
  parse(address: string): UnsubscribeMailTarget | undefined {
    const at = address.lastIndexOf('@');
    if (at < 0 || address.slice(at + 1).toLowerCase() !== this.domain.toLowerCase()) return undefined;
    const local = address.slice(0, at).toLowerCase();
    if (!local.startsWith(UNSUBSCRIBE_LOCAL_PREFIX)) return undefined;
    const token = local.slice(UNSUBSCRIBE_LOCAL_PREFIX.length);
    const bytes = unbase32(token);
    // One token has one spelling: decoding ignores the spare bits of the last character.
    if (!bytes || bytes.length !== TAG_BYTES + PAYLOAD_BYTES || base32(bytes) !== token) return undefined;
    const tag = bytes.subarray(0, TAG_BYTES);
    const plain = this.#ctr(tag, bytes.subarray(TAG_BYTES));
    if (!timingSafeEqual(tag, this.#tag(plain))) return undefined;
    return {
      messageId: `msg_${plain.subarray(0, 14).toString('hex')}`,
      recipientHash: plain.subarray(14).toString('hex'),
    };
  }

  #tag(plain: Buffer): Buffer {
    return createHmac('sha256', this.#macKey).update(plain).digest().subarray(0, TAG_BYTES);
  }

  /** AES-256-CTR from the tag (zero-padded to an IV): encrypts and decrypts alike. */
  #ctr(tag: Buffer, data: Buffer): Buffer {
    const iv = Buffer.concat([tag, Buffer.alloc(16 - TAG_BYTES)]);
    return createCipheriv('aes-256-ctr', this.#encKey, iv).update(data);
  }
}
