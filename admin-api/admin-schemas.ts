import { isIP } from 'node:net';
import { z } from 'zod';
import { bridgeLimitsSchema, LONE_SURROGATE } from '../core/index.js';

const name = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\r\n\0]*$/, 'names may not contain CR, LF or NUL')
  .refine((s) => !LONE_SURROGATE.test(s), 'names must be valid Unicode (no lone surrogates)');
const ip = z.string().refine((v) => isIP(v) !== 0, 'not an IPv4 or IPv6 address');
const weight = z
  .number()
  .min(0)
  .max(1000)
  .refine((w) => w === 0 || w >= 0.001, 'a weight is 0 or at least 0.001')
  .describe("Share of the Pool's traffic relative to its other IPs (warm-up); 0 takes the IP out of rotation");

/** Body of `POST /admin/v1/pools`. */
export const createPoolSchema = z
  .object({
    name,
    ips: z
      .array(
        z.union([ip.transform((v) => ({ ip: v, weight: 1 })), z.object({ ip, weight: weight.default(1) }).strict()]),
      )
      .min(1, 'a pool needs at least one IP')
      .max(256)
      .refine((ips) => new Set(ips.map((i) => i.ip)).size === ips.length, 'IPs must be unique'),
    kind: z
      .enum(['shared', 'dedicated'])
      .default('shared')
      .describe(
        '`shared`: any account may bind Bridges to it; `dedicated`: only `accountId`, on a plan with dedicated IPs',
      ),
    accountId: z.string().min(1).max(100).optional().describe('The account of a dedicated Pool'),
  })
  .strict();

/** Body of `PATCH /admin/v1/pools/:id`. */
export const updatePoolSchema = z.object({ name }).strict();

/** Body of `POST /admin/v1/pools/:id/ips`. */
export const addPoolIpSchema = z.object({ ip, weight: weight.default(1) }).strict();

/** Body of `PATCH /admin/v1/pools/:id/ips/:ip`. */
export const updatePoolIpSchema = z.object({ weight }).strict();

const listUnsubscribe = z
  .boolean()
  .describe(
    "One-click unsubscribe: each recipient's copy gets `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058), " +
      "DKIM-signed; a sender's own `List-Unsubscribe` is kept and ours not added",
  );

/** A Bridge's mode: `sandbox` settles every recipient without any MX connection (`sandbox: true` events). */
const bridgeMode = z
  .enum(['live', 'sandbox'])
  .describe(
    '`live` (default) or `sandbox`: accepted, rendered, tracked and signed, then settled as delivered without ' +
      'any MX connection; events carry `sandbox: true` and stay out of live stats',
  );

/** Body of `POST /admin/v1/bridges`. */
export const createBridgeSchema = z
  .object({
    name,
    poolId: z.string().min(1).max(100),
    trackOpens: z.boolean().default(false),
    trackClicks: z.boolean().default(false),
    listUnsubscribe: listUnsubscribe.default(false),
    mode: bridgeMode.default('live'),
    limits: bridgeLimitsSchema.nullable().optional(),
    accountId: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe("Operator token: the account it belongs to (default: the default account); an account token's own"),
  })
  .strict();

const trackingBaseUrl = z
  .string()
  .max(200)
  .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'an http(s) URL without query or fragment')
  .nullable()
  .describe(
    "Base URL of this Bridge's tracking endpoints (a custom tracking domain proxied to the send port); null for the platform's",
  );

/** Body of `PATCH /admin/v1/bridges/:id`; the Pool binding cannot change. */
export const updateBridgeSchema = z
  .object({
    name: name.optional(),
    trackOpens: z.boolean().optional(),
    trackClicks: z.boolean().optional(),
    listUnsubscribe: listUnsubscribe.optional(),
    trackingBaseUrl: trackingBaseUrl.optional(),
    mode: bridgeMode.optional(),
    limits: bridgeLimitsSchema.nullable().optional(),
  })
  .strict();

/** Query of `GET /admin/v1/bridges`. */
export const listBridgesQuerySchema = z
  .object({
    include: z.literal('deleted').optional().describe('`deleted` lists deleted Bridges too, marked `status: deleted`'),
  })
  .strict();

/** Body of `POST /admin/v1/bridges/:id/rotate`. */
export const rotateSchema = z.object({ what: z.enum(['smtp', 'api', 'both']) }).strict();

/** Body of `POST /admin/v1/bridges/:id/revoke`. */
export const revokeSchema = z.object({ what: z.enum(['smtp', 'api']) }).strict();

/** Query of `GET /admin/v1/audit`. */
export const auditQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    before: z.string().max(100).optional().describe('Id of the last entry of the previous page'),
    targetId: z.string().max(100).optional(),
  })
  .strict();
