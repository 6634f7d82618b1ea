import { z } from 'zod';
import {
  BRIDGE_STATS_SCHEMA,
  compareBridges,
  DEFERRALS_SCHEMA,
  LAST_SENT_SCHEMA,
  queryDeferrals,
  queryLastSends,
  computeRates,
  querySeries,
  queryStats,
  queryTagStats,
  queryTimeline,
  RATES_SCHEMA,
  SERIES_SCHEMA,
  TIMELINE_SCHEMA,
  type StatsScope,
} from '../../analytics/queries/index.js';
import { AppError, TAG_PATTERN, validate, type Store } from '../../core/index.js';
import type { AdminAppDeps, AdminRoute } from '../admin-route.js';
import { visibleBridgeIds } from '../account-scope.js';

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
/** `?tag=`: only messages with that tag (`''`… not allowed: a tag is 1 to 64 characters of A-Z a-z 0-9 . _ -). */
const tagFilter = z
  .string()
  .regex(TAG_PATTERN, '1 to 64 characters of A-Z a-z 0-9 . _ -')
  .optional()
  .describe('Only messages with this tag');
/** `?sandbox=true`: the sandbox sends (sandbox Bridges, simulator addresses) instead of the live ones. */
const sandboxFilter = z
  .enum(['true', 'false'])
  .optional()
  .describe('`true`: count the sandbox sends only (sandbox Bridges, simulator addresses); default: live sends only');
const scopedRange = range.extend({ tag: tagFilter, sandbox: sandboxFilter }).strict();
const seriesQuery = scopedRange.extend({ interval: z.enum(['minute', 'hour', 'day']).default('hour') }).strict();

/** Totals and rates (rates: delivered/sent, bounced/sent, complaints/delivered, unsubscribes/delivered, uniqueOpens/delivered, uniqueClicks/delivered; 0 when the denominator is 0). */
const STATS_VIEW = BRIDGE_STATS_SCHEMA.extend({ rates: RATES_SCHEMA });
/** One scope's stats: {@link STATS_VIEW} and its deferred messages (not attempts). */
const SCOPE_STATS_VIEW = STATS_VIEW.extend(DEFERRALS_SCHEMA.shape).extend({
  rateLimited: z
    .number()
    .optional()
    .describe(
      "A Bridge's messages refused for a sending limit (REST 429, SMTP 452) on the UTC days the range touches " +
        '(counted per day in Redis; live stats only, not with `tag`)',
    ),
});
/** Totals of a Bridge without events in the range. */
const ZERO_TOTALS = Object.fromEntries(Object.keys(BRIDGE_STATS_SCHEMA.shape).map((k) => [k, 0])) as Record<
  keyof typeof BRIDGE_STATS_SCHEMA.shape,
  number
>;

function toRange(q: { from?: string | undefined; to?: string | undefined }) {
  const to = q.to ? new Date(q.to) : new Date(Date.now() + 60_000);
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * DAY_MS);
  if (from >= to) throw new AppError('VALIDATION_FAILED', 'from: must be before to', { field: 'from' });
  return { from, to };
}

/** `GET /admin/v1/stats/bridges`: a range, and optionally one account's Bridges only. */
const compareQuery = range
  .extend({ accountId: z.string().max(100).optional().describe("Only this account's Bridges") })
  .strict();

/** The ids of an account's Bridges, deleted ones included; `NOT_FOUND` for an account the caller cannot see. */
async function accountBridgeIds(store: Store, accountId: string): Promise<Set<string>> {
  if (!(await store.getAccount(accountId))) throw new AppError('NOT_FOUND', 'no such account');
  return new Set((await store.listBridges({ accountId, includeDeleted: true })).map((b) => b.id));
}

/** A scope narrowed by the `tag` and `sandbox` query parameters. */
function withFilters(scope: StatsScope, q: { tag?: string | undefined; sandbox?: 'true' | 'false' | undefined }) {
  return {
    ...scope,
    ...(q.tag === undefined ? {} : { tag: q.tag }),
    ...(q.sandbox === 'true' ? { sandbox: true } : {}),
  };
}

