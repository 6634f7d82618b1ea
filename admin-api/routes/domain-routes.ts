import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { z } from 'zod';
import { AppError, validate, type SendingDomain } from '../../core/index.js';
import { jsonBody, recordChange, type AdminAppDeps, type AdminRoute } from '../admin-route.js';

const hostname = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/, 'not a domain name');

/** Body of `POST /admin/v1/domains`. */
export const createDomainSchema = z
  .object({
    domain: hostname,
    selector: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/i, 'letters, digits and -')
      .default('bm1'),
    privateKey: z
      .string()
      .max(16_384)
      .optional()
      .describe('PEM private key (RSA ≥ 1024 bits or Ed25519) to import; omitted: a 2048-bit RSA key is generated'),
  })
  .strict();

const domainViewSchema = z.object({
  id: z.string(),
  domain: z.string(),
  selector: z.string(),
  dnsRecord: z.object({
    name: z.string(),
    type: z.literal('TXT'),
    value: z.string().describe('Publish this; long values may be split into 255-byte strings'),
  }),
  createdAt: z.string(),
});

/** The DKIM TXT record of a domain's key (RFC 6376 §3.6.1; Ed25519 per RFC 8463 §4). */
export function dnsRecordOf(d: SendingDomain) {
  const key = createPublicKey(d.publicKey);
  const spki = key.export({ type: 'spki', format: 'der' });
  const ed25519 = key.asymmetricKeyType === 'ed25519';
  const p = (ed25519 ? spki.subarray(-32) : spki).toString('base64');
  return {
    name: `${d.selector}._domainkey.${d.domain}`,
    type: 'TXT' as const,
    value: `v=DKIM1; k=${ed25519 ? 'ed25519' : 'rsa'}; p=${p}`,
  };
}

const view = (d: SendingDomain) => ({
  id: d.id,
  domain: d.domain,
  selector: d.selector,
  dnsRecord: dnsRecordOf(d),
  createdAt: d.createdAt.toISOString(),
});

function privateKeyPem(given: string | undefined): string {
  if (given === undefined) {
    return generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
  }
  let key;
  try {
    key = createPrivateKey(given);
  } catch {
    throw new AppError('VALIDATION_FAILED', 'privateKey: not a PEM private key', { field: 'privateKey' });
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (!(key.asymmetricKeyType === 'ed25519' || (key.asymmetricKeyType === 'rsa' && bits >= 1024))) {
    throw new AppError('VALIDATION_FAILED', 'privateKey: RSA of at least 1024 bits or Ed25519', {
      field: 'privateKey',
    });
  }
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** DKIM sending domains: messages whose From domain has a key are signed after tracking rewrite. */
export function domainRoutes(deps: AdminAppDeps): AdminRoute[] {
  const base = { tag: 'domains', auth: 'admin' as const, access: 'account' as const };
  const auth = ['INVALID_CREDENTIALS', 'UNAUTHENTICATED'] as const;
  return [
    {
      ...base,
      method: 'post',
      path: '/admin/v1/domains',
      operationId: 'createDomain',
      summary:
        'Add a sending domain with a DKIM key (generated 2048-bit RSA, or imported); answers the DNS TXT record to publish',
      body: { schema: createDomainSchema },
      responses: { 201: { description: 'Created', schema: domainViewSchema } },
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'CONFLICT', ...auth],
      handler: async (ctx) => {
        const input = validate(createDomainSchema, await jsonBody(ctx));
        const domain = await ctx.state.store.createDomain({
          domain: input.domain,
          selector: input.selector,
          privateKeyPem: privateKeyPem(input.privateKey),
        });
        await recordChange(
          deps,
          ctx.state.actor,
          {
            action: 'domain.create',
            targetType: 'domain',
            targetId: domain.id,
            details: { domain: domain.domain, selector: domain.selector, imported: input.privateKey !== undefined },
          },
          { type: 'domain-changed', domain: domain.domain },
        );
        ctx.status = 201;
        ctx.body = view(domain);
      },
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/domains',
      operationId: 'listDomains',
      summary: 'List sending domains and their DNS records',
      responses: { 200: { description: 'The domains', schema: z.object({ data: z.array(domainViewSchema) }) } },
      errors: [...auth],
      handler: async (ctx) => {
        ctx.body = { data: (await ctx.state.store.listDomains()).map(view) };
      },
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/domains/:id',
      operationId: 'getDomain',
      summary: 'Read one sending domain',
      responses: { 200: { description: 'The domain', schema: domainViewSchema } },
      errors: ['NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const domain = await ctx.state.store.getDomain(ctx.params.id ?? '');
        if (!domain) throw new AppError('NOT_FOUND', 'no such domain');
        ctx.body = view(domain);
      },
    },
    {
      ...base,
      method: 'delete',
      path: '/admin/v1/domains/:id',
      operationId: 'deleteDomain',
      summary: 'Delete a sending domain: its mail is no longer signed',
      responses: { 200: { description: 'The deleted domain', schema: domainViewSchema } },
      errors: ['NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const domain = await ctx.state.store.deleteDomain(ctx.params.id ?? '');
        await recordChange(
          deps,
          ctx.state.actor,
          { action: 'domain.delete', targetType: 'domain', targetId: domain.id, details: { domain: domain.domain } },
          { type: 'domain-changed', domain: domain.domain },
        );
        ctx.body = view(domain);
      },
    },
  ];
}
