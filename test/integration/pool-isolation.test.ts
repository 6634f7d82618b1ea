import { describe, expect, it } from 'vitest';
import { submissionTransport } from '../support/smtp-client.js';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

describe('two Bridges on two Pools', () => {
  const h = useHarness();

  it('sends each Bridge only from its own Pool and counts only its own mail', async () => {
    const poolA = await h.platform.createPool('pool-a', ['127.0.0.2', '127.0.0.3']);
    const poolB = await h.platform.createPool('pool-b', ['127.0.0.4', '127.0.0.5']);
    const bridgeA = await h.platform.createBridge('app-a', poolA.id);
    const bridgeB = await h.platform.createBridge('app-b', poolB.id);

    const sendRest = async (apiKey: string, to: string) => {
      const res = await h.platform.send(apiKey, { from: 'app@sender.test', to, subject: 'hi', text: 'hello' });
      expect(res.status).toBe(202);
    };
    for (let i = 0; i < 6; i++) await sendRest(bridgeA.apiKey, `a${i}@example.test`);
    for (let i = 0; i < 4; i++) await sendRest(bridgeB.apiKey, `b${i}@example.test`);
    const smtpB = submissionTransport(h.platform.ports.smtp, {
      user: bridgeB.smtp.username,
      pass: bridgeB.smtp.password,
    });
    await smtpB.sendMail({ from: 'app@sender.test', to: 'b-smtp@example.test', subject: 'hi', text: 'hello' });

    await waitFor(() => h.sink.messages.length >= 11, 20_000, '11 messages at the sink');
    const sourcesOf = (prefix: string) =>
      new Set(h.sink.messages.filter((m) => m.to[0]?.startsWith(prefix)).map((m) => m.remoteAddress));
    const fromA = sourcesOf('a');
    const fromB = sourcesOf('b');
    for (const ip of fromA) expect(['127.0.0.2', '127.0.0.3']).toContain(ip);
    for (const ip of fromB) expect(['127.0.0.4', '127.0.0.5']).toContain(ip);
    expect(fromA.size).toBeGreaterThan(0);
    expect(fromB.size).toBeGreaterThan(0);

    const statsA = await waitFor(
      async () => {
        const s = await h.platform.stats(bridgeA.id);
        return s.delivered === 6 ? s : undefined;
      },
      20_000,
      'stats of A',
    );
    const statsB = await waitFor(
      async () => {
        const s = await h.platform.stats(bridgeB.id);
        return s.delivered === 5 ? s : undefined;
      },
      20_000,
      'stats of B',
    );
    expect(statsA).toMatchObject({ sent: 6, delivered: 6, bounced: 0 });
    expect(statsB).toMatchObject({ sent: 5, delivered: 5, bounced: 0 });
  });

  it('answers 404 for the stats of an unknown Bridge', async () => {
    const r = await h.platform.admin('GET', '/admin/v1/bridges/br_nope/stats');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('NOT_FOUND');
  });
});
