import { apiKeyPrincipal, smtpPrincipal, type AuthFailureLimiter } from './auth-limiter.js';
import type { BridgeAuthCache } from './auth-cache.js';
import type { AuthenticatedBridge } from './domain.js';

/** How both ingresses authenticate a Bridge: the cached lookup, with failures limited (a valid credential is always served). */
export interface Authenticator {
  /** `address` is the client's source address. */
  apiKey(address: string, apiKey: string): Promise<AuthenticatedBridge>;
  smtp(address: string, username: string, password: string): Promise<AuthenticatedBridge>;
  /** Re-checks a credential authenticated earlier (SMTP sessions, before each MAIL FROM). */
  assertCurrent: BridgeAuthCache['assertCurrent'];
  /** The Bridge's sending limits (cached with its credential state, invalidated on change). */
  limits: BridgeAuthCache['limits'];
  /** The Bridge's account and its limits over all of its Bridges (cached the same way). */
  accountLimits: BridgeAuthCache['accountLimits'];
}

/** Builds the {@link Authenticator} of an ingress process. */
export function createAuthenticator(cache: BridgeAuthCache, limiter: AuthFailureLimiter): Authenticator {
  return {
    apiKey: (address, apiKey) =>
      limiter.guard(
        'api',
        address,
        () => apiKeyPrincipal(apiKey),
        () => cache.authenticateApiKey(apiKey),
      ),
    smtp: (address, username, password) =>
      limiter.guard(
        'smtp',
        address,
        (known) => smtpPrincipal(username, known),
        () => cache.authenticateSmtp(username, password),
      ),
    assertCurrent: (bridge, transport) => cache.assertCurrent(bridge, transport),
    limits: (bridgeId) => cache.limits(bridgeId),
    accountLimits: (bridgeId) => cache.accountLimits(bridgeId),
  };
}
