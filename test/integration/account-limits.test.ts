import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { submissionTransport } from '../support/smtp-client.js';

describe("accounts: sending limits over all of an account's Bridges", () => {
  const h = useHarness();

  it('refuses the message over the limit whichever Bridge sends it, leaves other accounts alone', async () => {
    const pool = await h.platform.createPool('limits-pool', ['127.0.0.2']);
    const created = await h.platform.admin('POST', '/admin/v1/accounts', { name: 'capped', limits: { perHour: 3 } });
    expect(created.status).toBe(201);
    expect(created.body.limits).toEqual({ perHour: 3 });
    const account = created.body.id as string;
    const one = await h.platform.createBridge('capped-one', pool.id, { accountId: account });
    const two = await h.platform.createBridge('capped-two', pool.id, { accountId: account });
    const free = await h.platform.createBridge('uncapped', pool.id);
    const send = (apiKey: string, to: string) =>
      h.platform.send(apiKey, { from: 'a@capped.test', to, subject: 's', text: 't' });

    expect((await send(one.apiKey, 'r1@example.test')).status).toBe(202);
    expect((await send(one.apiKey, 'r2@example.test')).status).toBe(202);
    expect((await send(two.apiKey, 'r3@example.test')).status).toBe(202);
    const refused = await send(two.apiKey, 'r4@example.test');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await refused.json()) as { error: { code: string; message: string; limit: string } };
    expect(body.error).toMatchObject({ code: 'BRIDGE_RATE_LIMITED', limit: 'perHour' });
    expect(body.error.message).toContain("account's perHour sending limit");
    // Over SMTP too, with a temporary reply the client retries.
    const smtp = submissionTransport(h.platform.ports.smtp, { user: one.smtp.username, pass: one.smtp.password });
    try {
      await expect(
        smtp.sendMail({ from: 'a@capped.test', to: 'r5@example.test', subject: 's', text: 't' }),
      ).rejects.toMatchObject({ responseCode: 452 });
    } finally {
      smtp.close();
    }
    // Another account's Bridge on the same Pool is not counted.
    expect((await send(free.apiKey, 'f1@example.test')).status).toBe(202);
    // Operators see the refusals per account and limit.
    const metrics = await (await fetch(`http://127.0.0.1:${h.platform.ports.ops}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`^bridgemail_account_rate_limited_total\\{account="${account}",limit="perHour"[^}]*\\} 2$`, 'm'),
    );

    // Lifted from the next message on.
    const lifted = await h.platform.admin('PATCH', `/admin/v1/accounts/${account}`, { limits: null });
    expect(lifted.body.limits).toBeNull();
    expect((await send(two.apiKey, 'r6@example.test')).status).toBe(202);
  });
});
