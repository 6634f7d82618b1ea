import { z } from 'zod';
import { AppError, validate, type Analyst } from '../../core/index.js';
import { jsonBody, recordChange, type AdminAppDeps, type AdminRoute } from '../admin-route.js';

const analystSchema = z.object({
  id: z.string(),
  name: z.string().describe('The user name analysts give their tools'),
  createdAt: z.string(),
});
const createAnalystSchema = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, '1 to 64 of A-Z, a-z, 0-9, _, . and -')
    .describe('The user name of the SQL endpoint'),
});
const createdSchema = analystSchema.extend({
  secret: z.string().describe('The password of the SQL endpoint; shown this once, stored hashed'),
});

const view = (a: Analyst) => ({ id: a.id, name: a.name, createdAt: a.createdAt.toISOString() });

/** Credentials of the analysts' read-only SQL endpoint (`BRIDGEMAIL_SQL_PORT`). */
export function analystRoutes(deps: AdminAppDeps): AdminRoute[] {
  const base = { tag: 'analysts', auth: 'admin' as const, access: 'operator' as const };
  return [
    {
      ...base,
      method: 'post',
      path: '/admin/v1/analysts',
      operationId: 'createAnalyst',
      summary: 'Create an analyst credential of the read-only SQL endpoint; its secret is shown once',
      body: { schema: createAnalystSchema },
      responses: { 201: { description: 'Created, with its secret', schema: createdSchema } },
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'CONFLICT', 'INVALID_CREDENTIALS', 'UNAUTHENTICATED'],
      handler: async (ctx) => {
        const { name } = validate(createAnalystSchema, await jsonBody(ctx));
        const { analyst, secret } = await deps.store.createAnalyst(name);
        await recordChange(
          deps,
          ctx.state.actor,
          { action: 'analyst.create', targetType: 'analyst', targetId: analyst.id, details: { name } },
          null,
        );
        ctx.status = 201;
        ctx.body = { ...view(analyst), secret };
      },
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/analysts',
      operationId: 'listAnalysts',
      summary: 'Analyst credentials (never their secrets)',
      responses: {
        200: {
          description: 'The analysts, and where the endpoint listens',
          schema: z.object({
            data: z.array(analystSchema),
            endpoint: z
              .object({ host: z.string(), port: z.number().int() })
              .nullable()
              .describe('Where analysts connect; null while the endpoint is off (`BRIDGEMAIL_SQL_PORT` unset)'),
          }),
        },
      },
      errors: ['INVALID_CREDENTIALS', 'UNAUTHENTICATED'],
      handler: async (ctx) => {
        const { host, sqlPort } = deps.endpoints();
        ctx.body = {
          data: (await deps.store.listAnalysts()).map(view),
          endpoint: sqlPort === undefined ? null : { host, port: sqlPort },
        };
      },
    },
    {
      ...base,
      method: 'delete',
      path: '/admin/v1/analysts/:id',
      operationId: 'revokeAnalyst',
      summary: 'Revoke an analyst credential: its next query is refused',
      responses: { 204: { description: 'Revoked' } },
      errors: ['NOT_FOUND', 'INVALID_CREDENTIALS', 'UNAUTHENTICATED'],
      handler: async (ctx) => {
        const id = ctx.params.id ?? '';
        if (!(await deps.store.deleteAnalyst(id))) throw new AppError('NOT_FOUND', 'no such analyst');
        await recordChange(
          deps,
          ctx.state.actor,
          { action: 'analyst.revoke', targetType: 'analyst', targetId: id, details: {} },
          null,
        );
        ctx.status = 204;
      },
    },
  ];
}
