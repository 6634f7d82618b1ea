import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { DkimSigner } from 'mailauth/lib/dkim/dkim-signer.js';
import { generateCanonicalizedHeader } from 'mailauth/lib/dkim/header/index.js';
import { formatSignatureHeaderLine, getSigningHeaderLines, writeToStream } from 'mailauth/lib/tools.js';

/** A parsed DKIM private key, reused for every signature of its domain. */
export interface DkimKey {
  domain: string;
  selector: string;
  key: KeyObject;
  /** `rsa` (rsa-sha256) or `ed25519` (ed25519-sha256, RFC 8463). */
  type: 'rsa' | 'ed25519';
}

/** Parses a PEM private key once (parsing costs more than signing: ~0.6 ms against ~0.3 ms for RSA-2048). */
export function parseDkimKey(domain: string, selector: string, privateKeyPem: string): DkimKey {
  const key = createPrivateKey(privateKeyPem);
  const type = key.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ed25519') throw new Error(`unsupported DKIM key type ${String(type)}`);
  return { domain, selector, key, type };
}

const BODY_HASH_KEY = 'relaxed:sha256:';

/**
 * mailauth's streaming signer (header parsing, relaxed body hash, header canonicalisation,
 * signature formatting) with the final step done against an already parsed key: mailauth's own
 * `finalize` re-parses the PEM for every message.
 */
class ParsedKeySigner extends DkimSigner {
  constructor(private readonly dkim: DkimKey) {
    const signer = { signingDomain: dkim.domain, selector: dkim.selector, privateKey: 'parsed', algorithm: `${dkim.type}-sha256` };
    super({ canonicalization: 'relaxed/relaxed', algorithm: signer.algorithm, signatureData: [signer] });
  }

  override async finalize(): Promise<void> {
    if (!this.headers) return;
    const algorithm = `${this.dkim.type}-sha256`;
    const { canonicalizedHeader, dkimHeaderOpts } = generateCanonicalizedHeader('DKIM', getSigningHeaderLines(this.headers.parsed, this.headerList), {
      type: 'DKIM',
      signingDomain: this.dkim.domain,
      selector: this.dkim.selector,
      algorithm,
      canonicalization: 'relaxed/relaxed',
      signTime: this.signTime,
      expires: this.expires,
      maxBodyLength: '',
      bodyHash: this.bodyHashes.get(BODY_HASH_KEY)?.hash ?? null,
    });
    // RFC 8463 §3: Ed25519 signs the SHA-256 digest of the canonicalised header.
    const signature =
      this.dkim.type === 'rsa' ? sign(algorithm, canonicalizedHeader, this.dkim.key) : sign(null, createHash('sha256').update(canonicalizedHeader).digest(), this.dkim.key);
    dkimHeaderOpts.b = signature.toString('base64');
    this.signatureHeaders.push(formatSignatureHeaderLine('DKIM', dkimHeaderOpts, true));
  }
}

/** Computes the DKIM-Signature header (relaxed/relaxed) of a message; returns the header lines, CRLF-terminated. */
export async function dkimSignature(raw: Buffer, dkim: DkimKey): Promise<string> {
  const signer = new ParsedKeySigner(dkim);
  await writeToStream(signer, raw);
  if (signer.errors.length) throw signer.errors[0]?.err ?? new Error('DKIM signing failed');
  if (signer.signatureHeaders.length === 0) throw new Error('DKIM signing produced no signature (no header block?)');
  return `${signer.signatureHeaders.join('\r\n')}\r\n`;
}
