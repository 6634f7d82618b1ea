import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from './errors.js';

/** HTTP methods our routes use. */
export type HttpMethod = 'get' | 'post' | 'patch' | 'put' | 'delete';

/** One response of a route. */
export interface ResponseSpec {
  description: string;
  /** JSON body schema; omit for empty bodies or non-JSON content. */
  schema?: z.ZodType;
  /** @defaultValue 'application/json' when `schema` is set */
  contentType?: string;
  headers?: Record<string, string>;
}

/**
 * A route as data: the router registers it and the OpenAPI document is generated from it, so the
 * two cannot drift apart. Schemas are the same zod schemas the handlers validate with.
 */
export interface RouteSpec {
  method: HttpMethod;
  /** Koa-style path, e.g. `/admin/v1/bridges/:id`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Which bearer token the route wants. */
  auth: 'admin' | 'bridge' | 'none';
  /**
   * Of an `admin` route, who may call it: `operator` (the operator token only; to an account token
   * the route does not exist), `account` (either, narrowed to the caller's account) or `shared`
   * (either, one answer for all: it holds no account's data). Shown as `x-bridgemail-access`.
   */
  access?: 'operator' | 'account' | 'shared';
  body?: { schema: z.ZodType; contentTypes?: string[]; description?: string };
  query?: z.ZodObject;
  responses: Record<number, ResponseSpec>;
  /** Error codes the route can answer with (statuses follow the registry). */
  errors?: ErrorCode[];
}

/** Marks a list schema that also accepts a single value, for the generated document. */
export const ONE_OR_MANY = { bridgemailOneOrMany: true } as const;

const errorBody = z.object({
  error: z.object({
    code: z.string().describe('Stable error code; see the description of the response for the codes this route uses'),
    message: z.string().describe('Human-readable text, safe to show'),
    field: z.string().optional().describe('The request field at fault, e.g. `to[1]`'),
  }),
});

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const out = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
    override: (ctx) => {
      const meta: Record<string, unknown> | undefined = z.globalRegistry.get(ctx.zodSchema as unknown as z.ZodType);
      if (meta?.bridgemailOneOrMany && ctx.jsonSchema.type === 'array') {
        const { items, description } = ctx.jsonSchema as { items: unknown; description?: string };
        for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[key];
        Object.assign(ctx.jsonSchema, {
          anyOf: [items, { type: 'array', items }],
          ...(description ? { description } : {}),
        });
      }
    },
  }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function operation(spec: RouteSpec): Record<string, unknown> {
  const params: unknown[] = [...spec.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (spec.query) {
    const q = jsonSchema(spec.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      params.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
    }
  }
  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    responses[status] = {
      description: r.description,
      ...(r.headers
        ? {
            headers: Object.fromEntries(
              Object.entries(r.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }]),
            ),
          }
        : {}),
      ...(r.schema
        ? { content: { [r.contentType ?? 'application/json']: { schema: jsonSchema(r.schema, 'output') } } }
        : {}),
      ...(!r.schema && r.contentType ? { content: { [r.contentType]: { schema: { type: 'string' } } } } : {}),
    };
  }
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of spec.errors ?? []) {
    const status = ERROR_CODES[code].http;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of byStatus) {
    responses[String(status)] = {
      description: codes.map((c) => `\`${c}\`: ${ERROR_CODES[c].meaning}`).join('; '),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag],
    ...(spec.access ? { 'x-bridgemail-access': spec.access } : {}),
    ...(spec.auth === 'none'
      ? { security: [] }
      : { security: [{ [spec.auth === 'admin' ? 'adminToken' : 'bridgeApiKey']: [] }] }),
    ...(params.length ? { parameters: params } : {}),
    ...(spec.body
      ? {
          requestBody: {
            required: true,
            ...(spec.body.description ? { description: spec.body.description } : {}),
            content: Object.fromEntries(
              (spec.body.contentTypes ?? ['application/json']).map((ct) => [
                ct,
                { schema: jsonSchema(spec.body!.schema, 'input') },
              ]),
            ),
          },
        }
      : {}),
    responses,
  };
}

/** Generates the OpenAPI 3.1 document of a set of routes. */
export function buildOpenApiDocument(
  info: { title: string; version: string; description: string },
  specs: readonly RouteSpec[],
) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of specs) {
    const path = toOpenApiPath(spec.path);
    paths[path] = { ...(paths[path] ?? {}), [spec.method]: operation(spec) };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: { Error: jsonSchema(errorBody, 'output') },
      securitySchemes: {
        adminToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            'The operator token (BRIDGEMAIL_ADMIN_TOKEN or <data>/admin-token), or an account token (bma_…): ' +
            "see each operation's x-bridgemail-access",
        },
        bridgeApiKey: { type: 'http', scheme: 'bearer', description: "A Bridge's API key (bm_…)" },
      },
    },
  };
}

/**
 * Appends `GET /openapi.json` to `routes`, serving the document of all of them (itself included);
 * `serve` turns the document into the edge's handler.
 */
export function withOpenApiRoute<R extends RouteSpec & { handler: unknown }>(
  routes: R[],
  info: { title: string; description: string },
  serve: (document: ReturnType<typeof buildOpenApiDocument>) => R['handler'],
): R[] {
  const spec: RouteSpec = {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    tag: 'meta',
    summary: 'This OpenAPI 3.1 document',
    auth: 'none',
    responses: { 200: { description: 'The document', contentType: 'application/json' } },
  };
  const document = buildOpenApiDocument({ ...info, version: '1' }, [...routes, spec]);
  return [...routes, { ...spec, handler: serve(document) } as R];
}
