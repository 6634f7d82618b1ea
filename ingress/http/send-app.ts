import Router from '@koa/router';
import Koa from 'koa';
import { z } from 'zod';
import {
  AppError,
  bearerToken,
  BRIDGE_MESSAGE_SEARCH_QUERY,
  encodeMessageCursor,
  MESSAGE_ROW_SCHEMA,
  toMessageSearch,
  withOpenApiRoute,
  IdempotencyKeys,
  newId,
  parseSendAt,
  sha256Hex,
  toHttpError,
  parseJson,
  readBody,
  renderErrors,
  validate,
  type AuthenticatedBridge,
  type CancelledMessage,
  type Authenticator,
  type Logger,
  type MessagePage,
  type MessageSearch,
  type RouteSpec,
  type Submission,
  type TemplateRenderer,
} from '../../core/index.js';
import { buildMime, envelopeRecipients } from './build-mime.js';
import { readMultipartSend } from './multipart-body.js';
import { sendRequestSchema, type SendRequest } from './send-schema.js';
import { trackingRoutes, type TrackingRoutesDeps } from './tracking-routes.js';

/** Collaborators of the send API. */
export interface SendAppDeps {
  auth: Pick<Authenticator, 'apiKey'>;
  /** Queues an authenticated submission and returns its message id. */
  accept: (submission: Submission & { messageId: string }) => Promise<string>;
  logger: Logger;
  maxMessageBytes: number;
  maxRecipients: number;
  /** Domain part of generated Message-ID headers. */
  messageIdDomain: string;
  /** Open and click endpoints. */
  tracking: TrackingRoutesDeps;
  /** Which recipients are on the Bridge's (or the account-wide) suppression list. */
  suppressed: (bridgeId: string, recipients: readonly string[]) => Promise<Set<string>>;
  /** Every event of a message of this Bridge, in order (empty: unknown or another Bridge's). */
  timeline: (messageId: string, bridgeId: string) => Promise<unknown[]>;
  /** The activity search over this Bridge's messages only (`bridgeId` set by the caller). */
  messages: (search: MessageSearch & { bridgeId: string }) => Promise<MessagePage>;
  /** Cancels a scheduled message of this Bridge (`cancelMessage` of core). */
  cancel: (messageId: string, bridgeId: string) => Promise<CancelledMessage>;
  /** Renders `templateAlias` / `templateId` sends (cached templates). */
  templates: TemplateRenderer;
}

interface SendState {
  bridge: AuthenticatedBridge;
}

type SendRoute = RouteSpec & { handler: Koa.Middleware<SendState> };

/** Most messages in one `POST /v1/send/batch`. */
export const BATCH_LIMIT = 500;

/** Messages of one batch accepted at the same time. */
const BATCH_PARALLELISM = 16;

/**
 * Whether the request declares a JSON body. Koa's `ctx.is` answers null for a request without
 * Content-Length or Transfer-Encoding; such a request is still JSON, with an empty body.
 */
function saysJson(ctx: Koa.ParameterizedContext<SendState>): boolean {
  return Boolean(ctx.is('application/json')) || ctx.request.type.toLowerCase() === 'application/json';
}

/** Reads a send request body: JSON, or multipart/form-data into the same shape. */
async function readSendBody(ctx: Koa.ParameterizedContext<SendState>, limit: number): Promise<unknown> {
  if (saysJson(ctx)) {
    const declared = Number(ctx.get('content-length') || NaN);
    return parseJson(await readBody(ctx.req, limit, Number.isFinite(declared) ? declared : undefined));
  }
  if (ctx.is('multipart/form-data')) return readMultipartSend(ctx.req, ctx.headers, limit);
  throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send application/json or multipart/form-data');
}

/** The `Idempotency-Key` header, validated; undefined when absent (an empty one is refused). */
function idempotencyKey(ctx: Koa.ParameterizedContext<SendState>): string | undefined {
  const value = ctx.headers['idempotency-key'];
  if (value === undefined) return undefined;
  return IdempotencyKeys.check(Array.isArray(value) ? value.join(',') : value, 'Idempotency-Key');
}

