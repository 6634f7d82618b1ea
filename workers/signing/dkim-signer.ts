import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import {
  DKIM_SIGNED_FIELD_NAMES,
  formatSignature,
  isPlainTagValue,
  relaxedLine,
  signedFields,
  type SignatureTags,
} from './dkim-header.js';
import { relaxedBodyHash } from './relaxed-body.js';
import { splitMessage } from './split-message.js';

/** A parsed DKIM private key, reused for every signature of its domain. */
export interface DkimKey {
  domain: string;
  selector: string;
  key: KeyObject;
  /** The PEM the key was parsed from (mailauth's signer takes it). */
  pem: string;
  /** `rsa` (rsa-sha256) or `ed25519` (ed25519-sha256, RFC 8463). */
  type: 'rsa' | 'ed25519';
}

/** Parses a PEM private key once: parsing costs more than signing. */
export function parseDkimKey(domain: string, selector: string, privateKeyPem: string): DkimKey {
  const key = createPrivateKey(privateKeyPem);
  const type = key.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ed25519') throw new Error(`unsupported DKIM key type ${String(type)}`);
  return { domain, selector, key, pem: privateKeyPem, type };
}

/**
 * Computes the DKIM-Signature header (relaxed/relaxed) of a message; returns the header lines,
 * CRLF-terminated. Same output as mailauth's `dkimSign` (header selection, canonicalisation and
 * formatting as mailauth's, see dkim-header.ts), without its streams and with the key parsed once
 * (`dkimSign` parses the PEM for every message): the body hash is {@link relaxedBodyHash}. A domain
 * or selector that needs punycode goes through `dkimSign` itself. mailauth is pinned to an exact
 * version: dkim-signer.test.ts compares the two byte for byte and fails when mailauth changes.
 */
export async function dkimSignature(raw: Buffer, dkim: DkimKey): Promise<string> {
  const parts = splitMessage(raw);
  if (!parts) throw new Error('DKIM signing produced no signature (no header block?)');
  // One time for both the signed and the emitted header (t= must be the one signed).
  const signTime = new Date();
  if (!isPlainTagValue(dkim.domain) || !isPlainTagValue(dkim.selector)) return viaMailauth(raw, dkim, signTime);
  const bodyHash = relaxedBodyHash(parts.body);
  const fields = signedFields(parts.header.toString('latin1'));
  const tags: SignatureTags = {
    a: `${dkim.type}-sha256`,
    c: 'relaxed/relaxed',
    d: dkim.domain,
    h: fields.keys,
    s: dkim.selector,
    t: Math.floor(signTime.getTime() / 1000),
    bh: bodyHash,
    // As mailauth: the field is folded for signing with a stand-in b= (folding does not depend on
    // what follows), and the b= value is then cut from its relaxed form.
    b: 'a'.repeat(73),
  };
  let canonical = '';
  for (const line of fields.lines) canonical += `${relaxedLine(line)}\r\n`;
  canonical += relaxedLine(formatSignature(tags)).replace(/([;:\s]+b=)[^;]+/, '$1');
  tags.b = signWith(dkim, Buffer.from(canonical, 'latin1'));
  return `${formatSignature(tags)}\r\n`;
}

/** RFC 8463 §3: Ed25519 signs the SHA-256 digest of the canonicalised header; RSA the header itself. */
function signWith(dkim: DkimKey, canonicalizedHeader: Buffer): string {
  const signature =
    dkim.type === 'rsa'
      ? sign('rsa-sha256', canonicalizedHeader, dkim.key)
      : sign(null, createHash('sha256').update(canonicalizedHeader).digest(), dkim.key);
  return signature.toString('base64');
}

/**
 * mailauth's public signer, for a domain or selector that needs punycode (it writes A-labels). It
 * parses the PEM again and hashes the body again: such domains are rare.
 */
async function viaMailauth(raw: Buffer, dkim: DkimKey, signTime: Date): Promise<string> {
  const signer = { signingDomain: dkim.domain, selector: dkim.selector, privateKey: dkim.pem };
  const { signatures, errors } = await dkimSign(raw, {
    ...signer,
    canonicalization: 'relaxed/relaxed',
    algorithm: `${dkim.type}-sha256`,
    signTime,
    // mailauth 4.13 reads a colon-separated string here (its typings say string[], which it ignores).
    headerList: DKIM_SIGNED_FIELD_NAMES as unknown as string[],
    signatureData: [signer],
  });
  if (errors.length) throw new Error('mailauth could not sign', { cause: errors[0] });
  return signatures;
}
