import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminApp, type AdminAppDeps } from '../../admin-api/index.js';
import { ConsoleSessions } from '../../admin-api/console/console-session.js';
import { createLogger } from '../../core/index.js';
import { useHarness } from '../support/harness.js';
import { httpFrom } from '../support/http-client.js';
import { waitFor } from '../support/wait.js';

// The web console on the admin port: login with the admin token for an HttpOnly session cookie,
// the CSRF token every cookie-authenticated change needs, bull-board behind the same session,
// the queue depths route and the built console's static files.

const INDEX_HTML = '<!doctype html><html><head><title>Bridgemail console (test build)</title></head><body><div id="app"></div></body></html>\n';
const ASSET_JS = 'console.log("bridgemail console test asset");\n';
const STATES = ['active', 'completed', 'delayed', 'failed', 'prioritized', 'waiting'];

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

interface CallOptions {
  /** Value of the `bm_session` cookie. */
  cookie?: string;
  csrf?: string;
  bearer?: string;
  /** JSON-encoded unless a string. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** The `bm_session` Set-Cookie line of a response, if any. */
function sessionSetCookie(headers: Headers): string | undefined {
  return headers.getSetCookie().find((c) => c.startsWith('bm_session='));
}

/** The cookie value of a `bm_session=...; attrs` line. */
function cookieValue(setCookie: string): string {
  return setCookie.slice('bm_session='.length).split(';')[0]!;
}

describe('web console: login, session cookie and CSRF, bull-board, queue depths, static files', () => {
  const env: Record<string, string> = {};
  let consoleDir = '';
  // Runs before the harness's own beforeAll (hooks run in the order they are registered).
  beforeAll(async () => {
    consoleDir = await mkdtemp(join(tmpdir(), 'bridgemail-console-'));
    await writeFile(join(consoleDir, 'index.html'), INDEX_HTML);
    await mkdir(join(consoleDir, 'assets'));
    await writeFile(join(consoleDir, 'assets', 'x.js'), ASSET_JS);
    env.BRIDGEMAIL_CONSOLE_DIR = consoleDir;
  });
  afterAll(async () => {
    if (consoleDir) await rm(consoleDir, { recursive: true, force: true });
  });
  const h = useHarness(env);

  const call = async (method: string, path: string, options: CallOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.cookie !== undefined) headers.cookie = `bm_session=${options.cookie}`;
    if (options.csrf !== undefined) headers['x-csrf-token'] = options.csrf;
    if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
    let payload: string | undefined;
    if (options.body !== undefined) {
      payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${h.platform.urls.admin}${path}`, { method, headers, body: payload, redirect: 'manual' });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, text, body };
  };

  const login = async (headers: Record<string, string> = {}) => {
    const res = await call('POST', '/console/api/login', { body: { token: h.platform.adminToken }, headers });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const setCookie = sessionSetCookie(res.headers);
    expect(setCookie, 'a bm_session cookie is set').toBeDefined();
    return { res, setCookie: setCookie!, cookie: cookieValue(setCookie!), csrfToken: res.body.csrfToken as string };
  };

  const poolNames = async () =>
    ((await h.platform.admin('GET', '/admin/v1/pools')).body.data as { name: string }[]).map((p) => p.name).sort();
  const poolIds = async () => ((await h.platform.admin('GET', '/admin/v1/pools')).body.data as { id: string }[]).map((p) => p.id);

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
      const extra = await call('POST', '/console/api/login', { body: { token: h.platform.adminToken, remember: true } });
      expect(extra.status).toBe(400);
      expect(extra.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'remember' });
      expect(sessionSetCookie(extra.headers)).toBeUndefined();
    });

    it('exchanges the admin token for an HttpOnly, SameSite=Strict session cookie, not Secure over plain http', async () => {
      const before = Date.now();
      const { res, setCookie, cookie } = await login();
      expect(res.body).toEqual({ authenticated: true, csrfToken: expect.any(String), expiresAt: expect.any(String) });
      expect(res.body.csrfToken.length).toBeGreaterThanOrEqual(32);
      const expiresAt = Date.parse(res.body.expiresAt);
      expect(expiresAt - before).toBeGreaterThan(11 * 3600 * 1000);
      expect(expiresAt - Date.now()).toBeLessThanOrEqual(12 * 3600 * 1000);

      const attrs = setCookie.split(';').slice(1).map((a) => a.trim().toLowerCase());
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

    it('limits a guessing address like the admin API does (429), other addresses still log in', async () => {
      const url = `${h.platform.urls.admin}/console/api/login`;
      // BRIDGEMAIL_AUTH_FAIL_PER_ADDRESS is 10 by default.
      for (let i = 0; i < 10; i++) expect((await httpFrom('127.0.0.90', url, { method: 'POST', body: { token: `guess-${i}` } })).status).toBe(401);
      const blocked = await httpFrom('127.0.0.90', url, { method: 'POST', body: { token: h.platform.adminToken } });
      expect(blocked.status).toBe(429);
      expect(blocked.body.error.code).toBe('AUTH_RATE_LIMITED');
      expect(blocked.headers['set-cookie']).toBeUndefined();
      // The failed logins count against the admin API too.
      expect((await httpFrom('127.0.0.90', `${h.platform.urls.admin}/admin/v1/pools`, { headers: { authorization: `Bearer ${h.platform.adminToken}` } })).status).toBe(429);
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
      expect(anonymous.body).toEqual({ authenticated: false, csrfToken: null, expiresAt: null });
      expect(anonymous.headers.get('cache-control')).toBe('no-store');

      const { cookie, csrfToken, res } = await login();
      const session = await call('GET', '/console/api/session', { cookie });
      expect(session.status).toBe(200);
      expect(session.body).toEqual({ authenticated: true, csrfToken, expiresAt: res.body.expiresAt });
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
      const wrong = await call('POST', '/admin/v1/pools', { cookie, csrf: `${csrfToken.slice(0, -1)}${csrfToken.endsWith('A') ? 'B' : 'A'}`, body: pool });
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
      expect(audit.body.data[0]).toMatchObject({ action: expect.stringMatching(/^pool\./), actor: expect.stringMatching(/^adm_[0-9a-f]{12}$/) });
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
        expect((await call('GET', '/console/api/session', { cookie: bad })).body.authenticated, `${what}: session`).toBe(false);
      }
      expect((await call('GET', '/admin/v1/pools', { cookie })).status).toBe(200);
    });

    it('leaves Bearer clients unaffected: no CSRF header needed; a wrong Bearer token is not rescued by a cookie', async () => {
      const { cookie } = await login();
      const bearerOnly = await call('POST', '/admin/v1/pools', { bearer: h.platform.adminToken, body: { name: 'bearer-pool', ips: ['127.0.0.61'] } });
      expect(bearerOnly.status, JSON.stringify(bearerOnly.body)).toBe(201);
      // With both, the Authorization header decides.
      const both = await call('POST', '/admin/v1/pools', { bearer: h.platform.adminToken, cookie, body: { name: 'bearer-pool-2', ips: ['127.0.0.62'] } });
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
      expect(res.body).toEqual({ authenticated: false, csrfToken: null, expiresAt: null });
      const cleared = sessionSetCookie(res.headers);
      expect(cleared).toBeDefined();
      expect(cookieValue(cleared!)).toBe('');
      const attrs = cleared!.split(';').slice(1).map((a) => a.trim().toLowerCase());
      expect(attrs).toContain('path=/');
      expect(attrs).toContain('httponly');
      const expires = attrs.find((a) => a.startsWith('expires='));
      const maxAge = attrs.find((a) => a.startsWith('max-age='));
      expect(expires !== undefined || maxAge !== undefined, `expires or max-age in ${cleared}`).toBe(true);
      if (expires) expect(Date.parse(expires.slice('expires='.length))).toBeLessThan(Date.now());
      if (maxAge) expect(Number(maxAge.slice('max-age='.length))).toBeLessThanOrEqual(0);
    });
  });

  describe('bull-board at /queues', () => {
    it('sends browsers without a session to the login page and API clients a 401', async () => {
      const page = await call('GET', '/queues', { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      expect(page.status).toBe(302);
      expect(page.headers.get('location')).toBe('/#/login?next=%2Fqueues');
      const api = await call('GET', '/queues/api/queues', { headers: { accept: 'application/json' } });
      expect(api.status).toBe(401);
      expect(api.headers.get('content-type')).toMatch(/^application\/json/);
      expect(api.body.error.code).toBe('UNAUTHENTICATED');
      const bad = await call('GET', '/queues/api/queues', { cookie: new ConsoleSessions('other').issue().cookie, headers: { accept: 'application/json' } });
      expect(bad.status).toBe(401);
    });

    it('with the session: serves the board and lists a queue per Pool plus inbound-reports and webhooks', async () => {
      const { cookie } = await login();
      const page = await call('GET', '/queues', { cookie, headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.text).toMatch(/<html/i);

      await h.platform.createPool('board-a', ['127.0.0.70']);
      await h.platform.createPool('board-b', ['127.0.0.71']);
      // The board re-reads the queue list at most every 2 s: wait for it to catch up.
      const listing = await waitFor(
        async () => {
          const expected = [...(await poolIds()).map((id) => `pool-${id}`), 'inbound-reports', 'webhooks'].sort();
          const res = await call('GET', '/queues/api/queues', { cookie });
          if (res.status !== 200) throw new Error(`board answered ${res.status}: ${res.text}`);
          const names = (res.body.queues as { name: string }[]).map((q) => q.name).sort();
          return JSON.stringify(names) === JSON.stringify(expected) ? res.body : undefined;
        },
        10_000,
        'bull-board listing every Pool queue',
      );
      expect(listing.queues.length).toBeGreaterThanOrEqual(4);
      for (const q of listing.queues) expect(q.counts, q.name).toEqual(expect.any(Object));
    });

    it('refuses changes from a foreign or missing Origin with 403, and accepts same-origin ones', async () => {
      const { cookie, csrfToken } = await login();
      const pool = await h.platform.createPool('board-pause', ['127.0.0.72']);
      const queueName = `pool-${pool.id}`;
      const paused = async () => {
        const res = await call('GET', '/queues/api/queues', { cookie });
        return (res.body.queues as { name: string; isPaused: boolean }[]).find((q) => q.name === queueName)?.isPaused;
      };
      await waitFor(async () => (await paused()) === false, 10_000, 'the new Pool queue on the board');

      const self = { origin: h.platform.urls.admin };
      const evil = { origin: 'https://evil.example' };
      // A same-site page on another port of this host also gets the SameSite=Strict cookie.
      const sibling = { origin: h.platform.urls.admin.replace(/:(\d+)$/, (_m, port: string) => `:${Number(port) + 1}`) };
      const pause = `/queues/api/queues/${queueName}/pause`;
      try {
        const cases: [string, Reply][] = [
          ['PUT without Origin', await call('PUT', pause, { cookie })],
          ['PUT pause, foreign Origin', await call('PUT', pause, { cookie, headers: evil })],
          ['PUT pause, same-site Origin on another port', await call('PUT', pause, { cookie, headers: sibling })],
          // Our CSRF header does not stand in for the Origin check on bull-board's routes.
          ['PUT pause, foreign Origin with the CSRF token', await call('PUT', pause, { cookie, csrf: csrfToken, headers: evil })],
          ['PUT clean, foreign Origin', await call('PUT', `/queues/api/queues/${queueName}/clean/completed`, { cookie, headers: evil })],
          // An unknown queue, so that nothing is added should the gate let it through.
          ['POST add, foreign Origin', await call('POST', '/queues/api/queues/no-such-queue/add', { cookie, headers: evil, body: { name: 'x', data: {} } })],
        ];
        // Regression: on Koa 3 `ctx.origin` echoes the request's Origin header, so comparing against it
        // once let every foreign Origin through; the gate now builds our origin from Host.
        const answers = Object.fromEntries(cases.map(([what, res]) => [what, `${res.status} ${res.body?.error?.code ?? res.text}`]));
        expect(answers, 'every cookie-only change from another origin is refused').toEqual(
          Object.fromEntries(cases.map(([what]) => [what, '403 CSRF_TOKEN_INVALID'])),
        );
        expect(await paused(), 'refused cross-origin pauses leave the queue running').toBe(false);
      } finally {
        expect((await call('PUT', `/queues/api/queues/${queueName}/resume`, { cookie, headers: self })).status).toBe(200);
      }

      expect(await paused()).toBe(false);
      expect((await call('PUT', pause, { cookie, headers: self })).status).toBe(200);
      expect(await paused()).toBe(true);
      expect((await call('PUT', `/queues/api/queues/${queueName}/resume`, { cookie, headers: self })).status).toBe(200);
      expect(await paused()).toBe(false);
      // Without a session, a same-origin change is a 401.
      const anonymous = await call('PUT', pause, { headers: { ...self, accept: 'application/json' } });
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('GET /admin/v1/queues', () => {
    it('lists every Pool queue, inbound and webhooks with job counts, and the event backlog; counts a delivery', async () => {
      const pool = await h.platform.createPool('depths', ['127.0.0.80']);
      const res = await h.platform.admin('GET', '/admin/v1/queues');
      expect(res.status).toBe(200);
      const pools = await poolIds();
      expect(pools).toContain(pool.id);
      const byName = new Map((res.body.data as any[]).map((q) => [q.name, q]));
      expect(res.body.data).toHaveLength(pools.length + 2);
      for (const id of pools) expect(byName.get(`pool-${id}`), id).toMatchObject({ kind: 'pool', poolId: id });
      expect(byName.get('inbound-reports')).toMatchObject({ kind: 'inbound', poolId: null });
      expect(byName.get('webhooks')).toMatchObject({ kind: 'webhooks', poolId: null });
      for (const q of res.body.data) {
        expect(Object.keys(q.counts).sort(), q.name).toEqual(STATES);
        for (const s of STATES) expect(Number.isInteger(q.counts[s]) && q.counts[s] >= 0, `${q.name} ${s}`).toBe(true);
      }
      expect(byName.get(`pool-${pool.id}`).counts.completed).toBe(0);
      expect(Number.isInteger(res.body.events.length)).toBe(true);
      expect(Array.isArray(res.body.events.groups)).toBe(true);

      // The console reads it with the session cookie (a GET needs no CSRF token).
      const { cookie } = await login();
      const viaCookie = await call('GET', '/admin/v1/queues', { cookie });
      expect(viaCookie.status).toBe(200);
      expect(viaCookie.body.data).toHaveLength(pools.length + 2);
      expect((await call('GET', '/admin/v1/queues')).status).toBe(401);

      const bridge = await h.platform.createBridge('depths-app', pool.id);
      const sent = await h.platform.send(bridge.apiKey, { from: 'app@sender.test', to: 'depths@example.test', subject: 's', text: 't' });
      expect(sent.status).toBe(202);
      await waitFor(() => h.sink.messages.some((m) => m.to.includes('depths@example.test')), 20_000, 'the message at the sink');
      const after = await waitFor(
        async () => {
          const r = await h.platform.admin('GET', '/admin/v1/queues');
          const q = (r.body.data as any[]).find((x) => x.name === `pool-${pool.id}`);
          return q?.counts.completed >= 1 ? r.body : undefined;
        },
        20_000,
        'a completed job in the Pool queue',
      );
      const q = (after.data as any[]).find((x) => x.name === `pool-${pool.id}`);
      expect(q.counts).toMatchObject({ waiting: 0, active: 0, failed: 0 });
      // The message's events went through the stream, read by at least one consumer group.
      const events = await waitFor(
        async () => {
          const r = await h.platform.admin('GET', '/admin/v1/queues');
          return r.body.events.groups.length > 0 ? r.body.events : undefined;
        },
        20_000,
        'a consumer group on the event stream',
      );
      for (const g of events.groups) {
        expect(g).toEqual({ name: expect.any(String), pending: expect.any(Number), lag: g.lag === null ? null : expect.any(Number) });
      }
    });
  });

  describe('static console', () => {
    it('serves index.html at / with the security headers, never cached', async () => {
      for (const path of ['/', '/index.html']) {
        const res = await call('GET', path);
        expect(res.status, path).toBe(200);
        expect(res.headers.get('content-type'), path).toMatch(/^text\/html/);
        expect(res.text).toBe(INDEX_HTML);
        expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
        expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('cache-control')).toBe('no-cache');
      }
    });

    it('serves hashed assets as immutable; a missing asset is a JSON 404', async () => {
      const res = await call('GET', '/assets/x.js');
      expect(res.status).toBe(200);
      expect(res.text).toBe(ASSET_JS);
      expect(res.headers.get('content-type')).toMatch(/javascript/);
      expect(res.headers.get('cache-control')).toContain('immutable');
      expect(res.headers.get('cache-control')).toContain('max-age=31536000');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      const missing = await call('GET', '/assets/missing.js');
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('ROUTE_NOT_FOUND');
      // No escape from the console directory.
      expect((await call('GET', '/assets/..%2f..%2fetc%2fpasswd')).status).not.toBe(200);
    });

    it('answers 503 with how to build it when the console directory holds no build, and serves it once built', async () => {
      const empty = await mkdtemp(join(tmpdir(), 'bridgemail-console-empty-'));
      const silent = createLogger({ level: 'silent' });
      // Only the static console is exercised: nothing below reaches the other collaborators.
      const deps = {
        adminToken: 'stub-admin-token',
        logger: silent,
        store: {},
        analytics: { client: {}, database: 'bridgemail' },
        announce: async () => undefined,
        endpoints: () => ({ host: '127.0.0.1', smtpPort: 587, smtpsPort: 465, apiUrl: 'http://127.0.0.1:8080' }),
        limiter: { check: async () => undefined, recordFailure: async () => undefined },
        queues: { list: async () => [], eventBacklog: async () => ({ length: 0, groups: [] }) },
        consoleDir: empty,
      } as unknown as AdminAppDeps;
      const server: Server = createServer(createAdminApp(deps).callback());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        for (const path of ['/', '/assets/x.js']) {
          const res = await fetch(`${base}${path}`);
          expect(res.status, path).toBe(503);
          expect(res.headers.get('content-type'), path).toMatch(/^text\/plain/);
          expect(await res.text(), path).toContain('npm run build:web');
        }
        // The API next to it still works.
        expect((await fetch(`${base}/console/api/session`)).status).toBe(200);
        // A build appearing later is picked up without a restart.
        await writeFile(join(empty, 'index.html'), INDEX_HTML);
        const built = await fetch(`${base}/`);
        expect(built.status).toBe(200);
        expect(await built.text()).toBe(INDEX_HTML);
      } finally {
        await new Promise((resolve) => server.close(resolve));
        await rm(empty, { recursive: true, force: true });
      }
    });
  });

  describe('OpenAPI document of the admin port', () => {
    it('lists the console routes (public) and the queue depths (admin token)', async () => {
      const res = await fetch(`${h.platform.urls.admin}/openapi.json`);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as { paths: Record<string, Record<string, { security?: unknown[]; operationId?: string }>> };
      expect(doc.paths['/console/api/login']?.post).toMatchObject({ operationId: 'consoleLogin', security: [] });
      expect(doc.paths['/console/api/session']?.get).toMatchObject({ operationId: 'consoleSession', security: [] });
      expect(doc.paths['/console/api/logout']?.post).toMatchObject({ operationId: 'consoleLogout', security: [] });
      expect(doc.paths['/admin/v1/queues']?.get).toMatchObject({ operationId: 'listQueues', security: [{ adminToken: [] }] });
      // bull-board and the static files are not part of the API.
      expect(Object.keys(doc.paths).filter((p) => p.startsWith('/queues') || p.startsWith('/assets') || p === '/')).toEqual([]);
    });
  });
});
