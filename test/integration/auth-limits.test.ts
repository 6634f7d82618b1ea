import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { httpFrom } from '../support/http-client.js';
import { authPlain, SmtpDialog } from '../support/smtp-client.js';
import { waitFor } from '../support/wait.js';

describe('failed authentication is limited per client, without locking out valid credentials', () => {
  const h = useHarness({
    BRIDGEMAIL_AUTH_FAIL_PER_ADDRESS: '3',
    BRIDGEMAIL_AUTH_FAIL_PER_PRINCIPAL: '5',
    // Long enough for four TLS sessions on a loaded machine to fall in one window.
    BRIDGEMAIL_AUTH_FAIL_WINDOW_MS: '6000',
  });
  let a: any;
  let b: any;
  const message = { from: 'app@sender.test', to: 'x@example.test', subject: 's', text: 't' };
  const send = (from: string, key: string) =>
    httpFrom(from, `${h.platform.urls.api}/v1/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: message,
    });

  beforeAll(async () => {
    const pool = await h.platform.createPool('limits', ['127.0.0.2']);
    a = await h.platform.createBridge('a', pool.id);
    b = await h.platform.createBridge('b', pool.id);
  });

  it('REST: a guessing address gets 429 with Retry-After for its failures, its valid keys are served; the limit lifts', async () => {
    const attacker = '127.0.0.9';
    const wrong = (i: number | string) => `bm_wrong${i}${'x'.repeat(24)}`;
    for (let i = 0; i < 3; i++) expect((await send(attacker, wrong(i))).status).toBe(401);
    const blocked = await send(attacker, wrong(3));
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('AUTH_RATE_LIMITED');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await send(attacker, a.apiKey)).status).toBe(202);
    expect((await send('127.0.0.10', b.apiKey)).status).toBe(202);
    expect((await send('127.0.0.10', wrong(4))).status).toBe(401);
    await waitFor(async () => (await send(attacker, wrong('again'))).status === 401, 15_000, 'limit lifted');
  });

  it("REST: guesses at one key prefix from many addresses stop those addresses, not A's real clients", async () => {
    const guess = `${a.apiKey.slice(0, 16)}guess`;
    // Five failures for A's key prefix, spread over addresses that each stay under their own limit.
    for (const [i, from] of ['127.0.0.41', '127.0.0.42', '127.0.0.43', '127.0.0.44', '127.0.0.45'].entries()) {
      expect((await send(from, `${guess}${i}`)).status).toBe(401);
    }
    // Those addresses are refused before their key is checked, so guessing stays limited.
    const again = await send('127.0.0.41', a.apiKey);
    expect(again.status).toBe(429);
    expect((await send('127.0.0.50', a.apiKey)).status).toBe(202);
  });

  it('SMTP: 454 for repeated bad AUTH from one address; the right password and other addresses still authenticate', async () => {
    const auth = async (from: string, user: string, pass: string) => {
      const { dialog } = await SmtpDialog.open(h.platform.ports.smtps, { implicitTls: true, localAddress: from });
      try {
        await dialog.command('EHLO client.test');
        return await dialog.command(`AUTH PLAIN ${authPlain(user, pass)}`);
      } finally {
        dialog.close();
      }
    };
    for (let i = 0; i < 3; i++) expect(await auth('127.0.0.11', a.smtp.username, 'wrong')).toMatch(/^535 /);
    expect(await auth('127.0.0.11', a.smtp.username, 'wrong')).toMatch(/^454 /);
    expect(await auth('127.0.0.11', a.smtp.username, a.smtp.password)).toMatch(/^235 /);
    expect(await auth('127.0.0.12', a.smtp.username, a.smtp.password)).toMatch(/^235 /);
    expect(await auth('127.0.0.12', b.smtp.username, b.smtp.password)).toMatch(/^235 /);
    await waitFor(
      async () => (await auth('127.0.0.11', a.smtp.username, 'wrong')).startsWith('535'),
      15_000,
      'limit lifted',
    );
  });

  it('admin API: a guessing address is limited too, the admin token still served', async () => {
    const url = `${h.platform.urls.admin}/admin/v1/pools`;
    for (let i = 0; i < 3; i++)
      expect((await httpFrom('127.0.0.13', url, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await httpFrom('127.0.0.13', url, { headers: { authorization: 'Bearer nope' } })).status).toBe(429);
    expect(
      (await httpFrom('127.0.0.13', url, { headers: { authorization: `Bearer ${h.platform.adminToken}` } })).status,
    ).toBe(200);
    expect(
      (await httpFrom('127.0.0.14', url, { headers: { authorization: `Bearer ${h.platform.adminToken}` } })).status,
    ).toBe(200);
  });
});
