import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import {
  EVENT_COLUMN_LIST,
  EVENT_TYPES,
  type EventColumnType,
  type EventField,
  type EventFieldValue,
  type EventType,
} from '../../core/index.js';

/** Fields of the event schema a timeline shows besides `eventId`, `type` and `ts` (the message is the one asked for). */
type TimelineField = Exclude<EventField, 'id' | 'type' | 'ts' | 'messageId'>;

/** One event of a message's timeline: every field of the event schema, empty ('' or 0) where it has none. */
export type TimelineEvent = { eventId: string; type: EventType; ts: string } & {
  [F in TimelineField]: EventFieldValue<F>;
};

const TIMELINE_COLUMNS = EVENT_COLUMN_LIST.filter((c) => !['id', 'type', 'ts', 'messageId'].includes(c.field));

/** How a timeline shows a value of each column type (a `UInt8` flag as a boolean). */
const OUTPUT_VALUES: Record<EventColumnType, () => z.ZodType> = {
  String: () => z.string(),
  'LowCardinality(String)': () => z.string(),
  UInt16: () => z.number(),
  UInt8: () => z.boolean(),
  "DateTime64(3, 'UTC')": () => z.string(),
  'Map(String, String)': () => z.record(z.string(), z.string()),
};

/**
 * One event of a message's timeline; empty strings and zeros mean "not applicable". Built from the
 * event schema (core/event-schema.ts), so its static type is asserted; the timeline test parses
 * real timelines with it.
 */
export const TIMELINE_EVENT_SCHEMA = z.object({
  eventId: z.string(),
  type: z.enum(EVENT_TYPES),
  ts: z.string().describe('When it happened, ISO 8601 in UTC with milliseconds'),
  ...Object.fromEntries(TIMELINE_COLUMNS.map((c) => [c.field, OUTPUT_VALUES[c.type]().describe(c.meaning)])),
}) as unknown as z.ZodType<TimelineEvent>;

/** Every event of one message, oldest first. */
export const TIMELINE_SCHEMA = z.array(TIMELINE_EVENT_SCHEMA);

/** Settings of {@link queryTimeline}. */
export interface TimelineOptions {
  /** Only events of this Bridge: a Bridge key sees its own messages only. @defaultValue every Bridge */
  bridgeId?: string;
}

/**
 * Lifecycle rank of each event type (the order of `EVENT_TYPES`): events of one message stamped in
 * the same millisecond (by different threads or processes) sort in the order they can happen.
 */
export const LIFECYCLE_ORDER_SQL = `indexOf([${EVENT_TYPES.map((t) => `'${t}'`).join(', ')}], type)`;

/** A DateTime64 column's value (`2030-01-31 09:00:00.000`, UTC) in ISO 8601; '' for the empty value (0). */
function isoTime(value: unknown): string {
  const ms = Date.parse(`${String(value).replace(' ', 'T')}Z`);
  return Number.isNaN(ms) || ms === 0 ? '' : new Date(ms).toISOString();
}

/** A row of the timeline query as a timeline event, validated by {@link TIMELINE_EVENT_SCHEMA}. */
function toTimelineEvent(row: Record<string, unknown>): TimelineEvent {
  const fields = TIMELINE_COLUMNS.map((c) => {
    const value = row[c.column];
    if (c.type === 'UInt8') return [c.field, Number(value) === 1];
    if (c.type === "DateTime64(3, 'UTC')") return [c.field, isoTime(value)];
    return [c.field, c.type === 'UInt16' ? Number(value) : value];
  });
  return TIMELINE_EVENT_SCHEMA.parse({
    eventId: row.event_id,
    type: row.type,
    ts: new Date(Number(row.ts_ms)).toISOString(),
    ...Object.fromEntries(fields),
  });
}

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
      SELECT event_id, type, toUnixTimestamp64Milli(ts) AS ts_ms, ${TIMELINE_COLUMNS.map((c) => c.column).join(', ')}
      FROM ${database}.events
      WHERE message_id = {messageId:String}${options.bridgeId === undefined ? '' : ' AND bridge_id = {bridgeId:String}'}
      ORDER BY ts, ${LIFECYCLE_ORDER_SQL}, event_id
      LIMIT 1 BY event_id`,
    query_params: { messageId, ...(options.bridgeId !== undefined && { bridgeId: options.bridgeId }) },
    format: 'JSONEachRow',
  });
  return z
    .array(z.record(z.string(), z.unknown()))
    .parse(await result.json())
    .map(toTimelineEvent);
}
