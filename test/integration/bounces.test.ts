import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseMasterKey, VerpAddresses } from '../../core/index.js';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';
import { arfComplaint } from '../support/arf.js';

const dsn = (recipient: string, status: string, diagnostic: string) =>
  Buffer.from(
    [
      'From: Mail Delivery System <MAILER-DAEMON@mx.example.test>',
      'To: bounces@bridgemail.test',
      'Subject: Undelivered Mail Returned to Sender',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"',
      '',
      '--BOUNDARY',
      'Content-Type: text/plain',
      '',
      'I am sorry to have to inform you that your message could not be delivered.',
      '',
      '--BOUNDARY',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.example.test',
      '',
      `Final-Recipient: rfc822; ${recipient}`,
      'Action: failed',
      `Status: ${status}`,
      `Diagnostic-Code: smtp; ${diagnostic}`,
      '',
      '--BOUNDARY--',
      '',
    ].join('\r\n'),
  );

describe('bounces and complaints through the inbound MX', () => {
  const h = useHarness();
  let first: any;
  let second: any;
  const mx = () =>
    nodemailer.createTransport({
      host: '127.0.0.1',
      port: h.platform.ports.mx,
      secure: false,
      tls: { rejectUnauthorized: false },
    });
  const report = (to: string, raw: Buffer) =>
    mx().sendMail({ envelope: { from: 'mailer-daemon@mx.example.test', to: [to] }, raw });
  const deliver = async (bridge: any, to: string) => {
    const res = await h.platform.send(bridge.apiKey, { from: 'shop@sender.test', to, subject: 'hi', text: 'hello' });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const copy = await waitFor(() => h.sink.messages.find((m) => m.to.includes(to)), 20_000, `${to} delivered`);
    await waitFor(
      async () => (await h.platform.events("message_id = {id:String} AND type = 'queued'", { id })).length > 0,
      20_000,
      'queued event stored',
    );
    return { id, verp: copy.from };
  };
  const eventsOf = (id: string, type: string) =>
    waitFor(
      async () => {
        const e = await h.platform.events('message_id = {id:String} AND type = {type:String}', { id, type });
        return e.length > 0 ? e : undefined;
      },
      20_000,
      `${type} event of ${id}`,
    );

  beforeAll(async () => {
    const pool = await h.platform.createPool('bounce-pool', ['127.0.0.2']);
    first = await h.platform.createBridge('bounce-first', pool.id);
    second = await h.platform.createBridge('bounce-second', pool.id);
  });

  it('ties a hard DSN to its message by VERP, records it, suppresses the recipient, refuses the next send', async () => {
    const { id, verp } = await deliver(first, 'gone@example.test');
    await report(
      verp,
      dsn('gone@example.test', '5.1.1', '550 5.1.1 <gone@example.test>: Recipient address rejected: User unknown'),
    );
    const [bounced] = await eventsOf(id, 'bounced');
    expect(bounced).toMatchObject({
      recipient: 'gone@example.test',
      hard: 1,
      reason: 'userunknown',
      status: '5.1.1',
      bridge_id: first.id,
    });
    await waitFor(
      async () =>
        (
          await h.platform.send(first.apiKey, {
            from: 'shop@sender.test',
            to: 'gone@example.test',
            subject: 's',
            text: 't',
          })
        ).status === 422,
      5000,
      'next send refused',
    );
    const list = await h.platform.admin('GET', `/admin/v1/suppressions?bridgeId=${first.id}`);
    expect(list.body.data).toEqual([expect.objectContaining({ address: 'gone@example.test', sourceMessageId: id })]);
    // Scoped to the Bridge: the sibling may still send to the address.
    expect(
      (
        await h.platform.send(second.apiKey, {
          from: 'shop@sender.test',
          to: 'gone@example.test',
          subject: 's',
          text: 't',
        })
      ).status,
    ).toBe(202);
  });

  it('records a soft DSN without suppressing the recipient', async () => {
    const { id, verp } = await deliver(first, 'picky@example.test');
    await report(verp, dsn('picky@example.test', '5.7.1', '550 5.7.1 Message rejected as spam by content filter'));
    const [bounced] = await eventsOf(id, 'bounced');
    expect(bounced).toMatchObject({ recipient: 'picky@example.test', hard: 0 });
    expect(
      (
        await h.platform.send(first.apiKey, {
          from: 'shop@sender.test',
          to: 'picky@example.test',
          subject: 's',
          text: 't',
        })
      ).status,
    ).toBe(202);
    const stats = await waitFor(
      async () => {
        const s = await h.platform.stats(first.id);
        return s.hardBounces === 1 && s.softBounces === 1 ? s : undefined;
      },
      20_000,
      'hard and soft bounce counts',
    );
    expect(stats.bounced).toBe(2);
  });

  it('turns an ARF complaint at the FBL address into complained and suppresses for that Bridge only', async () => {
    const { id } = await deliver(second, 'angry@example.test');
    await report('fbl@bridgemail.test', Buffer.from(arfComplaint('angry@example.test', id)));
    const [complained] = await eventsOf(id, 'complained');
    expect(complained).toMatchObject({ recipient: 'angry@example.test', feedback_type: 'abuse', bridge_id: second.id });
    await waitFor(
      async () =>
        (
          await h.platform.send(second.apiKey, {
            from: 'shop@sender.test',
            to: 'angry@example.test',
            subject: 's',
            text: 't',
          })
        ).status === 422,
      5000,
      'refused for that Bridge',
    );
    expect(
      (
        await h.platform.send(first.apiKey, {
          from: 'shop@sender.test',
          to: 'angry@example.test',
          subject: 's',
          text: 't',
        })
      ).status,
    ).toBe(202);
    await waitFor(async () => (await h.platform.stats(second.id)).complaints === 1, 20_000, 'complaint in stats');
  });

  it('refuses every other recipient at RCPT (not an open relay) and forged VERP addresses', async () => {
    await expect(report('postmaster@elsewhere.test', dsn('x@y.test', '5.1.1', '550 unknown'))).rejects.toMatchObject({
      responseCode: 550,
    });
    await expect(
      report('bounces+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@bridgemail.test', dsn('x@y.test', '5.1.1', '550 unknown')),
    ).rejects.toMatchObject({ responseCode: 550 });
  });

  it('keeps a report for no known message as unmatched, visible in the admin API', async () => {
    const key = parseMasterKey(readFileSync(join(h.platform.dataDir, 'master.key'), 'utf8'));
    const verp = new VerpAddresses(key, 'bounces', 'bridgemail.test').address(
      'msg_000000000000ffffffffffffffff',
      'ghost@example.test',
    );
    await report(verp, dsn('ghost@example.test', '5.1.1', '550 5.1.1 user unknown'));
    const page = await waitFor(
      async () => {
        const r = await h.platform.admin('GET', '/admin/v1/reports/unmatched');
        return r.body.data.length > 0 ? r.body : undefined;
      },
      30_000,
      'unmatched report listed',
    );
    expect(page.data[0]).toMatchObject({ kind: 'bounce', recipient: 'ghost@example.test', reason: 'userunknown' });
  });
});
