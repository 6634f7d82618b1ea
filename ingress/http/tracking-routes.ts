import type Koa from 'koa';
import type { EventPublisher, Logger, RouteSpec, TrackingTokens } from '../../core/index.js';
import { machineReason } from './machine-detect.js';
import { unsubscribeRoutes, type UnsubscribeRoutesDeps } from './unsubscribe-routes.js';

/** The `:token` path parameter (@koa/router sets `ctx.params` to a string record). */
const tokenParam = (ctx: Koa.Context): string => (ctx.params as Record<string, string | undefined>).token ?? '';

/** The 43-byte transparent 1×1 GIF of the open pixel. */
export const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');

/** Collaborators of the tracking endpoints. */
export interface TrackingRoutesDeps {
  tokens: TrackingTokens;
  events: EventPublisher;
  logger: Logger;
  /** Clicks sooner than this after sending are attributed to link scanners. */
  scannerWindowMs: number;
  /** The one-click unsubscribe of a List-Unsubscribe URL (`/u/:token`, served beside the tracking endpoints). */
  unsubscribe: UnsubscribeRoutesDeps['unsubscribe'];
}

const NO_CACHE = 'no-store, no-cache, must-revalidate, private, max-age=0';

/**
 * `GET /t/o/:token` (open pixel) and `GET /t/c/:token` (click redirect) on the send port, and the
 * List-Unsubscribe endpoints `GET|POST /u/:token` (unsubscribe-routes.ts).
 */
export function trackingRoutes<S>(deps: TrackingRoutesDeps): (RouteSpec & { handler: Koa.Middleware<S> })[] {
  const record = (
    ctx: Koa.Context,
    claims: NonNullable<ReturnType<TrackingTokens['verify']>>,
    type: 'opened' | 'clicked',
  ) => {
    const request = { userAgent: ctx.get('user-agent'), clientIp: ctx.ip };
    const kind = type === 'opened' ? 'o' : 'c';
    const machine = machineReason(kind, request, claims.t, Date.now(), deps.scannerWindowMs);
    const event = {
      type,
      messageId: claims.m,
      bridgeId: claims.b,
      poolId: claims.p,
      recipient: claims.r,
      userAgent: request.userAgent.slice(0, 500),
      clientIp: request.clientIp,
      machine: machine !== undefined,
      ...(machine ? { reason: machine } : {}),
      ...(claims.u ? { url: claims.u } : {}),
    };
    // Recording never stands between a reader and the pixel or the link.
    deps.events
      .publish([event])
      .catch((err: unknown) => deps.logger.warn({ err, messageId: claims.m }, 'tracking event not recorded'));
  };
  const notFound = (ctx: Koa.Context) => {
    ctx.status = 404;
    ctx.set('Cache-Control', NO_CACHE);
    ctx.body = { error: { code: 'NOT_FOUND', message: 'unknown tracking link' } };
  };
  const base = { tag: 'tracking', auth: 'none' as const, errors: ['NOT_FOUND' as const] };
  return [
    {
      ...base,
      method: 'get',
      path: '/t/o/:token',
      operationId: 'trackOpen',
      summary: 'Open pixel: records an open and answers a 43-byte transparent GIF, never cached',
      responses: { 200: { description: 'image/gif, 1×1 transparent', contentType: 'image/gif' } },
      handler: (ctx) => {
        const claims = deps.tokens.verify(tokenParam(ctx), 'o');
        if (!claims) return notFound(ctx);
        record(ctx, claims, 'opened');
        ctx.set('Cache-Control', NO_CACHE);
        ctx.set('Pragma', 'no-cache');
        ctx.set('Expires', '0');
        ctx.type = 'image/gif';
        ctx.body = PIXEL_GIF;
      },
    },
    {
      ...base,
      method: 'get',
      path: '/t/c/:token',
      operationId: 'trackClick',
      summary: 'Tracked link: records a click and redirects (302) to the original URL carried in the token',
      description: 'A token that does not verify answers 404, never a redirect: no open redirect can be forged.',
      responses: { 302: { description: 'Redirect to the original URL', headers: { Location: 'The original URL' } } },
      handler: (ctx) => {
        const claims = deps.tokens.verify(tokenParam(ctx), 'c');
        if (!claims?.u) return notFound(ctx);
        record(ctx, claims, 'clicked');
        ctx.set('Cache-Control', NO_CACHE);
        // The exact original URL, query and fragment intact (no re-encoding).
        ctx.status = 302;
        ctx.set('Location', locationHeader(claims.u));
        ctx.body = '';
      },
    },
    ...unsubscribeRoutes<S>({ tokens: deps.tokens, unsubscribe: deps.unsubscribe, logger: deps.logger }),
  ];
}

/**
 * The URL as a valid Location header: unchanged when it is plain ASCII (the redirect goes to the
 * exact URL the sender wrote), otherwise in its WHATWG serialisation (IDN host in punycode,
 * path and query percent-encoded), which browsers treat as the same URL.
 */
export function locationHeader(url: string): string {
  if (/^[\x21-\x7e]*$/.test(url)) return url;
  try {
    return new URL(url).href;
  } catch {
    return encodeURI(url);
  }
}
