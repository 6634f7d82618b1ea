/** A sending IP of a Pool. */
export interface PoolIp {
  ip: string;
  /** Share of the Pool's traffic relative to its siblings (warm-up). @defaultValue 1 */
  weight: number;
}

/** A named set of sending IPs; every Bridge is bound to exactly one. */
export interface Pool {
  id: string;
  name: string;
  ips: PoolIp[];
  createdAt: Date;
  deletedAt: Date | null;
}

/** Per-transport credential state of a Bridge; `deleted` once the Bridge is (whatever it was before). */
export type CredentialStatus = 'active' | 'revoked' | 'deleted';

/** One application's connection object, without its secrets. */
export interface Bridge {
  id: string;
  name: string;
  poolId: string;
  trackOpens: boolean;
  trackClicks: boolean;
  /** Base URL of the tracking endpoints for this Bridge (custom tracking domain); null: the platform's. */
  trackingBaseUrl: string | null;
  smtpUsername: string;
  smtpStatus: CredentialStatus;
  apiStatus: CredentialStatus;
  deletedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A Bridge's secrets in the clear, for showing and downloading. */
export interface BridgeSecrets {
  smtpPassword: string;
  apiKey: string;
}

/** A Bridge together with its secrets. */
export interface BridgeWithSecrets extends Bridge {
  secrets: BridgeSecrets;
}

/** Which of a Bridge's two credentials. */
export type Transport = 'smtp' | 'api';

/** What a successful authentication yields: enough to accept a message. */
export interface AuthenticatedBridge {
  id: string;
  poolId: string;
  name: string;
  /** Generation of the credential used; a rotation bumps it, so older sessions stop working. */
  generation: number;
}

/** The credential state of a Bridge, checked on every use of a cached authentication. */
export interface BridgeAuthState {
  id: string;
  deleted: boolean;
  smtp: { revoked: boolean; generation: number };
  api: { revoked: boolean; generation: number };
}

/** A sending domain with its DKIM key (the private half never leaves the store unsealed except to sign). */
export interface SendingDomain {
  id: string;
  /** Lower-case domain name. */
  domain: string;
  selector: string;
  /** Public key, SPKI PEM. */
  publicKey: string;
  createdAt: Date;
}

/** One entry of the audit log: who changed what, never a secret. */
export interface AuditEntry {
  id: string;
  at: Date;
  /** Id of the admin token used (a hash prefix, not the token). */
  actor: string;
  action: string;
  targetType: 'pool' | 'bridge' | 'domain' | 'settings';
  targetId: string;
  details: Record<string, unknown>;
}
