export { createSigningKeyLookup, signMessage, type SigningLookupDeps } from './signing-step.js';
export { dkimSignature, parseDkimKey, type DkimKey } from './dkim-signer.js';
export { fromDomain, headerBlock } from './header-from.js';
