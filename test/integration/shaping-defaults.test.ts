import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { readThrottleCounts } from '../../workers/index.js';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

const BURST = 200;

/**
 * The shaping policy a new installation runs with (no `BRIDGEMAIL_SHAPING`): like Postfix, no rate
 * limit per destination, only a connection cap per (IP, provider), so a burst to one provider is
 * not held to a trickle; a rate is opt-in, and its throttling is reported without a line per job.
 */
describe('default shaping policy and throttling reports', () => {
  const h = useHarness({ BRIDGEMAIL_SHAPING: '' });
  let redis: Redis | undefined;
  afterAll(() => redis?.disconnect());

  it(`delivers a burst of ${BURST} messages to one provider without any job waiting for a rate token`, async () => {
    const pool = await h.platform.createPool('defaults', ['127.0.0.2']);
    const bridge = await h.platform.createBridge('defaults', pool.id);
    const messages = Array.from({ length: BURST }, (_, i) => ({
      from: 'shop@sender.test',
      to: `burst-${i}@gmail.test`,
      subject: `Order ${i}`,
      text: 'Thanks.',
    }));
    const res = await fetch(`${h.platform.urls.api}/v1/send/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bridge.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(messages),
    });
    expect(res.status).toBe(200);
    const arrived = () => h.sink.messages.filter((m) => m.to.some((to) => to.startsWith('burst-'))).length;
    await waitFor(() => arrived() === BURST, 60_000, `${BURST} messages at the sink`);

    // Refusals are counted per reason: none waited for a rate or hourly token (a connection slot may be waited for).
    redis = new Redis(h.platform.redisUrl, { maxRetriesPerRequest: 1 });
    const counts = await readThrottleCounts(redis, h.platform.config.redis.prefix);
    expect(counts.filter((c) => c.reason !== 'destination-connections' && c.reason !== 'ip-connections')).toEqual([]);
    const metrics = await (await fetch(`http://127.0.0.1:${h.platform.ports.ops}/metrics`)).text();
    expect(metrics).toContain('# TYPE bridgemail_shaping_throttled_total counter');
    expect(metrics).not.toMatch(
      /bridgemail_shaping_throttled_total\{[^}]*reason="(ip-rate|ip-hourly|destination-rate)"/,
    );
  });

  it('with a rate set for one provider, logs its throttling at info once and each delayed pass at debug, and counts it', async () => {
    const put = await h.platform.admin('PUT', '/admin/v1/shaping', { destinations: { '127.0.0.1': { perSecond: 2 } } });
    expect(put.status).toBe(200);
    const pool = await h.platform.createPool('rated', ['127.0.0.3']);
    const bridge = await h.platform.createBridge('rated', pool.id);
    const logsBefore = h.platform.logs.length;
    for (let i = 0; i < 8; i++) {
      const res = await h.platform.send(bridge.apiKey, {
        from: 'shop@sender.test',
        to: `rated-${i}@gmail.test`,
        subject: 's',
        text: 't',
      });
      expect(res.status).toBe(202);
    }
    await waitFor(
      () => h.sink.messages.filter((m) => m.to.some((to) => to.startsWith('rated-'))).length === 8,
      30_000,
      '8 rated messages',
    );

    const lines = h.platform.logs
      .slice(logsBefore)
      .map((l) => JSON.parse(l) as { level: number; msg: string; ip?: string; reason?: string; outcomes?: object });
    const started = lines.filter((l) => l.msg === 'shaping started throttling');
    expect(started.map((l) => [l.level, l.ip, l.reason])).toEqual([[30, '127.0.0.3', 'destination-rate']]);
    const delayedPasses = lines.filter(
      (l) => l.msg === 'delivery attempt' && Object.keys(l.outcomes ?? {}).join() === 'throttled',
    );
    expect(delayedPasses.length).toBeGreaterThan(0);
    expect(delayedPasses.filter((l) => l.level !== 20)).toEqual([]);
    const metrics = await (await fetch(`http://127.0.0.1:${h.platform.ports.ops}/metrics`)).text();
    expect(metrics).toMatch(
      /bridgemail_shaping_throttled_total\{[^}]*ip="127\.0\.0\.3",rollup="127\.0\.0\.1",reason="destination-rate"[^}]*\} [1-9]/,
    );
  });
});
