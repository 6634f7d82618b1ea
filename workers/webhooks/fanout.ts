import type { Redis } from 'ioredis';
import {
  decodeEventEntry,
  inheritMessageLabels,
  readEveryShard,
  StreamConsumer,
  type EventType,
  type LabelLookup,
  type Logger,
  type MailEvent,
  type StreamEntry,
} from '../../core/index.js';
import type { WebhookJob } from './dispatcher.js';

/** Consumer group of the fan-out on the events stream (beside the analytics writer's). */
export const WEBHOOK_GROUP = 'webhooks';

/** Settings of {@link startWebhookFanout}. */
export interface WebhookFanoutOptions {
  /** A connection of its own: the fan-out blocks on it, and `close` disconnects it. */
  redis: Redis;
  prefix: string;
  /** Event stream shards (`BRIDGEMAIL_EVENT_SHARDS`): each is read on a connection of its own. @defaultValue 1 */
  shards?: number;
  /** Active webhooks of a Bridge subscribed to a type. */
  webhooksFor: (bridgeId: string, type: EventType) => Promise<readonly { id: string }[]>;
  /**
   * Whether any webhook is active at all (cached by the caller, like `webhooksFor`): while none
   * is, the group skips to the stream's end every `blockMs` without reading the events, and a
   * batch read just before is acknowledged without being decoded. @defaultValue always true
   */
  anyWebhooks?: () => Promise<boolean>;
  /**
   * Tag, metadata and sandbox flag of messages by id, from their `queued` events in ClickHouse:
   * opens, clicks and one-click unsubscribes take them from there (`inheritMessageLabels`), as the
   * analytics writer does. Absent where this process cannot read ClickHouse (a worker-only process
   * with embedded chDB); those events are then sent without them.
   */
  labels?: LabelLookup;
  /** Adds the jobs durably; must be idempotent per job id (see `queueEnqueuer`). */
  enqueue: (jobs: WebhookJob[]) => Promise<void>;
  logger: Logger;
  /** Most stream entries per read. @defaultValue 100 */
  batchSize?: number;
  /** Longest block waiting for events. @defaultValue 1000 */
  blockMs?: number;
  /** Consumer name within the group. @defaultValue 'fanout' */
  consumer?: string;
}

/** The running fan-out. */
export interface WebhookFanout {
  /** Jobs handed to `enqueue` since start. */
  readonly enqueued: number;
  close(): Promise<void>;
}

/**
 * Reads the events stream with its own consumer group and enqueues one delivery job per
 * matching webhook, acknowledging only after the enqueue succeeded; pending entries are re-read
 * first after a failure or restart, and job ids make the re-read add nothing twice.
 * Entries are acknowledged, never deleted: the stream is shared with the analytics writer.
 * The group starts at the stream's end: events older than the first start are not sent.
 */
export async function startWebhookFanout(options: WebhookFanoutOptions): Promise<WebhookFanout> {
  const { readers, close } = await readEveryShard(options.redis, options.prefix, options.shards ?? 1, (stream, redis) =>
    startShardFanout(options, stream, redis),
  );
  return {
    get enqueued() {
      return readers.reduce((n, r) => n + r.enqueued, 0);
    },
    close,
  };
}

/** The fan-out of one event stream shard (`stream`), on its own blocking connection. */
async function startShardFanout(options: WebhookFanoutOptions, stream: string, redis: Redis): Promise<WebhookFanout> {
  const log = options.logger.child({ component: 'webhook-fanout', stream });
  const { anyWebhooks } = options;
  const consumer = new StreamConsumer({
    redis,
    stream,
    group: WEBHOOK_GROUP,
    consumer: options.consumer ?? 'fanout',
    startAt: '$',
    count: options.batchSize ?? 100,
    blockMs: options.blockMs ?? 1000,
    // While no webhook is active anywhere, the group is moved to the stream's end instead of
    // reading (and parsing) every event only to acknowledge it.
    skipWhile: anyWebhooks && (async () => !(await anyWebhooks())),
    onError: (err, retryInMs) => log.warn({ err, retryInMs }, 'webhook fan-out failed; events wait in Redis'),
  });
  await consumer.createGroup();
  let enqueued = 0;

  /** The delivery jobs of a batch: one per (event, matching webhook). */
  const jobsFor = async (entries: readonly StreamEntry[]): Promise<WebhookJob[]> => {
    const jobs: WebhookJob[] = [];
    // One lookup per (Bridge, type) in a batch: most batches repeat a few pairs many times.
    const lookups = new Map<string, Promise<readonly { id: string }[]>>();
    const queued: MailEvent[] = [];
    for (const { id, fields } of entries) {
      // An entry deleted while pending has no fields: there is nothing left to send.
      if (!fields) continue;
      let events: MailEvent[];
      try {
        const decoded = decodeEventEntry(fields);
        events = decoded.events;
        const [first] = decoded.invalid;
        if (first)
          log.error({ streamId: id, skipped: decoded.invalid.length, issue: first.issue }, 'invalid events skipped');
      } catch (err) {
        log.error({ err, streamId: id }, 'unparseable event entry skipped');
        continue;
      }
      for (const event of events) {
        if (event.type === 'queued') queued.push(event);
        const pair = `${event.bridgeId}\n${event.type}`;
        let hooks = lookups.get(pair);
        if (!hooks) lookups.set(pair, (hooks = options.webhooksFor(event.bridgeId, event.type)));
        for (const hook of await hooks) jobs.push({ webhookId: hook.id, event });
      }
    }
    if (options.labels && jobs.length > 0) {
      try {
        await inheritMessageLabels([...queued, ...new Set(jobs.map((j) => j.event))], options.labels);
      } catch (err) {
        log.warn({ err }, 'labels of opens and clicks could not be read; their webhooks go without them');
      }
    }
    return jobs;
  };

  void consumer.run(async (entries) => {
    if (anyWebhooks && !(await anyWebhooks())) return consumer.ack(entries);
    const jobs = await jobsFor(entries);
    await options.enqueue(jobs);
    enqueued += jobs.length;
    await consumer.ack(entries);
  });

  return {
    get enqueued() {
      return enqueued;
    },
    close: () => consumer.close(),
  };
}
