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
}

/** Per-transport credential state of a Bridge. */
export type CredentialStatus = 'active' | 'revoked';

/** One application's connection object, without its secrets. */
export interface Bridge {
  id: string;
  name: string;
  poolId: string;
  trackOpens: boolean;
  trackClicks: boolean;
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

/** What a successful authentication yields: enough to accept a message. */
export interface AuthenticatedBridge {
  id: string;
  poolId: string;
  name: string;
}
