import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { httpFrom } from '../support/http-client.js';
import { authPlain, SmtpDialog } from '../support/smtp-client.js';
import { waitFor } from '../support/wait.js';

/**
 * Wrong credentials from one address (a stale key behind a NAT, a typo) never lock
 * out the right ones from that address; failing attempts stay limited, and operators see and lift
 * the blocks. Default limits (10 per address, 20 per principal, 5 minutes).
 */
describe('a few wrong credentials never lock out the right ones', () => {
  const h = useHarness();
  let a: any;
  let b: any;
  let c: any;
  const FROM = '127.0.0.1';
  const message = (to: string) => ({ from: 'app@sender.test', to, subject: 's', text: 't' });
  const send = (from: string, key: string, to = 'x@example.test') =>
    httpFrom(from, `${h.platform.urls.api}/v1/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: message(to),
    });
  const adminGet = (from: string, token: string, path = '/admin/v1/pools') =>
    httpFrom(from, `${h.platform.urls.admin}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const smtpAuth = async (from: string, user: string, pass: string) => {
    const { dialog } = await SmtpDialog.open(h.platform.ports.smtps, { implicitTls: true, localAddress: from });
    await dialog.command('EHLO client.test');
    return { dialog, reply: await dialog.command(`AUTH PLAIN ${authPlain(user, pass)}`) };
  };
  const badSmtp = async (from: string, user: string, pass: string) => {
    const { dialog, reply } = await smtpAuth(from, user, pass);
    dialog.close();
    return reply;
  };
  const metric = async (name: string, transport: string) => {
    const text = await (await fetch(`http://127.0.0.1:${h.platform.ports.ops}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`transport="${transport}"`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  beforeAll(async () => {
    const pool = await h.platform.createPool('lockout', ['127.0.0.2']);
    a = await h.platform.createBridge('a', pool.id);
    b = await h.platform.createBridge('b', pool.id);
    c = await h.platform.createBridge('c', pool.id);
  });

  it('50 failures from 127.0.0.1, then the valid API key → 202, SMTP login → 235 and delivery, admin token → 200', async () => {
    // 20 unknown API keys, 15 wrong passwords for A's SMTP user, 15 wrong admin tokens (API and console).
    for (let i = 0; i < 20; i++)
      expect([401, 429]).toContain((await send(FROM, `bm_stale${i}${'x'.repeat(24)}`)).status);
    for (let i = 0; i < 15; i++) expect(await badSmtp(FROM, a.smtp.username, `wrong-${i}`)).toMatch(/^(535|454) /);
    for (let i = 0; i < 10; i++) expect([401, 429]).toContain((await adminGet(FROM, `nope-${i}`)).status);
    for (let i = 0; i < 5; i++) {
      const res = await httpFrom(FROM, `${h.platform.urls.admin}/console/api/login`, {
        method: 'POST',
        body: { token: `nope-${i}` },
      });
      expect([401, 429]).toContain(res.status);
    }
    // Failing attempts are limited...
    expect((await send(FROM, `bm_stale-again${'x'.repeat(24)}`)).status).toBe(429);
    expect(await badSmtp(FROM, a.smtp.username, 'wrong-again')).toMatch(/^454 /);
    expect((await adminGet(FROM, 'nope-again')).status).toBe(429);

    // ...the right credentials from the same address are served.
    const to = `after-lockout-${Date.now()}@example.test`;
    expect((await send(FROM, a.apiKey, `api-${to}`)).status).toBe(202);
    expect((await send(FROM, b.apiKey)).status).toBe(202);
    const { dialog, reply } = await smtpAuth(FROM, a.smtp.username, a.smtp.password);
    try {
      expect(reply).toMatch(/^235 /);
      expect(await dialog.command('MAIL FROM:<app@sender.test>')).toMatch(/^250 /);
      expect(await dialog.command(`RCPT TO:<${to}>`)).toMatch(/^250 /);
      expect(await dialog.command('DATA')).toMatch(/^354 /);
      dialog.write(
        `From: app@sender.test\r\nTo: ${to}\r\nSubject: after lockout\r\nMessage-ID: <lockout@sender.test>\r\nDate: ${new Date().toUTCString()}\r\n\r\nhello\r\n.\r\n`,
      );
      expect(await dialog.readReply()).toMatch(/^250 /);
    } finally {
      dialog.close();
    }
    expect(await badSmtp(FROM, b.smtp.username, b.smtp.password)).toMatch(/^235 /);
    expect((await adminGet(FROM, h.platform.adminToken)).status).toBe(200);
    const login = await httpFrom(FROM, `${h.platform.urls.admin}/console/api/login`, {
      method: 'POST',
      body: { token: h.platform.adminToken },
    });
    expect(login.status).toBe(200);
    await waitFor(() => h.sink.messages.some((m) => m.to.includes(to)), 60_000, 'the SMTP message delivered');
    await waitFor(() => h.sink.messages.some((m) => m.to.includes(`api-${to}`)), 60_000, 'the REST message delivered');
  });

  it('operators see the blocks (warn log, metrics, GET /admin/v1/auth-blocks) and lift one with DELETE', async () => {
    const from = '127.0.0.30';
    const failuresBefore = await metric('bridgemail_auth_failures_total', 'api');
    const refusalsBefore = await metric('bridgemail_auth_refusals_total', 'api');
    // Keys of distinct prefixes: the address is limited, no (address, key prefix) pair is.
    const secret = (i: number | string) => `bm_${i}${'s3cret'.repeat(5)}`;
    for (let i = 0; i < 11; i++) await send(from, secret(i));
    expect(await metric('bridgemail_auth_failures_total', 'api')).toBe(failuresBefore + 11);
    expect(await metric('bridgemail_auth_refusals_total', 'api')).toBe(refusalsBefore + 1);
    const warned = h.platform.logs.filter((l) => l.includes('authentication failures limited') && l.includes(from));
    expect(warned.length).toBeGreaterThan(0);
    expect(warned.join('')).toMatch(/"level":40/);
    expect(warned.join('')).not.toContain(secret(0).slice(0, 12));

    const list = await h.platform.admin('GET', '/admin/v1/auth-blocks');
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(secret(0).slice(0, 12));
    const block = list.body.data.find((x: any) => x.address === from && x.kind === 'address');
    expect(block).toMatchObject({ plane: 'send', kind: 'address', address: from, failures: 11 });
    expect(Date.parse(block.expiresAt)).toBeGreaterThan(Date.now());
    expect(block.id).not.toContain(from);

    expect((await send(from, secret('x'))).status).toBe(429);
    expect((await h.platform.admin('DELETE', `/admin/v1/auth-blocks/${block.id}`)).status).toBe(204);
    expect((await send(from, secret('y'))).status).toBe(401);
    const after = await h.platform.admin('GET', '/admin/v1/auth-blocks');
    expect(after.body.data.map((x: any) => x.id)).not.toContain(block.id);
    const missing = await h.platform.admin('DELETE', `/admin/v1/auth-blocks/${block.id}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
  });

  it('the send plane and the admin plane count apart; guessing the admin token from two addresses blocks it there only', async () => {
    for (const from of ['127.0.0.40', '127.0.0.41']) for (let i = 0; i < 11; i++) await adminGet(from, `nope-${i}`);
    expect((await adminGet('127.0.0.40', 'nope-again')).status).toBe(429);
    // Refused unchecked: these addresses guessed the admin token and never authenticated with it.
    expect((await adminGet('127.0.0.41', h.platform.adminToken)).status).toBe(429);
    expect((await send('127.0.0.40', `bm_plane${'x'.repeat(24)}`)).status).toBe(401);
    expect(await badSmtp('127.0.0.40', 'nobody-here', 'wrong')).toMatch(/^535 /);
    // The operator (127.0.0.1, served before) and addresses that never failed are served.
    const list = await h.platform.admin('GET', '/admin/v1/auth-blocks');
    expect(list.status).toBe(200);
    expect((await adminGet('127.0.0.42', h.platform.adminToken)).status).toBe(200);
    expect(list.body.data).toContainEqual(
      expect.objectContaining({ plane: 'admin', kind: 'principal', address: null, principal: 'admin token' }),
    );
    expect(
      list.body.data.filter((x: any) => x.plane === 'send' && ['127.0.0.40', '127.0.0.41'].includes(x.address)),
    ).toEqual([]);
  });

  it("guessing one Bridge's SMTP password from many addresses stays limited; its real clients are served", async () => {
    const guessers = Array.from({ length: 5 }, (_, i) => `127.0.0.${60 + i}`);
    // The last one is also a real client of C (a shared NAT): it authenticated before.
    expect(await badSmtp(guessers[4]!, c.smtp.username, c.smtp.password)).toMatch(/^235 /);
    // 20 failures for C's username (the principal limit), four from each of five addresses.
    for (const from of guessers)
      for (let i = 0; i < 4; i++) expect(await badSmtp(from, c.smtp.username, `guess-${i}`)).toMatch(/^535 /);
    // A guessing address is refused without its guess being checked, the right password included.
    expect(await badSmtp(guessers[0]!, c.smtp.username, c.smtp.password)).toMatch(/^454 /);
    const blocks = (await h.platform.admin('GET', '/admin/v1/auth-blocks')).body.data;
    expect(blocks).toContainEqual(
      expect.objectContaining({ plane: 'send', kind: 'principal', principal: c.smtp.username, failures: 20 }),
    );
    // C's clients that never failed, B from a guessing address, and C from the address it was served at
    // before authenticate; that address's wrong guesses are refused.
    expect(await badSmtp('127.0.0.70', c.smtp.username, c.smtp.password)).toMatch(/^235 /);
    expect(await badSmtp(guessers[1]!, b.smtp.username, b.smtp.password)).toMatch(/^235 /);
    expect(await badSmtp(guessers[4]!, c.smtp.username, c.smtp.password)).toMatch(/^235 /);
    expect(await badSmtp(guessers[4]!, c.smtp.username, 'guess-again')).toMatch(/^454 /);
  });
});
