import { z } from 'zod';
import { validate } from '../../core/index.js';
import { auditQuerySchema } from '../admin-schemas.js';
import type { AdminAppDeps, AdminRoute } from '../admin-route.js';
import { auditIds, auditView, auditViewSchema } from '../views.js';

/** The audit log route. */
export function auditRoutes(deps: AdminAppDeps): AdminRoute[] {
  return [
    {
      tag: 'audit',
      auth: 'admin',
      access: 'operator',
      method: 'get',
      path: '/admin/v1/audit',
      operationId: 'listAudit',
      summary:
        'Every change to the control plane, newest first (who, what, when, with the names of the objects it mentions; never a secret)',
      query: auditQuerySchema,
      responses: {
        200: {
          description: 'One page; pass the last id as `before` for the next',
          schema: z.object({ data: z.array(auditViewSchema), next: z.string().nullable() }),
        },
      },
      errors: ['VALIDATION_FAILED', 'INVALID_CREDENTIALS', 'UNAUTHENTICATED'],
      handler: async (ctx) => {
        const query = validate(auditQuerySchema, ctx.query);
        const entries = await deps.store.listAudit(query);
        const names = await deps.store.namesOf(entries.flatMap(auditIds));
        const last = entries[entries.length - 1];
        ctx.body = {
          data: entries.map((e) => auditView(e, names)),
          next: entries.length === query.limit && last ? last.id : null,
        };
      },
    },
  ];
}
