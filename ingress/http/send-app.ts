import Router from '@koa/router';
import Koa from 'koa';
import { z } from 'zod';
import {
  AppError,
  bearerToken,
  withOpenApiRoute,
  newId,
  parseJson,
  readBody,
  renderErrors,
  validate,
  type AuthenticatedBridge,
  type Authenticator,
  type Logger,
  type RouteSpec,
  type Submission,
} from '../../core/index.js';
import { buildMime, envelopeRecipients } from './build-mime.js';
import { readMultipartSend } from './multipart-body.js';
import { sendRequestSchema } from './send-schema.js';
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
}

interface SendState {
  bridge: AuthenticatedBridge;
}

type SendRoute = RouteSpec & { handler: Koa.Middleware<SendState> };

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
        'Answers 202 once the message is durably queued. JSON, or multipart/form-data with the same text fields (to, cc, bcc repeatable; headers as a JSON string) and each file part as an attachment.',
      auth: 'bridge',
      body: { schema: sendRequestSchema, contentTypes: ['application/json', 'multipart/form-data'] },
      responses: { 202: { description: 'Queued', schema: z.object({ id: z.string().describe('Message id') }) } },
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'TOO_MANY_RECIPIENTS', 'UNAUTHENTICATED', 'INVALID_CREDENTIALS', 'CREDENTIAL_REVOKED', 'MESSAGE_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'AUTH_RATE_LIMITED', 'QUEUE_UNAVAILABLE'],
      handler: async (ctx) => {
        let raw: unknown;
        if (ctx.is('application/json')) {
          const declared = Number(ctx.get('content-length') || NaN);
          raw = parseJson(await readBody(ctx.req, bodyLimit, Number.isFinite(declared) ? declared : undefined));
        } else if (ctx.is('multipart/form-data')) {
          raw = await readMultipartSend(ctx.req, ctx.headers, bodyLimit);
        } else {
          throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send application/json or multipart/form-data');
        }
        const req = validate(sendRequestSchema, raw);
        const recipients = envelopeRecipients(req);
        if (recipients.length > deps.maxRecipients) {
          throw new AppError('TOO_MANY_RECIPIENTS', `at most ${deps.maxRecipients} recipients per message`, { field: 'to' });
        }
        const messageId = newId('msg');
        const mime = await buildMime(req, `<${messageId}@${deps.messageIdDomain}>`);
        if (mime.length > deps.maxMessageBytes) {
          throw new AppError('MESSAGE_TOO_LARGE', `message exceeds ${deps.maxMessageBytes} bytes`);
        }
        const id = await deps.accept({ bridge: ctx.state.bridge, from: req.from.address, recipients, raw: mime, messageId });
        ctx.status = 202;
        ctx.body = { id };
      },
    },
  ];
  routes.push(...trackingRoutes<SendState>(deps.tracking));
  return withOpenApiRoute(routes, { title: 'Bridgemail send API', description: 'Send mail through a Bridge.' }, (doc) => (ctx) => {
    ctx.body = doc;
  });
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
