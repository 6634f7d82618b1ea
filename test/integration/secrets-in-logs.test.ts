import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMasterKey } from '../../core/index.js';
import { useHarness } from '../support/harness.js';
import { authPlain, SmtpDialog } from '../support/smtp-client.js';
import { waitFor } from '../support/wait.js';

/*
 * Secrets never reach the logs: a full run at debug level — Pools, Bridges, credential rotation,
 * a DKIM key, a webhook, sends by REST and by SMTP AUTH PLAIN and LOGIN,
 * failed logins with wrong passwords, a console login — then every secret the run created or
 * typed, in the forms it travelled in (base64 of SMTP AUTH, PEM lines), is looked for in every
 * log line the platform wrote.
 */

/** The secrets of the run, by what they are. */
class Secrets {
  readonly entries: { label: string; value: string }[] = [];

  add(label: string, value: string | undefined): void {
    if (!value) throw new Error(`no value for ${label}`);
    // Short strings would match by accident; every secret here is much longer.
    if (value.length < 12) throw new Error(`${label} is too short to look for`);
    this.entries.push({ label, value });
  }

  /** A password and the forms SMTP AUTH carries it in (PLAIN `\0user\0pass`, LOGIN base64). */
  addPassword(label: string, username: string, password: string): void {
    this.add(label, password);
    this.add(`${label} (base64)`, Buffer.from(password).toString('base64'));
    this.add(`${label} (AUTH PLAIN)`, authPlain(username, password));
    this.add(`${label} (AUTH PLAIN, no authzid separator)`, Buffer.from(`${username}\0${password}`).toString('base64'));
  }

  /** A PEM key: each base64 line and the whole body. */
  addPem(label: string, pem: string): void {
    const lines = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
    this.add(`${label} (body)`, lines.join(''));
    for (const [i, line] of lines.entries()) if (line.length >= 40) this.add(`${label} (line ${i + 1})`, line);
  }

  /** Labels of the secrets found in `text`, with some context. */
  foundIn(lines: string[]): string[] {
    const hits: string[] = [];
    for (const { label, value } of this.entries) {
      const line = lines.find((l) => l.includes(value) || l.includes(JSON.stringify(value).slice(1, -1)));
      if (line) {
        const at = Math.max(0, line.indexOf(value) - 120);
        hits.push(`${label}: …${line.slice(at, at + 300)}…`);
      }
    }
    return hits;
  }
}

const WEBHOOK_URL_PASSWORD = 'password in a webhook URL';

