import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_MEANINGS, EVENT_TYPES } from '../../core/index.js';
import { verifyWebhookSignature } from '../../workers/webhooks/index.js';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

describe('webhooks through the platform', () => {
  const h = useHarness({ BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE: '1' });
  const received: { headers: IncomingMessage['headers']; body: string }[] = [];
  let receiver: Server;
  let url: string;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  });

  it('delivers a signed `delivered` event of its Bridge, once, and shows the attempt', async () => {
    const pool = await h.platform.createPool('hooks', ['127.0.0.2']);
    const bridge = await h.platform.createBridge('hooked', pool.id);
    const other = await h.platform.createBridge('unhooked', pool.id);
    const created = await h.platform.admin('POST', `/admin/v1/bridges/${bridge.id}/webhooks`, {
      url,
      eventTypes: ['delivered'],
    });
    expect(created.status).toBe(201);
    const { webhook, secret } = created.body;
    expect(secret).toMatch(/^whsec_/);
    expect(
      (
        await h.platform.admin('POST', `/admin/v1/bridges/${bridge.id}/webhooks`, {
          url: 'ftp://x.test/',
          eventTypes: ['delivered'],
        })
      ).body.error.field,
    ).toBe('url');
    expect(
      (await h.platform.admin('POST', `/admin/v1/bridges/${bridge.id}/webhooks`, { url, eventTypes: ['nope'] })).body
        .error.field,
    ).toBe('eventTypes[0]');
    // What the console offers: every kind of the event schema, in lifecycle order, with its meaning.
    const kinds = await h.platform.admin('GET', '/admin/v1/event-types');
    expect(kinds.status).toBe(200);
    expect(kinds.body.data.map((k: { type: string }) => k.type)).toEqual([...EVENT_TYPES]);
    expect(kinds.body.data[0]).toEqual({
      type: 'queued',
      meaning: EVENT_MEANINGS.queued,
      // Every kind carries the message's tag, metadata and sandbox flag.
      fields: ['id', 'type', 'ts', 'messageId', 'bridgeId', 'poolId', 'recipient', 'tag', 'metadata', 'sandbox'],
    });

    const res = await h.platform.send(bridge.apiKey, {
      from: 'a@sender.test',
      to: 'hooked@example.test',
      subject: 's',
      text: 't',
    });
    const { id } = (await res.json()) as { id: string };
    await h.platform.send(other.apiKey, { from: 'a@sender.test', to: 'other@example.test', subject: 's', text: 't' });
    const hit = await waitFor(() => received.find((r) => r.body.includes(id)), 20_000, 'webhook delivery');
    expect(verifyWebhookSignature(String(hit.headers['bridgemail-signature']), hit.body, secret)).toBe(true);
    expect(hit.headers['bridgemail-key-id']).toBe(webhook.keyId);
    const payload = JSON.parse(hit.body) as {
      event: { type: string; messageId: string; bridgeId: string; recipient: string };
    };
    expect(payload.event).toMatchObject({
      type: 'delivered',
      messageId: id,
      bridgeId: bridge.id,
      recipient: 'hooked@example.test',
    });
    await waitFor(
      () => h.sink.messages.some((m) => m.to.includes('other@example.test')),
      20_000,
      'other Bridge delivered',
    );
    // Only the hooked Bridge's delivered event: no queued/sent, nothing of the other Bridge.
    expect(
      received.every(
        (r) => (JSON.parse(r.body) as { event: { type: string; bridgeId: string } }).event.type === 'delivered',
      ),
    ).toBe(true);
    expect(received.some((r) => r.body.includes(other.id))).toBe(false);
    const attempts = await waitFor(
      async () => {
        const a = await h.platform.admin('GET', `/admin/v1/bridges/${bridge.id}/webhooks/${webhook.id}/attempts`);
        return a.body.data.length > 0 ? a.body.data : undefined;
      },
      10_000,
      'attempt recorded',
    );
    expect(attempts[0]).toMatchObject({ attempt: 1, statusCode: 204, delivered: true });
    expect(
      (await h.platform.admin('GET', `/admin/v1/bridges/${other.id}/webhooks/${webhook.id}/attempts`)).status,
    ).toBe(404);
  });
});
