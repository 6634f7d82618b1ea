/** A JSON error from the admin API: `{ "error": { "code", "message", "field"? } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** Where in `field` the error is, 1-based (a template that does not compile). */
    readonly position?: { line: number; column: number },
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let onUnauthenticated: () => void = () => {};

/** Called when a request comes back 401 (session ended): the app shows the login page. */
export function whenUnauthenticated(fn: () => void): void {
  onUnauthenticated = fn;
}

/** Session state as the server sees it. */
export interface Session {
  authenticated: boolean;
  /** The account of a session opened with an account token; null: the operator. */
  account: { id: string; name: string } | null;
  csrfToken: string | null;
  expiresAt: string | null;
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  const body: unknown = text ? JSON.parse(text) : {};
  if (!res.ok) {
    const err =
      (body as { error?: { code?: string; message?: string; field?: string; line?: number; column?: number } }).error ??
      {};
    if (res.status === 401) onUnauthenticated();
    const position =
      err.line !== undefined && err.column !== undefined ? { line: err.line, column: err.column } : undefined;
    throw new ApiError(
      res.status,
      err.code ?? 'HTTP_' + res.status,
      err.message ?? res.statusText,
      err.field,
      position,
    );
  }
  return body as T;
}

/** Calls the admin API with the session cookie; changes carry the CSRF token. */
export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let payload: string | undefined;
  if (body !== undefined) {
    headers['content-type'] = contentType;
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  return parse<T>(res);
}

/** Reads the current session (and keeps its CSRF token for later changes). */
export async function readSession(): Promise<Session> {
  const s = await parse<Session>(await fetch('/console/api/session', { credentials: 'same-origin' }));
  csrfToken = s.csrfToken;
  return s;
}

/** Logs in with the admin token. */
export async function login(token: string): Promise<Session> {
  const s = await parse<Session>(
    await fetch('/console/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
      credentials: 'same-origin',
    }),
  );
  csrfToken = s.csrfToken;
  return s;
}

/** Ends the session. */
export async function logout(): Promise<void> {
  await fetch('/console/api/logout', { method: 'POST', credentials: 'same-origin' });
  csrfToken = null;
}

export interface Account {
  id: string;
  name: string;
  dedicatedIps: boolean;
  createdAt: string;
}

