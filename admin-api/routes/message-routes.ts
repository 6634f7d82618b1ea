import { z } from 'zod';
import { queryTimeline, searchMessages } from '../../analytics/queries/index.js';
import {
  encodeMessageCursor,
  MESSAGE_ROW_SCHEMA,
  MESSAGE_SEARCH_QUERY,
  toMessageSearch,
  validate,
  AppError,
} from '../../core/index.js';
import type { AdminAppDeps, AdminRoute } from '../admin-route.js';
import { visibleBridgeIds } from '../account-scope.js';

/** A row of the admin activity search: the Bridge's name beside its id, and where its timeline is. */
const ADMIN_MESSAGE_ROW = MESSAGE_ROW_SCHEMA.extend({
  bridgeName: z.string().nullable().describe('Name of the Bridge; null if it no longer exists'),
  timeline: z.string().describe('Path of the message timeline (`GET /admin/v1/messages/:id`)'),
});

/** The answer of a cancel. */
const CANCELLED_SCHEMA = z.object({
  id: z.string().describe('Message id'),
  bridgeId: z.string(),
  status: z.literal('cancelled'),
  recipients: z.array(z.string()).describe('Envelope recipients that will not get it'),
  sendAt: z.string().describe('When it was due, ISO 8601 in UTC'),
});

/**
 * The activity search across Bridges (`GET /admin/v1/messages`) and the cancel of a scheduled
 * message; the timeline of one message is a stats route.
 */
export function messageRoutes(deps: AdminAppDeps): AdminRoute[] {
  const { client, database } = deps.analytics;
  return [
    {
      tag: 'stats',
      auth: 'admin',
      access: 'account',
      method: 'get',
      path: '/admin/v1/messages',
      operationId: 'searchMessages',
      summary: 'Messages per recipient with their latest state, newest accepted first, paged by cursor',
      description:
        'One row per (message, recipient). `status` filters on the latest state; `from` and `to` on when the ' +
        'message was accepted, so a row keeps its place as its state changes and paging by `cursor` has ' +
        'neither duplicates nor gaps while new mail arrives.',
      query: MESSAGE_SEARCH_QUERY,
      responses: {
        200: {
          description: 'A page of rows',
          schema: z.object({
            data: z.array(ADMIN_MESSAGE_ROW),
            nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last one'),
          }),
        },
      },
      errors: ['VALIDATION_FAILED', 'INVALID_CREDENTIALS', 'UNAUTHENTICATED'],
      handler: async (ctx) => {
        const search = toMessageSearch(validate(MESSAGE_SEARCH_QUERY, ctx.query));
        const visible = await visibleBridgeIds(ctx.state);
        if (visible?.size === 0) {
          ctx.body = { data: [], nextCursor: null };
          return;
        }
        const [page, bridges] = await Promise.all([
          searchMessages(client, database, visible ? { ...search, bridgeIds: [...visible] } : search),
          ctx.state.store.listBridges({ includeDeleted: true }),
        ]);
        const names = new Map(bridges.map((b) => [b.id, b.name]));
        ctx.body = {
          data: page.rows.map((row) => ({
            ...row,
            bridgeName: names.get(row.bridgeId) ?? null,
            timeline: `/admin/v1/messages/${encodeURIComponent(row.messageId)}`,
          })),
          nextCursor: page.next ? encodeMessageCursor(page.next) : null,
        };
      },
    },
    {
      tag: 'stats',
      auth: 'admin',
      access: 'account',
      method: 'delete',
      path: '/admin/v1/messages/:id',
      operationId: 'cancelMessage',
      summary: 'Cancel a scheduled message (`sendAt`) of any Bridge before it is due',
      description:
        'Answers 200 with the recipients that will not get it, and a `cancelled` event (reason `api`) goes out ' +
        'per recipient; the audit log records it. Cancelling an already cancelled message answers 200 again. ' +
        '409 `MESSAGE_ALREADY_SENT` once its delivery has started (or when it was not scheduled).',
      responses: { 200: { description: 'Cancelled', schema: CANCELLED_SCHEMA } },
      errors: ['MESSAGE_NOT_FOUND', 'MESSAGE_ALREADY_SENT', 'INVALID_CREDENTIALS', 'UNAUTHENTICATED'],
      handler: async (ctx) => {
        const id = ctx.params.id ?? '';
        // An account cancels its own messages only: found by the schedule record (or, once it is gone,
        // by the message's events); another account's is not found.
        let bridgeId: string | undefined;
        if (ctx.state.scope !== 'operator') {
          bridgeId = (await deps.scheduledBridge(id)) ?? (await queryTimeline(client, database, id))[0]?.bridgeId;
          if (bridgeId === undefined || !(await ctx.state.store.getBridge(bridgeId)))
            throw new AppError('MESSAGE_NOT_FOUND', 'no such message');
        }
        const cancelled = await deps.cancelMessage(id, bridgeId);
        await deps.store.appendAudit({
          actor: ctx.state.actor,
          action: 'message.cancel',
          targetType: 'bridge',
          targetId: cancelled.bridgeId,
          details: { messageId: cancelled.id, recipients: cancelled.recipients.length, sendAt: cancelled.sendAt },
        });
        ctx.body = { ...cancelled, status: 'cancelled' };
      },
    },
  ];
}
