import { z } from 'zod';
import { parseShapingPolicy, shapingPolicySchema, validate } from '../../core/index.js';
import { jsonBody, recordChange, type AdminAppDeps, type AdminRoute } from '../admin-route.js';

/** Settings key of the shaping policy. */
export const SHAPING_SETTING = 'shaping';

const policyView = z.object({
  source: z
    .enum(['admin', 'config'])
    .describe('`admin` once set through this API; `config` while the defaults of BRIDGEMAIL_SHAPING apply'),
  policy: shapingPolicySchema,
});

/** Delivery shaping: per-IP and per-destination limits and adaptive backoff, shared by every worker. */
export function shapingRoutes(deps: AdminAppDeps): AdminRoute[] {
  const base = { tag: 'delivery', auth: 'admin' as const, access: 'operator' as const };
  const current = async () => {
    const stored = await deps.store.getSetting(SHAPING_SETTING);
    return stored === undefined
      ? { source: 'config' as const, policy: deps.defaultShaping }
      : { source: 'admin' as const, policy: parseShapingPolicy(stored) };
  };
  return [
    {
      ...base,
      method: 'get',
      path: '/admin/v1/shaping',
      operationId: 'getShaping',
      summary: 'The delivery shaping policy in force',
      responses: { 200: { description: 'The policy', schema: policyView } },
      errors: ['INVALID_CREDENTIALS', 'UNAUTHENTICATED'],
      handler: async (ctx) => {
        ctx.body = await current();
      },
    },
    {
      ...base,
      method: 'put',
      path: '/admin/v1/shaping',
      operationId: 'putShaping',
      summary: 'Replace the shaping policy; every worker applies it at once (keys left out take their defaults)',
      body: { schema: shapingPolicySchema },
      responses: { 200: { description: 'The policy now in force', schema: policyView } },
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'INVALID_CREDENTIALS', 'UNAUTHENTICATED'],
      handler: async (ctx) => {
        const policy = validate(shapingPolicySchema, await jsonBody(ctx));
        await deps.store.putSetting(SHAPING_SETTING, policy);
        await recordChange(
          deps,
          ctx.state.actor,
          { action: 'shaping.update', targetType: 'settings', targetId: SHAPING_SETTING, details: { policy } },
          { type: 'shaping-changed' },
        );
        ctx.body = await current();
      },
    },
  ];
}
