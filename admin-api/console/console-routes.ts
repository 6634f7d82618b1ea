import { z } from 'zod';
import { ADMIN_PRINCIPAL, AppError, safeEqual, validate } from '../../core/index.js';
import { jsonBody, type AdminAppDeps, type AdminRoute } from '../admin-route.js';
import { SESSION_COOKIE, type ConsoleSession, type ConsoleSessions } from './console-session.js';

const loginSchema = z
  .object({ token: z.string().min(1).max(512).describe('The admin token, or an account token (bma_…)') })
  .strict();
const sessionSchema = z.object({
  authenticated: z.boolean(),
  account: z
    .object({ id: z.string(), name: z.string() })
    .nullable()
    .describe(
      "The account of a session opened with an account token (the console shows that account's objects only); null: the operator",
    ),
  csrfToken: z.string().nullable().describe('Send it as `X-CSRF-Token` on every change made with the session cookie'),
  expiresAt: z.string().nullable(),
});

/** Log in to the web console with the admin token, read the session, log out. */
export function consoleRoutes(deps: AdminAppDeps, sessions: ConsoleSessions): AdminRoute[] {
  const base = { tag: 'console', auth: 'none' as const };
  const view = (session: ConsoleSession | undefined, account: { id: string; name: string } | null = null) =>
    session
      ? {
          authenticated: true,
          account,
          csrfToken: sessions.csrfToken(session),
          expiresAt: new Date(session.expiresAt).toISOString(),
        }
      : { authenticated: false, account: null, csrfToken: null, expiresAt: null };
  /** The account of a session opened with an account token; undefined once that token is revoked. */
  const accountOf = async (tokenId: string) => {
    const used = await deps.store.useAccountToken(tokenId);
    const account = used && (await deps.store.getAccount(used.accountId));
    return account && { id: account.id, name: account.name };
  };
  return [
    {
      ...base,
      method: 'post',
      path: '/console/api/login',
      operationId: 'consoleLogin',
      summary:
        'Exchange the admin token or an account token for a session cookie (HttpOnly, SameSite=Strict, Secure over TLS)',
      body: { schema: loginSchema },
      responses: { 200: { description: 'Logged in', schema: sessionSchema } },
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'INVALID_CREDENTIALS', 'AUTH_RATE_LIMITED'],
      handler: async (ctx) => {
        const { token } = validate(loginSchema, await jsonBody(ctx));
        const tokenId = await deps.limiter.guard(
          'console',
          ctx.ip,
          () => ADMIN_PRINCIPAL,
          async () => {
            if (safeEqual(token, deps.adminToken)) return undefined;
            const account = await deps.store.authenticateAccountToken(token);
            if (!account) throw new AppError('INVALID_CREDENTIALS', 'invalid admin token', { field: 'token' });
            return account.tokenId;
          },
        );
        const { cookie, session } = sessions.issue(Date.now(), tokenId);
        const account = tokenId === undefined ? null : ((await accountOf(tokenId)) ?? null);
        ctx.cookies.set(SESSION_COOKIE, cookie, {
          httpOnly: true,
          sameSite: 'strict',
          secure: ctx.secure,
          path: '/',
          maxAge: sessions.ttlMs,
          overwrite: true,
        });
        deps.logger.info({ ip: ctx.ip, ...(account && { accountId: account.id }) }, 'console login');
        ctx.body = view(session, account);
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
      handler: async (ctx) => {
        ctx.set('Cache-Control', 'no-store');
        const session = sessions.verify(ctx.cookies.get(SESSION_COOKIE));
        if (session?.tokenId === undefined) {
          ctx.body = view(session);
          return;
        }
        const account = await accountOf(session.tokenId);
        ctx.body = account ? view(session, account) : view(undefined);
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
