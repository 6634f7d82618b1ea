import { z } from 'zod';
import { AppError } from './errors.js';
import type { EventType } from './event-schema.js';

/**
 * The states a message can be in for one recipient, as the activity search reports them: the kind
 * of its latest state-changing event. `sent`, `opened` and `clicked` change no state (a delivered
 * message that is opened is still delivered).
 */
export const MESSAGE_STATES = [
  'queued',
  'scheduled',
  'deferred',
  'delivered',
  'bounced',
  'complained',
  'suppressed',
  'cancelled',
] as const satisfies readonly EventType[];

/** One of {@link MESSAGE_STATES}. */
export type MessageState = (typeof MESSAGE_STATES)[number];

/** Most rows one activity page returns. */
export const MESSAGE_PAGE_MAX = 100;

const isoTime = z.iso.datetime({ offset: true });

/**
 * Query of `GET /admin/v1/messages`. `from` and `to` bound when a message was accepted (its `queued`
 * event), so a row never moves between pages as its state changes.
 */
export const MESSAGE_SEARCH_QUERY = z
  .object({
    bridgeId: z.string().min(1).max(100).optional().describe('Only messages of this Bridge'),
    recipient: z.string().min(1).max(320).optional().describe('Exact envelope recipient'),
    status: z.enum(MESSAGE_STATES).optional().describe('Only rows whose latest state is this one'),
    from: isoTime.optional().describe('Accepted at or after (ISO 8601)'),
    to: isoTime.optional().describe('Accepted before (ISO 8601); default: now'),
    cursor: z.string().min(1).max(1000).optional().describe('`nextCursor` of the previous page'),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MESSAGE_PAGE_MAX)
      .default(50)
      .describe(`Rows per page, 1 to ${MESSAGE_PAGE_MAX}`),
  })
  .strict();

/** Query of `GET /v1/messages`: the Bridge is the one the API key belongs to. */
export const BRIDGE_MESSAGE_SEARCH_QUERY = MESSAGE_SEARCH_QUERY.omit({ bridgeId: true }).strict();

/** One (message, recipient) of the activity search, with its latest state. */
export const MESSAGE_ROW_SCHEMA = z.object({
  messageId: z.string(),
  bridgeId: z.string(),
  recipient: z.string(),
  state: z.enum(MESSAGE_STATES),
  acceptedAt: z.string().describe('When the message was accepted, ISO 8601 in UTC'),
  stateAt: z.string().describe('When it reached its latest state, ISO 8601 in UTC'),
  attempts: z.number().describe('Delivery attempts so far (0 before the first one ends)'),
  reply: z.string().describe('SMTP reply or local reason of the latest state; empty if none'),
  sendAt: z
    .string()
    .nullable()
    .describe('When a scheduled message is (or was) due, ISO 8601 in UTC; null for one sent when accepted'),
});

/** A row of {@link MESSAGE_ROW_SCHEMA}. */
export type MessageRow = z.infer<typeof MESSAGE_ROW_SCHEMA>;

/** Where a page ends: the sort key (accepted time, message id, recipient) of its last row. */
export interface MessageCursor {
  acceptedMs: number;
  messageId: string;
  recipient: string;
}

const CURSOR_SCHEMA = z.tuple([z.number().int().nonnegative(), z.string(), z.string()]);

/** The opaque cursor a client sends back for the next page. */
export function encodeMessageCursor(cursor: MessageCursor): string {
  return Buffer.from(JSON.stringify([cursor.acceptedMs, cursor.messageId, cursor.recipient])).toString('base64url');
}

/** Reads a cursor of {@link encodeMessageCursor}; a 400 naming `cursor` if it is not one. */
export function decodeMessageCursor(text: string): MessageCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const result = CURSOR_SCHEMA.safeParse(parsed);
  if (!result.success) throw new AppError('VALIDATION_FAILED', 'cursor: not a cursor of this API', { field: 'cursor' });
  const [acceptedMs, messageId, recipient] = result.data;
  return { acceptedMs, messageId, recipient };
}

/** What the activity query takes: the validated query with times and cursor decoded. */
export interface MessageSearch {
  bridgeId?: string;
  /** Only these Bridges' messages (an account's); empty: none. */
  bridgeIds?: readonly string[];
  recipient?: string;
  status?: MessageState;
  from?: Date;
  to?: Date;
  cursor?: MessageCursor;
  limit: number;
}

/** Turns a validated query into a {@link MessageSearch}; a 400 naming `from` when the range is empty. */
export function toMessageSearch(q: {
  bridgeId?: string | undefined;
  recipient?: string | undefined;
  status?: MessageState | undefined;
  from?: string | undefined;
  to?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}): MessageSearch {
  const from = q.from === undefined ? undefined : new Date(q.from);
  const to = q.to === undefined ? undefined : new Date(q.to);
  if (from && to && from >= to) throw new AppError('VALIDATION_FAILED', 'from: must be before to', { field: 'from' });
  return {
    limit: q.limit,
    ...(q.bridgeId !== undefined && { bridgeId: q.bridgeId }),
    ...(q.recipient !== undefined && { recipient: q.recipient }),
    ...(q.status !== undefined && { status: q.status }),
    ...(from && { from }),
    ...(to && { to }),
    ...(q.cursor !== undefined && { cursor: decodeMessageCursor(q.cursor) }),
  };
}

/** A page of the activity search. */
export interface MessagePage {
  rows: MessageRow[];
  /** Cursor of the next page; absent on the last one. */
  next?: MessageCursor;
}
