import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { authPlain, SmtpDialog } from '../support/smtp-client.js';
import { waitFor } from '../support/wait.js';

describe('suppression list: refused up front, skipped at delivery, managed by the admin API', () => {
  // later-* recipients are deferred until the test releases them, so they are still queued when
  // suppressed, however slow the machine (retries come every 200 ms to 1 s).
  let released = false;
  const h = useHarness({}, (rcpt) =>
    rcpt.startsWith('later') && !released ? { code: 451, message: '4.7.1 try later' } : undefined,
  );
  let first: any;
  let second: any;
  const message = (to: string | string[]) => ({ from: 'app@sender.test', to, subject: 'suppression', text: 'hello' });

  beforeAll(async () => {
    const pool = await h.platform.createPool('sup-pool', ['127.0.0.2']);
    first = await h.platform.createBridge('sup-first', pool.id);
    second = await h.platform.createBridge('sup-second', pool.id);
    for (const body of [
      { address: 'bridge-blocked@example.test', bridgeId: first.id, reason: 'hard-bounce' },
      { address: 'Everywhere-Blocked@example.test', bridgeId: null, reason: 'complaint' },
    ]) {
      expect((await h.platform.admin('POST', '/admin/v1/suppressions', body)).status).toBe(201);
    }
  });

  it('refuses REST sends to a suppressed recipient with 422 RECIPIENT_SUPPRESSED naming the field', async () => {
    const res = await h.platform.send(first.apiKey, message(['ok@example.test', 'bridge-blocked@example.test']));
    expect(res.status).toBe(422);
    expect(((await res.json()) as any).error).toMatchObject({ code: 'RECIPIENT_SUPPRESSED', field: 'to[1]' });
    const wide = await h.platform.send(second.apiKey, message('EVERYWHERE-blocked@example.test'));
    expect(wide.status).toBe(422);
    // The first Bridge's own suppression does not concern the second Bridge.
    expect((await h.platform.send(second.apiKey, message('bridge-blocked@example.test'))).status).toBe(202);
    const batch = await fetch(`${h.platform.urls.api}/v1/send/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify([message('fine@example.test'), message('bridge-blocked@example.test')]),
    });
    const results = ((await batch.json()) as any).data;
    expect(results[0].id).toMatch(/^msg_/);
    expect(results[1].error).toMatchObject({ code: 'RECIPIENT_SUPPRESSED', field: '[1].to[0]' });
  });

  it('refuses a suppressed recipient at RCPT over SMTP with 550 5.1.1', async () => {
    const { dialog } = await SmtpDialog.open(h.platform.ports.smtps, { implicitTls: true });
    try {
      await dialog.command('EHLO client.test');
      expect(await dialog.command(`AUTH PLAIN ${authPlain(first.smtp.username, first.smtp.password)}`)).toMatch(
        /^235 /,
      );
      expect(await dialog.command('MAIL FROM:<app@sender.test>')).toMatch(/^250 /);
      expect(await dialog.command('RCPT TO:<bridge-blocked@example.test>')).toMatch(/^550 5\.1\.1 /);
      expect(await dialog.command('RCPT TO:<everywhere-blocked@example.test>')).toMatch(/^550 5\.1\.1 /);
      expect(await dialog.command('RCPT TO:<ok@example.test>')).toMatch(/^250 /);
    } finally {
      dialog.close();
    }
  });

  it('skips a recipient suppressed after its message was queued, with a suppressed event', async () => {
    const res = await h.platform.send(first.apiKey, message(['later-1@example.test', 'later-ok@example.test']));
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await waitFor(
      async () => (await h.platform.events("message_id = {id:String} AND type = 'deferred'", { id })).length === 2,
      20_000,
      'both deferred',
    );
    expect(
      (
        await h.platform.admin('POST', '/admin/v1/suppressions', {
          address: 'later-1@example.test',
          bridgeId: first.id,
          reason: 'hard-bounce',
        })
      ).status,
    ).toBe(201);
    await waitFor(
      async () => (await h.platform.events("message_id = {id:String} AND type = 'suppressed'", { id })).length === 1,
      20_000,
      'suppressed',
    );
    // Once skipped, later-1 is never offered again, even when the sink would now take it.
    const offeredBefore = h.sink.offers.get('later-1@example.test');
    released = true;
    const events = await waitFor(
      async () => {
        const e = await h.platform.events('message_id = {id:String}', { id });
        return e.some((x) => x.type === 'delivered') ? e : undefined;
      },
      20_000,
      'delivered',
    );
    expect(events.filter((e) => e.type === 'suppressed').map((e) => e.recipient)).toEqual(['later-1@example.test']);
    expect(events.filter((e) => e.type === 'delivered').map((e) => e.recipient)).toEqual(['later-ok@example.test']);
    expect(h.sink.offers.get('later-1@example.test')).toBe(offeredBefore);
  });

  it('lists, filters, exports, imports and removes suppressions', async () => {
    const all = await h.platform.admin('GET', '/admin/v1/suppressions');
    expect(all.body.data.map((s: any) => s.address)).toEqual(
      expect.arrayContaining(['bridge-blocked@example.test', 'everywhere-blocked@example.test']),
    );
    const complaints = await h.platform.admin('GET', '/admin/v1/suppressions?reason=complaint');
    expect(complaints.body.data.map((s: any) => s.address)).toEqual(['everywhere-blocked@example.test']);
    const ofFirst = await h.platform.admin('GET', `/admin/v1/suppressions?bridgeId=${first.id}&search=bridge`);
    expect(ofFirst.body.data.map((s: any) => s.address)).toEqual(['bridge-blocked@example.test']);
    expect((await h.platform.admin('GET', '/admin/v1/suppressions?since=not-a-date')).body.error.field).toBe('since');

    const exported = await fetch(`${h.platform.urls.admin}/admin/v1/suppressions/export`, {
      headers: { authorization: `Bearer ${h.platform.adminToken}` },
    });
    expect(exported.headers.get('content-disposition')).toContain('attachment');
    const csv = await exported.text();
    expect(csv.split('\r\n')[0]).toBe('address,reason,bridge_id,source_message_id,created_at');
    expect(csv).toContain(`bridge-blocked@example.test,hard-bounce,${first.id}`);

    const imported = await fetch(`${h.platform.urls.admin}/admin/v1/suppressions/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.platform.adminToken}`, 'content-type': 'text/csv' },
      body: `address,reason,bridge_id\r\nimported-1@example.test,manual,\r\nnot an address,manual,\r\n"imported-2@example.test",list-cleaning,${second.id}\r\nbridge-blocked@example.test,hard-bounce,${first.id}\r\n`,
    });
    expect(await imported.json()).toEqual({
      imported: 2,
      existing: 1,
      errors: [{ line: 3, field: 'address', message: expect.any(String) }],
    });
    expect((await h.platform.send(first.apiKey, message('imported-1@example.test'))).status).toBe(422);
    expect((await h.platform.send(second.apiKey, message('imported-2@example.test'))).status).toBe(422);
    expect((await h.platform.send(first.apiKey, message('imported-2@example.test'))).status).toBe(202);

    const target = ofFirst.body.data[0];
    expect((await h.platform.admin('DELETE', `/admin/v1/suppressions/${target.id}`)).status).toBe(200);
    expect((await h.platform.admin('DELETE', `/admin/v1/suppressions/${target.id}`)).status).toBe(404);
    await waitFor(
      async () => (await h.platform.send(first.apiKey, message('bridge-blocked@example.test'))).status === 202,
      5000,
      'sendable again',
    );
  });
});
