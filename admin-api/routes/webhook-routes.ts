import { z } from 'zod';
import {
  AppError,
  carries,
  EVENT_COLUMN_LIST,
  EVENT_MEANINGS,
  EVENT_TYPES,
  validate,
  type Webhook,
  type Store,
} from '../../core/index.js';
import { jsonBody, recordChange, type AdminAppDeps, type AdminRoute } from '../admin-route.js';

const createSchema = z
  .object({
    url: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .refine((u) => !/[\0\r\n]/.test(u), 'no control characters')
      .refine(
        (u) => !URL.canParse(u) || noCredentials(new URL(u)),
        'no user name or password in the URL (they would travel in logs and retries): authenticate with the signature header',
      ),
    eventTypes: z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length),
  })
  .strict();

const view = z.object({
  id: z.string(),
  bridgeId: z.string(),
  url: z.string(),
  eventTypes: z.array(z.enum(EVENT_TYPES)),
  keyId: z.string(),
  active: z.boolean(),
  createdAt: z.string(),
});
const toView = (w: Webhook) => ({ ...w, createdAt: w.createdAt.toISOString() });
const attemptView = z.object({
  id: z.string(),
  eventId: z.string(),
  attempt: z.number(),
  statusCode: z.number().nullable(),
  error: z.string().nullable(),
  at: z.string(),
  delivered: z.boolean(),
});

const noCredentials = (u: URL) => u.username === '' && u.password === '';

const eventKindView = z.object({
  type: z.enum(EVENT_TYPES),
  meaning: z.string(),
  fields: z.array(z.string()).describe('Fields an event of this kind may carry (JSON names), common ones included'),
});

/** The kinds of event in lifecycle order, from the event schema: what the console offers for webhooks. */
const EVENT_KIND_LIST = EVENT_TYPES.map((type) => ({
  type,
  meaning: EVENT_MEANINGS[type],
  fields: EVENT_COLUMN_LIST.filter((c) => carries(c, type)).map((c) => c.field),
}));

/** Webhooks per Bridge: URLs and event types; deliveries signed (HMAC-SHA256) and retried. */
export function webhookRoutes(deps: AdminAppDeps): AdminRoute[] {
  const base = { tag: 'webhooks', auth: 'admin' as const, access: 'account' as const };
  const auth = ['INVALID_CREDENTIALS', 'UNAUTHENTICATED'] as const;
  const owned = async (store: Store, bridgeId: string, webhookId: string) => {
    const w = await store.getWebhook(webhookId);
    if (!w || w.bridgeId !== bridgeId) throw new AppError('NOT_FOUND', 'no such webhook');
    return w;
  };
  return [
    {
      ...base,
      access: 'shared',
      method: 'get',
      path: '/admin/v1/event-types',
      operationId: 'listEventTypes',
      summary: 'The kinds of event a webhook can subscribe to, in lifecycle order, with their meaning and fields',
      responses: { 200: { description: 'The kinds', schema: z.object({ data: z.array(eventKindView) }) } },
      errors: [...auth],
      handler: (ctx) => {
        ctx.body = { data: EVENT_KIND_LIST };
      },
    },
    {
      ...base,
      method: 'post',
      path: '/admin/v1/bridges/:id/webhooks',
      operationId: 'createWebhook',
      summary: 'Add a webhook to a Bridge; the signing secret is shown once',
      description:
        'Each delivery is a POST of `{ "event": … }` (its fields by kind: `GET /admin/v1/event-types`) with `Bridgemail-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, `Bridgemail-Key-Id` and `Bridgemail-Event-Id`; retried with exponential backoff until a 2xx. Private and loopback targets are refused unless BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE=1.',
      body: { schema: createSchema },
      responses: { 201: { description: 'Created', schema: z.object({ webhook: view, secret: z.string() }) } },
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const input = validate(createSchema, await jsonBody(ctx));
        const check = await deps.checkWebhookUrl(input.url);
        if (!check.ok) throw new AppError('VALIDATION_FAILED', `url: ${check.detail}`, { field: 'url' });
        const bridgeId = ctx.params.id ?? '';
        const { webhook, secret } = await ctx.state.store.createWebhook({
          bridgeId,
          url: input.url,
          eventTypes: input.eventTypes,
        });
        await recordChange(deps, ctx.state.actor, {
          action: 'webhook.create',
          targetType: 'bridge',
          targetId: bridgeId,
          details: { webhookId: webhook.id, url: webhook.url, eventTypes: webhook.eventTypes },
        });
        ctx.status = 201;
        ctx.body = { webhook: toView(webhook), secret };
      },
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/bridges/:id/webhooks',
      operationId: 'listWebhooks',
      summary: "A Bridge's webhooks",
      responses: { 200: { description: 'The webhooks', schema: z.object({ data: z.array(view) }) } },
      errors: ['NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const bridgeId = ctx.params.id ?? '';
        if (!(await ctx.state.store.getBridge(bridgeId))) throw new AppError('NOT_FOUND', 'no such bridge');
        ctx.body = { data: (await ctx.state.store.listWebhooks(bridgeId)).map(toView) };
      },
    },
    {
      ...base,
      method: 'delete',
      path: '/admin/v1/bridges/:id/webhooks/:wid',
      operationId: 'deleteWebhook',
      summary: 'Remove a webhook',
      responses: { 200: { description: 'The removed webhook', schema: view } },
      errors: ['NOT_FOUND', ...auth],
      handler: async (ctx) => {
        await owned(ctx.state.store, ctx.params.id ?? '', ctx.params.wid ?? '');
        const removed = await ctx.state.store.deleteWebhook(ctx.params.wid ?? '');
        await recordChange(deps, ctx.state.actor, {
          action: 'webhook.delete',
          targetType: 'bridge',
          targetId: removed.bridgeId,
          details: { webhookId: removed.id },
        });
        ctx.body = toView(removed);
      },
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/bridges/:id/webhooks/:wid/attempts',
      operationId: 'listWebhookAttempts',
      summary: "A webhook's last delivery attempts (status, error), newest first",
      query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) }).strict(),
      responses: { 200: { description: 'Attempts', schema: z.object({ data: z.array(attemptView) }) } },
      errors: ['VALIDATION_FAILED', 'NOT_FOUND', ...auth],
      handler: async (ctx) => {
        await owned(ctx.state.store, ctx.params.id ?? '', ctx.params.wid ?? '');
        const { limit } = validate(
          z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) }).strict(),
          ctx.query,
        );
        const attempts = await ctx.state.store.listAttempts(ctx.params.wid ?? '', limit);
        ctx.body = {
          data: attempts.map((a) => ({
            id: a.id,
            eventId: a.eventId,
            attempt: a.attempt,
            statusCode: a.statusCode,
            error: a.error,
            at: a.at.toISOString(),
            delivered: a.delivered,
          })),
        };
      },
    },
  ];
}
