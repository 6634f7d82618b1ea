import type { SigningKey } from '../../core/index.js';
import { dkimSignature, parseDkimKey, type DkimKey } from './dkim-signer.js';
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
  // Parsed keys, by the stored key record (a new record after a key change parses afresh).
  const parsed = new WeakMap<SigningKey, DkimKey>();
  return async (raw: Buffer): Promise<Buffer> => {
    const domain = fromDomain(raw);
    const key = domain ? await deps.keyFor(domain) : undefined;
    if (!key) return raw;
    let dkim = parsed.get(key);
    if (!dkim) {
      dkim = parseDkimKey(key.domain, key.selector, key.privateKey);
      parsed.set(key, dkim);
    }
    try {
      return Buffer.concat([Buffer.from(await dkimSignature(raw, dkim)), raw]);
    } catch (err) {
      throw new Error(`DKIM signing failed for ${domain}: ${String(err)}`, { cause: err });
    }
  };
}
