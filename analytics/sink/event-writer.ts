import type { ClickHouseClient } from '@clickhouse/client';
import type { Redis } from 'ioredis';
import { decodeEventEntry, eventStreamKey, type Logger, type MailEvent } from '../../core/index.js';

/** Settings of {@link startEventWriter}. */
export interface EventWriterOptions {
  /** A connection of its own: the writer blocks on it. */
  redis: Redis;
  prefix: string;
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

/** Maps an event to its ClickHouse row. */
export function toRow(e: MailEvent): Record<string, string | number> {
  const recipient = e.recipient ?? '';
  return {
    event_id: e.id,
    type: e.type,
    ts: e.ts,
    message_id: e.messageId,
    bridge_id: e.bridgeId,
    pool_id: e.poolId,
    ip: e.ip ?? '',
    recipient,
    recipient_domain: recipient.includes('@') ? recipient.slice(recipient.lastIndexOf('@') + 1).toLowerCase() : '',
    mx: e.mx ?? '',
    reply_code: e.replyCode ?? 0,
    reply: e.reply ?? '',
    reason: e.reason ?? '',
    attempt: e.attempt ?? 0,
    url: e.url ?? '',
    user_agent: e.userAgent ?? '',
    client_ip: e.clientIp ?? '',
    machine: e.machine ? 1 : 0,
    hard: e.hard ? 1 : 0,
    status: e.status ?? '',
    feedback_type: e.feedbackType ?? '',
  };
}

type StreamEntry = [id: string, fields: string[]];

/**
 * Trims the stream below the oldest entry some consumer group still needs (its oldest pending
 * entry, else the one after its last delivered), so that other groups (webhooks) lose nothing.
 */
export async function trimAcknowledged(redis: Redis, key: string): Promise<void> {
  const groups = (await redis.xinfo('GROUPS', key)) as unknown[][];
  let floor: string | undefined;
  const older = (a: string, b: string) => {
    const [am = 0, as = 0] = a.split('-').map(Number);
    const [bm = 0, bs = 0] = b.split('-').map(Number);
    return am < bm || (am === bm && as < bs);
  };
  for (const fields of groups) {
    const info = new Map<string, unknown>();
    for (let i = 0; i + 1 < fields.length; i += 2) info.set(String(fields[i]), fields[i + 1]);
    const name = String(info.get('name'));
    const summary = (await redis.xpending(key, name)) as [number, string | null, string | null, unknown];
    let needed: string;
    if (summary[0] > 0 && summary[1]) needed = summary[1];
    else {
      const [ms = 0, seq = 0] = String(info.get('last-delivered-id') ?? '0-0').split('-').map(Number);
      needed = `${ms}-${seq + 1}`;
    }
    if (floor === undefined || older(needed, floor)) floor = needed;
  }
  if (floor) await redis.xtrim(key, 'MINID', floor);
}

/** How often a partial batch looks for more events while it waits (see `gather`). */
const GATHER_POLL_MS = 50;
/** How long `close` lets the last batch be written, beyond one read's block. */
const CLOSE_GRACE_MS = 5000;

/**
 * Moves events from the Redis stream into ClickHouse in batches: read with a consumer group,
 * insert, and only then acknowledge and delete. While ClickHouse is down events stay in Redis
 * (pending entries are re-read first) and the backlog is logged; none is dropped.
 */
export async function startEventWriter(options: EventWriterOptions): Promise<EventWriter> {
  const log = options.logger.child({ component: 'event-writer' });
  const key = eventStreamKey(options.prefix);
  const batchSize = options.batchSize ?? 1000;
  const flushMs = options.flushMs ?? 1000;
  const { redis } = options;
  try {
    await redis.xgroup('CREATE', key, GROUP, '0', 'MKSTREAM');
  } catch (err) {
    if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
  }
  let closed = false;
  let inserted = 0;
  let pendingFirst = true;
  let backoffMs = 250;

  /** Up to `count` entries: the pending ones first (after a start or a failure), then new ones. */
  const read = async (count = batchSize, block = true): Promise<StreamEntry[]> => {
    const args = pendingFirst
      ? (['GROUP', GROUP, CONSUMER, 'COUNT', count, 'STREAMS', key, '0'] as const)
      : block
        ? (['GROUP', GROUP, CONSUMER, 'COUNT', count, 'BLOCK', flushMs, 'STREAMS', key, '>'] as const)
        : (['GROUP', GROUP, CONSUMER, 'COUNT', count, 'STREAMS', key, '>'] as const);
    const reply = (await redis.xreadgroup(...(args as unknown as Parameters<Redis['xreadgroup']>))) as
      | [string, StreamEntry[]][]
      | null;
    return reply?.[0]?.[1] ?? [];
  };

  const insert = async (entries: StreamEntry[]) => {
    const rows: Record<string, string | number>[] = [];
    const written: MailEvent[] = [];
    for (const [id, fields] of entries) {
      try {
        const events = decodeEventEntry(fields);
        const entryRows = events.map(toRow);
        rows.push(...entryRows);
        written.push(...events);
      } catch (err) {
        log.error({ err, streamId: id }, 'unparseable event entry skipped');
      }
    }
    if (rows.length > 0) {
      await options.beforeInsert?.();
      await options.clickhouse.insert({ table: `${options.database}.events`, values: rows, format: 'JSONEachRow' });
    }
    const ids = entries.map(([id]) => id);
    await redis.xack(key, GROUP, ...ids);
    await trimAcknowledged(redis, key);
    inserted += rows.length;
    options.onInserted?.(written);
  };

  /**
   * Tops a partial batch up until it is full or its first event has waited `flushMs`: one insert
   * (one ClickHouse part) per batch rather than one per trickle of events, which would cost more
   * CPU in part creation and merges than the events themselves.
   */
  const gather = async (first: StreamEntry[]): Promise<StreamEntry[]> => {
    const entries = [...first];
    const deadline = Date.now() + flushMs;
    while (entries.length < batchSize && !closed) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise((r) => setTimeout(r, Math.min(GATHER_POLL_MS, left)));
      if (closed) break;
      entries.push(...(await read(batchSize - entries.length, false)));
    }
    return entries;
  };

  const loop = async () => {
    while (!closed) {
      let entries: StreamEntry[] = [];
      try {
        entries = await read();
        if (entries.length === 0) {
          pendingFirst = false;
          continue;
        }
        if (!pendingFirst) entries = await gather(entries);
        await insert(entries);
        backoffMs = 250;
      } catch (err) {
        if (closed) break;
        pendingFirst = true;
        const backlog = await redis.xlen(key).catch(() => -1);
        log.warn({ err, backlog, retryInMs: backoffMs }, 'events not written to ClickHouse; they wait in Redis');
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 30_000);
      }
    }
  };
  const running = loop();

  return {
    get inserted() {
      return inserted;
    },
    async close() {
      closed = true;
      // The loop ends after its current read (a block of at most flushMs) and writes what it
      // gathered, acknowledging it on the still open connection: events inserted but not
      // acknowledged would be inserted again at the next start. Bounded, in case Redis is away.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise((r) => (timer = setTimeout(r, flushMs + CLOSE_GRACE_MS)))]);
      clearTimeout(timer);
      redis.disconnect();
      await running;
    },
  };
}
