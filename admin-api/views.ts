import { z } from 'zod';
import {
  BRIDGE_LIMIT_NAMES,
  bridgeLimitsSchema,
  type AuditEntry,
  type Bridge,
  type BridgeWithSecrets,
  type Pool,
} from '../core/index.js';

/** Where apps reach this platform; shown in each Bridge's credentials. */
export interface PublicEndpoints {
  host: string;
  smtpPort: number;
  smtpsPort: number;
  apiUrl: string;
  /** The analysts' SQL endpoint's port, while this process serves it. */
  sqlPort?: number | undefined;
}

/** JSON shape of a Pool. */
export const poolViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['shared', 'dedicated']).describe('`shared`: any account binds to it; `dedicated`: one account only'),
  accountId: z.string().nullable().describe('The account of a dedicated Pool; null when shared'),
  ips: z.array(z.string()),
  weights: z.record(z.string(), z.number()),
  createdAt: z.string(),
});

/** JSON shape of a Bridge; `smtp.password` and `apiKey` only where credentials are shown, never once deleted. */
export const bridgeViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  accountId: z.string().describe('The account it belongs to'),
  poolId: z.string(),
  trackOpens: z.boolean(),
  trackClicks: z.boolean(),
  trackingBaseUrl: z.string().nullable(),
  listUnsubscribe: z.boolean().describe('One-click List-Unsubscribe (RFC 8058) on each copy'),
  mode: z
    .enum(['live', 'sandbox'])
    .describe('`sandbox`: messages are accepted, tracked and signed, then settled without any MX connection'),
  limits: bridgeLimitsSchema.nullable().describe('Sending limits enforced at ingress (REST 429, SMTP 452); null: none'),
  status: z.enum(['active', 'deleted']),
  smtpStatus: z.enum(['active', 'revoked', 'deleted']),
  apiStatus: z.enum(['active', 'revoked', 'deleted']),
  smtp: z.object({
    host: z.string(),
    port: z.number().describe('STARTTLS submission port'),
    securePort: z.number().describe('Implicit TLS submission port'),
    encryption: z.object({ port: z.literal('STARTTLS'), securePort: z.literal('TLS') }),
    username: z.string(),
    password: z.string().optional(),
  }),
  apiKey: z.string().optional(),
  sendEndpoint: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  deletedAt: z.string().nullable(),
});

/** JSON shape of `GET /admin/v1/bridges/:id/usage`. */
export const bridgeUsageViewSchema = z.object({
  limits: bridgeLimitsSchema.nullable(),
  windows: z
    .array(
      z.object({
        limit: z.enum(BRIDGE_LIMIT_NAMES),
        max: z.number().describe('The limit'),
        used: z.number().describe('Messages accepted in the current window'),
        resetsAt: z.string().describe('When the current window ends (ISO 8601)'),
      }),
    )
    .describe('One entry per limit set, shortest window first'),
  rateLimited: z.object({
    total: z.number().describe('Messages refused for a limit, all time'),
    today: z.number().describe('Refused today (UTC)'),
    byLimit: z.partialRecord(z.enum(BRIDGE_LIMIT_NAMES), z.number()).describe('All-time refusals per limit'),
  }),
});

/** JSON shape of an audit entry. */
export const auditViewSchema = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.string().describe('Id of the admin token used: a hash prefix of the operator token, or an account token id'),
  action: z.string(),
  targetType: z.enum(['pool', 'bridge', 'domain', 'settings', 'template', 'analyst', 'account']),
  targetId: z.string(),
  targetName: z
    .string()
    .nullable()
    .describe(
      "What the target is called: a Bridge's, Pool's, account's, template's or analyst's name, a DKIM domain's domain; null: a setting, or an object the store no longer has",
    ),
  details: z.record(z.string(), z.unknown()),
  names: z
    .record(z.string(), z.string())
    .describe(
      "Id → name of every object the entry mentions (target, actor's account token, ids among the details: Bridges, Pools, accounts, account tokens, templates, analysts, domains, webhooks by their URL's host); objects the store no longer has are left out",
    ),
});

/** Renders a Pool. */
export function poolView(pool: Pool): z.infer<typeof poolViewSchema> {
  return {
    id: pool.id,
    name: pool.name,
    kind: pool.kind,
    accountId: pool.accountId,
    ips: pool.ips.map((i) => i.ip),
    weights: Object.fromEntries(pool.ips.map((i) => [i.ip, i.weight])),
    createdAt: pool.createdAt.toISOString(),
  };
}

/** Renders a Bridge; credentials included when its secrets are given and it is not deleted. */
export function bridgeView(
  bridge: Bridge | BridgeWithSecrets,
  endpoints: PublicEndpoints,
): z.infer<typeof bridgeViewSchema> {
  const secrets = 'secrets' in bridge && !bridge.deletedAt ? bridge.secrets : undefined;
  return {
    id: bridge.id,
    name: bridge.name,
    accountId: bridge.accountId,
    poolId: bridge.poolId,
    trackOpens: bridge.trackOpens,
    trackClicks: bridge.trackClicks,
    trackingBaseUrl: bridge.trackingBaseUrl,
    listUnsubscribe: bridge.listUnsubscribe,
    mode: bridge.mode,
    limits: bridge.limits,
    status: bridge.deletedAt ? 'deleted' : 'active',
    smtpStatus: bridge.smtpStatus,
    apiStatus: bridge.apiStatus,
    smtp: {
      host: endpoints.host,
      port: endpoints.smtpPort,
      securePort: endpoints.smtpsPort,
      encryption: { port: 'STARTTLS', securePort: 'TLS' },
      username: bridge.smtpUsername,
      ...(secrets ? { password: secrets.smtpPassword } : {}),
    },
    ...(secrets ? { apiKey: secrets.apiKey } : {}),
    sendEndpoint: `${endpoints.apiUrl}/v1/send`,
    createdAt: bridge.createdAt.toISOString(),
    updatedAt: bridge.updatedAt.toISOString(),
    deletedAt: bridge.deletedAt ? bridge.deletedAt.toISOString() : null,
  };
}

/** What an object's id looks like (`br_…`, `acc_default`); other strings are not looked up. */
const ID_SHAPE = /^[a-z]{2,4}_[0-9a-z]{1,40}$/;

/** Every string an audit entry holds that may be an object's id: target, actor and detail values. */
export function auditIds(entry: AuditEntry): string[] {
  const ids = [entry.targetId, entry.actor];
  const walk = (v: unknown): void => {
    if (typeof v === 'string' && ID_SHAPE.test(v)) ids.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(entry.details);
  return ids;
}

/** Renders an audit entry; `names` (from `Store.namesOf`) gives the names of the objects it mentions. */
export function auditView(entry: AuditEntry, names: Record<string, string> = {}): z.infer<typeof auditViewSchema> {
  const mentioned = Object.fromEntries(auditIds(entry).flatMap((id) => (names[id] ? [[id, names[id]]] : [])));
  return { ...entry, at: entry.at.toISOString(), targetName: names[entry.targetId] ?? null, names: mentioned };
}
