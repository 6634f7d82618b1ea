import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridgemailProcess, stopProcesses } from '../support/bridgemail-process.js';
import { useHarness } from '../support/harness.js';
import { CHILD_LISTEN_ENV, startSharedServers, type SharedServers } from '../support/shared-servers.js';
import { submissionTransport } from '../support/smtp-client.js';
import { waitFor } from '../support/wait.js';

/** How long after its due time a message may take to arrive (generous: a loaded machine). */
const ARRIVAL_MS = 20_000;

/** How long a `bridgemail start` child may take to be ready (two cores shared with other suites). */
const BOOT_MS = 180_000;

/** The sendAt of a message due `ms` from now. */
const dueIn = (ms: number) => new Date(Date.now() + ms).toISOString();

/*
 * Scheduled sends end to end: `sendAt` (REST) and `X-Bridgemail-Send-At` (SMTP) hold a message
 * in its Pool queue until it is due, a cancel before then sends nothing, and what is checked again
 * when it comes due (Bridge deleted, credentials revoked). Timing is asserted with lower bounds
 * (never before its due time) and generous upper bounds only.
 */
describe('scheduled sends', () => {
  const h = useHarness();
  let poolId: string;
  let bridge: any;
  let other: any;
  /** Sent with sendAt in the first test, delivered: a later cancel must answer 409. */
  let deliveredId = '';

  const call = async (apiKey: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${h.platform.urls.api}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const sendAt = async (apiKey: string, to: string, at: string) => {
    const res = await h.platform.send(apiKey, { from: 'app@sender.test', to, subject: 'later', text: 'x', sendAt: at });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const arrival = (to: string) => h.sink.messages.find((m) => m.to.includes(to));
  const eventsOf = (id: string) => h.platform.events('message_id = {id:String}', { id });

  beforeAll(async () => {
    poolId = (await h.platform.createPool('scheduled', ['127.0.0.2'])).id;
    bridge = await h.platform.createBridge('scheduled', poolId);
    other = await h.platform.createBridge('scheduled-other', poolId);
  });

  it('holds a REST and an SMTP message until their due time, then delivers them without the header', async () => {
    const due = Date.now() + 3000;
    const restId = await sendAt(bridge.apiKey, 'rest@scheduled.example', new Date(due).toISOString());
    // A batch: each message its own due time (one scheduled with the others, one sent now).
    const batch = await call(bridge.apiKey, 'POST', '/v1/send/batch', [
      { from: 'app@sender.test', to: 'batch-later@scheduled.example', subject: 'b', text: 'b', sendAt: dueIn(3000) },
      { from: 'app@sender.test', to: 'batch-now@scheduled.example', subject: 'b', text: 'b' },
    ]);
    expect(batch.body.data.map((r: { id?: string }) => typeof r.id)).toEqual(['string', 'string']);
    // The SMTP header field takes any offset: the same instant written in +02:00.
    const local = new Date(due + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    const transport = submissionTransport(h.platform.ports.smtp, {
      user: bridge.smtp.username,
      pass: bridge.smtp.password,
    });
    await transport.sendMail({
      from: 'app@sender.test',
      to: 'smtp@scheduled.example',
      subject: 'later',
      text: 'x',
      headers: { 'X-Bridgemail-Send-At': local },
    });
    transport.close();

    // Listed as scheduled, with the due time, while it waits.
    await waitFor(async () => (await eventsOf(restId)).some((e) => e.type === 'scheduled'), 10_000, 'scheduled event');
    const waiting = await call(bridge.apiKey, 'GET', '/v1/messages?status=scheduled');
    expect(waiting.body.data).toContainEqual(
      expect.objectContaining({ messageId: restId, state: 'scheduled', sendAt: new Date(due).toISOString() }),
    );

    await waitFor(
      () =>
        arrival('rest@scheduled.example') &&
        arrival('smtp@scheduled.example') &&
        arrival('batch-later@scheduled.example'),
      due - Date.now() + ARRIVAL_MS,
    );
    const rest = arrival('rest@scheduled.example')!;
    const smtp = arrival('smtp@scheduled.example')!;
    expect(rest.receivedAt).toBeGreaterThanOrEqual(due);
    expect(smtp.receivedAt).toBeGreaterThanOrEqual(due);
    expect(arrival('batch-later@scheduled.example')!.receivedAt).toBeGreaterThanOrEqual(due);
    expect(arrival('batch-now@scheduled.example')).toBeDefined();
    expect(smtp.raw.toString('latin1')).not.toMatch(/x-bridgemail-send-at/i);
    const types = (await eventsOf(restId)).map((e) => e.type);
    expect(types.slice(0, 2)).toEqual(['queued', 'scheduled']);
    deliveredId = restId;
  });

  it('cancels a message before it is due: 200 (again on a repeat), nothing sent, `cancelled` events', async () => {
    // Far enough ahead for two sends and five API calls on a loaded machine.
    const due = Date.now() + 6000;
    const id = await sendAt(bridge.apiKey, 'cancel@scheduled.example', new Date(due).toISOString());
    const byAdmin = await sendAt(other.apiKey, 'admin-cancel@scheduled.example', new Date(due).toISOString());

    // Another Bridge's key does not see it; an unknown id is 404 too.
    expect((await call(other.apiKey, 'DELETE', `/v1/messages/${id}`)).body.error.code).toBe('MESSAGE_NOT_FOUND');
    expect((await call(bridge.apiKey, 'DELETE', '/v1/messages/msg_none')).status).toBe(404);

    const cancelled = await call(bridge.apiKey, 'DELETE', `/v1/messages/${id}`);
    expect(cancelled).toEqual({
      status: 200,
      body: { id, status: 'cancelled', recipients: ['cancel@scheduled.example'], sendAt: new Date(due).toISOString() },
    });
    expect(await call(bridge.apiKey, 'DELETE', `/v1/messages/${id}`)).toEqual(cancelled);
    const admin = await h.platform.admin('DELETE', `/admin/v1/messages/${byAdmin}`);
    expect(admin).toMatchObject({ status: 200, body: { id: byAdmin, bridgeId: other.id, status: 'cancelled' } });

    // Past the due time and a margin, neither arrived; each has one `cancelled` event (reason api).
    await new Promise((r) => setTimeout(r, due - Date.now() + 3000));
    expect(arrival('cancel@scheduled.example')).toBeUndefined();
    expect(arrival('admin-cancel@scheduled.example')).toBeUndefined();
    for (const message of [id, byAdmin]) {
      const events = await eventsOf(message);
      expect(events.map((e) => [e.type, e.reason])).toEqual([
        ['queued', ''],
        ['scheduled', ''],
        ['cancelled', 'api'],
      ]);
    }
    const audit = await h.platform.admin('GET', '/admin/v1/audit');
    expect(audit.body.data).toContainEqual(
      expect.objectContaining({
        action: 'message.cancel',
        targetId: other.id,
        details: expect.objectContaining({ messageId: byAdmin }),
      }),
    );
    const listed = await call(bridge.apiKey, 'GET', '/v1/messages?status=cancelled');
    expect(listed.body.data.map((r: any) => r.messageId)).toContain(id);
  });

  it('answers 409 MESSAGE_ALREADY_SENT for a message already sent, scheduled or not', async () => {
    expect(deliveredId).not.toBe('');
    const late = await call(bridge.apiKey, 'DELETE', `/v1/messages/${deliveredId}`);
    expect([late.status, late.body.error.code]).toEqual([409, 'MESSAGE_ALREADY_SENT']);
    expect((await h.platform.admin('DELETE', `/admin/v1/messages/${deliveredId}`)).status).toBe(409);

    const res = await h.platform.send(bridge.apiKey, {
      from: 'app@sender.test',
      to: 'now@scheduled.example',
      subject: 's',
      text: 't',
    });
    const { id } = (await res.json()) as { id: string };
    await waitFor(async () => (await eventsOf(id)).length > 0, 10_000, 'events of an immediate send');
    expect((await call(bridge.apiKey, 'DELETE', `/v1/messages/${id}`)).body.error.code).toBe('MESSAGE_ALREADY_SENT');
  });

  it("lets an account token cancel its own scheduled message at once, and not another account's", async () => {
    const account = (await h.platform.admin('POST', '/admin/v1/accounts', { name: 'scheduler' })).body.id as string;
    const token = (await h.platform.admin('POST', `/admin/v1/accounts/${account}/tokens`, { name: 't' })).body.token;
    const stranger = (await h.platform.admin('POST', '/admin/v1/accounts', { name: 'stranger' })).body.id as string;
    const theirs = (await h.platform.admin('POST', `/admin/v1/accounts/${stranger}/tokens`, { name: 't' })).body.token;
    const own = await h.platform.createBridge('scheduler-app', poolId, { accountId: account });
    const cancel = async (bearer: string, id: string) =>
      (
        await fetch(`${h.platform.urls.admin}/admin/v1/messages/${id}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${bearer}` },
        })
      ).status;
    // Right after the 202, before its events are in ClickHouse: found by its schedule record.
    const id = await sendAt(own.apiKey, 'account-cancel@scheduled.example', dueIn(3_600_000));
    expect(await cancel(theirs as string, id)).toBe(404);
    expect(await cancel(token as string, id)).toBe(200);
    const operatorsId = await sendAt(bridge.apiKey, 'operator-own@scheduled.example', dueIn(3_600_000));
    expect(await cancel(token as string, operatorsId)).toBe(404);
    expect((await h.platform.admin('DELETE', `/admin/v1/messages/${operatorsId}`)).status).toBe(200);
  });

  it('checks again at the due time: a deleted Bridge, a revoked credential, a suppressed recipient', async () => {
    const doomed = await h.platform.createBridge('scheduled-doomed', poolId);
    const revoked = await h.platform.createBridge('scheduled-revoked', poolId);
    const sibling = await h.platform.createBridge('scheduled-sibling', poolId);
    const due = Date.now() + 2500;
    const at = new Date(due).toISOString();
    const doomedId = await sendAt(doomed.apiKey, 'deleted@scheduled.example', at);
    const revokedId = await sendAt(revoked.apiKey, 'revoked@scheduled.example', at);
    // The sibling's SMTP password is revoked; its message came with its API key, which still works.
    const siblingId = await sendAt(sibling.apiKey, 'sibling@scheduled.example', at);
    const suppressedId = await sendAt(sibling.apiKey, 'suppressed@scheduled.example', at);
    expect((await h.platform.admin('DELETE', `/admin/v1/bridges/${doomed.id}`)).status).toBe(200);
    const revoke = (id: string, what: 'api' | 'smtp') =>
      h.platform.admin('POST', `/admin/v1/bridges/${id}/revoke`, { what });
    expect((await revoke(revoked.id, 'api')).status).toBe(200);
    expect((await revoke(sibling.id, 'smtp')).status).toBe(200);
    const suppression = await h.platform.admin('POST', '/admin/v1/suppressions', {
      address: 'suppressed@scheduled.example',
      bridgeId: sibling.id,
    });
    expect(suppression.status).toBe(201);

    await waitFor(() => arrival('sibling@scheduled.example'), due - Date.now() + ARRIVAL_MS);
    expect(arrival('sibling@scheduled.example')!.receivedAt).toBeGreaterThanOrEqual(due);
    const settled = async (id: string, type: string) => (await eventsOf(id)).some((e) => e.type === type);
    await waitFor(() => settled(doomedId, 'cancelled'), ARRIVAL_MS, 'cancelled event of the deleted Bridge');
    await waitFor(() => settled(revokedId, 'cancelled'), ARRIVAL_MS, 'cancelled event of the revoked key');
    await waitFor(() => settled(suppressedId, 'suppressed'), ARRIVAL_MS, 'suppressed event');
    // The sink has the sibling's message; its `delivered` event reaches ClickHouse a moment later.
    await waitFor(() => settled(siblingId, 'delivered'), ARRIVAL_MS, 'delivered event of the sibling');
    const steps = async (id: string) => (await eventsOf(id)).map((e) => [e.type, e.reason]);
    expect(await steps(doomedId)).toEqual([
      ['queued', ''],
      ['scheduled', ''],
      ['cancelled', 'bridge-deleted'],
    ]);
    expect(await steps(revokedId)).toEqual([
      ['queued', ''],
      ['scheduled', ''],
      ['cancelled', 'credential-revoked'],
    ]);
    expect((await eventsOf(siblingId)).map((e) => e.type)).toContain('delivered');
    expect((await eventsOf(suppressedId)).map((e) => e.type)).not.toContain('sent');
    for (const to of ['deleted', 'revoked', 'suppressed']) expect(arrival(`${to}@scheduled.example`)).toBeUndefined();
  });

  it('refuses a bad sendAt (400 naming the field, 550 5.7.0 over SMTP) and sends a past one now', async () => {
    const tooFar = dueIn(31 * 24 * 3600_000);
    for (const value of [tooFar, 'tomorrow', '2030-02-30T10:00:00Z', '2030-01-01T10:00:00']) {
      const res = await call(bridge.apiKey, 'POST', '/v1/send', {
        from: 'app@sender.test',
        to: 'bad@scheduled.example',
        subject: 's',
        text: 't',
        sendAt: value,
      });
      expect([res.status, res.body.error.code, res.body.error.field], value).toEqual([
        400,
        'VALIDATION_FAILED',
        'sendAt',
      ]);
    }
    const batch = await call(bridge.apiKey, 'POST', '/v1/send/batch', [
      { from: 'app@sender.test', to: 'b1@scheduled.example', subject: 's', text: 't', sendAt: tooFar },
      { from: 'app@sender.test', to: 'b2@scheduled.example', subject: 's', text: 't', sendAt: dueIn(60_000) },
    ]);
    expect(batch.body.data[0].error).toMatchObject({ code: 'VALIDATION_FAILED', field: '[0].sendAt' });
    expect(batch.body.data[1].id).toMatch(/^msg_/);

    const transport = submissionTransport(h.platform.ports.smtp, {
      user: bridge.smtp.username,
      pass: bridge.smtp.password,
    });
    for (const value of ['garbage', tooFar]) {
      const err = await transport
        .sendMail({
          from: 'app@sender.test',
          to: 'bad@scheduled.example',
          subject: 's',
          text: 't',
          headers: { 'X-Bridgemail-Send-At': value },
        })
        .then(
          () => undefined,
          (e: { responseCode?: number; response?: string }) => e,
        );
      expect(err?.responseCode, value).toBe(550);
      expect(err?.response).toMatch(/^550 5\.7\.0 X-Bridgemail-Send-At: /);
    }
    transport.close();

    // A time already past sends now, unscheduled.
    const past = await sendAt(bridge.apiKey, 'past@scheduled.example', dueIn(-60_000));
    await waitFor(() => arrival('past@scheduled.example'), ARRIVAL_MS);
    expect((await eventsOf(past)).map((e) => e.type)).not.toContain('scheduled');
  });
});

/*
 * `kill -9` of the whole platform (embedded engines: its redis-server dies with it) while a
 * scheduled message waits: restarted on the same data dir, it delivers the message at its time.
 */
describe('scheduled sends across kill -9', () => {
  let servers: SharedServers;
  let env: Record<string, string>;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    servers = await startSharedServers(
      'scheduled-kill',
      { BRIDGEMAIL_ADMIN_TOKEN: randomBytes(16).toString('hex') },
      { engines: false },
    );
    env = { ...servers.env, ...CHILD_LISTEN_ENV, BRIDGEMAIL_DATA_DIR: join(servers.dir, 'data') };
  });
  afterAll(async () => {
    await stopProcesses(children, 'SIGKILL');
    await servers?.stop();
  });

  it(
    'delivers a message scheduled before the kill at its time after the restart',
    async () => {
      const first = await startBridgemailProcess('all', env, BOOT_MS);
      children.push(first.child);
      const admin = first.url('admin API listening').replace(/\/admin\/v1$/, '');
      const api = first.url('send API listening').replace(/\/v1\/send$/, '');
      const post = async (base: string, path: string, token: string, body: unknown) => {
        const res = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as any };
      };
      const pool = await post(admin, '/admin/v1/pools', env.BRIDGEMAIL_ADMIN_TOKEN!, {
        name: 'kill',
        ips: ['127.0.0.2'],
      });
      const bridge = await post(admin, '/admin/v1/bridges', env.BRIDGEMAIL_ADMIN_TOKEN!, {
        name: 'kill',
        poolId: pool.body.id,
      });
      // Due well after the restart is expected to be done, so "at its time" is what is measured.
      const due = Date.now() + 15_000;
      const sent = await post(api, '/v1/send', bridge.body.apiKey, {
        from: 'app@sender.test',
        to: 'survivor@scheduled.example',
        subject: 'after the crash',
        text: 'x',
        sendAt: new Date(due).toISOString(),
      });
      expect(sent.status).toBe(202);

      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      const second = await startBridgemailProcess('all', env, BOOT_MS);
      children.push(second.child);

      await waitFor(
        () => servers.sink.messages.length > 0,
        Math.max(0, due - Date.now()) + 30_000,
        'the scheduled message',
      );
      const [message] = servers.sink.messages;
      expect(message!.to).toEqual(['survivor@scheduled.example']);
      expect(message!.receivedAt).toBeGreaterThanOrEqual(due);
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    },
    3 * BOOT_MS,
  );
});
