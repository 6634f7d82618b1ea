import type { Router } from '@koa/router';
import type Koa from 'koa';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdminApp, type AdminAppDeps } from '../../admin-api/index.js';
import { createLogger, TrackingTokens } from '../../core/index.js';
import { createSendApp, type SendAppDeps } from '../../ingress/index.js';
import { useHarness } from '../support/harness.js';

// The OpenAPI document each port serves must describe exactly the routes its Koa router
// registers: compared against the router's own layers, in both directions.

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const ERROR_REF = '#/components/schemas/Error';

interface Operation {
  operationId?: string;
  summary?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: { $ref?: string } }> }>;
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

const silent = createLogger({ level: 'silent' });

// Only what building the apps touches; no handler runs.
const adminDeps = {
  adminToken: 'stub-admin-token',
  logger: silent,
  store: {},
  analytics: { client: {}, database: 'bridgemail' },
  announce: async () => undefined,
  endpoints: () => ({ host: '127.0.0.1', smtpPort: 587, smtpsPort: 465, apiUrl: 'http://127.0.0.1:8080' }),
  limiter: { guard: async () => undefined, listBlocks: async () => [], liftBlock: async () => false },
  queues: { list: async () => [], eventBacklog: async () => ({ length: 0, groups: [] }) },
  consoleDir: '/nonexistent',
} as unknown as AdminAppDeps;
const sendDeps = {
  auth: { apiKey: async () => undefined },
  accept: async () => 'msg_stub',
  logger: silent,
  maxMessageBytes: 10 * 1024 * 1024,
  maxRecipients: 50,
  messageIdDomain: 'bridgemail.test',
  tracking: {
    tokens: new TrackingTokens(Buffer.alloc(32, 1)),
    events: { publish: async () => undefined },
    logger: silent,
    scannerWindowMs: 0,
  },
} as unknown as SendAppDeps;

/** The routers an app mounted with `app.use(router.routes())`: `@koa/router` tags that dispatcher with `.router`. */
function routersOf(app: Koa<any, any>): Router[] {
  const routers = app.middleware
    .map((mw) => (mw as Koa.Middleware & { router?: Router }).router)
    .filter((r): r is Router => r !== undefined);
  return [...new Set(routers)];
}

/** `METHOD /openapi/path` of every route layer (HEAD, added by the router for GET, left out). */
function registeredRoutes(app: Koa<any, any>): string[] {
  const routers = routersOf(app);
  expect(routers.length, 'a @koa/router mounted on the app').toBeGreaterThan(0);
  const out: string[] = [];
  for (const router of routers) {
    for (const layer of router.stack) {
      if (layer.methods.length === 0) continue; // router.use() middleware, not a route
      expect(typeof layer.path, `layer path ${String(layer.path)}`).toBe('string');
      const path = String(layer.path).replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      for (const m of layer.methods) if (m !== 'HEAD') out.push(`${m} ${path}`);
    }
  }
  return out.sort();
}

function documentedRoutes(doc: OpenApiDocument): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      expect(METHODS, `${path}: ${method} is an HTTP method`).toContain(method);
      if (op) out.push(`${method.toUpperCase()} ${path}`);
    }
  }
  return out.sort();
}

function operations(doc: OpenApiDocument): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as [string, Operation]),
  );
}

async function fetchDocument(
  baseUrl: string,
): Promise<{ status: number; contentType: string | null; doc: OpenApiDocument }> {
  const res = await fetch(`${baseUrl}/openapi.json`); // no Authorization header
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    doc: (await res.json()) as OpenApiDocument,
  };
}

