import { z } from 'zod';
import { AppError, bridgeLimitsSchema, validate, type Account, type AccountToken } from '../../core/index.js';
import { jsonBody, recordChange, type AdminAppDeps, type AdminRoute } from '../admin-route.js';

const name = z.string().trim().min(1).max(100);
const accountLimits = bridgeLimitsSchema
  .nullable()
  .describe(
    "Sending limits over all of the account's Bridges together (REST 429, SMTP 452 `BRIDGE_RATE_LIMITED`); " +
      "each Bridge's own limits apply too; null: none",
  );
const createAccountSchema = z
  .object({
    name,
    dedicatedIps: z
      .boolean()
      .default(false)
      .describe('The plan includes dedicated IPs: its Bridges may sit on Pools dedicated to it'),
    limits: accountLimits.optional(),
  })
  .strict();
const updateAccountSchema = z
  .object({ name: name.optional(), dedicatedIps: z.boolean().optional(), limits: accountLimits.optional() })
  .strict();
const rebindSchema = z
  .object({
    from: z.string().min(1).max(100).describe('The Pool its Bridges are on now'),
    to: z
      .string()
      .min(1)
      .max(100)
      .describe('The Pool to move them to: shared, or dedicated to the account on its plan'),
  })
  .strict();
const createTokenSchema = z.object({ name: name.describe('What the token is for, e.g. "ci" or "console"') }).strict();

const accountSchema = z.object({
  id: z.string(),
  name: z.string(),
  dedicatedIps: z.boolean(),
  limits: bridgeLimitsSchema.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const tokenSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  name: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable().describe('When the token last authenticated a call; null: never'),
  revokedAt: z.string().nullable(),
});
const createdTokenSchema = tokenSchema.extend({
  token: z.string().describe('The bearer token (bma_…); shown this once, stored as its SHA-256 only'),
});

const accountView = (a: Account) => ({
  ...a,
  createdAt: a.createdAt.toISOString(),
  updatedAt: a.updatedAt.toISOString(),
});
const tokenView = (t: AccountToken) => ({
  ...t,
  createdAt: t.createdAt.toISOString(),
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
  revokedAt: t.revokedAt?.toISOString() ?? null,
});

