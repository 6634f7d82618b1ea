import { z } from 'zod';
import { AppError, validate, type Store, type Transport } from '../../core/index.js';
import {
  createBridgeSchema,
  listBridgesQuerySchema,
  revokeSchema,
  rotateSchema,
  updateBridgeSchema,
} from '../admin-schemas.js';
import { jsonBody, recordChange, type AdminAppDeps, type AdminRoute } from '../admin-route.js';
import { bridgeUsageViewSchema, bridgeView, bridgeViewSchema } from '../views.js';

const withCredentials = { 200: { description: 'The Bridge with its credentials', schema: bridgeViewSchema } };
const auth = ['INVALID_CREDENTIALS', 'UNAUTHENTICATED'] as const;

/** Bridge lifecycle routes: create, read, rename/toggle, rotate, revoke, delete, stats. */
export function bridgeRoutes(deps: AdminAppDeps): AdminRoute[] {
  const base = { tag: 'bridges', auth: 'admin' as const, access: 'account' as const };
  // A deleted Bridge is still readable (its stats are), but its secrets are never opened again.
  const withSecretsWhileLive = async (store: Store, id: string) => {
    const bridge = await store.getBridge(id);
    if (!bridge) throw new AppError('NOT_FOUND', 'no such bridge');
    return bridge.deletedAt ? bridge : ((await store.getBridgeWithSecrets(id)) ?? bridge);
  };
  return [
    {
      ...base,
      method: 'post',
      path: '/admin/v1/bridges',
      operationId: 'createBridge',
      summary:
        'Create a Bridge bound to a Pool, with its own SMTP credentials and API key; names are unique among live Bridges',
      body: { schema: createBridgeSchema },
      responses: { 201: { description: 'Created, with credentials', schema: bridgeViewSchema } },
      errors: [
        'VALIDATION_FAILED',
        'INVALID_JSON',
        'POOL_NOT_FOUND',
        'POOL_NOT_ALLOWED',
        'ACCOUNT_NOT_FOUND',
        'BRIDGE_NAME_TAKEN',
        ...auth,
      ],
      handler: async (ctx) => {
        const input = validate(createBridgeSchema, await jsonBody(ctx));
        const bridge = await ctx.state.store.createBridge(input);
        await recordChange(deps, ctx.state.actor, {
          action: 'bridge.create',
          targetType: 'bridge',
          targetId: bridge.id,
          details: {
            name: bridge.name,
            poolId: bridge.poolId,
            trackOpens: bridge.trackOpens,
            trackClicks: bridge.trackClicks,
            listUnsubscribe: bridge.listUnsubscribe,
            mode: bridge.mode,
            limits: bridge.limits,
            accountId: bridge.accountId,
          },
        });
        // The suppression index learns the new Bridge's account (its account-wide entries apply to it).
        await deps.announce({ type: 'suppression-changed', bridgeId: bridge.id });
        ctx.status = 201;
        ctx.body = bridgeView(bridge, deps.endpoints());
      },
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/bridges',
      operationId: 'listBridges',
      summary: 'List live Bridges without secrets; `?include=deleted` adds the deleted ones, marked',
      query: listBridgesQuerySchema,
      responses: { 200: { description: 'The Bridges', schema: z.object({ data: z.array(bridgeViewSchema) }) } },
      errors: ['VALIDATION_FAILED', ...auth],
      handler: async (ctx) => {
        const { include } = validate(listBridgesQuerySchema, ctx.query);
        const endpoints = deps.endpoints();
        ctx.body = {
          data: (await ctx.state.store.listBridges({ includeDeleted: include === 'deleted' })).map((b) =>
            bridgeView(b, endpoints),
          ),
        };
      },
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/bridges/:id',
      operationId: 'getBridge',
      summary: 'Read one Bridge with its credentials; a deleted one without them, its statuses `deleted`',
      responses: withCredentials,
      errors: ['NOT_FOUND', ...auth],
      handler: async (ctx) => {
        ctx.body = bridgeView(await withSecretsWhileLive(ctx.state.store, ctx.params.id ?? ''), deps.endpoints());
      },
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/bridges/:id/usage',
      operationId: 'getBridgeUsage',
      summary: "A Bridge's messages in the current window of each of its sending limits, and its refusals",
      description:
        'Counts are shared by every ingress process (Redis). Windows are fixed and aligned on the clock (a second, ' +
        'a minute, an hour, a UTC day); `resetsAt` is when the current one ends. `rateLimited` counts the messages ' +
        'refused for a limit (REST 429, SMTP 452): in total, today (UTC) and per limit.',
      responses: { 200: { description: 'Usage and refusals', schema: bridgeUsageViewSchema } },
      errors: ['NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const bridge = await ctx.state.store.getBridge(ctx.params.id ?? '');
        if (!bridge) throw new AppError('NOT_FOUND', 'no such bridge');
        ctx.body = await deps.bridgeLimits.usage(bridge.id, bridge.limits);
      },
    },
    {
      ...base,
      method: 'patch',
      path: '/admin/v1/bridges/:id',
      operationId: 'updateBridge',
      summary:
        'Rename a Bridge, toggle its tracking and one-click unsubscribe, or switch its mode (`live` / `sandbox`, ' +
        'from the next message on); the Pool binding cannot change',
      body: { schema: updateBridgeSchema },
      responses: { 200: { description: 'The Bridge', schema: bridgeViewSchema } },
      errors: [
        'VALIDATION_FAILED',
        'INVALID_JSON',
        'POOL_BINDING_IMMUTABLE',
        'BRIDGE_NAME_TAKEN',
        'NOT_FOUND',
        'BRIDGE_DELETED',
        ...auth,
      ],
      handler: async (ctx) => {
        const raw = await jsonBody(ctx);
        if (raw && typeof raw === 'object' && 'poolId' in raw) {
          throw new AppError(
            'POOL_BINDING_IMMUTABLE',
            'a Bridge stays bound to its Pool; create a new Bridge instead',
            { field: 'poolId' },
          );
        }
        const patch = validate(updateBridgeSchema, raw);
        const bridge = await ctx.state.store.updateBridge(ctx.params.id ?? '', patch);
        await recordChange(deps, ctx.state.actor, {
          action: 'bridge.update',
          targetType: 'bridge',
          targetId: bridge.id,
          details: patch,
        });
        ctx.body = bridgeView(bridge, deps.endpoints());
      },
    },
    {
      ...base,
      method: 'post',
      path: '/admin/v1/bridges/:id/rotate',
      operationId: 'rotateBridgeCredentials',
      summary: 'Replace the SMTP password, the API key or both; the old ones stop working at once',
      body: { schema: rotateSchema },
      responses: withCredentials,
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'NOT_FOUND', 'BRIDGE_DELETED', ...auth],
      handler: async (ctx) => {
        const { what } = validate(rotateSchema, await jsonBody(ctx));
        const transports: Transport[] = what === 'both' ? ['smtp', 'api'] : [what];
        const bridge = await ctx.state.store.rotateCredentials(ctx.params.id ?? '', transports);
        await recordChange(deps, ctx.state.actor, {
          action: 'bridge.rotate',
          targetType: 'bridge',
          targetId: bridge.id,
          details: { what },
        });
        ctx.body = bridgeView(bridge, deps.endpoints());
      },
    },
    {
      ...base,
      method: 'post',
      path: '/admin/v1/bridges/:id/revoke',
      operationId: 'revokeBridgeCredential',
      summary: 'Refuse one transport of a Bridge (SMTP 535, REST 401 CREDENTIAL_REVOKED) until rotated',
      body: { schema: revokeSchema },
      responses: { 200: { description: 'The Bridge', schema: bridgeViewSchema } },
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'NOT_FOUND', 'BRIDGE_DELETED', ...auth],
      handler: async (ctx) => {
        const { what } = validate(revokeSchema, await jsonBody(ctx));
        const bridge = await ctx.state.store.revokeCredential(ctx.params.id ?? '', what);
        await recordChange(deps, ctx.state.actor, {
          action: 'bridge.revoke',
          targetType: 'bridge',
          targetId: bridge.id,
          details: { what },
        });
        ctx.body = bridgeView(bridge, deps.endpoints());
      },
    },
    {
      ...base,
      method: 'delete',
      path: '/admin/v1/bridges/:id',
      operationId: 'deleteBridge',
      summary:
        'Delete a Bridge: its credentials fail at once (BRIDGE_DELETED), queued mail still finishes, stats stay readable',
      responses: { 200: { description: 'The deleted Bridge, without secrets', schema: bridgeViewSchema } },
      errors: ['NOT_FOUND', 'BRIDGE_DELETED', ...auth],
      handler: async (ctx) => {
        const bridge = await ctx.state.store.deleteBridge(ctx.params.id ?? '');
        await recordChange(deps, ctx.state.actor, {
          action: 'bridge.delete',
          targetType: 'bridge',
          targetId: bridge.id,
          details: {},
        });
        ctx.body = bridgeView(bridge, deps.endpoints());
      },
    },
  ];
}
