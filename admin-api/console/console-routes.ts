import { z } from 'zod';
import { ADMIN_PRINCIPAL, AppError, safeEqual, validate } from '../../core/index.js';
import { jsonBody, type AdminAppDeps, type AdminRoute } from '../admin-route.js';
import { SESSION_COOKIE, type ConsoleSessions } from './console-session.js';

const loginSchema = z.object({ token: z.string().min(1).max(512).describe('The admin token') }).strict();
const sessionSchema = z.object({
  authenticated: z.boolean(),
  csrfToken: z.string().nullable().describe('Send it as `X-CSRF-Token` on every change made with the session cookie'),
  expiresAt: z.string().nullable(),
});

/** Log in to the web console with the admin token, read the session, log out. */
export function consoleRoutes(deps: AdminAppDeps, sessions: ConsoleSessions): AdminRoute[] {
  const base = { tag: 'console', auth: 'none' as const };
  const view = (session: { id: string; expiresAt: number } | undefined) =>
    session
      ? {
          authenticated: true,
          csrfToken: sessions.csrfToken(session),
          expiresAt: new Date(session.expiresAt).toISOString(),
        }
      : { authenticated: false, csrfToken: null, expiresAt: null };
  return [
    {
      ...base,
      method: 'post',
      path: '/console/api/login',
      operationId: 'consoleLogin',
      summary: 'Exchange the admin token for a session cookie (HttpOnly, SameSite=Strict, Secure over TLS)',
      body: { schema: loginSchema },
      responses: { 200: { description: 'Logged in', schema: sessionSchema } },
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'INVALID_CREDENTIALS', 'AUTH_RATE_LIMITED'],
      handler: async (ctx) => {
        const { token } = validate(loginSchema, await jsonBody(ctx));
        await deps.limiter.guard(
          'console',
          ctx.ip,
          () => ADMIN_PRINCIPAL,
          () => {
            if (!safeEqual(token, deps.adminToken))
              throw new AppError('INVALID_CREDENTIALS', 'invalid admin token', { field: 'token' });
          },
        );
        const { cookie, session } = sessions.issue();
        ctx.cookies.set(SESSION_COOKIE, cookie, {
          httpOnly: true,
          sameSite: 'strict',
          secure: ctx.secure,
          path: '/',
          maxAge: sessions.ttlMs,
          overwrite: true,
        });
        deps.logger.info({ ip: ctx.ip }, 'console login');
        ctx.body = view(session);
      },
    },
    {
      ...base,
      method: 'get',
      path: '/console/api/session',
      operationId: 'consoleSession',
      summary: 'Whether the session cookie is valid, and its CSRF token',
      responses: { 200: { description: 'The session', schema: sessionSchema } },
      errors: [],
      handler: (ctx) => {
        ctx.set('Cache-Control', 'no-store');
        ctx.body = view(sessions.verify(ctx.cookies.get(SESSION_COOKIE)));
      },
    },
    {
      ...base,
      method: 'post',
      path: '/console/api/logout',
      operationId: 'consoleLogout',
      summary: 'End the session (clears the cookie)',
      responses: { 200: { description: 'Logged out', schema: sessionSchema } },
      errors: [],
      handler: (ctx) => {
        ctx.cookies.set(SESSION_COOKIE, '', {
          httpOnly: true,
          sameSite: 'strict',
          secure: ctx.secure,
          path: '/',
          maxAge: 0,
          overwrite: true,
        });
        ctx.body = view(undefined);
      },
    },
  ];
}
