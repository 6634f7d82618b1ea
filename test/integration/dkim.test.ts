import { generateKeyPairSync } from 'node:crypto';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { simpleParser } from 'mailparser';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { submissionTransport } from '../support/smtp-client.js';
import { waitFor } from '../support/wait.js';

// Both thread layouts: delivery on its own thread with copies on a copy thread (the default on a
// multi-core machine), and everything on the main thread.
const LAYOUTS = [
  { name: 'delivery and copy threads', env: { BRIDGEMAIL_DELIVERY_THREAD: '1', BRIDGEMAIL_COPY_THREADS: '1' } },
  { name: 'all on the main thread', env: { BRIDGEMAIL_DELIVERY_THREAD: '0', BRIDGEMAIL_COPY_THREADS: '0' } },
];

describe.each(LAYOUTS)('DKIM signing per sending domain ($name)', ({ env }) => {
  const h = useHarness({ BRIDGEMAIL_TRACKING_SCANNER_WINDOW_MS: '0', ...env });
  const dns = new Map<string, string>();
  /** A resolver we control: answers the TXT records the admin API told us to publish. */
  const resolver = async (name: string, rr: string) => {
    const value = rr === 'TXT' ? dns.get(name) : undefined;
    if (!value) throw Object.assign(new Error(`no ${rr} for ${name}`), { code: 'ENOTFOUND' });
    return [[value]];
  };
  const verify = async (raw: Buffer) => (await dkimVerify(raw, { resolver: resolver })).results;
  let poolId: string;

  beforeAll(async () => {
    poolId = (await h.platform.createPool('dkim', ['127.0.0.2'])).id;
  });

  it('generates a 2048-bit key, answers the DNS record, and signs mail from that domain (relaxed/relaxed)', async () => {
    const created = await h.platform.admin('POST', '/admin/v1/domains', { domain: 'Signed.Example' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      domain: 'signed.example',
      selector: 'bm1',
      dnsRecord: { name: 'bm1._domainkey.signed.example', type: 'TXT' },
    });
    expect(created.body.dnsRecord.value).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$/);
    expect(JSON.stringify(created.body)).not.toMatch(/PRIVATE KEY/);
    dns.set(created.body.dnsRecord.name, created.body.dnsRecord.value);

    const bridge = await h.platform.createBridge('plain', poolId);
    const res = await h.platform.send(bridge.apiKey, {
      from: 'News <news@signed.example>',
      to: 'plain@example.test',
      subject: 'signed',
      text: 'hello',
      html: '<p>hello</p>',
    });
    expect(res.status).toBe(202);
    const got = await waitFor(
      () => h.sink.messages.find((m) => m.to.includes('plain@example.test')),
      20_000,
      'signed mail',
    );
    expect(got.raw.toString()).toMatch(/^DKIM-Signature: /);
    const results = await verify(got.raw);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ signingDomain: 'signed.example', selector: 'bm1', status: { result: 'pass' } });
    expect(got.raw.toString().split(/\r?\n\r?\n/)[0]).toMatch(/c=relaxed\/relaxed/);
  });

  it('signs after the tracking rewrite, so the signature verifies on the tracked copy', async () => {
    const bridge = await h.platform.createBridge('tracked', poolId, { trackOpens: true, trackClicks: true });
    const transport = submissionTransport(h.platform.ports.smtp, {
      user: bridge.smtp.username,
      pass: bridge.smtp.password,
    });
    await transport.sendMail({
      from: 'news@signed.example',
      to: 'tracked@example.test',
      subject: 'tracked and signed',
      html: '<html><body><a href="https://signed.example/deal?x=1">deal</a></body></html>',
    });
    const got = await waitFor(
      () => h.sink.messages.find((m) => m.to.includes('tracked@example.test')),
      20_000,
      'tracked mail',
    );
    const html = String((await simpleParser(got.raw)).html);
    expect(html).toContain('/t/c/');
    expect(html).toContain('/t/o/');
    const results = await verify(got.raw);
    expect(results[0]?.status.result).toBe('pass');
  });

  it('imports an Ed25519 key, refuses bad keys and duplicate domains, and stops signing once deleted', async () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const created = await h.platform.admin('POST', '/admin/v1/domains', {
      domain: 'ed.example',
      selector: 'ed1',
      privateKey: pem,
    });
    expect(created.status).toBe(201);
    expect(created.body.dnsRecord.value).toMatch(/^v=DKIM1; k=ed25519; p=/);
    dns.set(created.body.dnsRecord.name, created.body.dnsRecord.value);
    expect((await h.platform.admin('POST', '/admin/v1/domains', { domain: 'ed.example' })).body.error.code).toBe(
      'CONFLICT',
    );
    expect(
      (await h.platform.admin('POST', '/admin/v1/domains', { domain: 'bad.example', privateKey: 'nope' })).body.error,
    ).toMatchObject({ code: 'VALIDATION_FAILED', field: 'privateKey' });
    expect((await h.platform.admin('POST', '/admin/v1/domains', { domain: 'not a domain' })).body.error.field).toBe(
      'domain',
    );

    const bridge = await h.platform.createBridge('ed', poolId);
    await h.platform.send(bridge.apiKey, { from: 'a@ed.example', to: 'ed@example.test', subject: 'ed', text: 'x' });
    const got = await waitFor(() => h.sink.messages.find((m) => m.to.includes('ed@example.test')), 20_000, 'ed mail');
    expect((await verify(got.raw))[0]).toMatchObject({ signingDomain: 'ed.example', status: { result: 'pass' } });

    expect((await h.platform.admin('DELETE', `/admin/v1/domains/${created.body.id}`)).status).toBe(200);
    await h.platform.send(bridge.apiKey, {
      from: 'a@ed.example',
      to: 'ed-after@example.test',
      subject: 'ed',
      text: 'x',
    });
    const after = await waitFor(
      () => h.sink.messages.find((m) => m.to.includes('ed-after@example.test')),
      20_000,
      'unsigned mail',
    );
    expect(after.raw.toString()).not.toMatch(/DKIM-Signature/i);
    // A domain without a key is sent unsigned.
    await h.platform.send(bridge.apiKey, {
      from: 'a@unsigned.example',
      to: 'unsigned@example.test',
      subject: 'u',
      text: 'x',
    });
    const unsigned = await waitFor(
      () => h.sink.messages.find((m) => m.to.includes('unsigned@example.test')),
      20_000,
      'unsigned',
    );
    expect(unsigned.raw.toString()).not.toMatch(/DKIM-Signature/i);
  });

  it("never signs with another account's key: a domain's key signs for its own account's Bridges", async () => {
    const account = await h.platform.admin('POST', '/admin/v1/accounts', { name: `other-${poolId}` });
    const theirs = await h.platform.createBridge('other-account', poolId, { accountId: account.body.id });
    expect(theirs.accountId).toBe(account.body.id);
    // signed.example (the first case's) is the default account's.
    await h.platform.send(theirs.apiKey, {
      from: 'a@signed.example',
      to: 'foreign@example.test',
      subject: 'f',
      text: 'x',
    });
    const foreign = await waitFor(
      () => h.sink.messages.find((m) => m.to.includes('foreign@example.test')),
      20_000,
      'foreign',
    );
    expect(foreign.raw.toString()).not.toMatch(/DKIM-Signature/i);
  });
});
