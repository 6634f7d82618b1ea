import type { BridgeLimits } from './bridge-limiter.js';

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
  /** `shared`: any account may bind Bridges to it; `dedicated`: only {@link Pool.accountId}'s. */
  kind: PoolKind;
  /** The account a dedicated Pool belongs to; null for a shared one. */
  accountId: string | null;
  ips: PoolIp[];
  /**
   * The hash tag of the Pool's queue keys on a Redis Cluster, chosen when the Pool was created there
   * so that queues spread over the primaries (`core/pool-queue-placement`); null: `pool-<id>` (a
   * Pool created on one server, or before tags were chosen).
   */
  queueTag: string | null;
  createdAt: Date;
  deletedAt: Date | null;
}

/** Whose Bridges a Pool takes: any account's (`shared`, operator-owned) or one account's (`dedicated`). */
export type PoolKind = 'shared' | 'dedicated';

/** Whether a Bridge's mail leaves (`live`) or is settled without any MX connection (`sandbox`). */
export type BridgeMode = 'live' | 'sandbox';

/** Per-transport credential state of a Bridge; `deleted` once the Bridge is (whatever it was before). */
export type CredentialStatus = 'active' | 'revoked' | 'deleted';

/** One application's connection object, without its secrets. */
export interface Bridge {
  id: string;
  name: string;
  /** The account it belongs to. */
  accountId: string;
  poolId: string;
  trackOpens: boolean;
  trackClicks: boolean;
  /** Base URL of the tracking endpoints for this Bridge (custom tracking domain); null: the platform's. */
  trackingBaseUrl: string | null;
  /** Each recipient's copy carries a one-click List-Unsubscribe header (RFC 8058); the sender's own wins. */
  listUnsubscribe: boolean;
  /** `sandbox`: messages are accepted, rendered, tracked and signed, but settled without any MX connection. */
  mode: BridgeMode;
  /** Sending limits enforced at ingress; null: none. */
  limits: BridgeLimits | null;
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
  /** The account it belongs to: its templates and DKIM domains are the ones it uses. */
  accountId: string;
  poolId: string;
  name: string;
  /** Generation of the credential used; a rotation bumps it, so older sessions stop working. */
  generation: number;
  /** The Bridge's mode when authenticated (or re-checked): a sandbox Bridge's messages are marked at acceptance. */
  mode?: BridgeMode;
}

/** The credential state of a Bridge, checked on every use of a cached authentication. */
export interface BridgeAuthState {
  id: string;
  /** The Pool it is bound to now (a rebind moves it): where the next message it sends is queued. */
  poolId: string;
  deleted: boolean;
  mode: BridgeMode;
  /** The Bridge's sending limits (null: none), cached with the state, so ingress checks them for free. */
  limits: BridgeLimits | null;
  /** Its account, and the account's limits over all of its Bridges (null: none), cached the same way. */
  accountId: string;
  accountLimits: BridgeLimits | null;
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
  /** The account it belongs to. */
  accountId: string;
  createdAt: Date;
}

/** One entry of the audit log: who changed what, never a secret. */
export interface AuditEntry {
  id: string;
  at: Date;
  /** Id of the admin token used (a hash prefix, not the token). */
  actor: string;
  action: string;
  targetType: 'pool' | 'bridge' | 'domain' | 'settings' | 'template' | 'analyst' | 'account';
  targetId: string;
  details: Record<string, unknown>;
}
