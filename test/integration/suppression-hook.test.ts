import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

describe('suppressed recipients are not attempted', () => {
  const h = useHarness();
  let first: any;
  let second: any;

  beforeAll(async () => {
    const pool = await h.platform.createPool('sup-pool', ['127.0.0.2']);
    first = await h.platform.createBridge('sup-first', pool.id, { trackOpens: false, trackClicks: false });
    second = await h.platform.createBridge('sup-second', pool.id, { trackOpens: false, trackClicks: false });
    await h.platform.store.addSuppression({ bridgeId: first.id, address: 'bridge-blocked@example.test', reason: 'bounced' });
    await h.platform.store.addSuppression({ bridgeId: null, address: 'everywhere-blocked@example.test', reason: 'complaint' });
  });

  const send = async (apiKey: string, to: string[]) => {
    const res = await h.platform.send(apiKey, { from: 'app@sender.test', to, subject: 'suppression', text: 'hello' });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  /** Events of a message once every recipient has a final outcome (delivered, bounced or suppressed). */
  const finalEvents = (id: string, recipients: number) =>
    waitFor(async () => {
      const e = await h.platform.events('message_id = {id:String}', { id });
      return e.filter((x) => ['delivered', 'bounced', 'suppressed'].includes(x.type)).length >= recipients ? e : undefined;
    }, 20_000, `final outcomes of ${id}`);

  it('skips a Bridge-scoped and an account-wide suppression and delivers the rest', async () => {
    const id = await send(first.apiKey, ['bridge-blocked@example.test', 'everywhere-blocked@example.test', 'ok-1@example.test']);
    const events = await finalEvents(id, 3);
    await waitFor(() => h.sink.messages.some((m) => m.to.includes('ok-1@example.test')), 20_000, 'ok-1 at the sink');

    expect(h.sink.offers.has('bridge-blocked@example.test')).toBe(false);
    expect(h.sink.offers.has('everywhere-blocked@example.test')).toBe(false);
    const copy = h.sink.messages.find((m) => m.to.includes('ok-1@example.test'))!;
    expect(copy.to).toEqual(['ok-1@example.test']);

    const suppressed = events.filter((e) => e.type === 'suppressed');
    expect(suppressed.map((e) => e.recipient).sort()).toEqual(['bridge-blocked@example.test', 'everywhere-blocked@example.test']);
    for (const e of suppressed) expect(e).toMatchObject({ bridge_id: first.id, reason: 'suppressed' });
    expect(events.filter((e) => e.type === 'delivered').map((e) => e.recipient)).toEqual(['ok-1@example.test']);
    expect(events.filter((e) => e.type === 'sent').map((e) => e.recipient)).toEqual(['ok-1@example.test']);
    expect(events.filter((e) => e.type === 'queued').map((e) => e.recipient).sort()).toEqual([
      'bridge-blocked@example.test',
      'everywhere-blocked@example.test',
      'ok-1@example.test',
    ]);
  });

  it('matches a suppressed address regardless of case', async () => {
    const id = await send(first.apiKey, ['Everywhere-Blocked@Example.TEST', 'ok-2@example.test']);
    const events = await finalEvents(id, 2);
    expect(events.filter((e) => e.type === 'suppressed')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'delivered').map((e) => e.recipient)).toEqual(['ok-2@example.test']);
    expect(h.sink.offers.has('everywhere-blocked@example.test')).toBe(false);
  });

  it('applies the account-wide suppression to another Bridge, but not the first Bridge’s own', async () => {
    const id = await send(second.apiKey, ['bridge-blocked@example.test', 'everywhere-blocked@example.test', 'ok-3@example.test']);
    const events = await finalEvents(id, 3);
    await waitFor(
      () => ['bridge-blocked@example.test', 'ok-3@example.test'].every((r) => h.sink.messages.some((m) => m.to.includes(r))),
      20_000,
      'bridge-blocked and ok-3 at the sink',
    );
    expect(h.sink.offers.has('everywhere-blocked@example.test')).toBe(false);
    expect(h.sink.offers.get('bridge-blocked@example.test')).toBe(1);
    const suppressed = events.filter((e) => e.type === 'suppressed');
    expect(suppressed.map((e) => e.recipient)).toEqual(['everywhere-blocked@example.test']);
    expect(suppressed[0]).toMatchObject({ bridge_id: second.id });
    expect(events.filter((e) => e.type === 'delivered').map((e) => e.recipient).sort()).toEqual(['bridge-blocked@example.test', 'ok-3@example.test']);
  });

  it('sends nothing when every recipient is suppressed', async () => {
    const before = h.sink.messages.length;
    const id = await send(first.apiKey, ['bridge-blocked@example.test', 'everywhere-blocked@example.test']);
    const events = await finalEvents(id, 2);
    expect(events.map((e) => e.type).sort()).toEqual(['queued', 'queued', 'suppressed', 'suppressed']);
    expect(h.sink.messages.slice(before).some((m) => m.to.some((r) => r.includes('blocked')))).toBe(false);
  });
});