describe('each port serves an OpenAPI 3.1 document of exactly its routes', () => {
  const h = useHarness();
  const ports = {
    admin: {
      url: () => h.platform.urls.admin,
      app: () => createAdminApp(adminDeps),
      prefix: /^\/(admin\/v1|console\/api)\//,
    },
    api: { url: () => h.platform.urls.api, app: () => createSendApp(sendDeps), prefix: /^\/(v1|t|u)\// },
  };
  const docs = {} as Record<keyof typeof ports, OpenApiDocument>;

  beforeAll(async () => {
    for (const [name, port] of Object.entries(ports) as [keyof typeof ports, (typeof ports)[keyof typeof ports]][]) {
      const { status, contentType, doc } = await fetchDocument(port.url());
      expect(status, `${name} /openapi.json`).toBe(200);
      expect(contentType).toMatch(/^application\/json/);
      docs[name] = doc;
    }
  });

  for (const name of Object.keys(ports) as (keyof typeof ports)[]) {
    describe(`${name} port`, () => {
      it('is OpenAPI 3.1.0, served without auth, with the Error schema and both security schemes', () => {
        const doc = docs[name];
        expect(doc.openapi).toBe('3.1.0');
        expect(doc.info.title).toEqual(expect.any(String));
        expect(doc.info.version).toEqual(expect.any(String));
        expect(doc.components.schemas.Error).toBeDefined();
        expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['adminToken', 'bridgeApiKey']);
        expect(doc.paths['/openapi.json']?.get?.security).toEqual([]);
      });

      it('documents every route the Koa router registers, and nothing else', () => {
        const registered = registeredRoutes(ports[name].app());
        const documented = documentedRoutes(docs[name]);
        expect(new Set(registered).size, 'no route registered twice').toBe(registered.length);
        expect(registered).toContain('GET /openapi.json');
        expect(
          registered.filter((r) => !documented.includes(r)),
          'registered but not documented',
        ).toEqual([]);
        expect(
          documented.filter((r) => !registered.includes(r)),
          'documented but not registered',
        ).toEqual([]);
        expect(documented).toEqual(registered);
        for (const r of registered) {
          if (r !== 'GET /openapi.json') expect(ports[name].prefix.test(r.split(' ')[1]!), r).toBe(true);
        }
      });

      it('gives every operation a unique operationId, a summary, a 2xx, typed bodies and Error-shaped errors', () => {
        const ids = new Set<string>();
        for (const [route, op] of operations(docs[name])) {
          expect(op.operationId, `${route} operationId`).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
          expect(ids.has(op.operationId!), `${route}: operationId ${op.operationId} is unique`).toBe(false);
          ids.add(op.operationId!);
          expect(op.summary?.trim(), `${route} summary`).toBeTruthy();
          expect(Array.isArray(op.security), `${route} states its security`).toBe(true);

          const statuses = Object.keys(op.responses ?? {});
          expect(
            statuses.filter((s) => /^[23]\d\d$/.test(s)),
            `${route} 2xx/3xx responses`,
          ).not.toHaveLength(0);
          for (const [status, response] of Object.entries(op.responses ?? {})) {
            expect(response.description?.trim(), `${route} ${status} description`).toBeTruthy();
            if (Number(status) >= 400) {
              expect(response.content?.['application/json']?.schema?.$ref, `${route} ${status} body`).toBe(ERROR_REF);
            }
          }
          if (op.security?.length) {
            expect(statuses, `${route} needs auth, so documents 401`).toContain('401');
          }

          if (op.requestBody) {
            const content = op.requestBody.content ?? {};
            const types = Object.keys(content);
            expect(
              types.some((t) => ['application/json', 'multipart/form-data', 'text/csv'].includes(t)),
              `${route} body content types ${types.join(', ')}`,
            ).toBe(true);
            for (const t of types) expect(content[t]?.schema, `${route} ${t} schema`).toEqual(expect.any(Object));
          }

          const pathParams = [...route.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
          const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
          expect(declared.map((p) => p.name).sort(), `${route} path parameters`).toEqual(pathParams.sort());
          for (const p of declared) expect(p.required, `${route} {${p.name}} required`).toBe(true);
        }
      });

      it('answers 401 without a token on every route it documents as authenticated', async () => {
        const base = ports[name].url();
        for (const [route, op] of operations(docs[name])) {
          const [method, path] = route.split(' ') as [string, string];
          const res = await fetch(`${base}${path.replace(/\{[^}]+\}/g, 'x')}`, {
            method,
            ...(method === 'GET' || method === 'DELETE'
              ? {}
              : { headers: { 'content-type': 'application/json' }, body: '{}' }),
          });
          await res.arrayBuffer();
          if (op.security?.length) expect(res.status, `${route} without a token`).toBe(401);
          else if (path === '/openapi.json') expect(res.status, route).toBe(200);
          // The console's login routes: a bad login body is a 400, session and logout always answer.
          else if (path === '/console/api/login') expect(res.status, route).toBe(400);
          else if (path.startsWith('/console/api/')) expect(res.status, route).toBe(200);
          // Public routes keyed by a signed token (tracking): a bogus one is unknown, never an error.
          else expect(res.status, `${route} with a bogus token`).toBe(404);
        }
      });
    });
  }

  it('POST /v1/send needs a Bridge API key and documents 400, 401, 413 and a multipart body', () => {
    const op = docs.api.paths['/v1/send']?.post;
    expect(op).toBeDefined();
    expect(op!.security).toEqual([{ bridgeApiKey: [] }]);
    for (const status of ['202', '400', '401', '413']) expect(Object.keys(op!.responses ?? {})).toContain(status);
    expect(op!.responses!['413']!.description).toContain('MESSAGE_TOO_LARGE');
    expect(Object.keys(op!.requestBody?.content ?? {}).sort()).toEqual(['application/json', 'multipart/form-data']);
  });

  it('PATCH /admin/v1/bridges/{id} needs the admin token and documents POOL_BINDING_IMMUTABLE under 400', () => {
    const op = docs.admin.paths['/admin/v1/bridges/{id}']?.patch;
    expect(op).toBeDefined();
    expect(op!.security).toEqual([{ adminToken: [] }]);
    expect(op!.responses?.['400']?.description).toContain('POOL_BINDING_IMMUTABLE');
    expect(op!.requestBody?.content?.['application/json']?.schema).toEqual(expect.any(Object));
  });

  it('the credentials-file and samples routes are documented: credentials file (with its format query) and samples', () => {
    const file = docs.admin.paths['/admin/v1/bridges/{id}/credentials-file']?.get;
    expect(file?.parameters?.find((p) => p.in === 'query' && p.name === 'format')).toBeDefined();
    expect(Object.keys(file?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401', '404']));
    expect(docs.admin.paths['/admin/v1/bridges/{id}/samples']?.get?.responses?.['200']).toBeDefined();
  });
});
