import Router from '@koa/router';
import Koa from 'koa';
import { AppError, bearerToken, renderErrors, safeEqual, sha256Hex, withOpenApiRoute } from '../core/index.js';
import type { AdminAppDeps, AdminRoute, AdminState } from './admin-route.js';
import { auditRoutes } from './routes/audit-routes.js';
import { bridgeRoutes } from './routes/bridge-routes.js';
import { domainRoutes } from './routes/domain-routes.js';
import { shapingRoutes } from './routes/shaping-routes.js';
import { suppressionRoutes } from './routes/suppression-routes.js';
import { reportRoutes } from './routes/report-routes.js';
import { webhookRoutes } from './routes/webhook-routes.js';
import { statsRoutes } from './routes/stats-routes.js';
import { handoverRoutes } from './routes/handover-routes.js';
import { poolRoutes } from './routes/pool-routes.js';

/** Every route of the admin port, `/openapi.json` included. */
export function adminRoutes(deps: AdminAppDeps): AdminRoute[] {
  return withOpenApiRoute(
    [...poolRoutes(deps), ...bridgeRoutes(deps), ...handoverRoutes(deps), ...domainRoutes(deps), ...shapingRoutes(deps), ...suppressionRoutes(deps), ...reportRoutes(deps), ...webhookRoutes(deps), ...statsRoutes(deps), ...auditRoutes(deps)],
    { title: 'Bridgemail admin API', description: 'Manage Pools, IPs, Bridges and DKIM domains; read stats and the audit log.' },
    (doc) => (ctx) => {
      ctx.body = doc;
    },
  );
}

/** Builds the Koa app of the admin port; routes marked `admin` need the admin token. */
export function createAdminApp(deps: AdminAppDeps): Koa<AdminState> {
  const app = new Koa<AdminState>();
  const router = new Router<AdminState>();
  const actor = `adm_${sha256Hex(deps.adminToken).slice(0, 12)}`;
  const authenticate: Koa.Middleware<AdminState> = async (ctx, next) => {
    await deps.limiter.check('admin', ctx.ip, 'admin');
    if (!safeEqual(bearerToken(ctx.get('authorization') || undefined), deps.adminToken)) {
      await deps.limiter.recordFailure('admin', ctx.ip, 'admin');
      throw new AppError('INVALID_CREDENTIALS', 'invalid admin token');
    }
    ctx.state.actor = actor;
    await next();
  };
  for (const route of adminRoutes(deps)) {
    const chain = route.auth === 'admin' ? [authenticate, route.handler] : [route.handler];
    router.register(route.path, [route.method.toUpperCase()], chain as Koa.Middleware<AdminState>[]);
  }
  app.use(renderErrors(deps.logger));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
