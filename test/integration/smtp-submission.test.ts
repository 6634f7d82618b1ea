import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { authPlain, SmtpDialog } from '../support/smtp-client.js';
import { waitFor } from '../support/wait.js';

/*
 * The SMTP ingress as a submission server (RFC 6409): a message leaves with a Message-ID and a
 * Date even when its client wrote neither, every submitted byte after the fields added, and a
 * message without From is refused. AUTH is offered only where it can be used (RFC 4954 §4).
 */
describe('SMTP submission completes messages and offers AUTH only over TLS', () => {
  const h = useHarness();
  let bridge: any;
  let poolId: string;
  const open: SmtpDialog[] = [];

  beforeAll(async () => {
    poolId = (await h.platform.createPool('submission', ['127.0.0.2'])).id;
    bridge = await h.platform.createBridge('submission', poolId);
  });
  afterEach(() => {
    for (const d of open.splice(0)) d.close();
  });

  /** An authenticated session on 587 (STARTTLS) or 465 (implicit TLS). */
  const session = async (implicitTls = false) => {
    const { dialog } = await SmtpDialog.open(implicitTls ? h.platform.ports.smtps : h.platform.ports.smtp, {
      implicitTls,
    });
    open.push(dialog);
    await dialog.command('EHLO client.test');
    if (!implicitTls) {
      await dialog.startTls();
      await dialog.command('EHLO client.test');
    }
    expect(await dialog.command(`AUTH PLAIN ${authPlain(bridge.smtp.username, bridge.smtp.password)}`)).toMatch(
      /^235 /,
    );
    return dialog;
  };
  /** Submits `raw` (no line may start with a dot) and returns the final reply. */
  const submit = async (to: string, raw: string) => {
    const d = await session();
    expect(await d.command('MAIL FROM:<app@sender.test>')).toMatch(/^250 /);
    expect(await d.command(`RCPT TO:<${to}>`)).toMatch(/^250 /);
    expect(await d.command('DATA')).toMatch(/^354 /);
    d.write(`${raw}\r\n.\r\n`);
    return d.readReply();
  };
  const arrival = (to: string) =>
    waitFor(() => h.sink.messages.find((m) => m.to.includes(to)), 20_000, `${to} at the sink`);
  /** The delivered bytes before the submitted ones, which must end the delivered message unchanged. */
  const prependedTo = async (to: string, raw: string) => {
    const got = (await arrival(to)).raw;
    const submitted = Buffer.from(`${raw}\r\n`, 'latin1');
    expect(got.subarray(got.length - submitted.length).equals(submitted), 'submitted bytes intact').toBe(true);
    const prepended = got.subarray(0, got.length - submitted.length).toString('latin1');
    expect(
      prepended === '' || /^([A-Za-z-]+:.*\r\n([ \t].*\r\n)*)+$/.test(prepended),
      'only header fields prepended',
    ).toBe(true);
    return prepended;
  };
  const count = (text: string, field: string) => (text.match(new RegExp(`^${field}[ \\t]*:`, 'gim')) ?? []).length;

  it('adds Message-ID <id@HELO name> and Date to a message with neither; the rest is the submitted bytes', async () => {
    const to = 'bare@example.test';
    // Folded fields, a body line that looks like a header, and a from field in lower case.
    const raw = [
      'from: App <app@sender.test>',
      `To: ${to}`,
      'Subject: no id,',
      '  no date',
      '',
      'Date: in the body',
      'Message-ID: <body@x>',
      'bye',
    ].join('\r\n');
    const reply = await submit(to, raw);
    const id = /^250 .*queued as (msg_\S+)/.exec(reply)?.[1];
    expect(id, reply).toBeDefined();
    const prepended = await prependedTo(to, raw);
    expect(prepended).toContain(`Message-ID: <${id}@${h.platform.config.heloName}>\r\n`);
    expect(prepended).toMatch(
      /^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000\r$/m,
    );
    const dateField = /^Date: (.*)\r$/m.exec(prepended)?.[1] ?? '';
    expect(Math.abs(Date.parse(dateField) - Date.now())).toBeLessThan(120_000);
    expect([count(prepended, 'message-id'), count(prepended, 'date')]).toEqual([1, 1]);
  });

  it('adds only what is missing and never duplicates a field the client wrote, in any case', async () => {
    const withBoth =
      'FROM: app@sender.test\r\nDATE: Tue, 01 Apr 2025 10:00:00 +0000\r\nmessage-id: <own-1@sender.test>\r\nSubject: both\r\n\r\nhi';
    const withId = 'From: app@sender.test\r\nMessage-Id: <own-2@sender.test>\r\nSubject: id only\r\n\r\nhi';
    const withDate = 'From: app@sender.test\r\ndate: Tue, 01 Apr 2025 10:00:00 +0000\r\nSubject: date only\r\n\r\nhi';
    for (const [to, raw] of [
      ['both@example.test', withBoth],
      ['id-only@example.test', withId],
      ['date-only@example.test', withDate],
    ] as const) {
      expect(await submit(to, raw)).toMatch(/^250 /);
    }
    const both = await prependedTo('both@example.test', withBoth);
    expect([count(both, 'message-id'), count(both, 'date')]).toEqual([0, 0]);
    const idOnly = await prependedTo('id-only@example.test', withId);
    expect([count(idOnly, 'message-id'), count(idOnly, 'date')]).toEqual([0, 1]);
    const dateOnly = await prependedTo('date-only@example.test', withDate);
    expect([count(dateOnly, 'message-id'), count(dateOnly, 'date')]).toEqual([1, 0]);
  });

  it('recognises a retried submission without Message-ID by its idempotency key: the fields added are not fingerprinted', async () => {
    const to = 'retried@example.test';
    const raw = `From: app@sender.test\r\nTo: ${to}\r\nX-Bridgemail-Idempotency-Key: retry-1\r\nSubject: retried\r\n\r\nonce`;
    const first = /queued as (msg_\S+)/.exec(await submit(to, raw))?.[1];
    await arrival(to);
    const second = /queued as (msg_\S+)/.exec(await submit(to, raw))?.[1];
    expect(first).toBeDefined();
    expect(second).toBe(first);
  });

  it('refuses a message without a From field with 550 5.6.0 and queues nothing', async () => {
    const before = await h.platform.queuedJobs(poolId);
    // A From in the body or on a folded line is not a From field.
    for (const raw of [
      'Subject: no from\r\n\r\nFrom: app@sender.test',
      'Subject: no from,\r\n From: app@sender.test\r\n\r\nhi',
      'Sender: app@sender.test\r\n\r\nhi',
    ]) {
      expect(await submit('no-from@example.test', raw)).toMatch(/^550 5\.6\.0 /);
    }
    expect(await h.platform.queuedJobs(poolId)).toBe(before);
    expect(h.sink.offers.get('no-from@example.test')).toBeUndefined();
  });

  it('does not advertise AUTH on 587 before STARTTLS, and does after it and on 465', async () => {
    const { dialog } = await SmtpDialog.open(h.platform.ports.smtp);
    open.push(dialog);
    const plain = await dialog.command('EHLO client.test');
    expect(plain).toMatch(/STARTTLS/);
    expect(plain).not.toMatch(/AUTH/);
    // Refused without a 235 whatever the client tries before TLS.
    expect(await dialog.command(`AUTH PLAIN ${authPlain(bridge.smtp.username, bridge.smtp.password)}`)).toMatch(
      /^5\d\d /,
    );
    expect(await dialog.command('MAIL FROM:<app@sender.test>')).toMatch(/^530 /);
    await dialog.startTls();
    expect(await dialog.command('EHLO client.test')).toMatch(/^250[- ]AUTH PLAIN LOGIN$/m);
    expect(await dialog.command(`AUTH PLAIN ${authPlain(bridge.smtp.username, bridge.smtp.password)}`)).toMatch(
      /^235 /,
    );

    const secure = await SmtpDialog.open(h.platform.ports.smtps, { implicitTls: true });
    open.push(secure.dialog);
    expect(await secure.dialog.command('EHLO client.test')).toMatch(/^250[- ]AUTH PLAIN LOGIN$/m);
  });
});
