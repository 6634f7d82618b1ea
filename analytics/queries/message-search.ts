import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import {
  MESSAGE_ROW_SCHEMA,
  MESSAGE_STATES,
  type MessagePage,
  type MessageRow,
  type MessageSearch,
} from '../../core/index.js';
import { typeIs } from '../schema/events-schema.js';
import { LIFECYCLE_ORDER_SQL } from './timeline.js';

const DAY_MS = 86_400_000;

/**
 * Acceptance windows tried, newest first, until a page is full: each query scans the events from
 * the window's start on, so a busy Bridge's page comes from its last day and a quiet one's from
 * further back; the last window is everything. Bounded, so a search runs at most this many queries.
 */
const WINDOW_DAYS = [1, 7, 60, 730, Number.POSITIVE_INFINITY];

const STATE_TYPES = `type IN (${MESSAGE_STATES.map((s) => `'${s}'`).join(', ')})`;
const ATTEMPT_TYPES = typeIs('deferred', 'delivered', 'bounced');
const LATEST = `(ts, ${LIFECYCLE_ORDER_SQL})`;

const ROW = z.object({
  message_id: z.string(),
  recipient: z.string(),
  bridge: z.string(),
  accepted_ms: z.coerce.number(),
  state: z.string(),
  state_ms: z.coerce.number(),
  last_reply: z.string(),
  attempts: z.coerce.number(),
  send_at_ms: z.coerce.number(),
});

/**
 * One query over acceptance window [lo, hi): (message, recipient) pairs accepted in it, with their
 * latest state, newest first. Events are read from `lo` on (a pair's events all follow its `queued`
 * event); a pair whose `queued` event is older than `lo` has none among them and is left out, so
 * each pair is placed by its real acceptance time. Every aggregate holds when the writer inserted an
 * event twice. `closed`: the window ended more than a day before now.
 */
function windowQuery(database: string, search: MessageSearch, lo: number | undefined, closed: boolean): string {
  const scope = [
    ...(lo === undefined ? [] : ["ts >= fromUnixTimestamp64Milli({lo:Int64}, 'UTC')"]),
    ...(search.bridgeId === undefined ? [] : ['bridge_id = {bridgeId:String}']),
    ...(search.bridgeIds === undefined ? [] : ['bridge_id IN {bridgeIds:Array(String)}']),
    ...(search.recipient === undefined ? [] : ['recipient = {recipient:String}']),
  ];
  const messagesWith = (conditions: string[]) =>
    `message_id IN (SELECT message_id FROM ${database}.events WHERE ${[...conditions, ...scope].join(' AND ')})`;
  // Only some messages are grouped, found through the sort key (Bridge, type, time):
  // - a window that closed long ago: the messages accepted in it. The events read from `lo` on are
  //   then mostly later mail, and the message-id skip index passes over their granules;
  // - with a status S: the messages with an S event, as one whose latest state is S has one.
  const accepted =
    closed && lo !== undefined
      ? messagesWith([typeIs('queued'), "ts < fromUnixTimestamp64Milli({hi:Int64}, 'UTC')"])
      : undefined;
  const candidates =
    search.status === undefined
      ? accepted
      : messagesWith(['type = {status:String}', ...(accepted === undefined ? [] : [accepted])]);
  const where = candidates === undefined ? scope : [...scope, candidates];
  const having = [
    `countIf(${typeIs('queued')}) > 0`,
    ...(lo === undefined ? [] : ['accepted_ms >= {lo:Int64}']),
    'accepted_ms < {hi:Int64}',
    ...(search.status === undefined ? [] : ['state = {status:String}']),
    ...(search.cursor === undefined
      ? []
      : [
          '(accepted_ms, message_id, recipient) < ({cursorMs:Int64}, {cursorMessage:String}, {cursorRecipient:String})',
        ]),
  ];
  return `
    SELECT
      message_id,
      recipient,
      any(bridge_id) AS bridge,
      toUnixTimestamp64Milli(minIf(ts, ${typeIs('queued')})) AS accepted_ms,
      argMaxIf(type, ${LATEST}, ${STATE_TYPES}) AS state,
      toUnixTimestamp64Milli(maxIf(ts, ${STATE_TYPES})) AS state_ms,
      argMaxIf(reply, ${LATEST}, ${STATE_TYPES}) AS last_reply,
      maxIf(attempt, ${ATTEMPT_TYPES}) AS attempts,
      toUnixTimestamp64Milli(maxIf(send_at, ${typeIs('scheduled')})) AS send_at_ms
    FROM ${database}.events
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    GROUP BY message_id, recipient
    HAVING ${having.join(' AND ')}
    ORDER BY accepted_ms DESC, message_id DESC, recipient DESC
    LIMIT {limit:UInt32}`;
}

function toRow(row: z.infer<typeof ROW>): MessageRow {
  return MESSAGE_ROW_SCHEMA.parse({
    messageId: row.message_id,
    bridgeId: row.bridge,
    recipient: row.recipient,
    state: row.state,
    acceptedAt: new Date(row.accepted_ms).toISOString(),
    stateAt: new Date(row.state_ms).toISOString(),
    attempts: row.attempts,
    reply: row.last_reply,
    sendAt: row.send_at_ms > 0 ? new Date(row.send_at_ms).toISOString() : null,
  });
}

/**
 * The activity search: one row per (message, recipient) with its latest state, newest accepted
 * first, paged by a cursor on (accepted time, message id, recipient). Messages accepted after the
 * first page was read never shift later pages. Searching a recipient reads every window at once:
 * the recipient skip index of `events` keeps that cheap.
 */
export async function searchMessages(
  client: ClickHouseClient,
  database: string,
  search: MessageSearch,
  now = Date.now(),
): Promise<MessagePage> {
  const hi = Math.min(
    search.to?.getTime() ?? now + 60_000,
    // Rows up to and including the cursor's millisecond: the tuple comparison drops the ones before it.
    search.cursor === undefined ? Number.POSITIVE_INFINITY : search.cursor.acceptedMs + 1,
  );
  const from = search.from?.getTime();
  const windows = search.recipient === undefined ? WINDOW_DAYS : [Number.POSITIVE_INFINITY];
  let rows: MessageRow[] = [];
  for (const days of windows) {
    const start = Number.isFinite(days) ? hi - days * DAY_MS : undefined;
    const lo = from === undefined ? start : start === undefined ? from : Math.max(from, start);
    const result = await client.query({
      query: windowQuery(database, search, lo, hi < now - DAY_MS),
      query_params: {
        hi,
        limit: search.limit + 1,
        ...(lo !== undefined && { lo }),
        ...(search.bridgeId !== undefined && { bridgeId: search.bridgeId }),
        ...(search.bridgeIds !== undefined && { bridgeIds: search.bridgeIds }),
        ...(search.recipient !== undefined && { recipient: search.recipient }),
        ...(search.status !== undefined && { status: search.status }),
        ...(search.cursor && {
          cursorMs: search.cursor.acceptedMs,
          cursorMessage: search.cursor.messageId,
          cursorRecipient: search.cursor.recipient,
        }),
      },
      format: 'JSONEachRow',
    });
    rows = z
      .array(ROW)
      .parse(await result.json())
      .map(toRow);
    if (rows.length > search.limit || lo === undefined || lo === from) break;
  }
  const page = rows.slice(0, search.limit);
  const last = page.at(-1);
  return rows.length > search.limit && last
    ? {
        rows: page,
        next: { acceptedMs: Date.parse(last.acceptedAt), messageId: last.messageId, recipient: last.recipient },
      }
    : { rows: page };
}
