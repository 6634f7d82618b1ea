/** A JSON error from the admin API: `{ "error": { "code", "message", "field"? } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
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
  csrfToken: string | null;
  expiresAt: string | null;
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  const body: unknown = text ? JSON.parse(text) : {};
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string; field?: string } }).error ?? {};
    if (res.status === 401) onUnauthenticated();
    throw new ApiError(res.status, err.code ?? 'HTTP_' + res.status, err.message ?? res.statusText, err.field);
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

export interface Pool {
  id: string;
  name: string;
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

export interface Totals {
  sent: number;
  delivered: number;
  deferred: number;
  bounced: number;
  complaints: number;
  opens: number;
  uniqueOpens: number;
  clicks: number;
  uniqueClicks: number;
}

export interface Rates {
  deliveryRate: number;
  bounceRate: number;
  complaintRate: number;
  openRate: number;
  clickRate: number;
}

export type Stats = Totals & { rates: Rates };

export interface SeriesPoint {
  t: string;
  sent: number;
  delivered: number;
  bounced: number;
  complaints: number;
  opens: number;
  clicks: number;
}

export interface Sample {
  language: 'curl' | 'php' | 'node' | 'python' | 'bash';
  variant: 'json' | 'attachment';
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

export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
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

/** `0.0123` → `1.2%`. */
export function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate > 0 && rate < 0.001 ? 2 : 1)}%`;
}

/** ISO time of `hours` ago. */
export function hoursAgo(hours: number): string {
  return new Date(Date.now() - hours * 3600_000).toISOString();
}
