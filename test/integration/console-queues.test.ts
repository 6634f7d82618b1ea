import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAdminApp, type AdminAppDeps } from '../../admin-api/index.js';
import { ConsoleSessions } from '../../admin-api/console/console-session.js';
import { createLogger } from '../../core/index.js';
import { ASSET_JS, INDEX_HTML, useConsoleHarness, type Reply } from '../support/console-harness.js';
import { waitFor } from '../support/wait.js';

// The web console's queue views and files on the admin port: bull-board behind the console session,
// the queue depths route, the built console's static files, and the admin port's OpenAPI document.
// Login, session cookie and CSRF are in console-auth.test.ts.

const STATES = ['active', 'completed', 'delayed', 'failed', 'prioritized', 'waiting'];

describe('web console: bull-board, queue depths, static files, OpenAPI', () => {
  const { h, call, login, poolIds } = useConsoleHarness();

  describe('bull-board at /queues', () => {
    it('sends browsers without a session to the login page and API clients a 401', async () => {
      const page = await call('GET', '/queues', { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      expect(page.status).toBe(302);
      expect(page.headers.get('location')).toBe('/#/login?next=%2Fqueues');
      const api = await call('GET', '/queues/api/queues', { headers: { accept: 'application/json' } });
      expect(api.status).toBe(401);
      expect(api.headers.get('content-type')).toMatch(/^application\/json/);
      expect(api.body.error.code).toBe('UNAUTHENTICATED');
      const bad = await call('GET', '/queues/api/queues', {
        cookie: new ConsoleSessions('other').issue().cookie,
        headers: { accept: 'application/json' },
      });
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
      const sibling = {
        origin: h.platform.urls.admin.replace(/:(\d+)$/, (_m, port: string) => `:${Number(port) + 1}`),
      };
      const pause = `/queues/api/queues/${queueName}/pause`;
      try {
        const cases: [string, Reply][] = [
          ['PUT without Origin', await call('PUT', pause, { cookie })],
          ['PUT pause, foreign Origin', await call('PUT', pause, { cookie, headers: evil })],
          ['PUT pause, same-site Origin on another port', await call('PUT', pause, { cookie, headers: sibling })],
          // Our CSRF header does not stand in for the Origin check on bull-board's routes.
          [
            'PUT pause, foreign Origin with the CSRF token',
            await call('PUT', pause, { cookie, csrf: csrfToken, headers: evil }),
          ],
          [
            'PUT clean, foreign Origin',
            await call('PUT', `/queues/api/queues/${queueName}/clean/completed`, { cookie, headers: evil }),
          ],
          // An unknown queue, so that nothing is added should the gate let it through.
          [
            'POST add, foreign Origin',
            await call('POST', '/queues/api/queues/no-such-queue/add', {
              cookie,
              headers: evil,
              body: { name: 'x', data: {} },
            }),
          ],
        ];
        // Regression: on Koa 3 `ctx.origin` echoes the request's Origin header, so comparing against it
        // once let every foreign Origin through; the gate now builds our origin from Host.
        const answers = Object.fromEntries(
          cases.map(([what, res]) => [what, `${res.status} ${res.body?.error?.code ?? res.text}`]),
        );
        expect(answers, 'every cookie-only change from another origin is refused').toEqual(
          Object.fromEntries(cases.map(([what]) => [what, '403 CSRF_TOKEN_INVALID'])),
        );
        expect(await paused(), 'refused cross-origin pauses leave the queue running').toBe(false);
      } finally {
        expect((await call('PUT', `/queues/api/queues/${queueName}/resume`, { cookie, headers: self })).status).toBe(
          200,
        );
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
      const sent = await h.platform.send(bridge.apiKey, {
        from: 'app@sender.test',
        to: 'depths@example.test',
        subject: 's',
        text: 't',
      });
      expect(sent.status).toBe(202);
      await waitFor(
        () => h.sink.messages.some((m) => m.to.includes('depths@example.test')),
        20_000,
        'the message at the sink',
      );
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
        expect(g).toEqual({
          name: expect.any(String),
          pending: expect.any(Number),
          lag: g.lag === null ? null : expect.any(Number),
        });
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
        limiter: { guard: async () => undefined, listBlocks: async () => [], liftBlock: async () => false },
        queues: { list: async () => [], eventBacklog: async () => ({ length: 0, groups: [] }) },
        consoleDir: empty,
      } as unknown as AdminAppDeps;
      const handle = createAdminApp(deps).callback();
      const server: Server = createServer((req, res) => void handle(req, res));
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
      const doc = (await res.json()) as {
        paths: Record<string, Record<string, { security?: unknown[]; operationId?: string }>>;
      };
      expect(doc.paths['/console/api/login']?.post).toMatchObject({ operationId: 'consoleLogin', security: [] });
      expect(doc.paths['/console/api/session']?.get).toMatchObject({ operationId: 'consoleSession', security: [] });
      expect(doc.paths['/console/api/logout']?.post).toMatchObject({ operationId: 'consoleLogout', security: [] });
      expect(doc.paths['/admin/v1/queues']?.get).toMatchObject({
        operationId: 'listQueues',
        security: [{ adminToken: [] }],
      });
      // bull-board and the static files are not part of the API.
      expect(
        Object.keys(doc.paths).filter((p) => p.startsWith('/queues') || p.startsWith('/assets') || p === '/'),
      ).toEqual([]);
    });
  });
});
