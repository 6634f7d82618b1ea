import { beforeAll, describe, expect, it } from 'vitest';
import { BridgeAuthCache, listenToControl, createLogger } from '../../core/index.js';
import { useHarness } from '../support/harness.js';
import { authPlain, mailFromRefusedWithin, SmtpDialog, submissionTransport } from '../support/smtp-client.js';
import { waitFor } from '../support/wait.js';

describe('one Bridge rotated, revoked or deleted; its sibling never notices', () => {
  // The first attempt for anything addressed to slow@ is deferred, so mail can still be queued
  // when its Bridge is deleted.
  const h = useHarness({}, (rcpt, n) =>
    rcpt.startsWith('slow') && n === 1 ? { code: 451, message: '4.7.1 try later' } : undefined,
  );
  let poolId: string;
  let a: any;
  let b: any;

  const smtpSend = (
    bridge: { smtp: { username: string } },
    password: string,
    port: number,
    implicitTls: boolean,
    to: string,
  ) =>
    submissionTransport(port, { user: bridge.smtp.username, pass: password }, implicitTls).sendMail({
      from: 'app@sender.test',
      to,
      subject: 'isolation',
      text: 'hello',
    });
  const smtpCode = async (bridge: any, password: string, port: number, implicitTls: boolean) => {
    try {
      await smtpSend(bridge, password, port, implicitTls, 'x@example.test');
      return 250;
    } catch (err) {
      return (err as { responseCode?: number }).responseCode ?? -1;
    }
  };
  const restSend = async (apiKey: string) => {
    const res = await h.platform.send(apiKey, {
      from: 'app@sender.test',
      to: 'x@example.test',
      subject: 's',
      text: 't',
    });
    const body = (await res.json()) as any;
    return { status: res.status, code: body?.error?.code as string | undefined };
  };
  const admin = (method: string, path: string, body?: unknown) =>
    h.platform.admin(method, `/admin/v1/bridges/${path}`, body);

  beforeAll(async () => {
    poolId = (await h.platform.createPool('shared', ['127.0.0.2'])).id;
    a = await h.platform.createBridge('app-a', poolId);
    b = await h.platform.createBridge('app-b', poolId);
  });

  it("rotating A's SMTP password refuses the old one on 587 and 465 and leaves B alone", async () => {
    const old = a.smtp.password;
    const rotated = await admin('POST', `${a.id}/rotate`, { what: 'smtp' });
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.smtp.password;
    expect(fresh).not.toBe(old);
    expect(rotated.body.apiKey).toBe(a.apiKey);
    for (const [port, tls] of [
      [h.platform.ports.smtp, false],
      [h.platform.ports.smtps, true],
    ] as const) {
      expect(await smtpCode(a, old, port, tls)).toBe(535);
      expect(await smtpCode(a, fresh, port, tls)).toBe(250);
      expect(await smtpCode(b, b.smtp.password, port, tls)).toBe(250);
    }
    a.smtp.password = fresh;
  });

  it("rotating A's API key refuses the old key and leaves B alone", async () => {
    const old = a.apiKey;
    const rotated = await admin('POST', `${a.id}/rotate`, { what: 'api' });
    expect(rotated.body.apiKey).not.toBe(old);
    expect(rotated.body.smtp.password).toBe(a.smtp.password);
    expect(await restSend(old)).toEqual({ status: 401, code: 'INVALID_CREDENTIALS' });
    expect((await restSend(rotated.body.apiKey)).status).toBe(202);
    expect((await restSend(b.apiKey)).status).toBe(202);
    a.apiKey = rotated.body.apiKey;
  });

  it('revoking refuses that transport until a rotation, and B keeps sending', async () => {
    expect((await admin('POST', `${a.id}/revoke`, { what: 'api' })).body.apiStatus).toBe('revoked');
    expect(await restSend(a.apiKey)).toEqual({ status: 401, code: 'CREDENTIAL_REVOKED' });
    expect(await smtpCode(a, a.smtp.password, h.platform.ports.smtp, false)).toBe(250);
    expect((await restSend(b.apiKey)).status).toBe(202);

    expect((await admin('POST', `${a.id}/revoke`, { what: 'smtp' })).body.smtpStatus).toBe('revoked');
    expect(await smtpCode(a, a.smtp.password, h.platform.ports.smtp, false)).toBe(535);
    expect(await smtpCode(a, a.smtp.password, h.platform.ports.smtps, true)).toBe(535);
    expect(await smtpCode(b, b.smtp.password, h.platform.ports.smtp, false)).toBe(250);

    const restored = await admin('POST', `${a.id}/rotate`, { what: 'both' });
    expect(restored.body).toMatchObject({ smtpStatus: 'active', apiStatus: 'active' });
    a.apiKey = restored.body.apiKey;
    a.smtp.password = restored.body.smtp.password;
    expect((await restSend(a.apiKey)).status).toBe(202);
    expect(await smtpCode(a, a.smtp.password, h.platform.ports.smtp, false)).toBe(250);
  });

  it('an SMTP session authenticated before a revocation is refused on its next MAIL FROM within 1 s', async () => {
    const { dialog } = await SmtpDialog.open(h.platform.ports.smtp);
    try {
      await dialog.command('EHLO client.test');
      await dialog.startTls();
      await dialog.command('EHLO client.test');
      expect(await dialog.command(`AUTH PLAIN ${authPlain(a.smtp.username, a.smtp.password)}`)).toMatch(/^235 /);
      expect(await dialog.command('MAIL FROM:<app@sender.test>')).toMatch(/^250 /);
      expect(await dialog.command('RSET')).toMatch(/^250 /);
      expect((await admin('POST', `${a.id}/revoke`, { what: 'smtp' })).status).toBe(200);
      const revokedAt = Date.now();
      expect(await mailFromRefusedWithin(dialog, revokedAt, 1000)).toMatch(/^5\d\d /);
    } finally {
      dialog.close();
    }
    const restored = await admin('POST', `${a.id}/rotate`, { what: 'smtp' });
    a.smtp.password = restored.body.smtp.password;
  });

  it('a rotation reaches the cache of another ingress process within 1 s (Redis pub/sub)', async () => {
    // A second process's view: its own cache, fed by the same store and control channel.
    const otherCache = new BridgeAuthCache(h.platform.store);
    const invalidatedAt: number[] = [];
    const { Redis } = await import('ioredis');
    const redis = new Redis(h.platform.redisUrl);
    const stop = await listenToControl({
      redis,
      prefix: h.platform.config.redis.prefix,
      logger: createLogger({ level: 'silent' }),
      onMessage: (m) => {
        if (m.type !== 'bridge-changed') return;
        otherCache.invalidate(m.bridgeId);
        if (m.bridgeId === a.id) invalidatedAt.push(Date.now());
      },
    });
    try {
      const key = a.apiKey;
      expect((await otherCache.authenticateApiKey(key)).id).toBe(a.id);
      const requestedAt = Date.now();
      const rotated = await admin('POST', `${a.id}/rotate`, { what: 'api' });
      await waitFor(
        async () => {
          try {
            await otherCache.authenticateApiKey(key);
            return false;
          } catch {
            return true;
          }
        },
        5000,
        'old key refused by the other cache',
      );
      // Within 1 s of the request, measured when the announcement reached the other process (not when
      // the poll above, 100 ms apart, noticed it).
      expect(invalidatedAt.length).toBeGreaterThan(0);
      expect(invalidatedAt[0]! - requestedAt).toBeLessThan(1000);
      expect((await otherCache.authenticateApiKey(rotated.body.apiKey)).id).toBe(a.id);
      a.apiKey = rotated.body.apiKey;
    } finally {
      stop();
      redis.disconnect();
    }
  });

  it('deleting A refuses it everywhere, lets its queued mail finish, keeps its stats, and B still sends', async () => {
    const queued = await h.platform.send(a.apiKey, {
      from: 'app@sender.test',
      to: 'slow-a@example.test',
      subject: 'queued',
      text: 't',
    });
    expect(queued.status).toBe(202);
    const { id } = (await queued.json()) as { id: string };
    await waitFor(
      async () => (await h.platform.events("message_id = {id:String} AND type = 'deferred'", { id })).length > 0,
      20_000,
      'first attempt deferred',
    );

    const deleted = await admin('DELETE', a.id);
    expect(deleted.status).toBe(200);
    expect(deleted.body.status).toBe('deleted');
    expect(await restSend(a.apiKey)).toEqual({ status: 410, code: 'BRIDGE_DELETED' });
    expect(await smtpCode(a, a.smtp.password, h.platform.ports.smtp, false)).toBe(535);
    expect(await smtpCode(a, a.smtp.password, h.platform.ports.smtps, true)).toBe(535);
    expect((await restSend(b.apiKey)).status).toBe(202);
    expect(await smtpCode(b, b.smtp.password, h.platform.ports.smtp, false)).toBe(250);

    await waitFor(
      () => h.sink.messages.some((m) => m.to.includes('slow-a@example.test')),
      20_000,
      'queued mail of the deleted Bridge delivered',
    );
    const stats = await waitFor(
      async () => {
        const s = await h.platform.stats(a.id);
        return s.delivered > 0 && s.deferred > 0 ? s : undefined;
      },
      20_000,
      'stats of the deleted Bridge',
    );
    expect(stats.sent).toBeGreaterThan(0);
    expect((await admin('GET', a.id)).body.status).toBe('deleted');
    expect(await admin('PATCH', a.id, { name: 'zombie' })).toMatchObject({
      status: 410,
      body: { error: { code: 'BRIDGE_DELETED' } },
    });
  });
});
