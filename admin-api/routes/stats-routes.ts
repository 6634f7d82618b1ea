import { z } from 'zod';
import {
  BRIDGE_STATS_SCHEMA,
  compareBridges,
  querySeries,
  queryStats,
  queryTimeline,
  RATES_SCHEMA,
  SERIES_SCHEMA,
  TIMELINE_SCHEMA,
  type StatsScope,
} from '../../analytics/queries/index.js';
import { AppError, validate } from '../../core/index.js';
import type { AdminAppDeps, AdminRoute } from '../admin-route.js';

const DAY_MS = 24 * 3600 * 1000;

const range = z
  .object({
    from: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('Start (inclusive, rounded down to the minute); default: 30 days before `to`'),
    to: z.iso.datetime({ offset: true }).optional().describe('End (exclusive); default: now'),
  })
  .strict();
const seriesQuery = range.extend({ interval: z.enum(['minute', 'hour', 'day']).default('hour') }).strict();

/** Totals and rates (rates: delivered/sent, bounced/sent, complaints/delivered, uniqueOpens/delivered, uniqueClicks/delivered; 0 when the denominator is 0). */
const STATS_VIEW = BRIDGE_STATS_SCHEMA.extend({ rates: RATES_SCHEMA });

function toRange(q: { from?: string | undefined; to?: string | undefined }) {
  const to = q.to ? new Date(q.to) : new Date(Date.now() + 60_000);
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * DAY_MS);
  if (from >= to) throw new AppError('VALIDATION_FAILED', 'from: must be before to', { field: 'from' });
  return { from, to };
}

/** Stats per Bridge, Pool and IP (totals, rates, series), the cross-Bridge comparison, and message timelines. */
export function statsRoutes(deps: AdminAppDeps): AdminRoute[] {
  const base = { tag: 'stats', auth: 'admin' as const };
  const auth = ['INVALID_CREDENTIALS', 'UNAUTHENTICATED'] as const;
  const { client, database } = deps.analytics;
  const scoped = (
    kind: 'bridges' | 'pools' | 'ips',
    label: string,
    resolve: (id: string) => Promise<StatsScope>,
  ): AdminRoute[] => [
    {
      ...base,
      method: 'get',
      path: `/admin/v1/${kind}/:id/stats`,
      operationId: `get${label}Stats`,
      summary: `Totals and rates of one ${label} over a time range`,
      query: range,
      responses: { 200: { description: 'Totals and rates', schema: STATS_VIEW } },
      errors: ['VALIDATION_FAILED', 'NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const stats = await queryStats(client, database, {
          scope: await resolve(ctx.params.id ?? ''),
          ...toRange(validate(range, ctx.query)),
        });
        ctx.body = { ...stats.totals, rates: stats.rates };
      },
    },
    {
      ...base,
      method: 'get',
      path: `/admin/v1/${kind}/:id/stats/series`,
      operationId: `get${label}Series`,
      summary: `Time series of one ${label} (sent, delivered, bounced, complaints, opens, clicks per bucket; empty buckets included)`,
      query: seriesQuery,
      responses: { 200: { description: 'One point per bucket', schema: z.object({ data: SERIES_SCHEMA }) } },
      errors: ['VALIDATION_FAILED', 'NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const q = validate(seriesQuery, ctx.query);
        ctx.body = {
          data: await querySeries(client, database, {
            scope: await resolve(ctx.params.id ?? ''),
            interval: q.interval,
            ...toRange(q),
          }),
        };
      },
    },
  ];
  return [
    ...scoped('bridges', 'Bridge', async (id) => {
      if (!(await deps.store.getBridge(id))) throw new AppError('NOT_FOUND', 'no such bridge');
      return { bridgeId: id };
    }),
    ...scoped('pools', 'Pool', async (id) => {
      if (!(await deps.store.getPool(id))) throw new AppError('NOT_FOUND', 'no such pool');
      return { poolId: id };
    }),
    ...scoped('ips', 'Ip', (ip) => Promise.resolve({ ip })),
    {
      ...base,
      method: 'get',
      path: '/admin/v1/stats/bridges',
      operationId: 'compareBridges',
      summary: 'Every Bridge side by side, highest complaint rate first: which app drives a rate change',
      query: range,
      responses: {
        200: {
          description: 'Per Bridge',
          schema: z.object({ data: z.array(STATS_VIEW.extend({ bridgeId: z.string() })) }),
        },
      },
      errors: ['VALIDATION_FAILED', ...auth],
      handler: async (ctx) => {
        const rows = await compareBridges(client, database, toRange(validate(range, ctx.query)));
        ctx.body = { data: rows.map((r) => ({ bridgeId: r.bridgeId, ...r.totals, rates: r.rates })) };
      },
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/messages/:id',
      operationId: 'getMessageTimeline',
      summary: 'Every event of a message, in order, with SMTP replies',
      responses: { 200: { description: 'The timeline', schema: z.object({ data: TIMELINE_SCHEMA }) } },
      errors: ['NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const data = await queryTimeline(client, database, ctx.params.id ?? '');
        if (data.length === 0) throw new AppError('NOT_FOUND', 'no such message');
        ctx.body = { data };
      },
    },
  ];
}
