import type { Redis } from 'ioredis';
import { newId } from './ids.js';
import { readStreamGroups } from './stream-groups.js';
import { TickBatch, type TickBatchOptions } from './tick-batch.js';

/** Every kind of event a message can produce. */
export const EVENT_TYPES = [
  'queued',
  'sent',
  'delivered',
  'deferred',
  'bounced',
  'complained',
  'suppressed',
  'opened',
  'clicked',
] as const;

/** One of {@link EVENT_TYPES}. */
export type EventType = (typeof EVENT_TYPES)[number];

/** A state change of a message (or of one of its recipients), as stored in ClickHouse. */
export interface MailEvent {
  /** Unique per event; the analytics writer deduplicates on it. */
  id: string;
  type: EventType;
  /** Milliseconds since the epoch. */
  ts: number;
  messageId: string;
  bridgeId: string;
  poolId: string;
  /** Source IP used for the attempt. */
  ip?: string;
  recipient?: string;
  /** Remote MX host the attempt talked to. */
  mx?: string;
  /** SMTP reply code, when there was one. */
  replyCode?: number;
  /** SMTP reply text or the local reason. */
  reply?: string;
  /** Classified reason (e.g. `expired`, `connection`, `rejected`). */
  reason?: string;
  attempt?: number;
  /** Clicked URL. */
  url?: string;
  /** User agent of the open or click. */
  userAgent?: string;
  /** Address the open or click came from. */
  clientIp?: string;
  /** The open or click came from a machine (mail privacy proxy, image prefetch, link scanner). */
  machine?: boolean;
  /** For `bounced`: the address itself is bad (the narrow, Sisimai definition); soft otherwise. */
  hard?: boolean;
  /** Enhanced status code (RFC 3463) of a bounce, e.g. `5.1.1`. */
  status?: string;
  /** ARF feedback type of a complaint (`abuse`, `opt-out`, …). */
  feedbackType?: string;
}

/** Fields of an event before it gets its id and timestamp. */
export type NewMailEvent = Omit<MailEvent, 'id' | 'ts'> & { ts?: number };

/** Redis stream key holding events on their way to ClickHouse. */
export function eventStreamKey(prefix: string): string {
  return `${prefix}:events`;
}

/** Most events one stream entry holds (a tick's publishes share entries of up to this many). */
export const EVENTS_PER_ENTRY = 50;

/**
 * The fields of one stream entry: `e` with one event (JSON), or `es` with several (a JSON array).
 */
export function encodeEventEntry(events: readonly MailEvent[]): [string, string] {
  return events.length === 1 ? ['e', JSON.stringify(events[0])] : ['es', JSON.stringify(events)];
}

/** The events of one stream entry (its flat field list, as XREADGROUP / XRANGE give it); throws if unreadable. */
export function decodeEventEntry(fields: readonly string[]): MailEvent[] {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1] ?? '';
    if (fields[i] === 'e') return [JSON.parse(value) as MailEvent];
    if (fields[i] === 'es') {
      const events: unknown = JSON.parse(value);
      if (!Array.isArray(events)) throw new Error('event entry field es is not an array');
      return events as MailEvent[];
    }
  }
  throw new Error('event entry has neither an e nor an es field');
}

/**
 * Appends events to the Redis stream; never blocks on ClickHouse. Publishes made in the same tick
 * (concurrent deliveries, a batch of acceptances) share one round trip and one stream entry per
 * {@link EVENTS_PER_ENTRY} events; each call resolves once Redis has its events.
 */
export class EventPublisher {
  /** One item per publish call: the events it brought. */
  readonly #batch: TickBatch<MailEvent[]>;

  /** `batching`: how the writes of a tick are gathered (their spacing), see {@link TickBatchOptions}. */
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    batching: TickBatchOptions = {},
  ) {
    this.#batch = new TickBatch((calls) => this.#write(calls.flat()), batching);
  }

  /** Publishes events (with the others of this tick); resolves once Redis holds them. */
  publish(events: NewMailEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return this.#batch.add(
      '',
      events.map((e): MailEvent => ({ ...e, id: newId('ev'), ts: e.ts ?? Date.now() })),
    );
  }

  async #write(events: MailEvent[]): Promise<void> {
    const key = eventStreamKey(this.prefix);
    // Sent together: the platform's connections pipeline commands issued in the same tick.
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < events.length; i += EVENTS_PER_ENTRY)
      writes.push(this.redis.xadd(key, '*', ...encodeEventEntry(events.slice(i, i + EVENTS_PER_ENTRY))));
    await Promise.all(writes);
  }
}

/** How far behind the readers of the event stream are. */
export interface EventBacklog {
  /** Entries in the stream (not yet trimmed); each holds up to {@link EVENTS_PER_ENTRY} events. */
  length: number;
  /** Per consumer group: entries read but not acknowledged, and entries not read yet. */
  groups: { name: string; pending: number; lag: number | null }[];
}

/** Reads the event stream's length and each consumer group's pending count and lag. */
export async function readEventBacklog(redis: Redis, prefix: string): Promise<EventBacklog> {
  const key = eventStreamKey(prefix);
  const length = await redis.xlen(key);
  if (length === 0 && (await redis.exists(key)) === 0) return { length, groups: [] };
  const groups = (await readStreamGroups(redis, key)).map(({ name, pending, lag }) => ({ name, pending, lag }));
  return { length, groups };
}
