import type { ClickHouseClient } from '@clickhouse/client';
import type { Redis } from 'ioredis';
import { queryMessageLabels } from '../queries/index.js';
import {
  decodeEventEntry,
  DERIVED_EVENT_COLUMNS,
  EVENT_COLUMN_LIST,
  inheritMessageLabels,
  readEveryShard,
  StreamConsumer,
  type EventColumnType,
  type EventField,
  type Logger,
  type MailEvent,
  type StreamEntry,
} from '../../core/index.js';

/** Settings of {@link startEventWriter}. */
export interface EventWriterOptions {
  /** A connection of its own: the writer blocks on it. */
  redis: Redis;
  prefix: string;
  /** Event stream shards (`BRIDGEMAIL_EVENT_SHARDS`): each is read on a connection of its own. @defaultValue 1 */
  shards?: number;
  clickhouse: ClickHouseClient;
  database: string;
  logger: Logger;
  /** Most stream entries per insert (each holds up to 50 events, see EVENTS_PER_ENTRY). @defaultValue 1000 */
  batchSize?: number;
  /** Longest wait for more events before inserting what there is. @defaultValue 1000 */
  flushMs?: number;
  /** Runs before every insert until it succeeds once (e.g. applying the schema when ClickHouse was down at start). */
  beforeInsert?: () => Promise<void>;
  /** Told of every batch once it is in ClickHouse (metrics count events by type, IP and domain). */
  onInserted?: (events: readonly MailEvent[]) => void;
}

/** The running writer. */
export interface EventWriter {
  /** Events inserted since start. */
  readonly inserted: number;
  close(): Promise<void>;
}

const GROUP = 'analytics-writer';
const CONSUMER = 'writer';

/** What a column holds when the event has no value for it. */
const EMPTY: Record<EventColumnType, string | number | Record<string, string>> = {
  String: '',
  'LowCardinality(String)': '',
  UInt16: 0,
  UInt8: 0,
  "DateTime64(3, 'UTC')": 0,
  'Map(String, String)': {},
};

/** A value of an `events` row: a Map column holds an object. */
export type EventRowValue = string | number | Record<string, string>;

/** A ClickHouse row of `events`, keyed by column. */
export type EventRow = Record<string, EventRowValue>;

/**
 * Worked out once, as `toRow` runs for every event written: the row of an event without values
 * (every column empty, in schema order), and the column of each field.
 */
const EMPTY_ROW: EventRow = Object.fromEntries([
  ...EVENT_COLUMN_LIST.map((c): [string, EventRowValue] => [c.column, EMPTY[c.type]]),
  ...Object.keys(DERIVED_EVENT_COLUMNS).map((column): [string, EventRowValue] => [column, '']),
]);
const FIELD_COLUMNS = EVENT_COLUMN_LIST.map((c) => ({ field: c.field, column: c.column }));
const DERIVED_COLUMNS = Object.entries(DERIVED_EVENT_COLUMNS).map(([column, c]) => ({ column, derive: c.derive }));

/** Maps an event to its `events` row: every column of the event schema, empty ('' or 0) where the event has no value. */
export function toRow(e: MailEvent): EventRow {
  const values: Partial<Record<EventField, EventRowValue | boolean>> = e;
  // A copy of one fixed-shape object, then the event's values: cheaper than adding the columns one by one.
  const row = { ...EMPTY_ROW };
  for (const { field, column } of FIELD_COLUMNS) {
    const value = values[field];
    if (value !== undefined) row[column] = typeof value === 'boolean' ? Number(value) : value;
  }
  for (const { column, derive } of DERIVED_COLUMNS) row[column] = derive(e);
  return row;
}

/** How often a partial batch looks for more events while it waits (see `gather`). */
const GATHER_POLL_MS = 50;
/** How long `close` lets the last batch be written, beyond one read's block. */
const CLOSE_GRACE_MS = 5000;

/**
 * Moves events from the Redis stream into ClickHouse in batches: read with a consumer group,
 * insert, and only then acknowledge and trim. While ClickHouse is down events stay in Redis
 * (pending entries are re-read first) and the backlog is logged; none is dropped.
 */
export async function startEventWriter(options: EventWriterOptions): Promise<EventWriter> {
  const { readers, close } = await readEveryShard(options.redis, options.prefix, options.shards ?? 1, (key, redis) =>
    startShardWriter(options, key, redis),
  );
  return {
    get inserted() {
      return readers.reduce((n, r) => n + r.inserted, 0);
    },
    close,
  };
}

/** The writer of one event stream shard (`key`), on its own blocking connection. */
async function startShardWriter(options: EventWriterOptions, key: string, redis: Redis): Promise<EventWriter> {
  const log = options.logger.child({ component: 'event-writer', stream: key });
  const batchSize = options.batchSize ?? 1000;
  const flushMs = options.flushMs ?? 1000;
  const consumer = new StreamConsumer({
    redis,
    stream: key,
    group: GROUP,
    consumer: CONSUMER,
    startAt: '0',
    count: batchSize,
    blockMs: flushMs,
    // The writer is the reader that deletes: entries every group has acknowledged leave the stream.
    trimAcknowledged: true,
    onError: async (err, retryInMs) => {
      const backlog = await redis.xlen(key).catch(() => -1);
      log.warn({ err, backlog, retryInMs }, 'events not written to ClickHouse; they wait in Redis');
    },
  });
  await consumer.createGroup();
  let inserted = 0;

  const insert = async (entries: readonly StreamEntry[]) => {
    const rows: EventRow[] = [];
    const written: MailEvent[] = [];
    for (const { id, fields } of entries) {
      // An entry deleted while pending has no fields: there is nothing left to write.
      if (!fields) continue;
      try {
        const { events, invalid } = decodeEventEntry(fields);
        if (invalid.length > 0)
          log.error({ streamId: id, skipped: invalid.length, issue: invalid[0]?.issue }, 'invalid events skipped');
        written.push(...events);
      } catch (err) {
        log.error({ err, streamId: id }, 'unparseable event entry skipped');
      }
    }
    if (written.length > 0) {
      await options.beforeInsert?.();
      await inheritMessageLabels(written, (ids) => queryMessageLabels(options.clickhouse, options.database, ids));
      rows.push(...written.map(toRow));
      await options.clickhouse.insert({ table: `${options.database}.events`, values: rows, format: 'JSONEachRow' });
    }
    await consumer.ack(entries);
    inserted += rows.length;
    options.onInserted?.(written);
  };

  /**
   * Tops a partial batch up until it is full or its first event has waited `flushMs`: one insert
   * (one ClickHouse part) per batch rather than one per trickle of events, which would cost more
   * CPU in part creation and merges than the events themselves.
   */
  const gather = async (first: readonly StreamEntry[]): Promise<StreamEntry[]> => {
    const entries = [...first];
    const deadline = Date.now() + flushMs;
    while (entries.length < batchSize && !consumer.closing) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise((r) => setTimeout(r, Math.min(GATHER_POLL_MS, left)));
      if (consumer.closing) break;
      entries.push(...(await consumer.read(batchSize - entries.length, false)));
    }
    return entries;
  };

  // Pending entries (after a start or a failure) are written as read; new ones are gathered first.
  void consumer.run(async (entries) => insert(consumer.readingPending ? entries : await gather(entries)));

  return {
    get inserted() {
      return inserted;
    },
    // The loop ends after its current read (a block of at most flushMs) and writes what it
    // gathered, acknowledging it on the still open connection: events inserted but not
    // acknowledged would be inserted again at the next start. Bounded, in case Redis is away.
    close: () => consumer.close(flushMs + CLOSE_GRACE_MS),
  };
}
