import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type Koa from 'koa';
import serve from 'koa-static';

/** Security headers of every console page and asset. */
const CONSOLE_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

/**
 * Serves the built web console from `dir`: `/` is its `index.html` (never cached), `/assets/*`
 * are content-hashed files (cached for a year). Other paths fall through. Without a build, `/`
 * answers 503 saying how to make one.
 */
export function staticConsole(dir: string): Koa.Middleware {
  const files = serve(dir, { index: 'index.html', defer: false, maxage: 0, gzip: false, brotli: false, hidden: false });
  let built: boolean | undefined;
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      await next();
      return;
    }
    const isPage = ctx.path === '/' || ctx.path === '/index.html';
    const isAsset = ctx.path.startsWith('/assets/') || ctx.path === '/favicon.svg';
    if (!isPage && !isAsset) {
      await next();
      return;
    }
    built ??= await access(join(dir, 'index.html')).then(
      () => true,
      () => false,
    );
    if (!built) {
      built = undefined;
      ctx.status = 503;
      ctx.type = 'text/plain';
      ctx.body = 'The web console is not built: run `npm run build:web` (./scripts/start does it).\n';
      return;
    }
    ctx.set(CONSOLE_HEADERS);
    ctx.set(
      'Cache-Control',
      isAsset && ctx.path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    );
    await files(ctx, next);
  };
}
