import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { waitFor } from '../support/wait.js';
import { refusedPort } from '../support/refused-port.js';

describe('an unreachable MX', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    // A port nobody listens on, now or later: every connection is refused.
    const closedPort = await refusedPort();
    platform = await startTestPlatform({
      BRIDGEMAIL_MX_OVERRIDE: `*=127.0.0.1:${closedPort}`,
      BRIDGEMAIL_RETRY_BASE_MS: '100',
      BRIDGEMAIL_RETRY_MAX_MS: '200',
      BRIDGEMAIL_RETRY_MAX_AGE_MS: '1500',
    });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('defers each attempt with an event, then bounces with reason expired', async () => {
    onTestFailed(() => {
      console.error(
        platform.logs
          .filter((l) => l.includes('"component":"delivery"') || l.includes('"level":50'))
          .slice(-40)
          .join(''),
      );
    });
    const pool = await platform.createPool('dead-pool', ['127.0.0.2']);
    const bridge = await platform.createBridge('dead-app', pool.id);
    const res = await fetch(`${platform.urls.api}/v1/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bridge.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'app@sender.test', to: 'x@example.test', subject: 's', text: 't' }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const events = await waitFor(
      async () => {
        const e = await platform.events('message_id = {id:String}', { id });
        return e.some((x) => x.type === 'bounced') ? e : undefined;
      },
      20_000,
      'expired bounce',
    );
    const deferred = events.filter((e) => e.type === 'deferred');
    expect(deferred.length).toBeGreaterThanOrEqual(2);
    expect(deferred.map((e) => e.attempt)).toEqual(deferred.map((_, i) => i + 1));
    for (const d of deferred) expect(d.reason).toBe('connection');
    const bounced = events.filter((e) => e.type === 'bounced');
    expect(bounced).toHaveLength(1);
    expect(bounced[0]).toMatchObject({ reason: 'expired', recipient: 'x@example.test' });
    expect(await platform.stats(bridge.id)).toMatchObject({ sent: 1, delivered: 0, bounced: 1 });
  });
});
