import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { startSmtpSink, type SmtpSink } from '../../test/support/smtp-sink.js';
import { waitFor } from '../../test/support/wait.js';
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

/**
 * A scripted SMTP server on loopback, in a process of its own (so that it reads what the kernel
 * has when it has it, not when this event loop lets it), printing how many reads each message's
 * data took.
 */
const RECORDER = `
const net = require('node:net');
const server = net.createServer((socket) => {
  let inData = false, reads = 0, pending = '';
  socket.write('220 recorder ESMTP\\r\\n');
  socket.on('data', (chunk) => {
    if (inData) {
      reads++;
      pending += chunk.toString('latin1');
      if (pending.endsWith('\\r\\n.\\r\\n')) { inData = false; console.log('reads ' + reads); socket.write('250 2.0.0 queued\\r\\n'); }
      return;
    }
    for (const line of chunk.toString('latin1').split('\\r\\n').filter(Boolean)) {
      if (/^EHLO/i.test(line)) socket.write('250-recorder\\r\\n250 PIPELINING\\r\\n');
      else if (/^DATA/i.test(line)) { inData = true; reads = 0; pending = ''; socket.write('354 go ahead\\r\\n'); }
      else if (/^QUIT/i.test(line)) socket.end('221 bye\\r\\n');
      else socket.write('250 ok\\r\\n');
    }
  });
});
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
`;

async function recordingServer(): Promise<{ port: number; dataReads: number[]; stop: () => void }> {
  const child = spawn(process.execPath, ['-e', RECORDER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const dataReads: number[] = [];
  let buffered = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`recorder exited with ${code}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const [what, n] = buffered.slice(0, nl).split(' ');
        buffered = buffered.slice(nl + 1);
        if (what === 'port') resolve(Number(n));
        if (what === 'reads') dataReads.push(Number(n));
      }
    });
  });
  return { port, dataReads, stop: () => child.kill() };
}

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

  it('writes a message’s data and the dot that ends it together: the server reads them at once', async () => {
    const { port, dataReads, stop } = await recordingServer();
    closers.push(async () => stop());
    const session = await open(port);
    for (let i = 0; i < 20; i++) {
      expect(await session.transaction('a@example.test', ['b@example.test'], message(`m${i}`, 10))).toMatchObject([
        { status: 'delivered' },
      ]);
    }
    session.quit();
    await waitFor(async () => dataReads.length === 20, 5000, 'the recorder reported every message');
    expect(dataReads).toEqual(Array.from({ length: 20 }, () => 1));
  });
});