/** Validates one send request, builds its MIME and queues it; returns the message id. */
async function sendOne(
  deps: SendAppDeps,
  bridge: AuthenticatedBridge,
  raw: unknown,
  idempotency: { key: string; fingerprint: string } | undefined,
): Promise<string> {
  const req = validate(sendRequestSchema, raw);
  const sendAt = req.sendAt === undefined ? undefined : parseSendAt(req.sendAt, 'sendAt', 'VALIDATION_FAILED');
  const recipients = envelopeRecipients(req);
  if (recipients.length > deps.maxRecipients) {
    throw new AppError('TOO_MANY_RECIPIENTS', `at most ${deps.maxRecipients} recipients per message`, { field: 'to' });
  }
  const blocked = await deps.suppressed(bridge.id, recipients);
  if (blocked.size > 0) {
    const lists = { to: req.to, cc: req.cc, bcc: req.bcc };
    const field = Object.entries(lists)
      .flatMap(([name, list]) => list.map((m, i) => ({ field: `${name}[${i}]`, address: m.address })))
      .find((x) => blocked.has(x.address))?.field;
    throw new AppError(
      'RECIPIENT_SUPPRESSED',
      `suppressed recipient(s), nothing sent: ${[...blocked].join(', ')}`,
      field ? { field } : {},
    );
  }
  const messageId = newId('msg');
  const mime = await buildMime(await withTemplate(deps, bridge, req), `<${messageId}@${deps.messageIdDomain}>`);
  if (mime.length > deps.maxMessageBytes)
    throw new AppError('MESSAGE_TOO_LARGE', `message exceeds ${deps.maxMessageBytes} bytes`);
  return deps.accept({
    bridge,
    from: req.from.address,
    recipients,
    raw: mime,
    messageId,
    credential: 'api',
    ...(idempotency ? { idempotency } : {}),
    ...(sendAt === undefined ? {} : { sendAt }),
    ...(req.tag !== undefined || req.metadata !== undefined
      ? {
          labels: {
            ...(req.tag !== undefined && { tag: req.tag }),
            ...(req.metadata !== undefined && { metadata: req.metadata }),
          },
        }
      : {}),
  });
}

/** The request with the subject, html and text its template renders; as it is without a template. */
async function withTemplate(deps: SendAppDeps, bridge: AuthenticatedBridge, req: SendRequest): Promise<SendRequest> {
  const { templateAlias, templateId } = req;
  if (templateAlias === undefined && templateId === undefined) return req;
  const ref = templateAlias !== undefined ? { alias: templateAlias } : { id: templateId ?? '' };
  const field = templateAlias !== undefined ? 'templateAlias' : 'templateId';
  const out = await deps.templates.render(bridge, ref, req.templateModel ?? {}, field);
  return { ...req, subject: out.subject, html: out.html ?? undefined, text: out.text ?? undefined };
}

/** Answer of a cancel. */
const CANCELLED_SCHEMA = z.object({
  id: z.string().describe('Message id'),
  status: z.literal('cancelled'),
  recipients: z.array(z.string()).describe('Envelope recipients that will not get it'),
  sendAt: z.string().describe('When it was due, ISO 8601 in UTC'),
});

