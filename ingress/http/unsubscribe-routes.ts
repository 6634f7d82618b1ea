import type Koa from 'koa';
import { z } from 'zod';
import {
  readBody,
  type Logger,
  type RouteSpec,
  type TrackingTokens,
  type UnsubscribeTarget,
} from '../../core/index.js';

/** Collaborators of the List-Unsubscribe endpoints. */
export interface UnsubscribeRoutesDeps {
  tokens: TrackingTokens;
  /** Suppresses the recipient for the Bridge and records `unsubscribed` (once); `unsubscribeRecipient` of core. */
  unsubscribe: (target: UnsubscribeTarget) => Promise<boolean>;
  logger: Logger;
}

/** The RFC 8058 body, as the POST carries it (form-encoded or multipart). */
const ONE_CLICK_BODY = z.object({ 'List-Unsubscribe': z.literal('One-Click') });

/** A one-click POST body is one short field: anything longer is not one. */
const MAX_BODY_BYTES = 4096;

const NO_CACHE = 'no-store, no-cache, must-revalidate, private, max-age=0';

/** The `:token` path parameter (@koa/router sets `ctx.params` to a string record). */
const tokenParam = (ctx: Koa.Context): string => (ctx.params as Record<string, string | undefined>).token ?? '';

/** A small self-contained HTML page: no script, no outside resource, not indexed. */
function page(ctx: Koa.Context, status: number, title: string, body: string): void {
  ctx.status = status;
  ctx.set('Cache-Control', NO_CACHE);
  ctx.set('X-Robots-Tag', 'noindex, nofollow');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
  ctx.type = 'text/html; charset=utf-8';
  ctx.body =
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>` +
    `<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#111}` +
    `button{font:inherit;padding:.5rem 1rem}</style></head>` +
    `<body><main><h1>${title}</h1>${body}</main></body></html>`;
}

/** Whether a POST body is RFC 8058's `List-Unsubscribe=One-Click`, form-encoded or as a multipart field. */
function isOneClick(ctx: Koa.Context, body: Buffer): boolean {
  const text = body.toString('utf8');
  if (ctx.is('multipart/form-data')) {
    return /name="?List-Unsubscribe"?[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\nOne-Click\r?\n/i.test(text);
  }
  const fields = Object.fromEntries(new URLSearchParams(text.trim()));
  return ONE_CLICK_BODY.safeParse(fields).success;
}

/**
 * `GET /u/:token` and `POST /u/:token`, the https URL of a List-Unsubscribe header. The POST with
 * `List-Unsubscribe=One-Click` (what mailbox providers send, RFC 8058) unsubscribes; the GET only
 * shows a page whose button makes that POST, because link scanners fetch every URL of a message.
 * A token that does not verify answers a 404 page that tells nothing.
 */
export function unsubscribeRoutes<S>(deps: UnsubscribeRoutesDeps): (RouteSpec & { handler: Koa.Middleware<S> })[] {
  const claimsOf = (ctx: Koa.Context) => {
    const claims = deps.tokens.verify(tokenParam(ctx), 'u');
    return claims?.r ? claims : undefined;
  };
  // A browser (Accept: text/html) is shown a page; any other client gets the JSON error.
  const refuse = (ctx: Koa.Context, status: 400 | 404, error: { code: string; message: string; field?: string }) => {
    if (ctx.accepts('json', 'html') === 'html') {
      const title = status === 404 ? 'Link not found' : 'Unsubscribe';
      return page(ctx, status, title, `<p>${status === 404 ? 'This link is not valid.' : 'Nothing was changed.'}</p>`);
    }
    ctx.status = status;
    ctx.set('Cache-Control', NO_CACHE);
    ctx.body = { error };
  };
  const notFound = (ctx: Koa.Context) => refuse(ctx, 404, { code: 'NOT_FOUND', message: 'unknown unsubscribe link' });
  const base = {
    tag: 'tracking',
    auth: 'none' as const,
    errors: ['NOT_FOUND' as const],
    description:
      'A token that does not verify answers 404. Errors are JSON, or a short HTML page for a browser ' +
      '(`Accept: text/html`).',
  };
  const html = { contentType: 'text/html' };
  return [
    {
      ...base,
      method: 'get',
      path: '/u/:token',
      operationId: 'unsubscribePage',
      summary: 'List-Unsubscribe link: a confirmation page whose button unsubscribes (POST); never unsubscribes itself',
      responses: { 200: { description: 'text/html: the confirmation page', ...html } },
      handler: (ctx) => {
        if (!claimsOf(ctx)) return notFound(ctx);
        page(
          ctx,
          200,
          'Unsubscribe',
          '<p>Stop receiving these emails?</p>' +
            '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">' +
            '<button type="submit">Unsubscribe</button></form>',
        );
      },
    },
    {
      ...base,
      method: 'post',
      path: '/u/:token',
      operationId: 'unsubscribeOneClick',
      summary: 'One-click unsubscribe (RFC 8058): suppresses the recipient for the Bridge and records `unsubscribed`',
      description:
        'The body is `List-Unsubscribe=One-Click`. Idempotent: a repeated POST answers 200 again and records ' +
        `nothing more. ${base.description}`,
      errors: ['NOT_FOUND', 'VALIDATION_FAILED'],
      body: {
        schema: ONE_CLICK_BODY,
        contentTypes: ['application/x-www-form-urlencoded', 'multipart/form-data'],
      },
      responses: { 200: { description: 'text/html: unsubscribed', ...html } },
      handler: async (ctx) => {
        const claims = claimsOf(ctx);
        if (!claims) return notFound(ctx);
        const declared = Number(ctx.get('content-length'));
        const body = await readBody(ctx.req, MAX_BODY_BYTES, Number.isFinite(declared) ? declared : undefined);
        if (!isOneClick(ctx, body)) {
          return refuse(ctx, 400, {
            code: 'VALIDATION_FAILED',
            message: 'the body must be List-Unsubscribe=One-Click',
            field: 'List-Unsubscribe',
          });
        }
        const added = await deps.unsubscribe({
          messageId: claims.m,
          bridgeId: claims.b,
          poolId: claims.p,
          recipient: claims.r,
        });
        if (added) deps.logger.info({ messageId: claims.m, bridgeId: claims.b }, 'recipient unsubscribed (one-click)');
        page(ctx, 200, 'Unsubscribed', '<p>You will no longer receive these emails.</p>');
      },
    },
  ];
}
