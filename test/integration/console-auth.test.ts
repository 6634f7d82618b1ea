import { describe, expect, it } from 'vitest';
import { ConsoleSessions } from '../../admin-api/console/console-session.js';
import { cookieValue, sessionSetCookie, useConsoleHarness } from '../support/console-harness.js';
import { httpFrom } from '../support/http-client.js';

// The web console's authentication on the admin port: login with the admin token for an HttpOnly
// session cookie, the session read, the CSRF token every cookie-authenticated change needs, logout.
// bull-board, the queue depths route and the static files are in console-queues.test.ts.

describe('web console: login, session cookie and CSRF, logout', () => {
  const { h, call, login, poolNames } = useConsoleHarness();

  describe('login', () => {
    it('refuses a wrong token with 401 on the token field, and sets no cookie', async () => {
      const res = await call('POST', '/console/api/login', { body: { token: 'not-the-admin-token' } });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body.error).toMatchObject({ code: 'INVALID_CREDENTIALS', field: 'token' });
      expect(sessionSetCookie(res.headers)).toBeUndefined();
    });

    it('refuses malformed bodies with 400', async () => {
      const notJson = await call('POST', '/console/api/login', { body: '{"token":' });
      expect(notJson.status).toBe(400);
      expect(notJson.body.error.code).toBe('INVALID_JSON');
      const missing = await call('POST', '/console/api/login', { body: {} });
      expect(missing.status).toBe(400);
      expect(missing.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'token' });
      const empty = await call('POST', '/console/api/login', { body: { token: '' } });
      expect(empty.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'token' });
      const extra = await call('POST', '/console/api/login', {
        body: { token: h.platform.adminToken, remember: true },
      });
      expect(extra.status).toBe(400);
      expect(extra.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'remember' });
      expect(sessionSetCookie(extra.headers)).toBeUndefined();
    });

    it('exchanges the admin token for an HttpOnly, SameSite=Strict session cookie, not Secure over plain http', async () => {
      const before = Date.now();
      const { res, setCookie, cookie } = await login();
      expect(res.body).toEqual({
        authenticated: true,
        account: null,
        csrfToken: expect.any(String),
        expiresAt: expect.any(String),
      });
      expect(res.body.csrfToken.length).toBeGreaterThanOrEqual(32);
      const expiresAt = Date.parse(res.body.expiresAt);
      expect(expiresAt - before).toBeGreaterThan(11 * 3600 * 1000);
      expect(expiresAt - Date.now()).toBeLessThanOrEqual(12 * 3600 * 1000);

      const attrs = setCookie
        .split(';')
        .slice(1)
        .map((a) => a.trim().toLowerCase());
      expect(attrs).toContain('httponly');
      expect(attrs).toContain('samesite=strict');
      expect(attrs).toContain('path=/');
      expect(attrs).not.toContain('secure');
      expect(cookie).toMatch(/^v1\.\d+\.[\w-]+\.[\w-]+$/);
      expect(Number(cookie.split('.')[1])).toBe(expiresAt);
      // The cookie is neither the admin token nor the CSRF token.
      expect(cookie).not.toContain(h.platform.adminToken);
      expect(cookie).not.toContain(res.body.csrfToken);
      expect(JSON.stringify(res.body)).not.toContain(h.platform.adminToken);
    });

    it('does not trust X-Forwarded-Proto (app.proxy is off): still no Secure flag', async () => {
      const { setCookie } = await login({ 'x-forwarded-proto': 'https' });
      expect(setCookie.split(';').map((a) => a.trim().toLowerCase())).not.toContain('secure');
    });

    it('limits a guessing address like the admin API does (429); the admin token still logs in, there and elsewhere', async () => {
      const url = `${h.platform.urls.admin}/console/api/login`;
      // BRIDGEMAIL_AUTH_FAIL_PER_ADDRESS is 10 by default.
      for (let i = 0; i < 10; i++)
        expect((await httpFrom('127.0.0.90', url, { method: 'POST', body: { token: `guess-${i}` } })).status).toBe(401);
      const blocked = await httpFrom('127.0.0.90', url, { method: 'POST', body: { token: 'guess-again' } });
      expect(blocked.status).toBe(429);
      expect(blocked.body.error.code).toBe('AUTH_RATE_LIMITED');
      expect(blocked.headers['set-cookie']).toBeUndefined();
      // The failed logins count against the admin API too; the right token is served on both.
      const pools = `${h.platform.urls.admin}/admin/v1/pools`;
      expect((await httpFrom('127.0.0.90', pools, { headers: { authorization: 'Bearer guess-bearer' } })).status).toBe(
        429,
      );
      expect(
        (await httpFrom('127.0.0.90', pools, { headers: { authorization: `Bearer ${h.platform.adminToken}` } })).status,
      ).toBe(200);
      expect(
        (await httpFrom('127.0.0.90', url, { method: 'POST', body: { token: h.platform.adminToken } })).status,
      ).toBe(200);
      const other = await httpFrom('127.0.0.91', url, { method: 'POST', body: { token: h.platform.adminToken } });
      expect(other.status).toBe(200);
    });

    it('gives every login its own session and CSRF token', async () => {
      const a = await login();
      const b = await login();
      expect(a.cookie).not.toBe(b.cookie);
      expect(a.csrfToken).not.toBe(b.csrfToken);
    });
  });

  describe('session', () => {
    it('reads as unauthenticated without a cookie, and returns the login CSRF token with one', async () => {
      const anonymous = await call('GET', '/console/api/session');
      expect(anonymous.status).toBe(200);
      expect(anonymous.body).toEqual({ authenticated: false, account: null, csrfToken: null, expiresAt: null });
      expect(anonymous.headers.get('cache-control')).toBe('no-store');

      const { cookie, csrfToken, res } = await login();
      const session = await call('GET', '/console/api/session', { cookie });
      expect(session.status).toBe(200);
      expect(session.body).toEqual({ authenticated: true, account: null, csrfToken, expiresAt: res.body.expiresAt });
      expect(session.headers.get('cache-control')).toBe('no-store');

      const garbage = await call('GET', '/console/api/session', { cookie: 'v1.garbage' });
      expect(garbage.body.authenticated).toBe(false);
    });
  });

  describe('admin API with the session cookie', () => {
    it('reads with the cookie alone; changes need the session CSRF token', async () => {
      const { cookie, csrfToken } = await login();
      const other = await login();
      const list = await call('GET', '/admin/v1/pools', { cookie });
      expect(list.status).toBe(200);
      expect(Array.isArray(list.body.data)).toBe(true);
      const before = await poolNames();

      const pool = { name: 'csrf-pool', ips: ['127.0.0.60'] };
      const noToken = await call('POST', '/admin/v1/pools', { cookie, body: pool });
      expect(noToken.status).toBe(403);
      expect(noToken.body.error.code).toBe('CSRF_TOKEN_INVALID');
      const wrong = await call('POST', '/admin/v1/pools', {
        cookie,
        csrf: `${csrfToken.slice(0, -1)}${csrfToken.endsWith('A') ? 'B' : 'A'}`,
        body: pool,
      });
      expect(wrong.status).toBe(403);
      expect(wrong.body.error.code).toBe('CSRF_TOKEN_INVALID');
      // A CSRF token is bound to its session: another session's token does not do.
      const foreign = await call('POST', '/admin/v1/pools', { cookie, csrf: other.csrfToken, body: pool });
      expect(foreign.status).toBe(403);
      expect(foreign.body.error.code).toBe('CSRF_TOKEN_INVALID');
      // The admin token is not a CSRF token either.
      const adminAsCsrf = await call('POST', '/admin/v1/pools', { cookie, csrf: h.platform.adminToken, body: pool });
      expect(adminAsCsrf.status).toBe(403);
      // DELETE and PATCH are changes too.
      const del = await call('DELETE', '/admin/v1/pools/pool_missing', { cookie });
      expect(del.status).toBe(403);
      expect(await poolNames()).toEqual(before);

      const created = await call('POST', '/admin/v1/pools', { cookie, csrf: csrfToken, body: pool });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject(pool);
      expect(await poolNames()).toEqual([...before, pool.name].sort());
      // The change is audited under the same actor id as the Bearer admin token.
      const audit = await h.platform.admin('GET', `/admin/v1/audit?targetId=${created.body.id}&limit=5`);
      expect(audit.body.data[0]).toMatchObject({
        action: expect.stringMatching(/^pool\./),
        actor: expect.stringMatching(/^adm_[0-9a-f]{12}$/),
      });
    });

    it('refuses tampered, expired and foreign-key cookies with 401', async () => {
      const { cookie } = await login();
      const [v, expiry, id, mac] = cookie.split('.') as [string, string, string, string];
      const flipped = `${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`;
      const tampered = {
        mac: `${v}.${expiry}.${id}.${flipped}`,
        expiry: `${v}.${Number(expiry) + 3600_000}.${id}.${mac}`,
        id: `${v}.${expiry}.${id.slice(0, -1)}${id.endsWith('A') ? 'B' : 'A'}.${mac}`,
        version: `v2.${expiry}.${id}.${mac}`,
        // Genuine MAC under the admin token, but expired.
        expired: new ConsoleSessions(h.platform.adminToken).issue(Date.now() - 13 * 3600 * 1000).cookie,
        // Genuine format, signed under another admin token.
        otherKey: new ConsoleSessions('some-other-admin-token').issue().cookie,
      };
      for (const [what, bad] of Object.entries(tampered)) {
        const read = await call('GET', '/admin/v1/pools', { cookie: bad });
        expect(read.status, `${what}: GET`).toBe(401);
        expect(read.body.error.code, what).toBe('UNAUTHENTICATED');
        expect(
          (await call('GET', '/console/api/session', { cookie: bad })).body.authenticated,
          `${what}: session`,
        ).toBe(false);
      }
      expect((await call('GET', '/admin/v1/pools', { cookie })).status).toBe(200);
    });

    it('leaves Bearer clients unaffected: no CSRF header needed; a wrong Bearer token is not rescued by a cookie', async () => {
      const { cookie } = await login();
      const bearerOnly = await call('POST', '/admin/v1/pools', {
        bearer: h.platform.adminToken,
        body: { name: 'bearer-pool', ips: ['127.0.0.61'] },
      });
      expect(bearerOnly.status, JSON.stringify(bearerOnly.body)).toBe(201);
      // With both, the Authorization header decides.
      const both = await call('POST', '/admin/v1/pools', {
        bearer: h.platform.adminToken,
        cookie,
        body: { name: 'bearer-pool-2', ips: ['127.0.0.62'] },
      });
      expect(both.status, JSON.stringify(both.body)).toBe(201);
      const wrongBearer = await call('GET', '/admin/v1/pools', { bearer: 'wrong-admin-token', cookie });
      expect(wrongBearer.status).toBe(401);
      expect(wrongBearer.body.error.code).toBe('INVALID_CREDENTIALS');
    });
  });

  describe('logout', () => {
    it('clears the session cookie', async () => {
      const { cookie } = await login();
      const res = await call('POST', '/console/api/logout', { cookie });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ authenticated: false, account: null, csrfToken: null, expiresAt: null });
      const cleared = sessionSetCookie(res.headers);
      expect(cleared).toBeDefined();
      expect(cookieValue(cleared!)).toBe('');
      const attrs = cleared!
        .split(';')
        .slice(1)
        .map((a) => a.trim().toLowerCase());
      expect(attrs).toContain('path=/');
      expect(attrs).toContain('httponly');
      const expires = attrs.find((a) => a.startsWith('expires='));
      const maxAge = attrs.find((a) => a.startsWith('max-age='));
      expect(expires !== undefined || maxAge !== undefined, `expires or max-age in ${cleared}`).toBe(true);
      if (expires) expect(Date.parse(expires.slice('expires='.length))).toBeLessThan(Date.now());
      if (maxAge) expect(Number(maxAge.slice('max-age='.length))).toBeLessThanOrEqual(0);
    });
  });
});