/** Routes of the send port, as data (see {@link RouteSpec}). */
export function sendRoutes(deps: SendAppDeps): SendRoute[] {
  // JSON carries attachments as base64 (4/3 of their size) plus some envelope.
  const bodyLimit = Math.ceil((deps.maxMessageBytes * 4) / 3) + 1024 * 1024;
  const routes: SendRoute[] = [
    {
      method: 'post',
      path: '/v1/send',
      operationId: 'send',
      tag: 'send',
      summary: 'Send one message through the Bridge whose API key authenticates the call',
      description:
        'Answers 202 once the message is durably queued; 429 `BRIDGE_RATE_LIMITED` with `Retry-After` when the ' +
        'Bridge is at one of its sending limits (the error names it in `limit`). JSON, or multipart/form-data with ' +
        'the same text fields (to, cc, bcc repeatable; headers as a JSON string) and each file part as an attachment.',
      auth: 'bridge',
      body: { schema: sendRequestSchema, contentTypes: ['application/json', 'multipart/form-data'] },
      responses: { 202: { description: 'Queued', schema: z.object({ id: z.string().describe('Message id') }) } },
      errors: [
        'VALIDATION_FAILED',
        'INVALID_JSON',
        'TOO_MANY_RECIPIENTS',
        'RECIPIENT_SUPPRESSED',
        'TEMPLATE_NOT_FOUND',
        'IDEMPOTENCY_KEY_REUSED',
        'UNAUTHENTICATED',
        'INVALID_CREDENTIALS',
        'CREDENTIAL_REVOKED',
        'BRIDGE_DELETED',
        'MESSAGE_TOO_LARGE',
        'UNSUPPORTED_MEDIA_TYPE',
        'AUTH_RATE_LIMITED',
        'BRIDGE_RATE_LIMITED',
        'QUEUE_UNAVAILABLE',
      ],
      handler: async (ctx) => {
        const raw = await readSendBody(ctx, bodyLimit);
        const key = idempotencyKey(ctx);
        const idempotency = key === undefined ? undefined : { key, fingerprint: sha256Hex(JSON.stringify(raw)) };
        const id = await sendOne(deps, ctx.state.bridge, raw, idempotency);
        ctx.status = 202;
        ctx.body = { id };
      },
    },
    {
      method: 'post',
      path: '/v1/send/batch',
      operationId: 'sendBatch',
      tag: 'send',
      summary: `Send up to ${BATCH_LIMIT} messages in one call; each succeeds or fails on its own`,
      description:
        'Answers 200 with one result per message, in order: `{ id }` when queued, `{ error: { code, message, field? } }` when refused. A bad message never fails the batch. Over a sending limit of the Bridge, items are refused one by one with `BRIDGE_RATE_LIMITED` (with `limit` and `retryAfter` seconds), the others accepted.',
      auth: 'bridge',
      body: { schema: z.array(sendRequestSchema).max(BATCH_LIMIT) },
      responses: {
        200: {
          description: 'One result per message',
          schema: z.object({
            data: z.array(
              z.union([
                z.object({ index: z.number(), id: z.string() }),
                z.object({
                  index: z.number(),
                  error: z.object({
                    code: z.string(),
                    message: z.string(),
                    field: z.string().optional(),
                    limit: z.string().optional().describe('BRIDGE_RATE_LIMITED: the sending limit reached'),
                    retryAfter: z.number().optional().describe('BRIDGE_RATE_LIMITED: seconds until it allows again'),
                  }),
                }),
              ]),
            ),
          }),
        },
      },
      errors: [
        'VALIDATION_FAILED',
        'INVALID_JSON',
        'UNAUTHENTICATED',
        'INVALID_CREDENTIALS',
        'CREDENTIAL_REVOKED',
        'BRIDGE_DELETED',
        'MESSAGE_TOO_LARGE',
        'UNSUPPORTED_MEDIA_TYPE',
        'AUTH_RATE_LIMITED',
      ],
      handler: async (ctx) => {
        if (!saysJson(ctx)) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send a JSON array of messages');
        const declared = Number(ctx.get('content-length') || NaN);
        const list = parseJson(await readBody(ctx.req, bodyLimit, Number.isFinite(declared) ? declared : undefined));
        if (!Array.isArray(list))
          throw new AppError('VALIDATION_FAILED', 'body: a JSON array of messages', { field: 'body' });
        if (list.length === 0 || list.length > BATCH_LIMIT) {
          throw new AppError('VALIDATION_FAILED', `body: 1 to ${BATCH_LIMIT} messages`, { field: 'body' });
        }
        // With an Idempotency-Key, message i of the batch is keyed `<key>#<i>`: a replayed batch
        // gets the same ids back and queues nothing new.
        const key = idempotencyKey(ctx);
        const one = async (item: unknown, index: number) => {
          try {
            const idempotency =
              key === undefined ? undefined : { key: `${key}#${index}`, fingerprint: sha256Hex(JSON.stringify(item)) };
            return { index, id: await sendOne(deps, ctx.state.bridge, item, idempotency) };
          } catch (err) {
            const { status, body } = toHttpError(err);
            if (status >= 500 && status !== 503 && status !== 507)
              deps.logger.error({ err, index }, 'batch message failed');
            return {
              index,
              error: { ...body.error, ...(body.error.field ? { field: `[${index}].${body.error.field}` } : {}) },
            };
          }
        };
        // Items are accepted a slice at a time: parallel enough to overlap Redis round trips,
        // bounded so one batch cannot monopolise the process.
        const data = [];
        for (let start = 0; start < list.length; start += BATCH_PARALLELISM) {
          data.push(
            ...(await Promise.all(list.slice(start, start + BATCH_PARALLELISM).map((item, i) => one(item, start + i)))),
          );
        }
        ctx.status = 200;
        ctx.body = { data };
      },
    },
  ];
  routes.push({
    method: 'get',
    path: '/v1/messages/:id',
    operationId: 'getMessage',
    tag: 'send',
    summary: "Every event of one of this Bridge's messages, in order, with SMTP replies",
    auth: 'bridge',
    responses: {
      200: { description: 'The timeline', schema: z.object({ data: z.array(z.record(z.string(), z.unknown())) }) },
    },
    errors: ['NOT_FOUND', 'UNAUTHENTICATED', 'INVALID_CREDENTIALS', 'CREDENTIAL_REVOKED', 'BRIDGE_DELETED'],
    handler: async (ctx) => {
      const data = await deps.timeline((ctx.params as Record<string, string>).id ?? '', ctx.state.bridge.id);
      if (data.length === 0) throw new AppError('NOT_FOUND', 'no such message for this Bridge');
      ctx.body = { data };
    },
  });
  routes.push({
    method: 'delete',
    path: '/v1/messages/:id',
    operationId: 'cancelMessage',
    tag: 'send',
    summary: "Cancel one of this Bridge's scheduled messages (`sendAt`) before it is due",
    description:
      'Answers 200 with the recipients that will not get it, and a `cancelled` event (reason `api`) goes out ' +
      'per recipient. Cancelling an already cancelled message answers 200 again. 409 `MESSAGE_ALREADY_SENT` ' +
      'once its delivery has started (or when it was not scheduled); 404 for a message of another Bridge.',
    auth: 'bridge',
    responses: { 200: { description: 'Cancelled', schema: CANCELLED_SCHEMA } },
    errors: [
      'MESSAGE_NOT_FOUND',
      'MESSAGE_ALREADY_SENT',
      'UNAUTHENTICATED',
      'INVALID_CREDENTIALS',
      'CREDENTIAL_REVOKED',
      'BRIDGE_DELETED',
    ],
    handler: async (ctx) => {
      const cancelled = await deps.cancel((ctx.params as Record<string, string>).id ?? '', ctx.state.bridge.id);
      ctx.body = { id: cancelled.id, status: 'cancelled', recipients: cancelled.recipients, sendAt: cancelled.sendAt };
    },
  });
  routes.push({
    method: 'get',
    path: '/v1/messages',
    operationId: 'searchMessages',
    tag: 'send',
    summary: "This Bridge's messages per recipient with their latest state, newest accepted first, paged by cursor",
    description:
      'One row per (message, recipient). `status` filters on the latest state; `from` and `to` on when the ' +
      'message was accepted, so paging by `cursor` has neither duplicates nor gaps while new mail arrives.',
    auth: 'bridge',
    query: BRIDGE_MESSAGE_SEARCH_QUERY,
    responses: {
      200: {
        description: 'A page of rows',
        schema: z.object({
          data: z.array(
            MESSAGE_ROW_SCHEMA.extend({
              timeline: z.string().describe('Path of the timeline (`GET /v1/messages/:id`)'),
            }),
          ),
          nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last one'),
        }),
      },
    },
    errors: ['VALIDATION_FAILED', 'UNAUTHENTICATED', 'INVALID_CREDENTIALS', 'CREDENTIAL_REVOKED', 'BRIDGE_DELETED'],
    handler: async (ctx) => {
      const search = toMessageSearch(validate(BRIDGE_MESSAGE_SEARCH_QUERY, ctx.query));
      const page = await deps.messages({ ...search, bridgeId: ctx.state.bridge.id });
      ctx.body = {
        data: page.rows.map((row) => ({ ...row, timeline: `/v1/messages/${encodeURIComponent(row.messageId)}` })),
        nextCursor: page.next ? encodeMessageCursor(page.next) : null,
      };
    },
  });
  routes.push(...trackingRoutes<SendState>(deps.tracking));
  return withOpenApiRoute(
    routes,
    { title: 'Bridgemail send API', description: 'Send mail through a Bridge.' },
    (doc) => (ctx) => {
      ctx.body = doc;
    },
  );
}

/** Builds the Koa app of the send port. */
export function createSendApp(deps: SendAppDeps): Koa<SendState> {
  const app = new Koa<SendState>();
  app.proxy = false;
  const router = new Router<SendState>();
  const authenticate: Koa.Middleware<SendState> = async (ctx, next) => {
    ctx.state.bridge = await deps.auth.apiKey(ctx.ip, bearerToken(ctx.get('authorization') || undefined));
    await next();
  };
  for (const route of sendRoutes(deps)) {
    const chain = route.auth === 'bridge' ? [authenticate, route.handler] : [route.handler];
    router.register(route.path, [route.method.toUpperCase()], chain);
  }
  app.use(renderErrors(deps.logger));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
