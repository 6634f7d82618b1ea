import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { authPlain, SmtpDialog } from '../support/smtp-client.js';

/*
 * A deleted Bridge gives out nothing: no answer of the admin API carries its secrets, its
 * statuses say `deleted`, the list hides it unless asked, and REST and SMTP refuse its old
 * credentials with the same code and words. Its stats stay readable.
 */
describe('a deleted Bridge', () => {
  const h = useHarness();
  let doomed: any;
  let live: any;
  let deletedAnswer: { status: number; body: any };
  const open: SmtpDialog[] = [];

  /** Every admin answer about the deleted Bridge, as raw text: none may hold a secret. */
  const texts: string[] = [];
  const adminText = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${h.platform.urls.admin}${path}`, {
      method,
      headers: { authorization: `Bearer ${h.platform.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    texts.push(text);
    return { status: res.status, text, json: () => JSON.parse(text) };
  };
  /** A session on 587 after STARTTLS, ready for AUTH. */
  const tlsSession = async () => {
    const { dialog } = await SmtpDialog.open(h.platform.ports.smtp);
    open.push(dialog);
    await dialog.command('EHLO client.test');
    await dialog.startTls();
    await dialog.command('EHLO client.test');
    return dialog;
  };

  beforeAll(async () => {
    const pool = await h.platform.createPool('deleted', ['127.0.0.2']);
    doomed = await h.platform.createBridge('doomed', pool.id);
    live = await h.platform.createBridge('live', pool.id);
  });
  afterEach(() => {
    for (const d of open.splice(0)) d.close();
  });

  it('refuses its old credentials over REST and SMTP with the same meaning, also in a session opened before', async () => {
    // A session authenticated while the Bridge was live.
    const earlier = await tlsSession();
    expect(await earlier.command(`AUTH PLAIN ${authPlain(doomed.smtp.username, doomed.smtp.password)}`)).toMatch(
      /^235 /,
    );

    deletedAnswer = await h.platform.admin('DELETE', `/admin/v1/bridges/${doomed.id}`);
    expect(deletedAnswer.status).toBe(200);

    const rest = await h.platform.send(doomed.apiKey, {
      from: 'app@sender.test',
      to: 'x@example.test',
      subject: 's',
      text: 't',
    });
    const restError = ((await rest.json()) as { error: { code: string; message: string } }).error;
    expect({ status: rest.status, code: restError.code }).toEqual({ status: 410, code: 'BRIDGE_DELETED' });

    const fresh = await tlsSession();
    const smtpAuth = await fresh.command(`AUTH PLAIN ${authPlain(doomed.smtp.username, doomed.smtp.password)}`);
    expect(smtpAuth).toBe(`535 5.7.8 ${restError.message}`);
    expect(await earlier.command('MAIL FROM:<app@sender.test>')).toBe(`535 5.7.8 ${restError.message}`);

    // Wrong credentials tell nothing about the deletion.
    expect(await fresh.command(`AUTH PLAIN ${authPlain(doomed.smtp.username, 'not-the-password')}`)).toMatch(
      /^535 5\.7\.8 invalid credentials$/,
    );
    const guess = await h.platform.send(`${doomed.apiKey.slice(0, -4)}AAAA`, {
      from: 'app@sender.test',
      to: 'x@example.test',
      subject: 's',
      text: 't',
    });
    expect(guess.status).toBe(401);

    // The sibling is untouched.
    expect(
      (await h.platform.send(live.apiKey, { from: 'app@sender.test', to: 'y@example.test', subject: 's', text: 't' }))
        .status,
    ).toBe(202);
  });

  it('answers without secrets, statuses deleted, and 410 BRIDGE_DELETED for its credentials file, samples and changes', async () => {
    expect(deletedAnswer.body).toMatchObject({ status: 'deleted', smtpStatus: 'deleted', apiStatus: 'deleted' });
    texts.push(JSON.stringify(deletedAnswer.body));

    const one = await adminText('GET', `/admin/v1/bridges/${doomed.id}`);
    expect(one.status).toBe(200);
    expect(one.json()).toMatchObject({
      id: doomed.id,
      status: 'deleted',
      smtpStatus: 'deleted',
      apiStatus: 'deleted',
      smtp: { username: doomed.smtp.username },
    });
    expect(one.json().apiKey).toBeUndefined();
    expect(one.json().smtp.password).toBeUndefined();

    const gone = [
      await adminText('GET', `/admin/v1/bridges/${doomed.id}/credentials-file?format=env`),
      await adminText('GET', `/admin/v1/bridges/${doomed.id}/credentials-file?format=json`),
      await adminText('GET', `/admin/v1/bridges/${doomed.id}/samples`),
      await adminText('POST', `/admin/v1/bridges/${doomed.id}/rotate`, { what: 'both' }),
      await adminText('POST', `/admin/v1/bridges/${doomed.id}/revoke`, { what: 'smtp' }),
      await adminText('PATCH', `/admin/v1/bridges/${doomed.id}`, { name: 'zombie' }),
      await adminText('DELETE', `/admin/v1/bridges/${doomed.id}`),
    ];
    for (const answer of gone) {
      expect(answer.status).toBe(410);
      expect(answer.json().error.code).toBe('BRIDGE_DELETED');
    }
    // A Bridge that never existed is still 404.
    expect((await adminText('GET', '/admin/v1/bridges/br_missing/samples')).status).toBe(404);
  });

  it('is left out of the list unless include=deleted asks for it, and then marked, without secrets', async () => {
    const ids = (body: any) => (body.data as { id: string }[]).map((b) => b.id);
    const listed = await adminText('GET', '/admin/v1/bridges');
    expect(listed.status).toBe(200);
    expect(ids(listed.json())).toEqual([live.id]);

    const all = await adminText('GET', '/admin/v1/bridges?include=deleted');
    expect(ids(all.json())).toEqual([doomed.id, live.id]);
    expect(all.json().data[0]).toMatchObject({ status: 'deleted', smtpStatus: 'deleted', apiStatus: 'deleted' });

    const bad = await h.platform.admin('GET', '/admin/v1/bridges?include=everything');
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', field: 'include' } } });
  });

  it('keeps its stats readable', async () => {
    const stats = await adminText('GET', `/admin/v1/bridges/${doomed.id}/stats`);
    expect(stats.status).toBe(200);
    expect(stats.json()).toHaveProperty('sent');
  });

  it('never showed a secret in any of those answers', () => {
    expect(texts.length).toBeGreaterThan(10);
    for (const text of texts) {
      expect(text).not.toContain(doomed.apiKey);
      expect(text).not.toContain(doomed.smtp.password);
    }
  });
});
