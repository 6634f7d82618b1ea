import { z } from 'zod';
import { validate } from '../../core/index.js';
import type { AdminAppDeps, AdminRoute } from '../admin-route.js';

const query = z
  .object({ limit: z.coerce.number().int().min(1).max(500).default(50), before: z.string().max(100).optional() })
  .strict();

const view = z.object({
  id: z.string(),
  receivedAt: z.string(),
  envelopeTo: z.string(),
  kind: z.string(),
  recipient: z.string().nullable(),
  reason: z.string(),
  status: z.string().nullable(),
  excerpt: z.string(),
});

/** Bounces and complaints the inbound MX could not tie to a message: kept and visible. */
export function reportRoutes(deps: AdminAppDeps): AdminRoute[] {
  return [
    {
      tag: 'suppressions',
      auth: 'admin',
      access: 'operator',
      method: 'get',
      path: '/admin/v1/reports/unmatched',
      operationId: 'listUnmatchedReports',
      summary: 'Reports received for no known message, newest first',
      query,
      responses: {
        200: { description: 'One page', schema: z.object({ data: z.array(view), next: z.string().nullable() }) },
      },
      errors: ['VALIDATION_FAILED', 'INVALID_CREDENTIALS', 'UNAUTHENTICATED'],
      handler: async (ctx) => {
        const q = validate(query, ctx.query);
        const rows = await deps.store.listUnmatchedReports(q);
        const last = rows[rows.length - 1];
        ctx.body = {
          data: rows.map((r) => ({ ...r, receivedAt: r.receivedAt.toISOString() })),
          next: rows.length === q.limit && last ? last.id : null,
        };
      },
    },
  ];
}