/** Accounts (the operator's customers) and their admin tokens. */
export function accountRoutes(deps: AdminAppDeps): AdminRoute[] {
  const base = { tag: 'accounts', auth: 'admin' as const, access: 'operator' as const };
  const auth = ['INVALID_CREDENTIALS', 'UNAUTHENTICATED'] as const;
  const one = { 200: { description: 'The account', schema: accountSchema } };
  const audit = (actor: string, action: string, targetId: string, details: Record<string, unknown>) =>
    recordChange(deps, actor, { action, targetType: 'account', targetId, details }, null);
  return [
    {
      ...base,
      method: 'post',
      path: '/admin/v1/accounts',
      operationId: 'createAccount',
      summary: 'Create an account: a customer whose Bridges, templates, suppressions, webhooks and domains are its own',
      body: { schema: createAccountSchema },
      responses: { 201: { description: 'Created', schema: accountSchema } },
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'ACCOUNT_NAME_TAKEN', ...auth],
      handler: async (ctx) => {
        const account = await deps.store.createAccount(validate(createAccountSchema, await jsonBody(ctx)));
        await audit(ctx.state.actor, 'account.create', account.id, {
          name: account.name,
          dedicatedIps: account.dedicatedIps,
          limits: account.limits,
        });
        ctx.status = 201;
        ctx.body = accountView(account);
      },
    },
    {
      ...base,
      access: 'account',
      method: 'get',
      path: '/admin/v1/accounts',
      operationId: 'listAccounts',
      summary: 'List accounts (to an account token: its own)',
      responses: { 200: { description: 'The accounts', schema: z.object({ data: z.array(accountSchema) }) } },
      errors: [...auth],
      handler: async (ctx) => {
        ctx.body = { data: (await ctx.state.store.listAccounts()).map(accountView) };
      },
    },
    {
      ...base,
      access: 'account',
      method: 'get',
      path: '/admin/v1/accounts/:id',
      operationId: 'getAccount',
      summary: 'Read one account',
      responses: one,
      errors: ['NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const account = await ctx.state.store.getAccount(ctx.params.id ?? '');
        if (!account) throw new AppError('NOT_FOUND', 'no such account');
        ctx.body = accountView(account);
      },
    },
    {
      ...base,
      method: 'patch',
      path: '/admin/v1/accounts/:id',
      operationId: 'updateAccount',
      summary: 'Rename an account, change its plan or its sending limits (from the next message on)',
      description:
        'Turning `dedicatedIps` off moves nothing: Bridges already on a dedicated Pool stay until ' +
        '`POST /admin/v1/accounts/:id/rebind` moves them; new ones can then bind to shared Pools only.',
      body: { schema: updateAccountSchema },
      responses: one,
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'NOT_FOUND', 'ACCOUNT_NAME_TAKEN', ...auth],
      handler: async (ctx) => {
        const patch = validate(updateAccountSchema, await jsonBody(ctx));
        const account = await deps.store.updateAccount(ctx.params.id ?? '', patch);
        await audit(ctx.state.actor, 'account.update', account.id, patch);
        // The limits travel with each Bridge's cached credential state: drop those of the account's Bridges.
        if (patch.limits !== undefined)
          for (const b of await deps.store.listBridges({ accountId: account.id }))
            await deps.announce({ type: 'bridge-changed', bridgeId: b.id });
        ctx.body = accountView(account);
      },
    },
    {
      ...base,
      method: 'delete',
      path: '/admin/v1/accounts/:id',
      operationId: 'deleteAccount',
      summary: 'Delete an account that owns no Bridge (deleted ones count), template, domain or Pool',
      responses: one,
      errors: ['NOT_FOUND', 'ACCOUNT_IN_USE', ...auth],
      handler: async (ctx) => {
        const account = await deps.store.deleteAccount(ctx.params.id ?? '');
        await audit(ctx.state.actor, 'account.delete', account.id, { name: account.name });
        ctx.body = accountView(account);
      },
    },
    {
      ...base,
      method: 'post',
      path: '/admin/v1/accounts/:id/rebind',
      operationId: 'rebindAccount',
      summary: "Move every live Bridge of an account from one Pool to another (a plan's upgrade or downgrade)",
      description:
        'One transaction: the Bridges keep their ids, names, SMTP credentials and API keys. Every process is told ' +
        'before the answer: mail accepted before it leaves from the old Pool, mail accepted after from the new one. ' +
        'The one way a Bridge changes Pool (`PATCH` refuses `poolId`); recorded in the audit log.',
      body: { schema: rebindSchema },
      responses: {
        200: {
          description: 'What moved',
          schema: rebindSchema.extend({ accountId: z.string(), bridgeIds: z.array(z.string()) }),
        },
      },
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'ACCOUNT_NOT_FOUND', 'POOL_NOT_FOUND', 'POOL_NOT_ALLOWED', ...auth],
      handler: async (ctx) => {
        const { from, to } = validate(rebindSchema, await jsonBody(ctx));
        const moved = await deps.store.rebindAccount(ctx.params.id ?? '', from, to);
        // Cached credentials carry the Pool: each moved Bridge's entries are dropped in every process.
        for (const bridgeId of moved.bridgeIds) await deps.announce({ type: 'bridge-changed', bridgeId });
        await audit(ctx.state.actor, 'account.rebind', moved.accountId, { from, to, bridgeIds: moved.bridgeIds });
        deps.logger.info({ accountId: moved.accountId, from, to, bridgeIds: moved.bridgeIds }, 'account rebound');
        ctx.body = moved;
      },
    },
    {
      ...base,
      method: 'post',
      path: '/admin/v1/accounts/:id/tokens',
      operationId: 'createAccountToken',
      summary: "Create an account token: the admin API and console narrowed to the account's objects",
      description:
        "With it, another account's objects answer 404 and lists hold the account's objects only; routes " +
        'for the operator (Pools changes, accounts, audit, queues, analysts, shaping, auth blocks) answer 404.',
      body: { schema: createTokenSchema },
      responses: { 201: { description: 'Created, with the token shown this once', schema: createdTokenSchema } },
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const { name } = validate(createTokenSchema, await jsonBody(ctx));
        const { token, secret } = await deps.store.createAccountToken(ctx.params.id ?? '', name);
        await audit(ctx.state.actor, 'account.token.create', token.accountId, { tokenId: token.id, name });
        ctx.status = 201;
        ctx.body = { ...tokenView(token), token: secret };
      },
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/accounts/:id/tokens',
      operationId: 'listAccountTokens',
      summary: "An account's tokens (never their secrets), with when each was last used",
      responses: { 200: { description: 'The tokens', schema: z.object({ data: z.array(tokenSchema) }) } },
      errors: ['NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const id = ctx.params.id ?? '';
        if (!(await deps.store.getAccount(id))) throw new AppError('NOT_FOUND', 'no such account');
        ctx.body = { data: (await deps.store.listAccountTokens(id)).map(tokenView) };
      },
    },
    {
      ...base,
      method: 'delete',
      path: '/admin/v1/accounts/:id/tokens/:tid',
      operationId: 'revokeAccountToken',
      summary: 'Revoke an account token: it fails from the next call on',
      responses: { 200: { description: 'The revoked token', schema: tokenSchema } },
      errors: ['NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const token = await deps.store.revokeAccountToken(ctx.params.id ?? '', ctx.params.tid ?? '');
        await audit(ctx.state.actor, 'account.token.revoke', token.accountId, { tokenId: token.id });
        ctx.body = tokenView(token);
      },
    },
  ];
}
