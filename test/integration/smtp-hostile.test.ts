import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { submissionTransport } from '../support/smtp-client.js';
import { waitFor } from '../support/wait.js';

/** A raw connection to the submission port that records everything the server sends. */
async function open(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  const socket = connect({ port, host: '127.0.0.1' });
  let data = '';
  const openedAt = Date.now();
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (data += d));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now() - openedAt)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  await waitFor(() => data.includes('\r\n'), 10_000, 'greeting');
  return { socket, received: () => data, closed };
}

describe('SMTP ingress against slow clients', () => {
  const h = useHarness({ BRIDGEMAIL_SMTP_IDLE_TIMEOUT_MS: '1500', BRIDGEMAIL_SMTP_SESSION_MAX_MS: '3000' });

  it('closes an idle session after the idle timeout with 421', async () => {
    const c = await open(h.platform.ports.smtp);
    expect(c.received()).toMatch(/^220 /);
    const after = await c.closed;
    expect(after).toBeLessThan(6000);
    expect(c.received()).toMatch(/\r\n421 /);
  });

  it('closes a trickling (slowloris) session once it is older than the session limit', async () => {
    const c = await open(h.platform.ports.smtp);
    let stop = false;
    void c.closed.then(() => (stop = true));
    // One byte every 300 ms: never idle, never a complete command.
    const trickle = (async () => {
      for (let i = 0; i < 60 && !stop; i++) {
        c.socket.write('x');
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    const after = await c.closed;
    await trickle;
    expect(after).toBeGreaterThanOrEqual(3000);
    expect(after).toBeLessThan(9000);
    expect(c.received()).toContain('421 4.4.2 Session too long');
  });
});

describe('SMTP ingress under crowds and garbage', () => {
  const h = useHarness();

  it('keeps serving others with 1,000 concurrent idle connections open, in bounded memory', async () => {
    const pool = await h.platform.createPool('crowd', ['127.0.0.2']);
    const bridge = await h.platform.createBridge('crowd', pool.id);
    const before = process.memoryUsage().rss;
    const crowd: Awaited<ReturnType<typeof open>>[] = [];
    for (let i = 0; i < 1000; i += 50)
      crowd.push(...(await Promise.all(Array.from({ length: 50 }, () => open(h.platform.ports.smtp)))));
    expect(crowd.every((c) => c.received().startsWith('220 '))).toBe(true);
    const grown = process.memoryUsage().rss - before;
    const info = await submissionTransport(h.platform.ports.smtp, {
      user: bridge.smtp.username,
      pass: bridge.smtp.password,
    }).sendMail({
      from: 'app@sender.test',
      to: 'crowd@example.test',
      subject: 'through the crowd',
      text: 'hello',
    });
    expect(info.response).toMatch(/^250 /);
    await waitFor(
      () => h.sink.messages.some((m) => m.to.includes('crowd@example.test')),
      20_000,
      'the message through the crowd',
    );
    for (const c of crowd) c.socket.destroy();
    // Test process and platform together: 1,000 sessions stay well under 200 MB.
    expect(grown).toBeLessThan(200 * 1024 * 1024);
  });

  it('answers random and malformed command streams with SMTP replies and keeps working', async () => {
    const line = fc.oneof(
      fc.constantFrom(
        'EHLO x',
        'HELO x',
        'MAIL FROM:<a@b.c>',
        'RCPT TO:<d@e.f>',
        'DATA',
        'RSET',
        'NOOP',
        'VRFY x',
        'AUTH PLAIN',
        'AUTH LOGIN',
        'STARTTLS',
        'BDAT 10',
        'QUIT',
        '.',
      ),
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
      fc.constant('A'.repeat(20_000)),
      fc.constant('MAIL FROM:<' + 'a'.repeat(5000) + '@b.c>'),
      fc.constant('EHLO x\0y'),
    );
    const ending = fc.constantFrom('\r\n', '\n', '\r', '\0\r\n');
    const stream = fc.array(
      fc.tuple(line, ending).map(([l, e]) => l + e),
      { minLength: 1, maxLength: 40 },
    );
    const cases = fc.sample(stream, { numRuns: 300, seed: 4242 });
    const replies: string[] = [];
    for (let i = 0; i < cases.length; i += 30) {
      await Promise.all(
        cases.slice(i, i + 30).map(async (commands) => {
          const c = await open(h.platform.ports.smtp);
          // Everything pipelined in one write, then a bounded wait for the server to answer or close.
          c.socket.write(commands.join(''));
          await Promise.race([c.closed, new Promise((r) => setTimeout(r, 1500))]);
          c.socket.destroy();
          replies.push(c.received());
        }),
      );
    }
    expect(replies).toHaveLength(300);
    for (const r of replies) {
      // Complete lines only: the wait may end in the middle of a reply.
      const complete = r.slice(0, Math.max(0, r.lastIndexOf('\r\n')));
      for (const l of complete.split('\r\n').filter(Boolean)) expect(l).toMatch(/^[2-5]\d\d[ -]/);
    }
    // The server still works for a real client.
    const pool = await h.platform.createPool('garbage', ['127.0.0.3']);
    const bridge = await h.platform.createBridge('garbage', pool.id);
    const info = await submissionTransport(h.platform.ports.smtp, {
      user: bridge.smtp.username,
      pass: bridge.smtp.password,
    }).sendMail({
      from: 'app@sender.test',
      to: 'after-garbage@example.test',
      subject: 'after',
      text: 'hello',
    });
    expect(info.response).toMatch(/^250 /);
  }, 120_000);
});
