import Router from '@koa/router';
import Koa from 'koa';
import {
  ADMIN_PRINCIPAL,
  AppError,
  bearerToken,
  renderErrors,
  safeEqual,
  sha256Hex,
  withOpenApiRoute,
} from '../core/index.js';
import type { AdminAppDeps, AdminRoute, AdminState } from './admin-route.js';
import { scopeStore, type AdminScope } from './account-scope.js';
import { accountRoutes } from './routes/account-routes.js';
import { consoleRoutes } from './console/console-routes.js';
import { ConsoleSessions, CSRF_HEADER, SESSION_COOKIE } from './console/console-session.js';
import { QUEUE_BOARD_PATH, queueBoard } from './console/queue-board.js';
import { staticConsole } from './console/static-console.js';
import { queueRoutes } from './routes/queue-routes.js';
import { analystRoutes } from './routes/analyst-routes.js';
import { auditRoutes } from './routes/audit-routes.js';
import { bridgeRoutes } from './routes/bridge-routes.js';
import { domainRoutes } from './routes/domain-routes.js';
import { shapingRoutes } from './routes/shaping-routes.js';
import { suppressionRoutes } from './routes/suppression-routes.js';
import { reportRoutes } from './routes/report-routes.js';
import { webhookRoutes } from './routes/webhook-routes.js';
import { statsRoutes } from './routes/stats-routes.js';
import { messageRoutes } from './routes/message-routes.js';
import { credentialsSamplesRoutes } from './routes/credentials-samples-routes.js';
import { poolRoutes } from './routes/pool-routes.js';
import { authBlockRoutes } from './routes/auth-block-routes.js';
import { templateRoutes } from './routes/template-routes.js';

/** Every route of the admin port, `/openapi.json` included. */
export function adminRoutes(deps: AdminAppDeps, sessions = new ConsoleSessions(deps.adminToken)): AdminRoute[] {
  return withOpenApiRoute(
    [
      ...consoleRoutes(deps, sessions),
      ...queueRoutes(deps),
      ...poolRoutes(deps),
      ...bridgeRoutes(deps),
      ...credentialsSamplesRoutes(deps),
      ...domainRoutes(deps),
      ...shapingRoutes(deps),
      ...suppressionRoutes(deps),
      ...reportRoutes(deps),
      ...webhookRoutes(deps),
      ...templateRoutes(deps),
      ...statsRoutes(deps),
      ...messageRoutes(deps),
      ...auditRoutes(deps),
      ...authBlockRoutes(deps),
      ...analystRoutes(deps),
      ...accountRoutes(deps),
    ],
    {
      title: 'Bridgemail admin API',
      description: 'Manage Pools, IPs, Bridges and DKIM domains; read stats and the audit log.',
    },
    (doc) => (ctx) => {
      ctx.body = doc;
    },
  );
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Builds the Koa app of the admin port: the admin API (routes marked `admin` need the admin token
 * as a Bearer token, or the console's session cookie plus its CSRF token on changes), the web
 * console at `/` and bull-board at `/queues` (behind the same session).
 */
export function createAdminApp(deps: AdminAppDeps): Koa<AdminState> {
  const app = new Koa<AdminState>();
  const router = new Router<AdminState>();
  const sessions = new ConsoleSessions(deps.adminToken);
  const actor = `adm_${sha256Hex(deps.adminToken).slice(0, 12)}`;
  const authenticate: Koa.Middleware<AdminState> = async (ctx, next) => {
    const session = ctx.get('authorization') ? undefined : sessions.verify(ctx.cookies.get(SESSION_COOKIE));
    let scope: AdminScope = 'operator';
    let who = actor;
    if (session) {
      // A cookie rides along with any request the browser makes: changes need the CSRF token too.
      if (!SAFE_METHODS.has(ctx.method) && !sessions.checkCsrf(session, ctx.get(CSRF_HEADER) || undefined)) {
        throw new AppError('CSRF_TOKEN_INVALID', `missing or wrong ${CSRF_HEADER} header`);
      }
      if (session.tokenId !== undefined) {
        // An account's session lives as long as its token: a revoked token ends it at once.
        const account = await deps.store.useAccountToken(session.tokenId);
        if (!account) throw new AppError('UNAUTHENTICATED', 'the token of this session was revoked');
        scope = { accountId: account.accountId };
        who = account.tokenId;
      }
    } else {
      const token = bearerToken(ctx.get('authorization') || undefined);
      const account = await deps.limiter.guard(
        'admin',
        ctx.ip,
        () => ADMIN_PRINCIPAL,
        () => verifyAdminToken(token),
      );
      if (account) {
        scope = { accountId: account.accountId };
        who = account.tokenId;
      }
    }
    ctx.state.actor = who;
    ctx.state.scope = scope;
    ctx.state.store = scopeStore(deps.store, scope);
    await next();
  };
  /** The operator token (undefined) or an account token (its account); throws `INVALID_CREDENTIALS`. */
  const verifyAdminToken = async (token: string) => {
    if (safeEqual(token, deps.adminToken)) return undefined;
    const account = await deps.store.authenticateAccountToken(token);
    if (!account) throw new AppError('INVALID_CREDENTIALS', 'invalid admin token');
    return account;
  };
  // Routes for the operator only do not exist for an account token: 404, like another account's object.
  const operatorOnly: Koa.Middleware<AdminState> = async (ctx, next) => {
    if (ctx.state.scope !== 'operator') throw new AppError('NOT_FOUND', 'no such resource');
    await next();
  };
  const board = queueBoard(deps.queues, deps.logger);
  const boardGate: Koa.Middleware<AdminState> = async (ctx, next) => {
    if (ctx.path !== QUEUE_BOARD_PATH && !ctx.path.startsWith(`${QUEUE_BOARD_PATH}/`)) {
      await next();
      return;
    }
    const verified = sessions.verify(ctx.cookies.get(SESSION_COOKIE));
    // The queue dashboard shows every account's queues: the operator's only.
    const session = verified?.tokenId === undefined ? verified : undefined;
    if (!session) {
      if (ctx.method === 'GET' && ctx.accepts('html', 'json') === 'html')
        return ctx.redirect('/#/login?next=%2Fqueues');
      throw new AppError('UNAUTHENTICATED', 'log in to the console first');
    }
    // bull-board's own UI cannot send our CSRF header: its changes must at least come from our
    // origin (built from Host; Koa 3's ctx.origin echoes the request's Origin header).
    if (!SAFE_METHODS.has(ctx.method) && ctx.get('origin') !== `${ctx.protocol}://${ctx.host}`) {
      throw new AppError('CSRF_TOKEN_INVALID', 'cross-origin change refused');
    }
    await board(ctx, next);
  };
  for (const route of adminRoutes(deps, sessions)) {
    const chain =
      route.auth !== 'admin'
        ? [route.handler]
        : route.access === 'operator'
          ? [authenticate, operatorOnly, route.handler]
          : [authenticate, route.handler];
    router.register(route.path, [route.method.toUpperCase()], chain as Koa.Middleware<AdminState>[]);
  }
  app.use(renderErrors(deps.logger));
  app.use(staticConsole(deps.consoleDir));
  app.use(boardGate);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
