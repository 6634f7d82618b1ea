import { connect } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

const MAX = 64 * 1024;

/** Sends `request` as written to the host and port of `base`; the whole answer as text. */
function rawRequest(base: string, request: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('REST send API refuses bad input and queues nothing', () => {
  const h = useHarness({ BRIDGEMAIL_MAX_MESSAGE_BYTES: String(MAX) });
  let bridge: any;
  let poolId: string;

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${h.platform.urls.api}/v1/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bridge.apiKey}`, 'content-type': 'application/json', ...headers },
      body,
    });
  const valid = { from: 'app@sender.test', to: 'x@example.test', subject: 'hello', text: 'hi' };
  const expectError = async (res: Response, status: number, code: string, field?: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as { error: { code: string; message: string; field?: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message).toEqual(expect.any(String));
    if (field !== undefined) expect(body.error.field).toBe(field);
  };

  beforeAll(async () => {
    poolId = (await h.platform.createPool('p', ['127.0.0.2'])).id;
    bridge = await h.platform.createBridge('b', poolId);
  });

  it('401 without a key and with an unknown key', async () => {
    await expectError(await post(JSON.stringify(valid), { authorization: '' }), 401, 'UNAUTHENTICATED');
    await expectError(
      await post(JSON.stringify(valid), { authorization: 'Bearer bm_notakey' }),
      401,
      'INVALID_CREDENTIALS',
    );
    await expectError(
      await post(JSON.stringify(valid), { authorization: 'Basic Zm9vOmJhcg==' }),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('400 for malformed JSON', async () => {
    await expectError(await post('{"from": "a@b.test", '), 400, 'INVALID_JSON');
    await expectError(await post(''), 400, 'INVALID_JSON');
  });

  it('400 INVALID_JSON "empty body" for a JSON request without a body, with or without Content-Length', async () => {
    const empty = await post('');
    expect(await empty.json()).toEqual({ error: { code: 'INVALID_JSON', message: 'empty body' } });
    // What `curl -X POST -H 'Content-Type: application/json'` sends: no Content-Length, no body.
    for (const path of ['/v1/send', '/v1/send/batch']) {
      const raw = await rawRequest(
        h.platform.urls.api,
        `POST ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${bridge.apiKey}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n`,
      );
      expect(raw.split('\r\n')[0], path).toBe('HTTP/1.1 400 Bad Request');
      expect(raw, path).toContain('{"error":{"code":"INVALID_JSON","message":"empty body"}}');
    }
  });

  it('validation messages a person can read', async () => {
    const message = async (body: unknown) =>
      ((await (await post(JSON.stringify(body))).json()) as { error: { message: string } }).error.message;
    const { from: _from, ...noFrom } = valid;
    expect(await message(noFrom)).toBe('from: required');
    expect(await message({ ...valid, subject: 5 })).toBe('subject: expected a string, got a number');
    expect(await message({ ...valid, subject: 'x'.repeat(999) })).toBe('subject: must be at most 998 characters');
    expect(await message({ ...valid, surprise: 1 })).toBe('surprise: unknown field');
    // The admin plane alike.
    const hooks = `/admin/v1/bridges/${bridge.id}/webhooks`;
    expect((await h.platform.admin('POST', hooks, { eventTypes: ['delivered'] })).body.error).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'url: required',
      field: 'url',
    });
    expect(
      (await h.platform.admin('POST', hooks, { url: 'https://hooks.example.test/in', eventTypes: 'delivered' })).body
        .error.message,
    ).toBe('eventTypes: expected an array, got a string');
    expect((await h.platform.admin('POST', hooks)).body.error).toEqual({ code: 'INVALID_JSON', message: 'empty body' });
  });

  it('a loopback or private webhook URL is refused naming the variable that allows it', async () => {
    const res = await h.platform.admin('POST', `/admin/v1/bridges/${bridge.id}/webhooks`, {
      url: 'http://127.0.0.1:9/hook',
      eventTypes: ['delivered'],
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'url' });
    expect(res.body.error.message).toContain('BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE=1');
  });

  it('400 naming the field for missing or invalid fields', async () => {
    const { to: _to, ...noTo } = valid;
    await expectError(await post(JSON.stringify(noTo)), 400, 'VALIDATION_FAILED', 'to');
    await expectError(
      await post(JSON.stringify({ ...valid, to: ['ok@example.test', 'not an address'] })),
      400,
      'VALIDATION_FAILED',
      'to[1]',
    );
    await expectError(await post(JSON.stringify({ ...valid, from: 'nobody' })), 400, 'VALIDATION_FAILED', 'from');
    await expectError(
      await post(JSON.stringify({ ...valid, subject: 'a\r\nBcc: victim@example.test' })),
      400,
      'VALIDATION_FAILED',
      'subject',
    );
    await expectError(await post(JSON.stringify({ ...valid, text: undefined })), 400, 'VALIDATION_FAILED', 'html');
    await expectError(await post(JSON.stringify({ ...valid, surprise: 1 })), 400, 'VALIDATION_FAILED', 'surprise');
    await expectError(
      await post(JSON.stringify({ ...valid, headers: { 'X-Ok': 'a\nb' } })),
      400,
      'VALIDATION_FAILED',
      'headers.X-Ok',
    );
    await expectError(
      await post(JSON.stringify({ ...valid, attachments: [{ filename: 'a.txt', content: '!!not base64!!' }] })),
      400,
      'VALIDATION_FAILED',
      'attachments[0].content',
    );
    await expectError(await post(JSON.stringify([valid])), 400, 'VALIDATION_FAILED');
  });

  it('413 over the size limit, 415 for a non-JSON body', async () => {
    const big = Buffer.alloc(MAX, 'a').toString('base64');
    await expectError(
      await post(JSON.stringify({ ...valid, attachments: [{ filename: 'big.bin', content: big }] })),
      413,
      'MESSAGE_TOO_LARGE',
    );
    // Over the limit once built, although the JSON itself is under the JSON limit.
    await expectError(await post(JSON.stringify({ ...valid, text: 'x'.repeat(MAX) })), 413, 'MESSAGE_TOO_LARGE');
    await expectError(
      await post('from=a', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('JSON 404 and 405 for unknown routes and methods', async () => {
    await expectError(await fetch(`${h.platform.urls.api}/v1/nope`), 404, 'ROUTE_NOT_FOUND');
    await expectError(await fetch(`${h.platform.urls.api}/v1/send`), 405, 'METHOD_NOT_ALLOWED');
  });

  it('queued nothing for any of the above, while a valid send still goes through', async () => {
    expect(await h.platform.queuedJobs(poolId)).toBe(0);
    const res = await post(JSON.stringify(valid));
    expect(res.status).toBe(202);
    await waitFor(() => h.sink.messages.length === 1, 20_000, 'the valid message');
    expect(await h.platform.queuedJobs(poolId)).toBeLessThanOrEqual(1);
    const queued = await waitFor(async () => {
      const e = await h.platform.events("bridge_id = {b:String} AND type = 'queued'", { b: bridge.id });
      return e.length > 0 ? e : undefined;
    });
    expect(queued).toHaveLength(1);
    expect(h.sink.messages).toHaveLength(1);
  });
});
