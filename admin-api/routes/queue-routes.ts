import { z } from 'zod';
import type { AdminAppDeps, AdminRoute } from '../admin-route.js';

const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

const queueViewSchema = z.object({
  name: z.string(),
  kind: z.enum(['pool', 'inbound', 'webhooks']),
  poolId: z.string().nullable(),
  counts: z.record(z.enum(STATES), z.number()),
});

const backlogSchema = z.object({
  length: z.number().describe('Entries in the event stream'),
  groups: z.array(z.object({ name: z.string(), pending: z.number(), lag: z.number().nullable() })),
});

/** Queue depths: every Pool's delivery queue, inbound reports, webhooks, and the event stream backlog. */
export function queueRoutes(deps: AdminAppDeps): AdminRoute[] {
  return [
    {
      tag: 'queues',
      auth: 'admin',
      access: 'operator',
      method: 'get',
      path: '/admin/v1/queues',
      operationId: 'listQueues',
      summary: 'Job counts of every queue and the backlog of the event stream (per consumer group)',
      responses: {
        200: {
          description: 'Queues and event backlog',
          schema: z.object({ data: z.array(queueViewSchema), events: backlogSchema }),
        },
      },
      errors: ['INVALID_CREDENTIALS', 'UNAUTHENTICATED'],
      handler: async (ctx) => {
        const queues = await deps.queues.list();
        const data = await Promise.all(
          queues.map(async (q) => {
            const counts = await q.queue.getJobCounts(...STATES);
            return {
              name: q.name,
              kind: q.kind,
              poolId: q.poolId ?? null,
              counts: Object.fromEntries(STATES.map((s) => [s, counts[s] ?? 0])),
            };
          }),
        );
        ctx.body = { data, events: await deps.queues.eventBacklog() };
      },
    },
  ];
}
