import { z } from 'zod';
import { AppError, IP_NOT_ON_HOST, sourceAddressWarnings, validate, type Pool } from '../../core/index.js';
import { addPoolIpSchema, createPoolSchema, updatePoolIpSchema, updatePoolSchema } from '../admin-schemas.js';
import { jsonBody, recordChange, type AdminAppDeps, type AdminRoute } from '../admin-route.js';
import { poolView, poolViewSchema } from '../views.js';

const one = { 200: { description: 'The Pool', schema: poolViewSchema } };

/**
 * A Pool after a change, with a warning per IP the host running the admin API cannot bind. Workers
 * may run elsewhere, so the change is made; each worker checks the IPs on its own host.
 */
const poolChangeSchema = poolViewSchema.extend({
  warnings: z
    .array(z.object({ code: z.literal(IP_NOT_ON_HOST), ip: z.string(), message: z.string() }))
    .describe('IPs of the Pool that are not addresses of the host running the admin API (empty when all are)'),
});
const changed = { 200: { description: 'The Pool, with warnings', schema: poolChangeSchema } };

/** The Pool's view and the warnings about its IPs. */
const withWarnings = async (pool: Pool) => ({
  ...poolView(pool),
  warnings: await sourceAddressWarnings(pool.ips.map((i) => i.ip)),
});

