import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { authPlain, SmtpDialog } from '../support/smtp-client.js';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

const MAX = 64 * 1024;

describe('SMTP ingress refuses bad sessions and queues nothing', () => {
  const h = useHarness({ BRIDGEMAIL_MAX_MESSAGE_BYTES: String(MAX) });
  let bridge: any;
  let poolId: string;
  const open: SmtpDialog[] = [];

  /** Connects to 587, EHLO, STARTTLS, EHLO again. */
  const tlsSession = async () => {
    const { dialog, greeting } = await SmtpDialog.open(h.platform.ports.smtp);
    open.push(dialog);
    expect(greeting).toMatch(/^220 /);
    expect(await dialog.command('EHLO client.test')).toMatch(/STARTTLS/);
    await dialog.startTls();
    const ehlo = await dialog.command('EHLO client.test');
    expect(ehlo).toMatch(/AUTH PLAIN LOGIN/);
    return dialog;
  };
  const authed = async () => {
    const d = await tlsSession();
    expect(await d.command(`AUTH PLAIN ${authPlain(bridge.smtp.username, bridge.smtp.password)}`)).toMatch(/^235 /);
    return d;
  };

  beforeAll(async () => {
    poolId = (await h.platform.createPool('p', ['127.0.0.2'])).id;
    bridge = await h.platform.createBridge('b', poolId);
  });
  afterEach(() => {
    for (const d of open.splice(0)) d.close();
  });

  it('535 for a wrong password, an unknown user and bad AUTH LOGIN', async () => {
    const d = await tlsSession();
    expect(await d.command(`AUTH PLAIN ${authPlain(bridge.smtp.username, 'wrong')}`)).toMatch(/^535 /);
    expect(await d.command(`AUTH PLAIN ${authPlain('nobody', bridge.smtp.password)}`)).toMatch(/^535 /);
    expect(await d.command('AUTH LOGIN')).toMatch(/^334 /);
    expect(await d.command(Buffer.from(bridge.smtp.username).toString('base64'))).toMatch(/^334 /);
    expect(await d.command(Buffer.from('nope').toString('base64'))).toMatch(/^535 /);
  });

  it('530 for MAIL before AUTH', async () => {
    const d = await tlsSession();
    expect(await d.command('MAIL FROM:<app@sender.test>')).toMatch(/^530 /);
  });

  it('AUTH before STARTTLS is neither advertised nor accepted', async () => {
    const { dialog } = await SmtpDialog.open(h.platform.ports.smtp);
    open.push(dialog);
    expect(await dialog.command('EHLO client.test')).not.toMatch(/AUTH/);
    expect(await dialog.command(`AUTH PLAIN ${authPlain(bridge.smtp.username, bridge.smtp.password)}`)).toMatch(
      /^5\d\d /,
    );
  });

  it('5xx for unknown commands and out-of-order commands', async () => {
    const d = await authed();
    expect(await d.command('FROB')).toMatch(/^5\d\d /);
    expect(await d.command('RCPT TO:<x@example.test>')).toMatch(/^503 /);
    expect(await d.command('DATA')).toMatch(/^503 /);
    expect(await d.command('MAIL FROM:<not an address>')).toMatch(/^5\d\d /);
  });

  it('552 for a declared SIZE over the limit and for oversized DATA', async () => {
    const d = await authed();
    expect(await d.command(`MAIL FROM:<app@sender.test> SIZE=${MAX * 2}`)).toMatch(/^552 /);
    expect(await d.command('MAIL FROM:<app@sender.test>')).toMatch(/^250 /);
    expect(await d.command('RCPT TO:<x@example.test>')).toMatch(/^250 /);
    expect(await d.command('DATA')).toMatch(/^354 /);
    const line = `${'y'.repeat(998)}\r\n`;
    d.write(`Subject: big\r\n\r\n${line.repeat(Math.ceil((MAX * 1.5) / line.length))}.\r\n`);
    expect(await d.readReply()).toMatch(/^552 /);
  });

  it('queued nothing for any of the above, while a valid session still delivers', async () => {
    expect(await h.platform.queuedJobs(poolId)).toBe(0);
    const d = await authed();
    expect(await d.command('MAIL FROM:<app@sender.test>')).toMatch(/^250 /);
    expect(await d.command('RCPT TO:<ok@example.test>')).toMatch(/^250 /);
    expect(await d.command('DATA')).toMatch(/^354 /);
    d.write('From: app@sender.test\r\nSubject: fine\r\n\r\nhello\r\n.\r\n');
    expect(await d.readReply()).toMatch(/^250 .*queued as msg_/);
    await waitFor(() => h.sink.messages.length === 1, 20_000, 'the valid message');
    expect(h.sink.messages[0]?.to).toEqual(['ok@example.test']);
  });
});
