import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { createLogger, type MailEvent } from '../../core/index.js';
import {
  createWebhookProcessor,
  type WebhookAttemptRecord,
  type WebhookJob,
  type WebhookTarget,
} from './dispatcher.js';
import { verifyWebhookSignature } from './signature.js';

const event: MailEvent = {
  id: 'ev_1',
  type: 'delivered',
  ts: 1,
  messageId: 'msg_1',
  bridgeId: 'br_1',
  poolId: 'pool_1',
  recipient: 'user@example.test',
};
const target: WebhookTarget = {
  id: 'wh_1',
  url: 'https://hooks.example.com/in',
  secret: 'whsec_x',
  keyId: 'whk_1',
  active: true,
};
const job = (attemptsMade = 0) => ({ data: { webhookId: 'wh_1', event }, attemptsMade }) as Job<WebhookJob>;

function setup(answer: () => Promise<Response>, hook: WebhookTarget | null = target) {
  const attempts: WebhookAttemptRecord[] = [];
  const requests: { url: string; init: RequestInit }[] = [];
  const process = createWebhookProcessor({
    getWebhook: async () => hook ?? undefined,
    recordAttempt: async (a) => attempts.push(a),
    allowPrivate: false,
    resolve: async () => ['93.184.216.34'],
    fetchImpl: async (url, init) => {
      requests.push({ url: url instanceof Request ? url.url : url.toString(), init: init ?? {} });
      return answer();
    },
    logger: createLogger({ level: 'silent' }),
  });
  return { process, attempts, requests };
}

describe('webhook processor', () => {
  it('POSTs the signed event and records a 2xx as delivered', async () => {
    const { process, attempts, requests } = setup(async () => new Response(null, { status: 204 }));
    expect(await process(job(2))).toEqual({ status: 'delivered', statusCode: 204 });
    expect(attempts).toEqual([
      { webhookId: 'wh_1', eventId: 'ev_1', attempt: 3, statusCode: 204, error: null, delivered: true },
    ]);
    const init: RequestInit = requests[0]?.init ?? {};
    const headers = init.headers as Record<string, string>;
    expect(init.redirect).toBe('manual');
    expect(headers['Bridgemail-Key-Id']).toBe('whk_1');
    expect(headers['Bridgemail-Event-Id']).toBe('ev_1');
    expect(JSON.parse(init.body as string)).toEqual({ event });
    expect(verifyWebhookSignature(headers['Bridgemail-Signature'], init.body as string, 'whsec_x')).toBe(true);
  });

  it('throws (so BullMQ retries) on a non-2xx answer, a redirect or a network error, recording each', async () => {
    for (const [answer, statusCode] of [
      [async () => new Response('no', { status: 500 }), 500],
      [async () => new Response(null, { status: 302, headers: { location: 'http://127.0.0.1/' } }), 302],
      [async () => Promise.reject(new TypeError('fetch failed')), null],
    ] as const) {
      const { process, attempts } = setup(answer);
      await expect(process(job())).rejects.toThrow();
      expect(attempts).toMatchObject([{ attempt: 1, statusCode, delivered: false }]);
      expect(attempts[0]?.error).toBeTruthy();
    }
  });

  it('fails for good, without a request, when the target is internal', async () => {
    const { process, attempts, requests } = setup(async () => new Response(null, { status: 200 }), {
      ...target,
      url: 'http://10.0.0.5/hook',
    });
    await expect(process(job())).rejects.toBeInstanceOf(UnrecoverableError);
    expect(requests).toHaveLength(0);
    expect(attempts).toMatchObject([{ delivered: false, statusCode: null }]);
    expect(attempts[0]?.error).toMatch(/internal-address/);
  });

  it('drops deliveries of deleted or inactive webhooks without recording', async () => {
    const gone = setup(async () => new Response(null, { status: 200 }), null);
    expect(await gone.process(job())).toEqual({ status: 'skipped', reason: 'webhook-gone' });
    const inactive = setup(async () => new Response(null, { status: 200 }), { ...target, active: false });
    expect(await inactive.process(job())).toEqual({ status: 'skipped', reason: 'webhook-inactive' });
    expect([...gone.requests, ...inactive.requests, ...gone.attempts, ...inactive.attempts]).toHaveLength(0);
  });
});
