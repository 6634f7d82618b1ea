import { z } from 'zod';
import { AppError } from '../../core/index.js';
import type { AdminAppDeps, AdminRoute } from '../admin-route.js';

const blockViewSchema = z.object({
  id: z.string().describe('Opaque id, for lifting the block'),
  plane: z
    .enum(['send', 'admin'])
    .describe("`send`: REST API and SMTP; `admin`: admin API, console login and the analysts' SQL endpoint"),
  kind: z
    .enum(['address', 'address-principal', 'principal'])
    .describe(
      '`address`: failures for credentials that name nothing; `address-principal`: one address failing one principal; `principal`: one principal failing from several addresses',
    ),
  address: z.string().nullable().describe('The client address (null for a principal block)'),
  principal: z
    .string()
    .nullable()
    .describe(
      "SMTP username, the first 8 characters of an API key, `admin token`, or the first 3 characters of an analyst's name; never a secret",
    ),
  failures: z.number().int(),
  expiresAt: z.string(),
});

/** Lists and lifts the blocks the failed-authentication limits put in force. */
export function authBlockRoutes(deps: AdminAppDeps): AdminRoute[] {
  const base = { tag: 'auth-blocks', auth: 'admin' as const, access: 'operator' as const };
  return [
    {
      ...base,
      method: 'get',
      path: '/admin/v1/auth-blocks',
      operationId: 'listAuthBlocks',
      summary:
        'Blocks in force after failed authentications: failing attempts from them get 429 / SMTP 454, valid credentials are still served',
      responses: {
        200: {
          description: 'The blocks, soonest to expire first',
          schema: z.object({ data: z.array(blockViewSchema) }),
        },
      },
      errors: ['INVALID_CREDENTIALS', 'UNAUTHENTICATED', 'SERVICE_UNAVAILABLE'],
      handler: async (ctx) => {
        ctx.body = { data: await deps.limiter.listBlocks() };
      },
    },
    {
      ...base,
      method: 'delete',
      path: '/admin/v1/auth-blocks/:id',
      operationId: 'liftAuthBlock',
      summary: 'Lift a block: its failures are forgotten',
      responses: { 204: { description: 'Lifted' } },
      errors: ['NOT_FOUND', 'INVALID_CREDENTIALS', 'UNAUTHENTICATED', 'SERVICE_UNAVAILABLE'],
      handler: async (ctx) => {
        if (!(await deps.limiter.liftBlock(ctx.params.id ?? '')))
          throw new AppError('NOT_FOUND', 'no such authentication block');
        deps.logger.info(
          { actor: ctx.state.actor, blockId: ctx.params.id },
          'authentication block lifted by an operator',
        );
        ctx.status = 204;
      },
    },
  ];
}
