import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { EVENT_TYPES } from '../../core/index.js';

/** One event of a message's timeline; empty strings and zeros mean "not applicable". */
export const TIMELINE_EVENT_SCHEMA = z.object({
  eventId: z.string(),
  type: z.enum(EVENT_TYPES),
  ts: z.string().describe('When it happened, ISO 8601 in UTC with milliseconds'),
  bridgeId: z.string(),
  poolId: z.string(),
  recipient: z.string(),
  ip: z.string().describe('Pool IP the attempt was sent from'),
  mx: z.string().describe('Remote MX host of the attempt'),
  replyCode: z.number().describe('SMTP reply code of the remote server, 0 when there was none'),
  reply: z.string().describe('SMTP reply text, or the local reason'),
  reason: z.string().describe('Classified reason (expired, connection, rejected, user-unknown …)'),
  attempt: z.number(),
  hard: z.boolean().describe('For bounces: the address itself is bad'),
  status: z.string().describe('Enhanced status code (RFC 3463) of a bounce'),
  feedbackType: z.string().describe('ARF feedback type of a complaint'),
  url: z.string().describe('Clicked URL'),
  userAgent: z.string(),
  clientIp: z.string().describe('Address an open or click came from'),
  machine: z.boolean().describe('The open or click came from a machine (privacy proxy, link scanner)'),
});

/** Every event of one message, oldest first. */
export const TIMELINE_SCHEMA = z.array(TIMELINE_EVENT_SCHEMA);

/** One event of a message's timeline. */
export type TimelineEvent = z.infer<typeof TIMELINE_EVENT_SCHEMA>;

/** Settings of {@link queryTimeline}. */
export interface TimelineOptions {
  /** Only events of this Bridge: a Bridge key sees its own messages only. @defaultValue every Bridge */
  bridgeId?: string;
}

const ROW_SCHEMA = z.object({
  event_id: z.string(),
  type: z.enum(EVENT_TYPES),
  ts_ms: z.coerce.number(),
  bridge_id: z.string(),
  pool_id: z.string(),
  recipient: z.string(),
  ip: z.string(),
  mx: z.string(),
  reply_code: z.coerce.number(),
  reply: z.string(),
  reason: z.string(),
  attempt: z.coerce.number(),
  hard: z.coerce.number(),
  status: z.string(),
  feedback_type: z.string(),
  url: z.string(),
  user_agent: z.string(),
  client_ip: z.string(),
  machine: z.coerce.number(),
});

/**
 * Lifecycle rank of each event type: events of one message stamped in the same millisecond (by
 * different threads or processes) sort in the order they can happen.
 */
export const LIFECYCLE_ORDER_SQL =
  "indexOf(['queued', 'suppressed', 'sent', 'deferred', 'delivered', 'bounced', 'opened', 'clicked', 'complained'], type)";

/**
 * Every event of a message in order (time, then lifecycle, then event id), each once even if the
 * writer inserted it twice; an empty list for an unknown message (or one of another Bridge).
 */
export async function queryTimeline(
  client: ClickHouseClient,
  database: string,
  messageId: string,
  options: TimelineOptions = {},
): Promise<TimelineEvent[]> {
  const result = await client.query({
    query: `
      SELECT event_id, type, toUnixTimestamp64Milli(ts) AS ts_ms, bridge_id, pool_id, recipient, ip, mx,
             reply_code, reply, reason, attempt, hard, status, feedback_type, url, user_agent, client_ip, machine
      FROM ${database}.events
      WHERE message_id = {messageId:String}${options.bridgeId === undefined ? '' : ' AND bridge_id = {bridgeId:String}'}
      ORDER BY ts, ${LIFECYCLE_ORDER_SQL}, event_id
      LIMIT 1 BY event_id`,
    query_params: { messageId, ...(options.bridgeId !== undefined && { bridgeId: options.bridgeId }) },
    format: 'JSONEachRow',
  });
  const rows = z.array(ROW_SCHEMA).parse(await result.json());
  return rows.map((r) => ({
    eventId: r.event_id,
    type: r.type,
    ts: new Date(r.ts_ms).toISOString(),
    bridgeId: r.bridge_id,
    poolId: r.pool_id,
    recipient: r.recipient,
    ip: r.ip,
    mx: r.mx,
    replyCode: r.reply_code,
    reply: r.reply,
    reason: r.reason,
    attempt: r.attempt,
    hard: r.hard === 1,
    status: r.status,
    feedbackType: r.feedback_type,
    url: r.url,
    userAgent: r.user_agent,
    clientIp: r.client_ip,
    machine: r.machine === 1,
  }));
}
