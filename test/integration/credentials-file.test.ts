import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { submissionTransport } from '../support/smtp-client.js';
import { VERP_SENDER } from '../support/verp.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);

interface Download {
  status: number;
  contentType: string | null;
  disposition: string | null;
  cacheControl: string | null;
  text: string;
}

interface CredentialsJson {
  bridge: { id: string; name: string };
  smtp: {
    host: string;
    username: string;
    password: string;
    starttls: { port: number; encryption: string };
    tls: { port: number; encryption: string };
  };
  api: { sendUrl: string; apiKey: string };
}

describe('the credentials file of a Bridge', () => {
  const h = useHarness();
  let dir: string;
  let bridge: any;

  const download = async (
    bridgeId: string,
    query: string,
    token: string | null = h.platform.adminToken,
  ): Promise<Download> => {
    const res = await fetch(`${h.platform.urls.admin}/admin/v1/bridges/${bridgeId}/credentials-file${query}`, {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });
    return {
      status: res.status,
      contentType: res.headers.get('content-type'),
      disposition: res.headers.get('content-disposition'),
      cacheControl: res.headers.get('cache-control'),
      text: await res.text(),
    };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridgemail-credentials-'));
    const pool = await h.platform.createPool('creds', ['127.0.0.2']);
    // Read back with GET: the values the file must agree with.
    const created = await h.platform.createBridge('Crédit Shop', pool.id, { trackOpens: false, trackClicks: false });
    const got = await h.platform.admin('GET', `/admin/v1/bridges/${created.id}`);
    expect(got.status).toBe(200);
    bridge = got.body;
    expect(bridge.smtp.password).toEqual(expect.any(String));
    expect(bridge.apiKey).toMatch(/^bm_/);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('json: an attachment holding the same host, ports, login, API key and send endpoint as GET /bridges/:id', async () => {
    const file = await download(bridge.id, '?format=json');
    expect(file.status).toBe(200);
    expect(file.contentType).toMatch(/^application\/json/);
    expect(file.disposition).toBe('attachment; filename="bridgemail-credit-shop.json"');
    expect(file.cacheControl).toBe('no-store');
    const doc = JSON.parse(file.text) as CredentialsJson;
    expect(doc).toEqual({
      bridge: { id: bridge.id, name: 'Crédit Shop' },
      smtp: {
        host: bridge.smtp.host,
        username: bridge.smtp.username,
        password: bridge.smtp.password,
        starttls: { port: h.platform.ports.smtp, encryption: 'STARTTLS' },
        tls: { port: h.platform.ports.smtps, encryption: 'TLS' },
      },
      api: { sendUrl: `${h.platform.urls.api}/v1/send`, apiKey: bridge.apiKey },
    });
    expect(doc.smtp.starttls.port).toBe(bridge.smtp.port);
    expect(doc.smtp.tls.port).toBe(bridge.smtp.securePort);
    expect(doc.api.sendUrl).toBe(bridge.sendEndpoint);
  });

  it('env: `source`d by bash, it yields the same values', async () => {
    const file = await download(bridge.id, '?format=env');
    expect(file.status).toBe(200);
    expect(file.contentType).toMatch(/^text\/plain/);
    expect(file.disposition).toBe('attachment; filename="bridgemail-credit-shop.env"');
    const path = join(dir, 'bridge.env');
    await writeFile(path, file.text);
    // A clean environment, so every BRIDGEMAIL_* variable comes from the file.
    const { stdout } = await run('bash', ['-c', 'set -a; source "$1"; env -0', 'bash', path], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    const vars = Object.fromEntries(
      stdout
        .split('\0')
        .filter((l) => l.startsWith('BRIDGEMAIL_'))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(vars).toEqual({
      BRIDGEMAIL_BRIDGE_ID: bridge.id,
      BRIDGEMAIL_BRIDGE_NAME: 'Crédit Shop',
      BRIDGEMAIL_SMTP_HOST: bridge.smtp.host,
      BRIDGEMAIL_SMTP_PORT: String(h.platform.ports.smtp),
      BRIDGEMAIL_SMTP_ENCRYPTION: 'STARTTLS',
      BRIDGEMAIL_SMTPS_PORT: String(h.platform.ports.smtps),
      BRIDGEMAIL_SMTPS_ENCRYPTION: 'TLS',
      BRIDGEMAIL_SMTP_USERNAME: bridge.smtp.username,
      BRIDGEMAIL_SMTP_PASSWORD: bridge.smtp.password,
      BRIDGEMAIL_API_KEY: bridge.apiKey,
      BRIDGEMAIL_SEND_URL: bridge.sendEndpoint,
    });
  });

  it('is env when no format is given', async () => {
    const file = await download(bridge.id, '');
    expect(file.status).toBe(200);
    expect(file.disposition).toBe('attachment; filename="bridgemail-credit-shop.env"');
    expect(file.text).toContain(`BRIDGEMAIL_API_KEY=`);
  });

  it('txt: an attachment listing every value', async () => {
    const file = await download(bridge.id, '?format=txt');
    expect(file.status).toBe(200);
    expect(file.contentType).toMatch(/^text\/plain/);
    expect(file.disposition).toBe('attachment; filename="bridgemail-credit-shop.txt"');
    const values = [
      bridge.id,
      'Crédit Shop',
      bridge.smtp.host,
      String(h.platform.ports.smtp),
      String(h.platform.ports.smtps),
      'STARTTLS',
      bridge.smtp.username,
      bridge.smtp.password,
      bridge.apiKey,
      bridge.sendEndpoint,
    ];
    for (const v of values) expect(file.text).toContain(v);
    // Each value stands on its own labelled line.
    const lines = file.text.split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^SMTP password:\\s+${escapeRegExp(bridge.smtp.password)}$`)),
    );
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^API key:\\s+${escapeRegExp(bridge.apiKey)}$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^SMTP port:\\s+${h.platform.ports.smtp}$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^SMTPS port:\\s+${h.platform.ports.smtps}$`)));
  });

  it('refuses an unknown format with 400 VALIDATION_FAILED on `format`', async () => {
    const file = await download(bridge.id, '?format=yaml');
    expect(file.status).toBe(400);
    expect(JSON.parse(file.text)).toMatchObject({ error: { code: 'VALIDATION_FAILED', field: 'format' } });
    expect(file.text).not.toContain(bridge.apiKey);
  });

  it('answers 404 NOT_FOUND for an unknown Bridge', async () => {
    const file = await download('br_doesnotexist0', '?format=json');
    expect(file.status).toBe(404);
    expect(JSON.parse(file.text)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('answers 401 without the admin token, and gives nothing away', async () => {
    const file = await download(bridge.id, '?format=json', null);
    expect(file.status).toBe(401);
    expect(JSON.parse(file.text)).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    expect(file.disposition).toBeNull();
    expect(file.text).not.toContain(bridge.apiKey);
    expect(file.text).not.toContain(bridge.smtp.password);

    const wrong = await download(bridge.id, '?format=json', 'not-the-admin-token');
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.text)).toMatchObject({ error: { code: 'INVALID_CREDENTIALS' } });
    expect(wrong.disposition).toBeNull();
    expect(wrong.text).not.toContain(bridge.apiKey);
  });

  it('answers 410 BRIDGE_DELETED for a deleted Bridge, without a secret', async () => {
    const pool = await h.platform.createPool('creds-deleted', ['127.0.0.3']);
    const doomed = await h.platform.createBridge('doomed', pool.id);
    expect((await h.platform.admin('DELETE', `/admin/v1/bridges/${doomed.id}`)).status).toBe(200);
    const file = await download(doomed.id, '?format=env');
    expect(file.status).toBe(410);
    expect(JSON.parse(file.text)).toMatchObject({ error: { code: 'BRIDGE_DELETED' } });
    expect(file.text).not.toContain(doomed.apiKey);
    expect(file.text).not.toContain(doomed.smtp.password);
  });

  it('the credentials from the file work: one message over SMTP and one over REST reach the sink', async () => {
    const doc = JSON.parse((await download(bridge.id, '?format=json')).text) as CredentialsJson;
    const before = h.sink.messages.length;

    const info = await submissionTransport(doc.smtp.starttls.port, {
      user: doc.smtp.username,
      pass: doc.smtp.password,
    }).sendMail({
      from: 'creds@sender.test',
      to: 'smtp-from-file@example.test',
      subject: 'from the credentials file (SMTP)',
      text: 'hello over SMTP',
    });
    expect(info.response).toMatch(/^250 /);

    const res = await fetch(doc.api.sendUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${doc.api.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        from: 'creds@sender.test',
        to: 'rest-from-file@example.test',
        subject: 'from the credentials file (REST)',
        text: 'hello over REST',
      }),
    });
    expect(res.status).toBe(202);

    const arrived = await waitFor(
      () => {
        const got = h.sink.messages.slice(before);
        const smtp = got.find((m) => m.to.includes('smtp-from-file@example.test'));
        const rest = got.find((m) => m.to.includes('rest-from-file@example.test'));
        return smtp && rest ? { smtp, rest } : undefined;
      },
      20_000,
      'the SMTP and the REST message at the sink',
    );
    expect(h.sink.messages.length).toBe(before + 2);
    expect(arrived.smtp.raw.toString()).toContain('Subject: from the credentials file (SMTP)');
    expect(arrived.rest.raw.toString()).toContain('Subject: from the credentials file (REST)');
    for (const m of [arrived.smtp, arrived.rest]) {
      expect(m.from).toMatch(VERP_SENDER);
      expect(m.remoteAddress).toBe('127.0.0.2');
    }
  });

  it('the implicit-TLS port from the file works too', async () => {
    const doc = JSON.parse((await download(bridge.id, '?format=json')).text) as CredentialsJson;
    const before = h.sink.messages.length;
    const info = await submissionTransport(
      doc.smtp.tls.port,
      { user: doc.smtp.username, pass: doc.smtp.password },
      true,
    ).sendMail({
      from: 'creds@sender.test',
      to: 'smtps-from-file@example.test',
      subject: 'from the credentials file (SMTPS)',
      text: 'hello over implicit TLS',
    });
    expect(info.response).toMatch(/^250 /);
    await waitFor(
      () => h.sink.messages.slice(before).find((m) => m.to.includes('smtps-from-file@example.test')),
      20_000,
      'SMTPS message',
    );
  });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
