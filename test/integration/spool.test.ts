import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

const MB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('large bodies are spooled to disk, not Redis, and removed after the final outcome', () => {
  const h = useHarness({ BRIDGEMAIL_MAX_MESSAGE_BYTES: String(30 * MB) }, (rcpt, n) => {
    // Deferred first, so the message is certainly still queued when the test looks; then refused.
    if (rcpt.startsWith('defer-unknown-'))
      return n === 1 ? { code: 451, message: '4.7.1 Try again later' } : { code: 550, message: '5.1.1 User unknown' };
    if (rcpt.startsWith('defer-') && n === 1) return { code: 451, message: '4.7.1 Greylisted, try again later' };
    return undefined;
  });
  let bridge: any;
  let redis: Redis;

  beforeAll(async () => {
    const pool = await h.platform.createPool('spool-pool', ['127.0.0.2']);
    bridge = await h.platform.createBridge('spool-app', pool.id, { trackOpens: false, trackClicks: false });
    redis = new Redis(h.platform.redisUrl, { maxRetriesPerRequest: 1 });
  });
  afterAll(() => {
    redis?.disconnect();
  });

  const spoolFile = (id: string) => join(h.platform.config.spool.dir, `${id}.eml`);
  // The memory of the platform's own keys (every one starts with its prefix), not the server's
  // used_memory: with REDIS_URL set, test files running alongside share the server.
  const usedMemory = async () => {
    let total = 0;
    for await (const keys of redis.scanStream({ match: `${h.platform.config.redis.prefix}:*`, count: 1000 })) {
      for (const key of keys as string[]) total += Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
    }
    return total;
  };
  const eventsOf = (id: string) => h.platform.events('message_id = {id:String}', { id });
  const send = async (body: Record<string, unknown>) => {
    const res = await h.platform.send(bridge.apiKey, {
      from: 'app@sender.test',
      subject: 'spool test',
      text: 'see attachment',
      ...body,
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };

  it('delivers a 20 MB attachment intact without holding it in Redis', async () => {
    const content = randomBytes(20 * MB);
    const digest = sha256(content);
    const before = await usedMemory();
    expect(before).toBeGreaterThan(0);

    const id = await send({
      to: 'defer-big@example.test',
      attachments: [
        { filename: 'blob.bin', content: content.toString('base64'), contentType: 'application/octet-stream' },
      ],
    });
    const after = await usedMemory();
    expect(after - before).toBeLessThan(2 * MB);
    // The first attempt is answered 451, so the message is still queued here.
    expect(existsSync(spoolFile(id))).toBe(true);

    const received = await waitFor(
      () => h.sink.messages.find((m) => m.to.includes('defer-big@example.test')),
      60_000,
      'big message at the sink',
    );
    expect(h.sink.offers.get('defer-big@example.test')).toBe(2);
    const mail = await simpleParser(received.raw);
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]?.filename).toBe('blob.bin');
    expect(mail.attachments[0]?.content.length).toBe(content.length);
    expect(sha256(mail.attachments[0]!.content)).toBe(digest);

    await waitFor(() => !existsSync(spoolFile(id)), 20_000, 'spool file removed after delivery');
    const events = await waitFor(
      async () => {
        const e = await eventsOf(id);
        return e.some((x) => x.type === 'delivered') ? e : undefined;
      },
      20_000,
      'delivered event',
    );
    expect(events.map((e) => e.type)).toEqual(['queued', 'sent', 'deferred', 'delivered']);
  }, 120_000);

  it('keeps a small message in Redis: no spool file for it', async () => {
    const seen = new Set<string>();
    const id = await send({ to: 'defer-small@example.test', text: 'small'.repeat(1000) });
    // Watch the spool directory from the 202 until the message is delivered.
    await waitFor(
      async () => {
        for (const name of await readdir(h.platform.config.spool.dir)) seen.add(name);
        return h.sink.messages.some((m) => m.to.includes('defer-small@example.test'));
      },
      20_000,
      'small message at the sink',
    );
    expect(seen.has(`${id}.eml`)).toBe(false);
    expect(existsSync(spoolFile(id))).toBe(false);
  });

  it('removes the spool file of a message that bounces', async () => {
    const id = await send({
      to: 'defer-unknown-big@example.test',
      attachments: [{ filename: 'x.bin', content: randomBytes(200 * 1024).toString('base64') }],
    });
    expect(existsSync(spoolFile(id))).toBe(true);
    const events = await waitFor(
      async () => {
        const e = await eventsOf(id);
        return e.some((x) => x.type === 'bounced') ? e : undefined;
      },
      20_000,
      'bounced event',
    );
    expect(events.find((e) => e.type === 'bounced')).toMatchObject({
      recipient: 'defer-unknown-big@example.test',
      reply_code: 550,
    });
    await waitFor(() => !existsSync(spoolFile(id)), 20_000, 'spool file removed after the bounce');
    expect(h.sink.messages.some((m) => m.to.includes('defer-unknown-big@example.test'))).toBe(false);
  });
});
