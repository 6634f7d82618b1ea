import { createPrivateKey } from 'node:crypto';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import type { SigningKey } from '../../core/index.js';
import { fromDomain } from './header-from.js';

/** Collaborators of {@link createSigningStep}. */
export interface SigningStepDeps {
  /** The DKIM key of a From domain (cached by the caller), if it has one. */
  keyFor: (domain: string) => Promise<SigningKey | undefined>;
}

/**
 * The signing step of a delivery attempt: when the From domain has a key, prepends a
 * DKIM-Signature (relaxed/relaxed, RFC 6376) computed over the final copy, i.e. after the tracking
 * rewrite, so that it verifies at the recipient. Other messages pass unchanged.
 */
export function createSigningStep(deps: SigningStepDeps) {
  return async (raw: Buffer): Promise<Buffer> => {
    const domain = fromDomain(raw);
    const key = domain ? await deps.keyFor(domain) : undefined;
    if (!key) return raw;
    const algorithm = createPrivateKey(key.privateKey).asymmetricKeyType === 'ed25519' ? 'ed25519-sha256' : 'rsa-sha256';
    const signer = { signingDomain: key.domain, selector: key.selector, privateKey: key.privateKey };
    // mailauth reads `signatureData`; its typings only describe the single-signature fields.
    const options = { canonicalization: 'relaxed/relaxed', algorithm, ...signer, signatureData: [signer] };
    const result = await dkimSign(raw, options);
    if (result.errors.length) throw new Error(`DKIM signing failed for ${domain}: ${String(result.errors[0])}`);
    return Buffer.concat([Buffer.from(result.signatures), raw]);
  };
}
