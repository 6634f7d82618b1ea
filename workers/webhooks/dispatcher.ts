import { UnrecoverableError, type Job, type JobsOptions, type Queue } from 'bullmq';
import type { Logger, MailEvent } from '../../core/index.js';
import { EVENT_ID_HEADER, KEY_ID_HEADER, SIGNATURE_HEADER, signWebhook } from './signature.js';
import { checkWebhookUrl, type HostResolver } from './url-guard.js';

/** BullMQ queue of webhook deliveries: one job per (webhook, event). */
export const WEBHOOK_QUEUE = 'webhooks';

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

/** An `enqueue` for the webhook fan-out (`startWebhookFanout`) adding to a BullMQ queue with {@link WEBHOOK_JOB_OPTIONS}. */
export function queueEnqueuer(
  queue: Queue<WebhookJob>,
  options: JobsOptions = WEBHOOK_JOB_OPTIONS,
): (jobs: WebhookJob[]) => Promise<void> {
  return async (jobs) => {
    if (jobs.length === 0) return;
    await queue.addBulk(
      jobs.map((data) => ({
        name: data.event.type,
        data,
        opts: { ...options, jobId: webhookJobId(data.webhookId, data.event.id) },
      })),
    );
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
export type WebhookOutcome =
  { status: 'delivered'; statusCode: number } | { status: 'skipped'; reason: 'webhook-gone' | 'webhook-inactive' };

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
      await record(status, null, true).catch((err: unknown) =>
        log.error({ err, webhookId, eventId: event.id }, 'delivered attempt not recorded'),
      );
      log.debug({ webhookId, eventId: event.id, attempt, status }, 'webhook delivered');
      return { status: 'delivered', statusCode: status };
    }
    await record(status, `receiver answered ${status}`, false);
    log.info({ webhookId, eventId: event.id, attempt, status }, 'webhook refused by receiver; will retry');
    throw new Error(`webhook receiver answered ${status}`);
  };
}
