import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

const SHARED_IP = '127.0.0.81';
const DEDICATED_IP = '127.0.0.82';

describe('accounts: shared and dedicated Pools, and the rebind that keeps credentials', () => {
  const h = useHarness();

  async function call(token: string, method: string, path: string, body?: unknown) {
    const res = await fetch(`${h.platform.urls.admin}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  const ok = async (p: Promise<{ status: number; body: any }>, status = 200) => {
    const r = await p;
    if (r.status !== status) throw new Error(`answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  /** Source addresses the sink saw for recipients starting with `prefix`, with their counts. */
  const sources = (prefix: string) => {
    const seen: Record<string, number> = {};
    for (const m of h.sink.messages.filter((m) => m.to[0]?.startsWith(prefix)))
      seen[m.remoteAddress] = (seen[m.remoteAddress] ?? 0) + 1;
    return seen;
  };

  it('upgrades an account from a shared Pool to its dedicated one and back, mail following the move', async () => {
    const op = h.platform.adminToken;
    const account = await ok(call(op, 'POST', '/admin/v1/accounts', { name: 'growing', dedicatedIps: false }), 201);
    const token = (await ok(call(op, 'POST', `/admin/v1/accounts/${account.id}/tokens`, { name: 'app' }), 201)).token;
    const shared = await ok(call(op, 'POST', '/admin/v1/pools', { name: 'shared', ips: [SHARED_IP] }), 201);
    const dedicated = await ok(
      call(op, 'POST', '/admin/v1/pools', {
        name: 'growing-own',
        ips: [DEDICATED_IP],
        kind: 'dedicated',
        accountId: account.id,
      }),
      201,
    );
    expect(dedicated).toMatchObject({ kind: 'dedicated', accountId: account.id });

    // Without the plan, only shared Pools take the account's Bridges.
    const refused = await call(token, 'POST', '/admin/v1/bridges', { name: 'early', poolId: dedicated.id });
    expect([refused.status, refused.body.error.code]).toEqual([400, 'POOL_NOT_ALLOWED']);
    const rest = await ok(call(token, 'POST', '/admin/v1/bridges', { name: 'rest-app', poolId: shared.id }), 201);
    const smtp = await ok(call(token, 'POST', '/admin/v1/bridges', { name: 'smtp-app', poolId: shared.id }), 201);
    const refusedRebind = await call(op, 'POST', `/admin/v1/accounts/${account.id}/rebind`, {
      from: shared.id,
      to: dedicated.id,
    });
    expect([refusedRebind.status, refusedRebind.body.error.code]).toEqual([400, 'POOL_NOT_ALLOWED']);

    // One SMTP connection stays open across the move: its next message must follow the Bridge.
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: h.platform.ports.smtp,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
      auth: { user: smtp.smtp.username, pass: smtp.smtp.password },
      pool: true,
      maxConnections: 1,
    });
    const send = async (phase: string, n: number) => {
      for (let i = 0; i < n; i++) {
        const r = await h.platform.send(rest.apiKey, {
          from: 'app@growing.test',
          to: `${phase}-rest-${i}@example.test`,
          subject: phase,
          text: 't',
        });
        expect(r.status).toBe(202);
        await transport.sendMail({
          from: 'app@growing.test',
          to: `${phase}-smtp-${i}@example.test`,
          subject: phase,
          text: 't',
        });
      }
    };
    const delivered = (prefix: string, n: number) =>
      waitFor(async () => h.sink.messages.filter((m) => m.to[0]?.startsWith(prefix)).length === n, 30_000, prefix);

    try {
      await send('before', 5);
      await delivered('before-', 10);

      await ok(call(op, 'PATCH', `/admin/v1/accounts/${account.id}`, { dedicatedIps: true }));
      // Only the operator moves Bridges; to an account token the route does not exist.
      expect((await call(token, 'POST', `/admin/v1/accounts/${account.id}/rebind`, {})).status).toBe(404);
      const moved = await ok(
        call(op, 'POST', `/admin/v1/accounts/${account.id}/rebind`, { from: shared.id, to: dedicated.id }),
      );
      expect(moved).toEqual({
        accountId: account.id,
        from: shared.id,
        to: dedicated.id,
        bridgeIds: [rest.id, smtp.id].sort(),
      });

      await send('after', 5);
      await delivered('after-', 10);
    } finally {
      transport.close();
    }
    const before = sources('before-');
    const after = sources('after-');
    console.log(`rebind: before the move ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
    expect(before).toEqual({ [SHARED_IP]: 10 });
    expect(after).toEqual({ [DEDICATED_IP]: 10 });

    // Same ids, names and credentials; the Pool is the new one; PATCH still refuses poolId.
    const read = await ok(call(token, 'GET', `/admin/v1/bridges/${rest.id}`));
    expect(read).toMatchObject({ id: rest.id, name: 'rest-app', poolId: dedicated.id, apiKey: rest.apiKey });
    expect(read.smtp).toMatchObject({ username: rest.smtp.username, password: rest.smtp.password });
    const patch = await call(op, 'PATCH', `/admin/v1/bridges/${rest.id}`, { poolId: shared.id });
    expect([patch.status, patch.body.error.code]).toEqual([400, 'POOL_BINDING_IMMUTABLE']);
    const audit = await ok(call(op, 'GET', `/admin/v1/audit?targetId=${account.id}`));
    expect(audit.data.find((e: { action: string }) => e.action === 'account.rebind')).toMatchObject({
      details: { from: shared.id, to: dedicated.id, bridgeIds: [rest.id, smtp.id].sort() },
    });

    // The downgrade: off the plan, then back to the shared Pool; new Bridges go to shared Pools only.
    await ok(call(op, 'PATCH', `/admin/v1/accounts/${account.id}`, { dedicatedIps: false }));
    await ok(call(op, 'POST', `/admin/v1/accounts/${account.id}/rebind`, { from: dedicated.id, to: shared.id }));
    expect(
      (
        await h.platform.send(rest.apiKey, {
          from: 'a@growing.test',
          to: 'down-0@example.test',
          subject: 's',
          text: 't',
        })
      ).status,
    ).toBe(202);
    await delivered('down-', 1);
    expect(sources('down-')).toEqual({ [SHARED_IP]: 1 });

    // Stats of the account: its Bridges together, and each within it, the same to operator and account.
    const other = await ok(call(op, 'POST', '/admin/v1/bridges', { name: 'not-theirs', poolId: shared.id }), 201);
    await h.platform.send(other.apiKey, { from: 'a@default.test', to: 'x-0@example.test', subject: 's', text: 't' });
    await waitFor(
      async () => (await ok(call(token, 'GET', `/admin/v1/accounts/${account.id}/stats`))).delivered === 21,
      20_000,
      'account stats',
    );
    for (const who of [op, token]) {
      const stats = await ok(call(who, 'GET', `/admin/v1/accounts/${account.id}/stats`));
      expect(stats).toMatchObject({ sent: 21, delivered: 21, bounced: 0, rates: { deliveryRate: 1 } });
      const per = await ok(call(who, 'GET', `/admin/v1/stats/bridges?accountId=${account.id}`));
      const rows = Object.fromEntries(per.data.map((r: { bridgeId: string; sent: number }) => [r.bridgeId, r.sent]));
      expect(rows).toEqual({ [rest.id]: 11, [smtp.id]: 10 });
      const series = await ok(call(who, 'GET', `/admin/v1/accounts/${account.id}/stats/series?interval=day`));
      expect(series.data.reduce((n: number, p: { sent: number }) => n + p.sent, 0)).toBe(21);
    }
    expect(
      (await ok(call(op, 'GET', '/admin/v1/stats/bridges'))).data.map((r: { bridgeId: string }) => r.bridgeId),
    ).toContain(other.id);
  });
});
