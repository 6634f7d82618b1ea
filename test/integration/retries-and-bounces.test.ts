import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

describe('remote replies: deferral, retry, bounce', () => {
  const h = useHarness({}, (rcpt, n) => {
    if (rcpt.startsWith('greylist') && n === 1) return { code: 451, message: '4.7.1 Greylisted, try again later' };
    if (rcpt.startsWith('filtered')) return { code: 550, message: 'Unknown user ' + rcpt, atData: true };
    if (rcpt.startsWith('unknown'))
      return { code: 550, message: '5.1.1 <' + rcpt + '>: Recipient address rejected: User unknown' };
    return undefined;
  });
  let bridge: any;

  const send = async (to: string | string[]) => {
    const res = await h.platform.send(bridge.apiKey, {
      from: 'app@sender.test',
      to,
      subject: 'retry test',
      text: 'hello',
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const eventsOf = (id: string) => h.platform.events('message_id = {id:String}', { id });
  /** The message's events once one of `type` is among them. */
  const eventsOnce = (id: string, type: string) =>
    waitFor(
      async () => {
        const e = await eventsOf(id);
        return e.some((x) => x.type === type) ? e : undefined;
      },
      20_000,
      type,
    );

  beforeAll(async () => {
    const pool = await h.platform.createPool('retry-pool', ['127.0.0.2']);
    bridge = await h.platform.createBridge('retry-app', pool.id);
  });

  it('defers on 451 and delivers on the retry', async () => {
    const id = await send('greylist-1@example.test');
    const events = await eventsOnce(id, 'delivered');
    expect(events.map((e) => e.type)).toEqual(['queued', 'sent', 'deferred', 'delivered']);
    const deferred = events.find((e) => e.type === 'deferred');
    expect(deferred).toMatchObject({ reply_code: 451, attempt: 1, ip: '127.0.0.2' });
    expect(deferred.reply).toContain('Greylisted');
    expect(events.find((e) => e.type === 'delivered')).toMatchObject({ attempt: 2, ip: '127.0.0.2' });
    expect(h.sink.offers.get('greylist-1@example.test')).toBe(2);
  });

  it('bounces on 550 and keeps the reply text', async () => {
    const id = await send('unknown-1@example.test');
    const events = await eventsOnce(id, 'bounced');
    expect(events.map((e) => e.type)).toEqual(['queued', 'sent', 'bounced']);
    const bounced = events.find((e) => e.type === 'bounced');
    // Classified with the bounce vocabulary: a 550 5.1.1 "User unknown" is a hard userunknown.
    expect(bounced).toMatchObject({
      reply_code: 550,
      recipient: 'unknown-1@example.test',
      reason: 'userunknown',
      hard: 1,
      status: '5.1.1',
    });
    expect(bounced.reply).toContain('User unknown');
    expect(h.sink.offers.get('unknown-1@example.test')).toBe(1);
  });

  it('gives each recipient of one message its own outcome', async () => {
    const id = await send(['ok-2@example.test', 'greylist-2@example.test', 'unknown-2@example.test']);
    const events = await waitFor(
      async () => {
        const e = await eventsOf(id);
        return e.filter((x) => ['delivered', 'bounced'].includes(x.type)).length === 3 ? e : undefined;
      },
      20_000,
      'three final outcomes',
    );
    const final = Object.fromEntries(
      events.filter((e) => ['delivered', 'bounced'].includes(e.type)).map((e) => [e.recipient, e.type]),
    );
    expect(final).toEqual({
      'ok-2@example.test': 'delivered',
      'greylist-2@example.test': 'delivered',
      'unknown-2@example.test': 'bounced',
    });
    // The retry carries only the deferred recipient: ok-2 is not delivered twice.
    expect(h.sink.messages.filter((m) => m.to.includes('ok-2@example.test'))).toHaveLength(1);
    expect(h.sink.messages.filter((m) => m.to.includes('greylist-2@example.test'))).toHaveLength(1);
    const stats = await waitFor(
      async () => {
        const s = await h.platform.stats(bridge.id);
        return s.delivered === 3 ? s : undefined;
      },
      20_000,
      'stats',
    );
    expect(stats).toMatchObject({ sent: 5, delivered: 3, bounced: 2, deferred: 2 });
  });

  it("takes an unknown-user answer to the message data for a filter's: soft, not suppressed", async () => {
    const id = await send('filtered-1@example.test');
    const events = await eventsOnce(id, 'bounced');
    // The same words at RCPT TO would be a hard userunknown (above): the stage decides.
    expect(events.find((e) => e.type === 'bounced')).toMatchObject({
      reply_code: 550,
      recipient: 'filtered-1@example.test',
      reason: 'filtered',
      hard: 0,
    });
    // Not suppressed: the next send to the address is accepted (a suppressed one answers 422).
    await send('filtered-1@example.test');
  });
});
