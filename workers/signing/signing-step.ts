import type { SigningKey } from '../../core/index.js';
import { dkimSignature, type DkimKey } from './dkim-signer.js';
import { fromDomain } from './header-from.js';

/** Collaborators of {@link createSigningKeyLookup}. */
export interface SigningLookupDeps {
  /** The DKIM key of a From domain (cached by the caller), if it has one. */
  keyFor: (domain: string) => Promise<SigningKey | undefined>;
  /** The account of a Bridge (cached by the caller). */
  accountOf: (bridgeId: string) => Promise<string | undefined>;
}

/**
 * The planning half of the signing step: the DKIM key of the message's From domain, if it has one
 * and it is the sending Bridge's account's; another account's domain is never signed for.
 */
export function createSigningKeyLookup(deps: SigningLookupDeps) {
  return async (raw: Buffer, bridgeId: string): Promise<SigningKey | undefined> => {
    const domain = fromDomain(raw);
    if (!domain) return undefined;
    const [key, account] = await Promise.all([deps.keyFor(domain), deps.accountOf(bridgeId)]);
    return key && key.accountId === account ? key : undefined;
  };
}

/**
 * Prepends a DKIM-Signature (relaxed/relaxed, RFC 6376) computed over the final copy, i.e. after
 * the tracking rewrite, so that it verifies at the recipient.
 */
export async function signMessage(raw: Buffer, key: DkimKey): Promise<Buffer> {
  try {
    return Buffer.concat([Buffer.from(await dkimSignature(raw, key)), raw]);
  } catch (err) {
    throw new Error(`DKIM signing failed for ${key.domain}: ${String(err)}`, { cause: err });
  }
}
