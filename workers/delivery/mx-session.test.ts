import { afterAll, describe, expect, it } from 'vitest';
import { startSmtpSink, type SmtpSink } from '../../test/support/smtp-sink.js';
import { MxSession } from './mx-session.js';

const open = async (port: number) => {
  const session = await MxSession.open({
    target: { host: '127.0.0.1', port, priority: 10 },
    localAddress: '127.0.0.1',
    heloName: 'mx-session.test',
    timeoutMs: 10_000,
  });
  if (!(session instanceof MxSession)) throw new Error(`not connected: ${session.reply}`);
  return session;
};

/** A message of `lines` CRLF lines, some starting with a dot (stuffed on the wire, not in what the server keeps). */
const message = (id: string, lines: number) =>
  Buffer.from(
    `From: a@example.test\r\nTo: b@example.test\r\nSubject: ${id}\r\n\r\n${Array.from({ length: lines }, (_, i) => (i % 7 === 0 ? `.line ${i}` : `line ${i} ${'x'.repeat(60)}`)).join('\r\n')}\r\n`,
  );

describe('MxSession', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  it('sends a small and a 4 MB message over one STARTTLS connection, dots stuffed and unstuffed, byte for byte', async () => {
    const sink: SmtpSink = await startSmtpSink();
    closers.push(() => sink.close());
    const session = await open(sink.port);
    const small = message('small', 5);
    const large = message('large', 70_000);
    expect(large.length).toBeGreaterThan(4_400_000);
    for (const raw of [small, large, small]) {
      const results = await session.transaction('a@example.test', ['b@example.test'], raw);
      expect(results).toMatchObject([{ recipient: 'b@example.test', status: 'delivered' }]);
    }
    session.quit();
    expect(sink.messages.map((m) => m.raw.equals(small) || m.raw.equals(large))).toEqual([true, true, true]);
    expect(sink.messages[1]?.raw.equals(large)).toBe(true);
  });

  it('reports a source address this host cannot bind as bindError, without reaching the server', async () => {
    const sink: SmtpSink = await startSmtpSink();
    closers.push(() => sink.close());
    // 192.0.2.10 (TEST-NET-1) is only a local bind address here: the bind fails before any connect.
    const target = { host: '127.0.0.1', port: sink.port, priority: 10 };
    const session = await MxSession.open({
      target,
      localAddress: '192.0.2.10',
      heloName: 'mx-session.test',
      timeoutMs: 10_000,
    });
    expect(session).toMatchObject({ unreachable: true, bindError: 'EADDRNOTAVAIL' });
    expect(sink.offers.size).toBe(0);
  });
});