/** Pool management routes. */
export function poolRoutes(deps: AdminAppDeps): AdminRoute[] {
  const base = { tag: 'pools', auth: 'admin' as const, access: 'operator' as const };
  return [
    {
      ...base,
      method: 'post',
      path: '/admin/v1/pools',
      operationId: 'createPool',
      summary: "Create a Pool of sending IPs, shared (any account's Bridges) or dedicated to one account",
      body: { schema: createPoolSchema },
      responses: {
        201: { description: 'Created, with warnings about IPs this host does not have', schema: poolChangeSchema },
      },
      errors: [
        'VALIDATION_FAILED',
        'INVALID_JSON',
        'POOL_NAME_TAKEN',
        'IP_IN_USE',
        'ACCOUNT_NOT_FOUND',
        'INVALID_CREDENTIALS',
        'UNAUTHENTICATED',
      ],
      handler: async (ctx) => {
        const input = validate(createPoolSchema, await jsonBody(ctx));
        const pool = await deps.store.createPool({ ...input, chooseQueueTag: deps.choosePoolQueueTag });
        await recordChange(deps, ctx.state.actor, {
          action: 'pool.create',
          targetType: 'pool',
          targetId: pool.id,
          details: { name: pool.name, ips: pool.ips, kind: pool.kind, accountId: pool.accountId },
        });
        ctx.status = 201;
        ctx.body = await withWarnings(pool);
      },
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/pools',
      access: 'account',
      operationId: 'listPools',
      summary: 'List live Pools (to an account token: the shared ones and its own dedicated ones)',
      responses: { 200: { description: 'The Pools', schema: z.object({ data: z.array(poolViewSchema) }) } },
      errors: ['INVALID_CREDENTIALS', 'UNAUTHENTICATED'],
      handler: async (ctx) => {
        ctx.body = { data: (await ctx.state.store.listPools()).map(poolView) };
      },
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/pools/:id',
      access: 'account',
      operationId: 'getPool',
      summary: 'Read one Pool',
      responses: one,
      errors: ['NOT_FOUND', 'INVALID_CREDENTIALS', 'UNAUTHENTICATED'],
      handler: async (ctx) => {
        const pool = await ctx.state.store.getPool(ctx.params.id ?? '');
        if (!pool || pool.deletedAt) throw new AppError('NOT_FOUND', 'no such pool');
        ctx.body = poolView(pool);
      },
    },
    {
      ...base,
      method: 'patch',
      path: '/admin/v1/pools/:id',
      operationId: 'renamePool',
      summary: 'Rename a Pool',
      body: { schema: updatePoolSchema },
      responses: changed,
      errors: [
        'VALIDATION_FAILED',
        'INVALID_JSON',
        'NOT_FOUND',
        'POOL_NAME_TAKEN',
        'INVALID_CREDENTIALS',
        'UNAUTHENTICATED',
      ],
      handler: async (ctx) => {
        const { name } = validate(updatePoolSchema, await jsonBody(ctx));
        const pool = await deps.store.renamePool(ctx.params.id ?? '', name);
        await recordChange(deps, ctx.state.actor, {
          action: 'pool.rename',
          targetType: 'pool',
          targetId: pool.id,
          details: { name },
        });
        ctx.body = await withWarnings(pool);
      },
    },
    {
      ...base,
      method: 'delete',
      path: '/admin/v1/pools/:id',
      operationId: 'deletePool',
      summary: 'Delete a Pool no live Bridge is bound to; its IPs become free',
      responses: one,
      errors: ['NOT_FOUND', 'POOL_IN_USE', 'INVALID_CREDENTIALS', 'UNAUTHENTICATED'],
      handler: async (ctx) => {
        const pool = await deps.store.deletePool(ctx.params.id ?? '');
        await recordChange(deps, ctx.state.actor, {
          action: 'pool.delete',
          targetType: 'pool',
          targetId: pool.id,
          details: {},
        });
        ctx.body = poolView(pool);
      },
    },
    {
      ...base,
      method: 'post',
      path: '/admin/v1/pools/:id/ips',
      operationId: 'addPoolIp',
      summary: 'Add a sending IP to a Pool',
      body: { schema: addPoolIpSchema },
      responses: {
        201: {
          description: 'The Pool with the new IP, with warnings about IPs this host does not have',
          schema: poolChangeSchema,
        },
      },
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'NOT_FOUND', 'IP_IN_USE', 'INVALID_CREDENTIALS', 'UNAUTHENTICATED'],
      handler: async (ctx) => {
        const { ip, weight } = validate(addPoolIpSchema, await jsonBody(ctx));
        const pool = await deps.store.addPoolIp(ctx.params.id ?? '', ip, weight);
        await recordChange(deps, ctx.state.actor, {
          action: 'pool.ip.add',
          targetType: 'pool',
          targetId: pool.id,
          details: { ip, weight },
        });
        ctx.status = 201;
        ctx.body = await withWarnings(pool);
      },
    },
    {
      ...base,
      method: 'patch',
      path: '/admin/v1/pools/:id/ips/:ip',
      operationId: 'updatePoolIp',
      summary: "Change an IP's weight (warm-up)",
      body: { schema: updatePoolIpSchema },
      responses: changed,
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'NOT_FOUND', 'INVALID_CREDENTIALS', 'UNAUTHENTICATED'],
      handler: async (ctx) => {
        const { weight } = validate(updatePoolIpSchema, await jsonBody(ctx));
        const ip = ctx.params.ip ?? '';
        const pool = await deps.store.setPoolIpWeight(ctx.params.id ?? '', ip, weight);
        await recordChange(deps, ctx.state.actor, {
          action: 'pool.ip.weight',
          targetType: 'pool',
          targetId: pool.id,
          details: { ip, weight },
        });
        ctx.body = await withWarnings(pool);
      },
    },
    {
      ...base,
      method: 'delete',
      path: '/admin/v1/pools/:id/ips/:ip',
      operationId: 'removePoolIp',
      summary: 'Remove a sending IP from a Pool (not its last one)',
      responses: one,
      errors: ['NOT_FOUND', 'POOL_NEEDS_IP', 'INVALID_CREDENTIALS', 'UNAUTHENTICATED'],
      handler: async (ctx) => {
        const ip = ctx.params.ip ?? '';
        const pool = await deps.store.removePoolIp(ctx.params.id ?? '', ip);
        await recordChange(deps, ctx.state.actor, {
          action: 'pool.ip.remove',
          targetType: 'pool',
          targetId: pool.id,
          details: { ip },
        });
        ctx.body = poolView(pool);
      },
    },
  ];
}