/** Stats per Bridge, Pool and IP (totals, rates, series), the cross-Bridge comparison, and message timelines. */
export function statsRoutes(deps: AdminAppDeps): AdminRoute[] {
  const base = { tag: 'stats', auth: 'admin' as const, access: 'account' as const };
  const auth = ['INVALID_CREDENTIALS', 'UNAUTHENTICATED'] as const;
  const { client, database } = deps.analytics;
  const scoped = (
    kind: 'bridges' | 'pools' | 'ips' | 'accounts',
    label: string,
    resolve: (id: string, store: Store) => Promise<StatsScope>,
  ): AdminRoute[] => [
    {
      ...base,
      // A Pool or an IP carries several accounts' mail: their stats are the operator's.
      access: kind === 'pools' || kind === 'ips' ? 'operator' : 'account',
      method: 'get',
      path: `/admin/v1/${kind}/:id/stats`,
      operationId: `get${label}Stats`,
      summary: `Totals and rates of one ${label} over a time range (with \`tag\`: of the messages with that tag)`,
      query: scopedRange,
      responses: { 200: { description: 'Totals, rates and deferred messages', schema: SCOPE_STATS_VIEW } },
      errors: ['VALIDATION_FAILED', 'NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const q = validate(scopedRange, ctx.query);
        const scope = await resolve(ctx.params.id ?? '', ctx.state.store);
        const options = { scope: withFilters(scope, q), ...toRange(q) };
        const [stats, deferrals] = await Promise.all([
          queryStats(client, database, options),
          queryDeferrals(client, database, options),
        ]);
        // Refused messages were never accepted, so they have no events: their counts are per UTC day in Redis.
        const rateLimited =
          kind === 'bridges' && q.tag === undefined && q.sandbox !== 'true'
            ? { rateLimited: await deps.bridgeLimits.refusedBetween(ctx.params.id ?? '', options.from, options.to) }
            : {};
        ctx.body = { ...stats.totals, ...deferrals, ...rateLimited, rates: stats.rates };
      },
    },
    {
      ...base,
      method: 'get',
      path: `/admin/v1/${kind}/:id/stats/series`,
      operationId: `get${label}Series`,
      summary: `Time series of one ${label} (sent, delivered, bounced, complaints, unsubscribes, opens and clicks, all and unique, per bucket; empty buckets included)`,
      access: kind === 'pools' || kind === 'ips' ? 'operator' : 'account',
      query: seriesQuery,
      responses: { 200: { description: 'One point per bucket', schema: z.object({ data: SERIES_SCHEMA }) } },
      errors: ['VALIDATION_FAILED', 'NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const q = validate(seriesQuery, ctx.query);
        const scope = await resolve(ctx.params.id ?? '', ctx.state.store);
        ctx.body = {
          data: await querySeries(client, database, {
            scope: withFilters(scope, q),
            interval: q.interval,
            ...toRange(q),
          }),
        };
      },
    },
  ];
  return [
    ...scoped('bridges', 'Bridge', async (id, store) => {
      if (!(await store.getBridge(id))) throw new AppError('NOT_FOUND', 'no such bridge');
      return { bridgeId: id };
    }),
    {
      ...base,
      method: 'get',
      path: '/admin/v1/bridges/:id/stats/tags',
      operationId: 'getBridgeTagStats',
      summary:
        "Totals and rates per tag of one Bridge over a time range, busiest (most sent) first; tag '' holds the messages without one",
      query: range,
      responses: {
        200: { description: 'Per tag', schema: z.object({ data: z.array(STATS_VIEW.extend({ tag: z.string() })) }) },
      },
      errors: ['VALIDATION_FAILED', 'NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const id = ctx.params.id ?? '';
        if (!(await ctx.state.store.getBridge(id))) throw new AppError('NOT_FOUND', 'no such bridge');
        const rows = await queryTagStats(client, database, { bridgeId: id, ...toRange(validate(range, ctx.query)) });
        ctx.body = { data: rows.map((r) => ({ tag: r.tag, ...r.totals, rates: r.rates })) };
      },
    },
    ...scoped('pools', 'Pool', async (id, store) => {
      if (!(await store.getPool(id))) throw new AppError('NOT_FOUND', 'no such pool');
      return { poolId: id };
    }),
    ...scoped('ips', 'Ip', (ip) => Promise.resolve({ ip })),
    // An account's stats: every Bridge it has or had, together.
    ...scoped('accounts', 'Account', async (id, store) => ({ bridgeIds: [...(await accountBridgeIds(store, id))] })),
    {
      ...base,
      method: 'get',
      path: '/admin/v1/stats/bridges',
      operationId: 'compareBridges',
      summary:
        'Every Bridge side by side, highest complaint rate first: which app drives a rate change. Bridges without events in the range are listed with zeros (deleted ones only when they have events); each row also says when the Bridge last sent, any time',
      query: compareQuery,
      responses: {
        200: {
          description: 'Per Bridge',
          schema: z.object({
            data: z.array(STATS_VIEW.extend({ bridgeId: z.string(), lastSentAt: LAST_SENT_SCHEMA })),
          }),
        },
      },
      errors: ['VALIDATION_FAILED', 'NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const { accountId, ...q } = validate(compareQuery, ctx.query);
        const [all, live, lastSends, visible] = await Promise.all([
          compareBridges(client, database, toRange(q)),
          ctx.state.store.listBridges(),
          queryLastSends(client, database),
          accountId === undefined ? visibleBridgeIds(ctx.state) : accountBridgeIds(ctx.state.store, accountId),
        ]);
        const rows = visible ? all.filter((r) => visible.has(r.bridgeId)) : all;
        const bridges = visible ? live.filter((b) => visible.has(b.id)) : live;
        const lastSentAt = (id: string) => lastSends.get(id) ?? null;
        const data = rows.map((r) => ({
          bridgeId: r.bridgeId,
          ...r.totals,
          rates: r.rates,
          lastSentAt: lastSentAt(r.bridgeId),
        }));
        // A Bridge that sent nothing is still a row: leaving it out reads as "no such Bridge".
        const seen = new Set(rows.map((r) => r.bridgeId));
        const idle = bridges.filter((b) => !seen.has(b.id)).sort((a, b) => a.id.localeCompare(b.id));
        for (const b of idle) {
          data.push({ bridgeId: b.id, ...ZERO_TOTALS, rates: computeRates(ZERO_TOTALS), lastSentAt: lastSentAt(b.id) });
        }
        ctx.body = { data };
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
        // Another account's message does not exist for this caller.
        const bridgeId = data[0]?.bridgeId;
        if (bridgeId === undefined || !(await ctx.state.store.getBridge(bridgeId)))
          throw new AppError('NOT_FOUND', 'no such message');
        ctx.body = { data };
      },
    },
  ];
}