export interface AccountToken {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface Pool {
  id: string;
  name: string;
  kind: 'shared' | 'dedicated';
  accountId: string | null;
  ips: string[];
  weights: Record<string, number>;
  createdAt: string;
}

export interface Bridge {
  id: string;
  name: string;
  poolId: string;
  trackOpens: boolean;
  trackClicks: boolean;
  trackingBaseUrl: string | null;
  /** One-click List-Unsubscribe (RFC 8058) on each recipient's copy. */
  listUnsubscribe: boolean;
  /** `sandbox`: accepted, tracked and signed, never sent; its events are counted apart. */
  mode: 'live' | 'sandbox';
  /** Sending limits enforced at ingress; null: none. */
  limits: Partial<Record<BridgeLimitName, number>> | null;
  status: 'active' | 'deleted';
  smtpStatus: 'active' | 'revoked' | 'deleted';
  apiStatus: 'active' | 'revoked' | 'deleted';
  smtp: {
    host: string;
    port: number;
    securePort: number;
    encryption: { port: string; securePort: string };
    username: string;
    password?: string;
  };
  apiKey?: string;
  sendEndpoint: string;
  createdAt: string;
  deletedAt: string | null;
}

/** A Bridge sending limit's window. */
export type BridgeLimitName = 'perSecond' | 'perMinute' | 'perHour' | 'perDay';

/** `GET /admin/v1/bridges/:id/usage`. */
export interface BridgeUsage {
  limits: Partial<Record<BridgeLimitName, number>> | null;
  windows: { limit: BridgeLimitName; max: number; used: number; resetsAt: string }[];
  rateLimited: { total: number; today: number; byLimit: Partial<Record<BridgeLimitName, number>> };
}

export interface Totals {
  sent: number;
  delivered: number;
  deferred: number;
  bounced: number;
  complaints: number;
  /** Recipients who unsubscribed (List-Unsubscribe: one-click or mailto). */
  unsubscribes: number;
  opens: number;
  uniqueOpens: number;
  clicks: number;
  uniqueClicks: number;
}

export interface Rates {
  deliveryRate: number;
  bounceRate: number;
  complaintRate: number;
  unsubscribeRate: number;
  openRate: number;
  clickRate: number;
}

export type Stats = Totals & { rates: Rates };

/** One Bridge's stats: {@link Stats} and its deferred messages (not attempts). */
export type BridgeStats = Stats & {
  /** Messages (per recipient) deferred at least once in the range. */
  deferredMessages: number;
  /** Of those, the ones without a delivery or bounce yet. */
  awaitingRetry: number;
};

export interface SeriesPoint {
  t: string;
  sent: number;
  delivered: number;
  bounced: number;
  complaints: number;
  unsubscribes: number;
  opens: number;
  uniqueOpens: number;
  clicks: number;
  uniqueClicks: number;
}

export interface Sample {
  transport: 'rest' | 'smtp';
  language: 'curl' | 'php' | 'node' | 'python' | 'bash' | 'phpmailer' | 'nodemailer' | 'smtplib' | 'swaks';
  /** REST: `json` or `attachment`; SMTP: `starttls` (587) or `tls` (implicit TLS, 465). */
  variant: 'json' | 'attachment' | 'starttls' | 'tls';
  title: string;
  filename: string;
  code: string;
}

/** A kind of event, as `GET /admin/v1/event-types` lists them (lifecycle order). */
export interface EventKind {
  type: string;
  meaning: string;
  /** Fields an event of this kind may carry. */
  fields: string[];
}

export interface Webhook {
  id: string;
  url: string;
  eventTypes: string[];
  active: boolean;
  createdAt: string;
}

export interface Suppression {
  id: string;
  bridgeId: string | null;
  address: string;
  reason: string;
  createdAt: string;
}

export interface Template {
  id: string;
  name: string;
  alias: string;
  subject: string;
  html: string | null;
  text: string | null;
  bridgeId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An analyst credential of the read-only SQL endpoint (never its secret, which is shown once). */
export interface Analyst {
  id: string;
  name: string;
  createdAt: string;
}

/** `GET /admin/v1/analysts`: the credentials, and where the endpoint listens (null: off). */
export interface AnalystList {
  data: Analyst[];
  endpoint: { host: string; port: number } | null;
}

/** A template rendered with a model (`POST /admin/v1/templates/:id/render`). */
export interface RenderedTemplate {
  subject: string;
  html: string | null;
  text: string | null;
  missing: string[];
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  /** The target's name; null for a setting or an object the store no longer has. */
  targetName: string | null;
  details: Record<string, unknown>;
  /** Id → name of every object the entry mentions that the store still has. */
  names: Record<string, string>;
}

export interface QueueView {
  name: string;
  kind: 'pool' | 'inbound' | 'webhooks';
  poolId: string | null;
  counts: Record<string, number>;
}

/** A Bridge's status as operators read it. */
export function bridgeStatus(b: Bridge): 'active' | 'revoked' | 'deleted' {
  if (b.status === 'deleted') return 'deleted';
  return b.smtpStatus === 'revoked' || b.apiStatus === 'revoked' ? 'revoked' : 'active';
}

/** The status badge's text: a revocation names the credential it stopped. */
export function statusText(b: Bridge): string {
  const status = bridgeStatus(b);
  if (status !== 'revoked') return status;
  if (b.smtpStatus === 'revoked' && b.apiStatus === 'revoked') return 'SMTP and API key revoked';
  return b.smtpStatus === 'revoked' ? 'SMTP revoked' : 'API key revoked';
}

/** What a number reads when there is none: no denominator, tracking off, or stats unavailable. */
export const NONE = '—';

/** `0.0123` → `1.2%`. */
export function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate > 0 && rate < 0.001 ? 2 : 1)}%`;
}

/** `n / d` as a percentage; {@link NONE} when `d` is 0 (no rate of nothing). */
export function ratio(n: number, d: number): string {
  return d === 0 ? NONE : percent(n / d);
}

/**
 * The console's one time zone is UTC: the stats API buckets by UTC hour and day, so chart labels,
 * the audit log and every other time read alike whatever the browser's zone. `2024-03-10 14:05 UTC`.
 */
export function utc(iso: string, precision: 'minute' | 'second' = 'minute'): string {
  const s = new Date(iso).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, precision === 'second' ? 19 : 16)} UTC`;
}

/**
 * The stats' definitions, one per label wherever it appears (tiles, chart, table, Compare):
 * opens and clicks are unique, i.e. messages (per recipient) opened or clicked by a person.
 */
export const STAT_LABELS = {
  sent: 'Sent',
  delivered: 'Delivered',
  bounced: 'Bounced',
  complaints: 'Complaints',
  unsubscribes: 'Unsubscribes',
  uniqueOpens: 'Unique opens',
  uniqueClicks: 'Unique clicks',
} as const;

/** Rates and their denominators, said once and shown under the tiles and the Compare table. */
export const RATE_DEFINITIONS =
  'Delivery and bounce rates are over sent; complaint, unsubscribe, open and click rates over delivered. Unique opens and clicks count messages (per recipient) a person opened or clicked, machine opens and link scanners left out. — means no denominator, tracking off, or no data.';

/** ISO time of `hours` ago. */
export function hoursAgo(hours: number): string {
  return new Date(Date.now() - hours * 3600_000).toISOString();
}
