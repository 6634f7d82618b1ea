import Router from '@koa/router';
import Koa from 'koa';
import {
  AppError,
  bearerToken,
  newId,
  parseJson,
  readBody,
  renderErrors,
  validate,
  type AuthenticatedBridge,
  type Logger,
  type Store,
  type Submission,
} from '../../core/index.js';
import { buildMime, envelopeRecipients } from './build-mime.js';
import { sendRequestSchema } from './send-schema.js';

/** Collaborators of the send API. */
export interface SendAppDeps {
  store: Pick<Store, 'authenticateApiKey'>;
  /** Queues an authenticated submission and returns its message id. */
  accept: (submission: Submission & { messageId: string }) => Promise<string>;
  logger: Logger;
  maxMessageBytes: number;
  maxRecipients: number;
  /** Domain part of generated Message-ID headers. */
  messageIdDomain: string;
}

interface SendState {
  bridge: AuthenticatedBridge;
}

/** Builds the Koa app of the send port: `POST /v1/send`. */
export function createSendApp(deps: SendAppDeps): Koa<SendState> {
  const app = new Koa<SendState>();
  const router = new Router<SendState>();
  // JSON carries attachments as base64 (4/3 of their size) plus some envelope.
  const jsonLimit = Math.ceil((deps.maxMessageBytes * 4) / 3) + 1024 * 1024;

  const authenticate: Koa.Middleware<SendState> = async (ctx, next) => {
    ctx.state.bridge = await deps.store.authenticateApiKey(bearerToken(ctx.get('authorization') || undefined));
    await next();
  };

  router.post('/v1/send', authenticate, async (ctx) => {
    if (!ctx.is('application/json')) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send a JSON body with Content-Type: application/json');
    }
    const declared = Number(ctx.get('content-length') || NaN);
    const body = await readBody(ctx.req, jsonLimit, Number.isFinite(declared) ? declared : undefined);
    const req = validate(sendRequestSchema, parseJson(body));
    const recipients = envelopeRecipients(req);
    if (recipients.length > deps.maxRecipients) {
      throw new AppError('TOO_MANY_RECIPIENTS', `at most ${deps.maxRecipients} recipients per message`, { field: 'to' });
    }
    const messageId = newId('msg');
    const raw = await buildMime(req, `<${messageId}@${deps.messageIdDomain}>`);
    if (raw.length > deps.maxMessageBytes) {
      throw new AppError('MESSAGE_TOO_LARGE', `message exceeds ${deps.maxMessageBytes} bytes`);
    }
    const id = await deps.accept({ bridge: ctx.state.bridge, from: req.from.address, recipients, raw, messageId });
    ctx.status = 202;
    ctx.body = { id };
  });

  app.use(renderErrors(deps.logger));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
