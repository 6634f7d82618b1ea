import type { AuthFailureLimiter } from './auth-limiter.js';
import type { BridgeAuthCache } from './auth-cache.js';
import type { AuthenticatedBridge } from './domain.js';
import { isAppError } from './errors.js';

/** How both ingresses authenticate a Bridge: failure limiting, then the cached lookup. */
export interface Authenticator {
  /** `address` is the client's source address. */
  apiKey(address: string, apiKey: string): Promise<AuthenticatedBridge>;
  smtp(address: string, username: string, password: string): Promise<AuthenticatedBridge>;
  /** Re-checks a credential authenticated earlier (SMTP sessions, before each MAIL FROM). */
  assertCurrent: BridgeAuthCache['assertCurrent'];
}

/** Builds the {@link Authenticator} of an ingress process. */
export function createAuthenticator(cache: BridgeAuthCache, limiter: AuthFailureLimiter): Authenticator {
  const guarded = async (scope: string, address: string, principal: string, attempt: () => Promise<AuthenticatedBridge>) => {
    await limiter.check(scope, address, principal);
    try {
      return await attempt();
    } catch (err) {
      if (isAppError(err) && err.code === 'INVALID_CREDENTIALS') await limiter.recordFailure(scope, address, principal);
      throw err;
    }
  };
  return {
    // Keys are limited by their first 16 characters: enough to tell Bridges apart, never the secret.
    apiKey: (address, apiKey) => guarded('api', address, apiKey.slice(0, 16), () => cache.authenticateApiKey(apiKey)),
    smtp: (address, username, password) =>
      guarded('smtp', address, username.toLowerCase(), () => cache.authenticateSmtp(username, password)),
    assertCurrent: (bridge, transport) => cache.assertCurrent(bridge, transport),
  };
}
