import type { Redis } from 'ioredis';
import { MAIL_EVENT_SCHEMA, type MailEvent, type NewMailEvent } from './event-schema.js';
import { newId } from './ids.js';
import { eventShardOf, eventStreamKeys, eventStreamShardKey } from './redis-keys.js';
import { readStreamGroups } from './stream-groups.js';
import { TickBatch, type TickBatchOptions } from './tick-batch.js';

/** Redis stream key holding events on their way to ClickHouse (the first shard's; the only one unsharded). */
export function eventStreamKey(prefix: string): string {
  return eventStreamShardKey(prefix, 0);
}

/** Most events one stream entry holds (a tick's publishes share entries of up to this many). */
export const EVENTS_PER_ENTRY = 50;

/**
 * The fields of one stream entry: `e` with one event (JSON), or `es` with several (a JSON array).
 */
export function encodeEventEntry(events: readonly MailEvent[]): [string, string] {
  return events.length === 1 ? ['e', JSON.stringify(events[0])] : ['es', JSON.stringify(events)];
}

/** The events of one stream entry, and those of its events that failed validation. */
export interface DecodedEntry {
  events: MailEvent[];
  /** Events that do not match the schema (`MAIL_EVENT_SCHEMA`), each with the first problem found. */
  invalid: { event: unknown; issue: string }[];
}

/**
 * The events of one stream entry (its flat field list, as XREADGROUP / XRANGE give it), each
 * validated on its own: a bad event costs itself, not the entry. Throws if the entry is unreadable.
 */
export function decodeEventEntry(fields: readonly string[]): DecodedEntry {
  const decoded: DecodedEntry = { events: [], invalid: [] };
  for (const event of entryPayload(fields)) {
    const parsed = MAIL_EVENT_SCHEMA.safeParse(event);
    if (parsed.success) decoded.events.push(parsed.data);
    else decoded.invalid.push({ event, issue: describeIssue(parsed.error.issues[0]) });
  }
  return decoded;
}

function entryPayload(fields: readonly string[]): unknown[] {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1] ?? '';
    if (fields[i] === 'e') return [JSON.parse(value)];
    if (fields[i] === 'es') {
      const events: unknown = JSON.parse(value);
      if (!Array.isArray(events)) throw new Error('event entry field es is not an array');
      return events;
    }
  }
  throw new Error('event entry has neither an e nor an es field');
}

function describeIssue(issue: { path: PropertyKey[]; message: string } | undefined): string {
  if (!issue) return 'invalid event';
  return issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message;
}

/**
 * Appends events to the Redis stream; never blocks on ClickHouse. Publishes made in the same tick
 * (concurrent deliveries, a batch of acceptances) share one round trip and one stream entry per
 * {@link EVENTS_PER_ENTRY} events; each call resolves once Redis has its events.
 */
export class EventPublisher {
  /** One item per publish call: the events it brought. */
  readonly #batch: TickBatch<MailEvent[]>;

  readonly #shards: number;

  /**
   * `options`: how the writes of a tick are gathered (their spacing, see {@link TickBatchOptions}),
   * and over how many stream shards events are spread (`BRIDGEMAIL_EVENT_SHARDS`, by message id).
   */
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    options: EventPublisherOptions = {},
  ) {
    const { shards = 1, ...batching } = options;
    this.#shards = shards;
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
    const byShard = new Map<number, MailEvent[]>();
    for (const event of events) {
      const shard = eventShardOf(event.messageId, this.#shards);
      const list = byShard.get(shard);
      if (list) list.push(event);
      else byShard.set(shard, [event]);
    }
    // Sent together: the platform's connections pipeline commands issued in the same tick.
    const writes: Promise<unknown>[] = [];
    for (const [shard, list] of byShard) {
      const key = eventStreamShardKey(this.prefix, shard);
      for (let i = 0; i < list.length; i += EVENTS_PER_ENTRY)
        writes.push(this.redis.xadd(key, '*', ...encodeEventEntry(list.slice(i, i + EVENTS_PER_ENTRY))));
    }
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

/** Options of {@link EventPublisher}. */
export interface EventPublisherOptions extends TickBatchOptions {
  /** Stream shards (`BRIDGEMAIL_EVENT_SHARDS`). @defaultValue 1 */
  shards?: number;
}

/**
 * Reads the event stream's length and each consumer group's pending count and lag, summed over
 * the `shards` streams (a lag unknown on one shard is unknown in the sum).
 */
export async function readEventBacklog(redis: Redis, prefix: string, shards = 1): Promise<EventBacklog> {
  const backlog: EventBacklog = { length: 0, groups: [] };
  for (const key of eventStreamKeys(prefix, shards)) {
    const length = await redis.xlen(key);
    backlog.length += length;
    if (length === 0 && (await redis.exists(key)) === 0) continue;
    for (const { name, pending, lag } of await readStreamGroups(redis, key)) {
      const group = backlog.groups.find((g) => g.name === name);
      if (!group) backlog.groups.push({ name, pending, lag });
      else {
        group.pending += pending;
        group.lag = group.lag === null || lag === null ? null : group.lag + lag;
      }
    }
  }
  return backlog;
}
