import Router from '@koa/router';
import Koa from 'koa';
import type { BridgeStats } from '../analytics/queries/index.js';
import {
  AppError,
  bearerToken,
  parseJson,
  readBody,
  renderErrors,
  safeEqual,
  validate,
  type Bridge,
  type BridgeWithSecrets,
  type ControlMessage,
  type Logger,
  type Pool,
  type Store,
} from '../core/index.js';
import { createBridgeSchema, createPoolSchema } from './admin-schemas.js';

/** Where apps reach this platform; shown in each Bridge's credentials. */
export interface PublicEndpoints {
  host: string;
  smtpPort: number;
  smtpsPort: number;
  apiUrl: string;
}

/** Collaborators of the admin API. */
export interface AdminAppDeps {
  store: Store;
  stats: (bridgeId: string) => Promise<BridgeStats>;
  /** Announces a control-plane change to every process. */
  announce: (message: ControlMessage) => Promise<void>;
  endpoints: () => PublicEndpoints;
  adminToken: string;
  logger: Logger;
}

const JSON_LIMIT = 1024 * 1024;

/** The JSON shape of a Pool. */
export function poolView(pool: Pool) {
  return { id: pool.id, name: pool.name, ips: pool.ips.map((i) => i.ip), weights: Object.fromEntries(pool.ips.map((i) => [i.ip, i.weight])), createdAt: pool.createdAt.toISOString() };
}

/** The JSON shape of a Bridge; credentials included when its secrets are given. */
export function bridgeView(bridge: Bridge | BridgeWithSecrets, endpoints: PublicEndpoints) {
  const secrets = 'secrets' in bridge ? bridge.secrets : undefined;
  return {
    id: bridge.id,
    name: bridge.name,
    poolId: bridge.poolId,
    trackOpens: bridge.trackOpens,
    trackClicks: bridge.trackClicks,
    status: bridge.deletedAt ? 'deleted' : 'active',
    smtpStatus: bridge.smtpStatus,
    apiStatus: bridge.apiStatus,
    smtp: {
      host: endpoints.host,
      port: endpoints.smtpPort,
      securePort: endpoints.smtpsPort,
      encryption: { port: 'STARTTLS', securePort: 'TLS' },
      username: bridge.smtpUsername,
      ...(secrets ? { password: secrets.smtpPassword } : {}),
    },
    ...(secrets ? { apiKey: secrets.apiKey } : {}),
    sendEndpoint: `${endpoints.apiUrl}/v1/send`,
    createdAt: bridge.createdAt.toISOString(),
    updatedAt: bridge.updatedAt.toISOString(),
  };
}

/** Builds the Koa app of the admin port (`/admin/v1/...`), every route behind the admin token. */
export function createAdminApp(deps: AdminAppDeps): Koa {
  const app = new Koa();
  const router = new Router({ prefix: '/admin/v1' });
  const body = async (ctx: Koa.Context) => parseJson(await readBody(ctx.req, JSON_LIMIT));

  router.use(async (ctx, next) => {
    if (!safeEqual(bearerToken(ctx.get('authorization') || undefined), deps.adminToken)) {
      throw new AppError('INVALID_CREDENTIALS', 'invalid admin token');
    }
    await next();
  });

  router.post('/pools', async (ctx) => {
    const input = validate(createPoolSchema, await body(ctx));
    const pool = await deps.store.createPool(input);
    await deps.announce({ type: 'pool-changed', poolId: pool.id });
    deps.logger.info({ poolId: pool.id, ips: pool.ips.length }, 'pool created');
    ctx.status = 201;
    ctx.body = poolView(pool);
  });
  router.get('/pools', async (ctx) => {
    ctx.body = { data: (await deps.store.listPools()).map(poolView) };
  });
  router.get('/pools/:id', async (ctx) => {
    const pool = await deps.store.getPool(ctx.params.id ?? '');
    if (!pool) throw new AppError('NOT_FOUND', 'no such pool');
    ctx.body = poolView(pool);
  });

  router.post('/bridges', async (ctx) => {
    const input = validate(createBridgeSchema, await body(ctx));
    const bridge = await deps.store.createBridge(input);
    deps.logger.info({ bridgeId: bridge.id, poolId: bridge.poolId }, 'bridge created');
    ctx.status = 201;
    ctx.body = bridgeView(bridge, deps.endpoints());
  });
  router.get('/bridges', async (ctx) => {
    const endpoints = deps.endpoints();
    ctx.body = { data: (await deps.store.listBridges()).map((b) => bridgeView(b, endpoints)) };
  });
  router.get('/bridges/:id', async (ctx) => {
    const bridge = await deps.store.getBridgeWithSecrets(ctx.params.id ?? '');
    if (!bridge) throw new AppError('NOT_FOUND', 'no such bridge');
    ctx.body = bridgeView(bridge, deps.endpoints());
  });
  router.get('/bridges/:id/stats', async (ctx) => {
    const bridge = await deps.store.getBridge(ctx.params.id ?? '');
    if (!bridge) throw new AppError('NOT_FOUND', 'no such bridge');
    ctx.body = await deps.stats(bridge.id);
  });

  app.use(renderErrors(deps.logger));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