describe('no secret in the logs of a full run at debug level', () => {
  const h = useHarness({
    BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE: '1',
    BRIDGEMAIL_TRACKING_SCANNER_WINDOW_MS: '0',
    // The run fails a few logins on purpose; none of them may lock it out.
    BRIDGEMAIL_AUTH_FAIL_PER_ADDRESS: '1000',
    BRIDGEMAIL_AUTH_FAIL_PER_PRINCIPAL: '1000',
  });
  const secrets = new Secrets();
  let ran = false;
  const hooks: { headers: IncomingMessage['headers']; body: string }[] = [];
  let receiver: Server;
  let hookUrl: string;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hooks.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  });

  const smtp = (user: string, pass: string, authMethod: 'PLAIN' | 'LOGIN', implicitTls = false) =>
    nodemailer.createTransport({
      host: '127.0.0.1',
      port: implicitTls ? h.platform.ports.smtps : h.platform.ports.smtp,
      secure: implicitTls,
      requireTLS: !implicitTls,
      auth: { user, pass },
      authMethod,
      tls: { rejectUnauthorized: false },
    });

  /** Opens a STARTTLS session ready for AUTH. */
  const dialog = async () => {
    const { dialog: d } = await SmtpDialog.open(h.platform.ports.smtp);
    await d.command('EHLO client.test');
    await d.startTls();
    await d.command('EHLO client.test');
    return d;
  };

  it('runs everything that handles a secret, at debug level', async () => {
    const p = h.platform;
    const delivered: string[] = [];

    // Secrets of the installation itself.
    secrets.add('admin token', p.adminToken);
    const masterKeyText = (await readFile(join(p.dataDir, 'master.key'), 'utf8')).trim();
    secrets.add('master key (file)', masterKeyText);
    const masterKey = parseMasterKey(masterKeyText);
    secrets.add('master key (hex)', masterKey.toString('hex'));
    secrets.add('master key (base64)', masterKey.toString('base64'));
    const adminTokenFile = await readFile(join(p.dataDir, 'admin-token'), 'utf8').catch(() => undefined);
    if (adminTokenFile) secrets.add('admin token (file)', adminTokenFile.trim());
    const tlsKey = await readFile(join(p.dataDir, 'tls', 'smtp-key.pem'), 'utf8').catch(() => undefined);
    if (tlsKey) secrets.addPem('SMTP TLS private key', tlsKey);

    // Pool, two Bridges (one tracking opens and clicks), their credentials read back every way.
    const pool = await p.createPool('secrets', ['127.0.0.2']);
    const a = await p.createBridge('secrets-a', pool.id, { trackOpens: true, trackClicks: true });
    const b = await p.createBridge('secrets-b', pool.id);
    for (const [name, br] of [
      ['A', a],
      ['B', b],
    ] as const) {
      secrets.addPassword(`Bridge ${name} SMTP password (first)`, br.smtp.username, br.smtp.password);
      secrets.add(`Bridge ${name} API key (first)`, br.apiKey);
      expect((await p.admin('GET', `/admin/v1/bridges/${br.id}`)).body.apiKey).toBe(br.apiKey);
      for (const format of ['env', 'json', 'txt']) {
        const file = await fetch(`${p.urls.admin}/admin/v1/bridges/${br.id}/credentials-file?format=${format}`, {
          headers: { authorization: `Bearer ${p.adminToken}` },
        });
        expect(file.status).toBe(200);
        expect(await file.text()).toContain(br.smtp.password);
      }
      expect((await p.admin('GET', `/admin/v1/bridges/${br.id}/samples`)).status).toBe(200);
    }

    // A DKIM key we know (imported), so its material can be looked for; and a generated one.
    const dkim = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    secrets.addPem('DKIM private key (imported)', dkim);
    expect(
      (await p.admin('POST', '/admin/v1/domains', { domain: 'sender.test', selector: 'bm1', privateKey: dkim })).status,
    ).toBe(201);
    expect((await p.admin('POST', '/admin/v1/domains', { domain: 'other-sender.test' })).status).toBe(201);

    // A webhook on Bridge A: its signing secret signs every delivery below.
    const created = await p.admin('POST', `/admin/v1/bridges/${a.id}/webhooks`, {
      url: hookUrl,
      eventTypes: ['queued', 'delivered', 'clicked', 'opened'],
    });
    expect(created.status).toBe(201);
    secrets.add('webhook signing secret', created.body.secret);

    // A webhook whose URL carries credentials, on a port nobody listens on: its failures are logged.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const hookPassword = `hookpw-${randomBytes(16).toString('hex')}`;
    secrets.add(WEBHOOK_URL_PASSWORD, hookPassword);
    const withCreds = await p.admin('POST', `/admin/v1/bridges/${a.id}/webhooks`, {
      url: `http://hookuser:${hookPassword}@127.0.0.1:${closedPort}/hooks`,
      eventTypes: ['queued'],
    });
    // Refusing such a URL is fine too; accepted, its deliveries fail and are logged below.
    if (withCreds.status === 400) expect(withCreds.body.error.field).toBe('url');
    else {
      expect(withCreds.status).toBe(201);
      secrets.add('webhook signing secret (URL with credentials)', withCreds.body.secret);
    }

    // Rotation: both of A, the SMTP password of B. Old and new values are all secrets.
    const rotatedA = (await p.admin('POST', `/admin/v1/bridges/${a.id}/rotate`, { what: 'both' })).body;
    const rotatedB = (await p.admin('POST', `/admin/v1/bridges/${b.id}/rotate`, { what: 'smtp' })).body;
    expect(rotatedA.apiKey).not.toBe(a.apiKey);
    expect(rotatedB.smtp.password).not.toBe(b.smtp.password);
    secrets.addPassword('Bridge A SMTP password (rotated)', rotatedA.smtp.username, rotatedA.smtp.password);
    secrets.add('Bridge A API key (rotated)', rotatedA.apiKey);
    secrets.addPassword('Bridge B SMTP password (rotated)', rotatedB.smtp.username, rotatedB.smtp.password);

    // REST: a send with HTML (DKIM-signed, tracked), a batch, the old key, a wrong key.
    const send = async (key: string, to: string) =>
      fetch(`${p.urls.api}/v1/send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          from: 'Shop <shop@sender.test>',
          to,
          subject: 'receipt',
          text: 'thanks',
          html: '<p>Thanks, <a href="https://shop.example/order">your order</a></p>',
        }),
      });
    expect((await send(rotatedA.apiKey, 'rest@example.test')).status).toBe(202);
    delivered.push('rest@example.test');
    const batch = await fetch(`${p.urls.api}/v1/send/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${b.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ from: 'app@other-sender.test', to: 'batch@example.test', subject: 'b', text: 'b' }]),
    });
    expect(batch.status).toBe(200);
    delivered.push('batch@example.test');
    expect((await send(a.apiKey, 'old-key@example.test')).status).toBe(401);
    const wrongKey = `bm_${randomBytes(32).toString('base64url')}`;
    secrets.add('wrong API key (attempt)', wrongKey);
    expect((await send(wrongKey, 'wrong-key@example.test')).status).toBe(401);
    // A key in the wrong header form, and as a query string: still never logged.
    expect(
      (
        await fetch(`${p.urls.api}/v1/send?api_key=${rotatedA.apiKey}`, {
          method: 'POST',
          headers: { authorization: `Basic ${Buffer.from(`x:${rotatedA.apiKey}`).toString('base64')}` },
        })
      ).status,
    ).toBe(401);
    secrets.add('Bridge A API key (rotated, Basic)', Buffer.from(`x:${rotatedA.apiKey}`).toString('base64'));

    // SMTP: AUTH PLAIN (587 STARTTLS and 465) and AUTH LOGIN with the current passwords.
    const info1 = await smtp(rotatedA.smtp.username, rotatedA.smtp.password, 'PLAIN').sendMail({
      from: 'shop@sender.test',
      to: 'smtp-plain@example.test',
      subject: 's',
      text: 't',
    });
    expect(info1.response).toMatch(/^250 /);
    const info2 = await smtp(rotatedB.smtp.username, rotatedB.smtp.password, 'LOGIN').sendMail({
      from: 'app@other-sender.test',
      to: 'smtp-login@example.test',
      subject: 's',
      text: 't',
    });
    expect(info2.response).toMatch(/^250 /);
    const info3 = await smtp(rotatedA.smtp.username, rotatedA.smtp.password, 'PLAIN', true).sendMail({
      from: 'shop@sender.test',
      to: 'smtps@example.test',
      subject: 's',
      text: 't',
    });
    expect(info3.response).toMatch(/^250 /);
    delivered.push('smtp-plain@example.test', 'smtp-login@example.test', 'smtps@example.test');

    // SMTP: failed logins — old passwords, near-miss and random wrong passwords, both mechanisms.
    const wrong = [`${rotatedA.smtp.password}x`, `wrong-${randomBytes(18).toString('base64url')}`];
    wrong.forEach((w, i) => secrets.addPassword(`wrong SMTP password ${i + 1} (attempt)`, rotatedA.smtp.username, w));
    await expect(
      smtp(rotatedA.smtp.username, wrong[0]!, 'PLAIN').sendMail({
        from: 'shop@sender.test',
        to: 'x@example.test',
        subject: 's',
        text: 't',
      }),
    ).rejects.toThrow(/535/);
    await expect(
      smtp(rotatedA.smtp.username, a.smtp.password, 'LOGIN').sendMail({
        from: 'shop@sender.test',
        to: 'x@example.test',
        subject: 's',
        text: 't',
      }),
    ).rejects.toThrow(/535/);
    {
      const d = await dialog();
      expect(await d.command(`AUTH PLAIN ${authPlain(rotatedA.smtp.username, wrong[1]!)}`)).toMatch(/^535/);
      // PLAIN without an initial response: the credentials come on their own line.
      expect(await d.command('AUTH PLAIN')).toMatch(/^334/);
      expect(await d.command(authPlain(rotatedB.smtp.username, b.smtp.password))).toMatch(/^535/);
      expect(await d.command('AUTH LOGIN')).toMatch(/^334/);
      expect(await d.command(Buffer.from(rotatedA.smtp.username).toString('base64'))).toMatch(/^334/);
      expect(await d.command(Buffer.from(wrong[1]!).toString('base64'))).toMatch(/^535/);
      // A malformed PLAIN blob that still carries the password.
      expect(await d.command(`AUTH PLAIN ${Buffer.from(`${rotatedA.smtp.password}`).toString('base64')}`)).toMatch(
        /^5/,
      );
      // And finally the right one on the same connection.
      expect(await d.command(`AUTH PLAIN ${authPlain(rotatedA.smtp.username, rotatedA.smtp.password)}`)).toMatch(
        /^235/,
      );
      d.close();
    }

    // Console: a failed and a good login, a change with the session cookie and its CSRF token.
    const wrongToken = randomBytes(32).toString('hex');
    secrets.add('wrong admin token (attempt)', wrongToken);
    const failedLogin = await fetch(`${p.urls.admin}/console/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: wrongToken }),
    });
    expect(failedLogin.status).toBe(401);
    expect(
      (await fetch(`${p.urls.admin}/admin/v1/pools`, { headers: { authorization: `Bearer ${wrongToken}` } })).status,
    ).toBe(401);
    const login = await fetch(`${p.urls.admin}/console/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: p.adminToken }),
    });
    expect(login.status).toBe(200);
    const session = (await login.json()) as { csrfToken: string };
    const cookie = login.headers
      .getSetCookie()
      .find((c) => c.startsWith('bm_session='))!
      .split(';')[0]!;
    secrets.add('console session cookie', cookie.slice('bm_session='.length));
    secrets.add('console CSRF token', session.csrfToken);
    const viaConsole = await fetch(`${p.urls.admin}/admin/v1/suppressions`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': session.csrfToken, 'content-type': 'application/json' },
      body: JSON.stringify({ address: 'console-added@example.test' }),
    });
    expect(viaConsole.status).toBe(201);
    expect(
      (
        await fetch(`${p.urls.admin}/admin/v1/suppressions`, {
          method: 'POST',
          headers: { cookie, 'x-csrf-token': 'wrong', 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
    ).toBe(403);
    expect((await fetch(`${p.urls.admin}/admin/v1/bridges/${a.id}`, { headers: { cookie } })).status).toBe(200);

    // Everything delivered (signed with DKIM, tracked), a click followed, webhooks signed and sent.
    await waitFor(
      () => delivered.every((to) => h.sink.messages.some((m) => m.to.includes(to))),
      30_000,
      'every message at the sink',
    );
    const rest = h.sink.messages.find((m) => m.to.includes('rest@example.test'))!;
    expect(rest.raw.toString()).toMatch(/^DKIM-Signature: .*d=sender\.test/m);
    const link = /href="([^"]*\/t\/c\/[^"]+)"/.exec(
      rest.raw.toString().replace(/=\r\n/g, '').replace(/=3D/g, '='),
    )?.[1];
    expect(link).toBeDefined();
    expect(
      (
        await fetch(link!, {
          redirect: 'manual',
          headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0' },
        })
      ).status,
    ).toBe(302);
    await waitFor(
      () => hooks.some((x) => x.body.includes('"clicked"')) && hooks.some((x) => x.body.includes('"delivered"')),
      30_000,
      'webhook deliveries',
    );
    expect(hooks.every((x) => typeof x.headers['bridgemail-signature'] === 'string')).toBe(true);
    if (withCreds.status === 201)
      await waitFor(
        () => p.logs.some((l) => l.includes('webhook delivery failed')),
        30_000,
        'a failed webhook delivery logged',
      );

    // The logs are real and cover what ran (debug level).
    const logs = p.logs;
    const text = logs.join('');
    for (const expected of ['"msg":"accepted"', '"msg":"console login"', '"msg":"control-plane change"', '"level":20'])
      expect(text).toContain(expected);
    console.log(
      `[secrets-in-logs] ${secrets.entries.length} secret forms looked for in ${logs.length} log lines (${text.length} chars)`,
    );

    ran = true;
  }, 120_000);

  it('finds no credential, key, token or session secret of the run in any log line', () => {
    expect(ran).toBe(true);
    expect(secrets.foundIn(h.platform.logs).filter((hit) => !hit.startsWith(WEBHOOK_URL_PASSWORD))).toEqual([]);
  });

  it('finds no password of a webhook URL in any log line', () => {
    expect(ran).toBe(true);
    expect(secrets.foundIn(h.platform.logs).filter((hit) => hit.startsWith(WEBHOOK_URL_PASSWORD))).toEqual([]);
  });
});
