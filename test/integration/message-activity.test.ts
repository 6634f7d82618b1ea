import nodemailer from 'nodemailer';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';
import { arfComplaint } from '../support/arf.js';

// The activity search on both planes, over messages the platform really sent to a loopback sink:
// `ok-*` accepted, `unknown-*` refused for good (550), `greylist-*` refused for now on every try (451).
describe('activity search: GET /admin/v1/messages and GET /v1/messages', () => {
  const h = useHarness({}, (rcpt) => {
    if (rcpt.startsWith('unknown')) return { code: 550, message: '5.1.1 <' + rcpt + '>: User unknown' };
    if (rcpt.startsWith('greylist')) return { code: 451, message: '4.7.1 Greylisted, try again later' };
    return undefined;
  });
  let alpha: any;
  let beta: any;
  let poolId = '';
  let mixedId = '';

  const send = async (bridge: any, to: string | string[]) => {
    const res = await h.platform.send(bridge.apiKey, { from: 'app@sender.test', to, subject: 'activity', text: 'hi' });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const queryString = (query: Record<string, string | number>) =>
    new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  const search = async (query: Record<string, string | number>) =>
    h.platform.admin('GET', `/admin/v1/messages?${queryString(query)}`);
  const bridgeSearch = async (apiKey: string, query: Record<string, string | number> = {}) => {
    const res = await fetch(`${h.platform.urls.api}/v1/messages?${queryString(query)}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const states = (rows: any[]) => rows.map((r) => `${r.recipient}:${r.state}`).sort();

  beforeAll(async () => {
    const pool = await h.platform.createPool('activity-pool', ['127.0.0.2']);
    poolId = pool.id;
    alpha = await h.platform.createBridge('activity-alpha', pool.id);
    beta = await h.platform.createBridge('activity-beta', pool.id);
    for (let i = 0; i < 4; i++) await send(alpha, `ok-${i}@example.test`);
    await send(alpha, 'unknown-1@example.test');
    await send(alpha, 'greylist-1@example.test');
    mixedId = await send(alpha, ['ok-mixed@example.test', 'unknown-mixed@example.test']);
    await send(beta, 'ok-beta@example.test');
    await send(beta, 'unknown-beta@example.test');
    // Settled when every row has left `queued` (the greylisted one stays deferred).
    await waitFor(
      async () => {
        const r = await search({ limit: 100 });
        return r.body.data.length === 10 && r.body.data.every((row: any) => row.state !== 'queued');
      },
      30_000,
      'every message past queued',
    );
  }, 60_000);

  it('lists one row per (message, recipient) with its latest state, newest first', async () => {
    const { status, body } = await search({ bridgeId: alpha.id });
    expect(status).toBe(200);
    expect(states(body.data)).toEqual([
      'greylist-1@example.test:deferred',
      'ok-0@example.test:delivered',
      'ok-1@example.test:delivered',
      'ok-2@example.test:delivered',
      'ok-3@example.test:delivered',
      'ok-mixed@example.test:delivered',
      'unknown-1@example.test:bounced',
      'unknown-mixed@example.test:bounced',
    ]);
    const accepted = body.data.map((r: any) => Date.parse(r.acceptedAt));
    expect(accepted).toEqual([...accepted].sort((a, b) => b - a));
    expect(body.nextCursor).toBeNull();
    const mixed = body.data.filter((r: any) => r.messageId === mixedId);
    expect(mixed.map((r: any) => r.state).sort()).toEqual(['bounced', 'delivered']);
    const bounced = body.data.find((r: any) => r.recipient === 'unknown-1@example.test');
    expect(bounced).toMatchObject({ bridgeId: alpha.id, bridgeName: 'activity-alpha', attempts: 1 });
    expect(bounced.reply).toContain('User unknown');
    expect(Date.parse(bounced.stateAt)).toBeGreaterThanOrEqual(Date.parse(bounced.acceptedAt));
    expect(body.data.find((r: any) => r.state === 'deferred').attempts).toBeGreaterThanOrEqual(1);
    // The row's link is the existing timeline route, and it shows the same latest state.
    const timeline = await h.platform.admin('GET', bounced.timeline);
    expect(timeline.status).toBe(200);
    expect(timeline.body.data.map((e: any) => e.type)).toEqual(['queued', 'sent', 'bounced']);
  });

  it('filters by status, recipient, Bridge and acceptance time', async () => {
    const bounced = await search({ status: 'bounced' });
    expect(states(bounced.body.data)).toEqual([
      'unknown-1@example.test:bounced',
      'unknown-beta@example.test:bounced',
      'unknown-mixed@example.test:bounced',
    ]);
    const alphaBounced = await search({ status: 'bounced', bridgeId: beta.id });
    expect(states(alphaBounced.body.data)).toEqual(['unknown-beta@example.test:bounced']);
    const one = await search({ recipient: 'ok-2@example.test' });
    expect(states(one.body.data)).toEqual(['ok-2@example.test:delivered']);
    expect((await search({ recipient: 'OK-2@example.test.invalid' })).body.data).toEqual([]);
    const all = (await search({ limit: 100 })).body.data;
    const oldest = Math.min(...all.map((r: any) => Date.parse(r.acceptedAt)));
    expect((await search({ to: new Date(oldest).toISOString() })).body.data).toEqual([]);
    const after = await search({ from: new Date(oldest + 1).toISOString(), limit: 100 });
    expect(after.body.data.length).toBe(all.filter((r: any) => Date.parse(r.acceptedAt) > oldest).length);
  });

  it('pages by cursor without duplicates or gaps, while new mail arrives', async () => {
    const whole = (await search({ limit: 100 })).body.data.map((r: any) => `${r.messageId}/${r.recipient}`);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page++) {
      const r: { status: number; body: any } = await search({ limit: 3, ...(cursor ? { cursor } : {}) });
      expect(r.status).toBe(200);
      expect(r.body.data.length).toBeLessThanOrEqual(3);
      seen.push(...r.body.data.map((row: any) => `${row.messageId}/${row.recipient}`));
      // New mail between pages sorts before the first page and never shifts the next ones.
      if (page === 0) await send(beta, `ok-late@example.test`);
      cursor = r.body.nextCursor;
      if (!cursor) break;
    }
    expect(cursor).toBeNull();
    expect(seen).toEqual(whole);
  });

  it('gives a Bridge key its own messages only', async () => {
    const own = await bridgeSearch(alpha.apiKey, { limit: 100 });
    expect(own.status).toBe(200);
    expect(own.body.data.length).toBe(8);
    expect(own.body.data.every((r: any) => r.bridgeId === alpha.id)).toBe(true);
    expect(own.body.data[0].timeline).toMatch(/^\/v1\/messages\//);
    expect(own.body.data[0]).not.toHaveProperty('bridgeName');
    const theirs = await bridgeSearch(beta.apiKey, { recipient: 'ok-1@example.test' });
    expect(theirs).toMatchObject({ status: 200, body: { data: [], nextCursor: null } });
    const betaOwn = await bridgeSearch(beta.apiKey, { status: 'bounced' });
    expect(states(betaOwn.body.data)).toEqual(['unknown-beta@example.test:bounced']);
    // The Bridge is the key's: naming another one is refused, not honoured.
    const other = await bridgeSearch(beta.apiKey, { bridgeId: alpha.id });
    expect(other.status).toBe(400);
    expect(other.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'bridgeId' });
    // A page of one Bridge ends where it should for that Bridge, then pages on with its own cursor.
    const first = await bridgeSearch(alpha.apiKey, { limit: 5 });
    const second = await bridgeSearch(alpha.apiKey, { limit: 5, cursor: first.body.nextCursor });
    expect([...first.body.data, ...second.body.data].map((r: any) => r.recipient)).toEqual(
      own.body.data.map((r: any) => r.recipient),
    );
    expect((await bridgeSearch('not-a-key')).status).toBe(401);
  });

  it.each([
    [{ status: 'lost' }, 'status'],
    [{ from: 'yesterday' }, 'from'],
    [{ to: '2024-13-01T00:00:00Z' }, 'to'],
    [{ from: '2024-02-01T00:00:00Z', to: '2024-01-01T00:00:00Z' }, 'from'],
    [{ limit: 101 }, 'limit'],
    [{ limit: 0 }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ cursor: 'garbage' }, 'cursor'],
    [{ cursor: Buffer.from('{"a":1}').toString('base64url') }, 'cursor'],
    [{ recipient: '' }, 'recipient'],
    [{ colour: 'blue' }, 'colour'],
  ])('refuses %j with a 400 naming %s, on both planes', async (query, field) => {
    const admin = await search(query);
    expect(admin.status).toBe(400);
    expect(admin.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field });
    expect(admin.body.error.message).toContain(field);
    const bridge = await bridgeSearch(alpha.apiKey, query);
    expect(bridge.status).toBe(400);
    expect(bridge.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field });
  });

  it('needs the admin token', async () => {
    const res = await fetch(`${h.platform.urls.admin}/admin/v1/messages`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
  });

  // Last, on a Bridge of their own, so the rows above stay as they are for the tests before.
  describe('complained and suppressed rows, and when each Bridge last sent', () => {
    let gamma: any;
    let quiet: any;
    let firstMinute = 0;
    const lastSends = async () => {
      const res = await h.platform.admin('GET', '/admin/v1/stats/bridges');
      expect(res.status).toBe(200);
      return new Map<string, string | null>(res.body.data.map((b: any) => [b.bridgeId, b.lastSentAt]));
    };
    const rowOf = async (recipient: string) => (await search({ recipient })).body.data[0];
    const waitForState = (recipient: string, state: string) =>
      waitFor(
        async () => {
          const row = await rowOf(recipient);
          return row?.state === state ? row : undefined;
        },
        30_000,
        `${recipient} ${state}`,
      );
    let alphaLastSent: string | null | undefined;

    beforeAll(async () => {
      alphaLastSent = (await lastSends()).get(alpha.id);
      gamma = await h.platform.createBridge('activity-gamma', poolId);
      quiet = await h.platform.createBridge('activity-quiet', poolId);
      // The aggregates keep minutes: gamma's last send is at or after the minute its first one started in.
      firstMinute = Math.floor(Date.now() / 60_000) * 60_000;
    });

    it('shows a recipient who complained (ARF report at the inbound MX) as complained', async () => {
      const id = await send(gamma, 'ok-angry@example.test');
      await waitForState('ok-angry@example.test', 'delivered');
      const mx = nodemailer.createTransport({
        host: '127.0.0.1',
        port: h.platform.ports.mx,
        secure: false,
        // The MX's certificate is the test platform's own, self-signed.
        tls: { rejectUnauthorized: false },
      });
      await mx.sendMail({
        envelope: { from: 'feedback@isp.example.test', to: ['fbl@bridgemail.test'] },
        raw: arfComplaint('ok-angry@example.test', id),
      });
      const row = await waitForState('ok-angry@example.test', 'complained');
      expect(row).toMatchObject({ messageId: id, bridgeId: gamma.id, attempts: 1 });
      expect(Date.parse(row.stateAt)).toBeGreaterThanOrEqual(Date.parse(row.acceptedAt));
      const complained = await search({ status: 'complained' });
      expect(complained.status).toBe(200);
      expect(states(complained.body.data)).toEqual(['ok-angry@example.test:complained']);
      expect((await search({ status: 'delivered', bridgeId: gamma.id })).body.data).toEqual([]);
      const own = await bridgeSearch(gamma.apiKey, { status: 'complained' });
      expect(states(own.body.data)).toEqual(['ok-angry@example.test:complained']);
      expect((await bridgeSearch(alpha.apiKey, { status: 'complained' })).body.data).toEqual([]);
      const timeline = await h.platform.admin('GET', row.timeline);
      expect(timeline.body.data.map((e: any) => e.type)).toEqual(['queued', 'sent', 'delivered', 'complained']);
    });

    it('shows a recipient suppressed before delivery as suppressed', async () => {
      // A send to an address already on the list is refused at the door (422) and leaves no row; a
      // message accepted before its recipient was suppressed is skipped at its next delivery pass.
      const id = await send(gamma, 'greylist-later@example.test');
      await waitForState('greylist-later@example.test', 'deferred');
      const added = await h.platform.admin('POST', '/admin/v1/suppressions', {
        address: 'greylist-later@example.test',
        bridgeId: gamma.id,
        reason: 'manual',
      });
      expect(added.status).toBe(201);
      const row = await waitForState('greylist-later@example.test', 'suppressed');
      expect(row).toMatchObject({ messageId: id, bridgeId: gamma.id, reply: 'recipient is on the suppression list' });
      const suppressed = await search({ status: 'suppressed' });
      expect(states(suppressed.body.data)).toEqual(['greylist-later@example.test:suppressed']);
      const own = await bridgeSearch(gamma.apiKey, { status: 'suppressed' });
      expect(states(own.body.data)).toEqual(['greylist-later@example.test:suppressed']);
      // The other greylisted recipient is still deferred: the state is per recipient.
      expect((await rowOf('greylist-1@example.test')).state).toBe('deferred');
      const refused = await h.platform.send(gamma.apiKey, {
        from: 'app@sender.test',
        to: 'greylist-later@example.test',
        subject: 'activity',
        text: 'hi',
      });
      expect(refused.status).toBe(422);
    });

    it('says when each Bridge last sent: never, within its own sends, untouched by a sibling', async () => {
      const last = await lastSends();
      expect(last.get(quiet.id)).toBeNull();
      const gammaLast = last.get(gamma.id);
      expect(gammaLast).toEqual(expect.any(String));
      expect(Date.parse(gammaLast!)).toBeGreaterThanOrEqual(firstMinute);
      expect(Date.parse(gammaLast!)).toBeLessThanOrEqual(Date.now());
      // alpha sent before gamma existed; gamma's sends since leave alpha's last send where it was.
      expect(alphaLastSent).toEqual(expect.any(String));
      expect(last.get(alpha.id)).toBe(alphaLastSent);
    });
  });
});
