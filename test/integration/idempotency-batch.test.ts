import { beforeAll, describe, expect, it } from 'vitest';
import { submissionTransport } from '../support/smtp-client.js';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

describe('idempotency keys (REST header, SMTP header) and POST /v1/send/batch', () => {
  const h = useHarness();
  let poolId: string;
  let bridge: any;
  let other: any;

  beforeAll(async () => {
    const pool = await h.platform.createPool('idem-pool', ['127.0.0.2']);
    poolId = pool.id;
    bridge = await h.platform.createBridge('idem-app', pool.id, { trackOpens: false, trackClicks: false });
    other = await h.platform.createBridge('idem-other', pool.id, { trackOpens: false, trackClicks: false });
  });

  const post = (path: string, apiKey: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${h.platform.urls.api}${path}`, {
      method: 'POST',
      headers: {
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        'content-type': 'application/json',
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const sendWithKey = (apiKey: string, key: string, body: unknown) =>
    post('/v1/send', apiKey, body, { 'idempotency-key': key });
  const copiesAt = (rcpt: string) => h.sink.messages.filter((m) => m.to.includes(rcpt)).length;
  const eventsOf = (id: string) => h.platform.events('message_id = {id:String}', { id });
  /** Sends a plain message and waits until the sink has it: everything queued before had its chance. */
  const flush = async (rcpt: string) => {
    const res = await h.platform.send(bridge.apiKey, {
      from: 'app@sender.test',
      to: rcpt,
      subject: 'flush',
      text: 'flush',
    });
    expect(res.status).toBe(202);
    await waitFor(() => copiesAt(rcpt) === 1, 20_000, `${rcpt} at the sink`);
  };

  describe('REST Idempotency-Key', () => {
    it('replays the first answer for the same key and body and queues one message', async () => {
      const body = { from: 'app@sender.test', to: 'idem-1@example.test', subject: 'once', text: 'exactly once' };
      const jobsBefore = await h.platform.queuedJobs(poolId);
      const first = await sendWithKey(bridge.apiKey, 'order-1001', body);
      expect(first.status).toBe(202);
      const { id } = (await first.json()) as { id: string };
      expect(id).toMatch(/^msg_/);
      await waitFor(() => copiesAt('idem-1@example.test') === 1, 20_000, 'first copy at the sink');

      const second = await sendWithKey(bridge.apiKey, 'order-1001', body);
      expect(second.status).toBe(202);
      expect(await second.json()).toEqual({ id });

      await flush('idem-1-after@example.test');
      expect(copiesAt('idem-1@example.test')).toBe(1);
      expect(await h.platform.queuedJobs(poolId)).toBe(jobsBefore + 2); // the message and the flush

      const events = await waitFor(
        async () => {
          const e = await eventsOf(id);
          return e.some((x) => x.type === 'delivered') ? e : undefined;
        },
        20_000,
        'delivered event',
      );
      expect(events.filter((e) => e.type === 'queued')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'delivered')).toHaveLength(1);
    });

    it('refuses the same key with a different body (409 IDEMPOTENCY_KEY_REUSED) and queues nothing', async () => {
      const first = await sendWithKey(bridge.apiKey, 'order-2002', {
        from: 'app@sender.test',
        to: 'idem-2@example.test',
        subject: 'a',
        text: 'a',
      });
      expect(first.status).toBe(202);
      const jobsBefore = await h.platform.queuedJobs(poolId);

      const reused = await sendWithKey(bridge.apiKey, 'order-2002', {
        from: 'app@sender.test',
        to: 'idem-2-changed@example.test',
        subject: 'b',
        text: 'b',
      });
      expect(reused.status).toBe(409);
      const body = (await reused.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');

      expect(await h.platform.queuedJobs(poolId)).toBe(jobsBefore);
      await flush('idem-2-after@example.test');
      expect(h.sink.offers.has('idem-2-changed@example.test')).toBe(false);
    });

    it('keeps keys per Bridge: another Bridge may use the same key', async () => {
      const body = { from: 'app@sender.test', to: 'idem-3@example.test', subject: 'per bridge', text: 'per bridge' };
      const a = await sendWithKey(bridge.apiKey, 'shared-key', body);
      expect(a.status).toBe(202);
      const b = await sendWithKey(other.apiKey, 'shared-key', body);
      expect(b.status).toBe(202);
      const idA = ((await a.json()) as { id: string }).id;
      const idB = ((await b.json()) as { id: string }).id;
      expect(idB).toMatch(/^msg_/);
      expect(idB).not.toBe(idA);
      await waitFor(() => copiesAt('idem-3@example.test') === 2, 20_000, 'one copy per Bridge');
    });

    it('queues one message for concurrent requests with the same key; the others replay or are told to retry', async () => {
      const body = { from: 'app@sender.test', to: 'idem-conc@example.test', subject: 'concurrent', text: 'concurrent' };
      const jobsBefore = await h.platform.queuedJobs(poolId);
      const answers = await Promise.all(
        Array.from({ length: 5 }, async () => {
          const res = await sendWithKey(bridge.apiKey, 'order-conc', body);
          return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any };
        }),
      );
      const ids = new Set(answers.filter((a) => a.status === 202).map((a) => a.body.id as string));
      expect(ids.size).toBe(1);
      for (const a of answers.filter((x) => x.status !== 202)) {
        expect(a.status).toBe(409);
        expect(a.body.error.code).toBe('IDEMPOTENCY_IN_PROGRESS');
        expect(a.retryAfter).toBe('1');
      }
      // Once the first finished, a retry replays its id.
      const retry = await sendWithKey(bridge.apiKey, 'order-conc', body);
      expect(retry.status).toBe(202);
      expect(((await retry.json()) as { id: string }).id).toBe([...ids][0]);
      expect(await h.platform.queuedJobs(poolId)).toBe(jobsBefore + 1);
      await flush('idem-conc-after@example.test');
      expect(copiesAt('idem-conc@example.test')).toBe(1);
    });

    it('rejects a malformed key with 400 naming Idempotency-Key', async () => {
      const body = { from: 'app@sender.test', to: 'idem-4@example.test', subject: 'bad key', text: 'bad key' };
      for (const key of ['k'.repeat(256), 'x'.repeat(300), 'has space', 'caf\u00e9']) {
        const res = await sendWithKey(bridge.apiKey, key, body).catch(() => undefined);
        // fetch refuses header values outside Latin-1; é is Latin-1, so it goes out as one obs-text byte.
        expect(res, key).toBeDefined();
        expect(res!.status, key).toBe(400);
        const json = (await res!.json()) as { error: { code: string; field?: string } };
        expect(json.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'Idempotency-Key' });
      }
      const ok = await sendWithKey(bridge.apiKey, 'k'.repeat(255), body);
      expect(ok.status).toBe(202);
    });
  });

  describe('SMTP X-Bridgemail-Idempotency-Key', () => {
    const rawMessage = (to: string, text: string) =>
      [
        'From: app@sender.test',
        `To: ${to}`,
        'Subject: smtp idempotency',
        'Date: Tue, 01 Apr 2025 10:00:00 +0000',
        'Message-ID: <fixed-smtp-idem@sender.test>',
        'X-Bridgemail-Idempotency-Key: abc',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        '',
        text,
        '',
      ].join('\r\n');

    it('answers 250 with the same id twice, delivers once, and strips the header', async () => {
      const transport = submissionTransport(h.platform.ports.smtp, {
        user: bridge.smtp.username,
        pass: bridge.smtp.password,
      });
      try {
        const to = 'smtp-idem@example.test';
        const raw = rawMessage(to, 'sent twice, delivered once');
        const first = await transport.sendMail({ envelope: { from: 'app@sender.test', to: [to] }, raw });
        const m1 = /^250 .*queued as (msg_\S+)/.exec(first.response);
        expect(m1, first.response).not.toBeNull();
        await waitFor(() => copiesAt(to) === 1, 20_000, 'first SMTP copy at the sink');

        const second = await transport.sendMail({ envelope: { from: 'app@sender.test', to: [to] }, raw });
        const m2 = /^250 .*queued as (msg_\S+)/.exec(second.response);
        expect(m2?.[1]).toBe(m1![1]);

        await flush('smtp-idem-after@example.test');
        expect(copiesAt(to)).toBe(1);
        const got = h.sink.messages.find((m) => m.to.includes(to))!.raw.toString('latin1');
        expect(got).toContain('Subject: smtp idempotency');
        expect(got.toLowerCase()).not.toContain('x-bridgemail-idempotency-key');
        expect(got).not.toContain('abc\r\n');

        // Same key, other bytes: refused with a permanent reply.
        const changed = rawMessage(to, 'a different body');
        const err = await transport.sendMail({ envelope: { from: 'app@sender.test', to: [to] }, raw: changed }).then(
          () => undefined,
          (e: unknown) => e as { responseCode?: number; response?: string },
        );
        expect(err?.responseCode, err?.response).toBeGreaterThanOrEqual(500);
        expect(err!.responseCode!).toBeLessThan(600);
        await flush('smtp-idem-after-2@example.test');
        expect(copiesAt(to)).toBe(1);
      } finally {
        transport.close();
      }
    });
  });

  describe('POST /v1/send/batch', () => {
    const good = (to: string) => ({ from: 'app@sender.test', to, subject: `batch ${to}`, text: 'batched' });

    it('queues the good messages, refuses the bad ones, and answers per index in order', async () => {
      const items = [
        good('batch-0@example.test'),
        { ...good('batch-1@example.test'), to: ['batch-1-ok@example.test', 'not an address'] },
        good('batch-2@example.test'),
        { ...good('batch-3@example.test'), foo: 'bar' },
        good('batch-4@example.test'),
      ];
      const res = await post('/v1/send/batch', bridge.apiKey, items);
      expect(res.status).toBe(200);
      const { data } = (await res.json()) as { data: any[] };
      expect(data.map((d) => d.index)).toEqual([0, 1, 2, 3, 4]);
      for (const i of [0, 2, 4]) {
        expect(data[i]).toEqual({ index: i, id: expect.stringMatching(/^msg_/) });
      }
      expect(new Set([data[0].id, data[2].id, data[4].id]).size).toBe(3);
      expect(data[1]).toEqual({
        index: 1,
        error: { code: 'VALIDATION_FAILED', message: expect.any(String), field: '[1].to[1]' },
      });
      expect(data[3]).toEqual({
        index: 3,
        error: { code: 'VALIDATION_FAILED', message: expect.any(String), field: '[3].foo' },
      });

      await waitFor(
        () => ['batch-0@example.test', 'batch-2@example.test', 'batch-4@example.test'].every((r) => copiesAt(r) === 1),
        20_000,
        'the three good messages at the sink',
      );
      await flush('batch-after@example.test');
      for (const r of ['batch-1-ok@example.test', 'batch-1@example.test', 'batch-3@example.test']) {
        expect(h.sink.offers.has(r), r).toBe(false);
      }
      const delivered = h.sink.messages.find((m) => m.to.includes('batch-2@example.test'))!;
      expect(delivered.raw.toString()).toContain(`Message-ID: <${data[2].id}@bridgemail.test>`);
    });

    it('refuses an empty array, more than 500 messages and a non-array body with 400', async () => {
      const jobsBefore = await h.platform.queuedJobs(poolId);
      const empty = await post('/v1/send/batch', bridge.apiKey, []);
      expect(empty.status).toBe(400);
      expect(((await empty.json()) as any).error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'body' });

      const tooMany = await post(
        '/v1/send/batch',
        bridge.apiKey,
        Array.from({ length: 501 }, (_, i) => good(`many-${i}@example.test`)),
      );
      expect(tooMany.status).toBe(400);
      expect(((await tooMany.json()) as any).error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'body' });

      const object = await post('/v1/send/batch', bridge.apiKey, good('object@example.test'));
      expect(object.status).toBe(400);
      expect(((await object.json()) as any).error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'body' });

      const notJson = await post('/v1/send/batch', bridge.apiKey, '[{"from":');
      expect(notJson.status).toBe(400);
      expect(((await notJson.json()) as any).error.code).toBe('INVALID_JSON');

      expect(await h.platform.queuedJobs(poolId)).toBe(jobsBefore);
    });

    it('accepts exactly 500 messages', async () => {
      const jobsBefore = await h.platform.queuedJobs(poolId);
      const res = await post(
        '/v1/send/batch',
        bridge.apiKey,
        Array.from({ length: 500 }, (_, i) => good(`five-hundred-${i}@example.test`)),
      );
      expect(res.status).toBe(200);
      const { data } = (await res.json()) as { data: any[] };
      expect(data).toHaveLength(500);
      expect(data.every((d, i) => d.index === i && typeof d.id === 'string')).toBe(true);
      expect(await h.platform.queuedJobs(poolId)).toBe(jobsBefore + 500);
      await waitFor(
        () => h.sink.messages.filter((m) => m.to[0]?.startsWith('five-hundred-')).length === 500,
        60_000,
        '500 messages at the sink',
      );
    }, 90_000);

    it('requires authentication (401)', async () => {
      const res = await post('/v1/send/batch', undefined, [good('noauth@example.test')]);
      expect(res.status).toBe(401);
      expect(((await res.json()) as any).error.code).toBe('UNAUTHENTICATED');
      const wrong = await post('/v1/send/batch', 'bm_wrong', [good('noauth@example.test')]);
      expect(wrong.status).toBe(401);
    });
  });
  describe('fixed edge cases', () => {
    it('refuses an empty Idempotency-Key and the in-message key header over REST', async () => {
      const body = { from: 'app@sender.test', to: 'edge@example.test', subject: 's', text: 't' };
      const empty = await post('/v1/send', bridge.apiKey, body, { 'idempotency-key': '' });
      expect(empty.status).toBe(400);
      expect(((await empty.json()) as any).error).toMatchObject({
        code: 'VALIDATION_FAILED',
        field: 'Idempotency-Key',
      });
      const inMessage = await post('/v1/send', bridge.apiKey, {
        ...body,
        headers: { 'X-Bridgemail-Idempotency-Key': 'k1' },
      });
      expect(inMessage.status).toBe(400);
      expect(((await inMessage.json()) as any).error.field).toBe('headers.X-Bridgemail-Idempotency-Key');
    });

    it('replays a whole batch sent again with the same Idempotency-Key', async () => {
      const batch = [0, 1, 2].map((i) => ({
        from: 'app@sender.test',
        to: `batch-replay-${i}@example.test`,
        subject: 'b',
        text: String(i),
      }));
      const first = (await (
        await post('/v1/send/batch', bridge.apiKey, batch, { 'idempotency-key': 'batch-7' })
      ).json()) as any;
      const second = (await (
        await post('/v1/send/batch', bridge.apiKey, batch, { 'idempotency-key': 'batch-7' })
      ).json()) as any;
      expect(first.data.map((r: any) => r.id)).toEqual(second.data.map((r: any) => r.id));
      await flush('batch-replay-flush@example.test');
      for (let i = 0; i < 3; i++) expect(copiesAt(`batch-replay-${i}@example.test`)).toBe(1);
    });
  });
});
