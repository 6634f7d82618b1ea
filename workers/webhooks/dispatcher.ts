import { UnrecoverableError, type Job, type JobsOptions, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { decodeEventEntry, eventStreamKey, type EventType, type Logger, type MailEvent } from '../../core/index.js';
import { EVENT_ID_HEADER, KEY_ID_HEADER, SIGNATURE_HEADER, signWebhook } from './signature.js';
import { checkWebhookUrl, type HostResolver } from './url-guard.js';

/** BullMQ queue of webhook deliveries: one job per (webhook, event). */
export const WEBHOOK_QUEUE = 'webhooks';
/** Consumer group of the fan-out on the events stream (beside the analytics writer's). */
export const WEBHOOK_GROUP = 'webhooks';

/** Payload of a {@link WEBHOOK_QUEUE} job. */
export interface WebhookJob {
  webhookId: string;
  event: MailEvent;
}

/**
 * Options every delivery job is added with: 10 attempts, exponential backoff from 1 s
 * (1, 2, 4 … 256 s: about 8.5 minutes in all); completed jobs are kept a day so that a
 * re-read of the stream finds their id and adds nothing.
 */
export const WEBHOOK_JOB_OPTIONS = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const satisfies JobsOptions;

/** Job id of a delivery; BullMQ refuses custom ids with one `:`, hence the dot. */
export const webhookJobId = (webhookId: string, eventId: string): string => `${webhookId}.${eventId}`;

/** An `enqueue` for {@link startWebhookFanout} adding to a BullMQ queue with {@link WEBHOOK_JOB_OPTIONS}. */
export function queueEnqueuer(queue: Queue<WebhookJob>, options: JobsOptions = WEBHOOK_JOB_OPTIONS): (jobs: WebhookJob[]) => Promise<void> {
  return async (jobs) => {
    if (jobs.length === 0) return;
    await queue.addBulk(jobs.map((data) => ({ name: data.event.type, data, opts: { ...options, jobId: webhookJobId(data.webhookId, data.event.id) } })));
  };
}

/** Settings of {@link startWebhookFanout}. */
export interface WebhookFanoutOptions {
  /** A connection of its own: the fan-out blocks on it. */
  redis: Redis;
  prefix: string;
  /** Active webhooks of a Bridge subscribed to a type. */
  webhooksFor: (bridgeId: string, type: EventType) => Promise<readonly { id: string }[]>;
  /**
   * Whether any webhook is active at all (cached by the caller, like `webhooksFor`): while none
   * is, the group skips to the stream's end every `blockMs` without reading the events, and a
   * batch read just before is acknowledged without being decoded. @defaultValue always true
   */
  anyWebhooks?: () => Promise<boolean>;
  /** Adds the jobs durably; must be idempotent per job id (see {@link queueEnqueuer}). */
  enqueue: (jobs: WebhookJob[]) => Promise<void>;
  logger: Logger;
  /** Most events per read. @defaultValue 100 */
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

/** [id, fields]; fields are null when the entry was deleted while pending in our group. */
type StreamEntry = [id: string, fields: string[] | null];

/**
 * Reads the events stream with its own consumer group and enqueues one delivery job per
 * matching webhook, acknowledging only after the enqueue succeeded; pending entries are re-read
 * first after a failure or restart, and job ids make the re-read add nothing twice.
 * Entries are acknowledged, never deleted: the stream is shared with the analytics writer.
 * The group starts at the stream's end: events older than the first start are not sent.
 */
export async function startWebhookFanout(options: WebhookFanoutOptions): Promise<WebhookFanout> {
  const log = options.logger.child({ component: 'webhook-fanout' });
  const key = eventStreamKey(options.prefix);
  const { redis } = options;
  const batchSize = options.batchSize ?? 100;
  const blockMs = options.blockMs ?? 1000;
  const consumer = options.consumer ?? 'fanout';
  try {
    await redis.xgroup('CREATE', key, WEBHOOK_GROUP, '$', 'MKSTREAM');
  } catch (err) {
    if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
  }
  let closed = false;
  let enqueued = 0;
  let pendingFirst = true;
  let backoffMs = 250;

  const read = async (): Promise<StreamEntry[]> => {
    const args = pendingFirst
      ? ['GROUP', WEBHOOK_GROUP, consumer, 'COUNT', batchSize, 'STREAMS', key, '0']
      : ['GROUP', WEBHOOK_GROUP, consumer, 'COUNT', batchSize, 'BLOCK', blockMs, 'STREAMS', key, '>'];
    const reply = (await redis.xreadgroup(...(args as unknown as Parameters<Redis['xreadgroup']>))) as [string, StreamEntry[]][] | null;
    return reply?.[0]?.[1] ?? [];
  };

  const fanOut = async (entries: StreamEntry[]) => {
    if (options.anyWebhooks && !(await options.anyWebhooks())) {
      await redis.xack(key, WEBHOOK_GROUP, ...entries.map(([id]) => id));
      return;
    }
    const jobs: WebhookJob[] = [];
    // One lookup per (Bridge, type) in a batch: most batches repeat a few pairs many times.
    const lookups = new Map<string, Promise<readonly { id: string }[]>>();
    for (const [id, fields] of entries) {
      if (!fields) continue;
      let events: MailEvent[];
      try {
        events = decodeEventEntry(fields);
      } catch (err) {
        log.error({ err, streamId: id }, 'unparseable event entry skipped');
        continue;
      }
      for (const event of events) {
        const pair = `${event.bridgeId}\n${event.type}`;
        let hooks = lookups.get(pair);
        if (!hooks) lookups.set(pair, (hooks = options.webhooksFor(event.bridgeId, event.type)));
        for (const hook of await hooks) jobs.push({ webhookId: hook.id, event });
      }
    }
    await options.enqueue(jobs);
    enqueued += jobs.length;
    await redis.xack(key, WEBHOOK_GROUP, ...entries.map(([id]) => id));
  };

  // While no webhook is active anywhere, the group is moved to the stream's end instead of reading
  // (and parsing) every event only to acknowledge it; the check is made again after each wait.
  let wake: (() => void) | undefined;
  const idle = async (): Promise<boolean> => {
    if (!options.anyWebhooks || pendingFirst || (await options.anyWebhooks())) return false;
    const [last] = (await redis.xrevrange(key, '+', '-', 'COUNT', 1)) as [string, string[]][];
    if (last) await redis.xgroup('SETID', key, WEBHOOK_GROUP, last[0]);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, blockMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    return true;
  };

  const loop = async () => {
    while (!closed) {
      try {
        if (await idle()) continue;
        const entries = await read();
        if (entries.length === 0) {
          pendingFirst = false;
          continue;
        }
        await fanOut(entries);
        backoffMs = 250;
      } catch (err) {
        if (closed) break;
        pendingFirst = true;
        log.warn({ err, retryInMs: backoffMs }, 'webhook fan-out failed; events wait in Redis');
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 30_000);
      }
    }
  };
  const running = loop();

  return {
    get enqueued() {
      return enqueued;
    },
    async close() {
      closed = true;
      wake?.();
      redis.disconnect();
      await running;
    },
  };
}

/** What the processor needs of a webhook (the store's `getWebhookTarget` gives it). */
export interface WebhookTarget {
  id: string;
  url: string;
  /** Signing secret in the clear. */
  secret: string;
  keyId: string;
  active: boolean;
}

/** One attempt as the processor reports it. */
export interface WebhookAttemptRecord {
  webhookId: string;
  eventId: string;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  delivered: boolean;
}

/** Collaborators of {@link createWebhookProcessor}. */
export interface WebhookProcessorDeps {
  getWebhook: (id: string) => Promise<WebhookTarget | undefined>;
  recordAttempt: (attempt: WebhookAttemptRecord) => Promise<unknown>;
  /** Let targets on internal addresses through (`BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE=1`). */
  allowPrivate: boolean;
  /** Per request, headers and body. @defaultValue 10000 */
  timeoutMs?: number;
  /** @defaultValue global fetch */
  fetchImpl?: typeof fetch;
  /** @defaultValue the system resolver */
  resolve?: HostResolver;
  logger: Logger;
  /** @defaultValue Date.now */
  now?: () => number;
}

/** How a delivery job ended when it did not throw. */
export type WebhookOutcome = { status: 'delivered'; statusCode: number } | { status: 'skipped'; reason: 'webhook-gone' | 'webhook-inactive' };

/**
 * The BullMQ processor of {@link WEBHOOK_QUEUE}: POSTs `{ "event": … }`, signed afresh each
 * attempt, and records every attempt. A 2xx answer is a delivery; any other answer, a timeout
 * or a network error throws so that BullMQ retries with backoff. A target on an internal
 * address fails the job for good (UnrecoverableError). Redirects are not followed: they could
 * lead past the address check.
 */
export function createWebhookProcessor(deps: WebhookProcessorDeps): (job: Job<WebhookJob>) => Promise<WebhookOutcome> {
  const log = deps.logger.child({ component: 'webhooks' });
  const fetchImpl = deps.fetchImpl ?? fetch;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const now = deps.now ?? Date.now;

  return async (job) => {
    const { webhookId, event } = job.data;
    const target = await deps.getWebhook(webhookId);
    if (!target || !target.active) {
      log.info({ webhookId, eventId: event.id }, 'webhook gone or inactive; delivery dropped');
      return { status: 'skipped', reason: target ? 'webhook-inactive' : 'webhook-gone' };
    }
    const attempt = job.attemptsMade + 1;
    const record = (statusCode: number | null, error: string | null, delivered: boolean) =>
      deps.recordAttempt({ webhookId, eventId: event.id, attempt, statusCode, error, delivered });

    const check = await checkWebhookUrl(target.url, { allowPrivate: deps.allowPrivate, resolve: deps.resolve });
    if (!check.ok) {
      await record(null, `refused (${check.reason}): ${check.detail}`, false);
      log.warn({ webhookId, eventId: event.id, reason: check.reason }, 'webhook target refused');
      if (check.reason === 'unresolvable') throw new Error(check.detail);
      throw new UnrecoverableError(check.detail);
    }

    const body = JSON.stringify({ event });
    let status: number;
    try {
      const res = await fetchImpl(check.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'Bridgemail-Webhooks/1',
          [SIGNATURE_HEADER]: signWebhook(Math.floor(now() / 1000), body, target.secret),
          [KEY_ID_HEADER]: target.keyId,
          [EVENT_ID_HEADER]: event.id,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      await res.body?.cancel().catch(() => undefined);
    } catch (err) {
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      await record(null, message, false);
      log.info({ webhookId, eventId: event.id, attempt, err: message }, 'webhook delivery failed; will retry');
      throw err;
    }
    if (status >= 200 && status < 300) {
      // Delivered: a failure to record it must not make BullMQ send it again.
      await record(status, null, true).catch((err: unknown) => log.error({ err, webhookId, eventId: event.id }, 'delivered attempt not recorded'));
      log.debug({ webhookId, eventId: event.id, attempt, status }, 'webhook delivered');
      return { status: 'delivered', statusCode: status };
    }
    await record(status, `receiver answered ${status}`, false);
    log.info({ webhookId, eventId: event.id, attempt, status }, 'webhook refused by receiver; will retry');
    throw new Error(`webhook receiver answered ${status}`);
  };
}
