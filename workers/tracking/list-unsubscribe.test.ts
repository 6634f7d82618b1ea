import { describe, expect, it } from 'vitest';
import { TrackingTokens, UnsubscribeAddresses, type BridgeSettings, type DeliveryJob } from '../../core/index.js';
import { addListUnsubscribe, createUnsubscribePlanner, hasListUnsubscribe } from './list-unsubscribe.js';

const links = { url: 'https://t.example/u/TOKEN', mailto: 'unsub-abc@bounce.example' };
const crlf = Buffer.from('From: a@x.test\r\nTo: b@y.test\r\nSubject: hi\r\n\r\nList-Unsubscribe: in the body\r\n');

describe('addListUnsubscribe', () => {
  it('puts both fields at the top of the header block, in the message line ending', () => {
    const out = addListUnsubscribe(crlf, links).toString();
    expect(out).toBe(
      'List-Unsubscribe: <https://t.example/u/TOKEN>,\r\n <mailto:unsub-abc@bounce.example>\r\n' +
        'List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n' +
        crlf.toString(),
    );
    const lf = Buffer.from('From: a@x.test\nSubject: hi\n\nbody\n');
    expect(addListUnsubscribe(lf, links).toString()).toMatch(/^List-Unsubscribe: <[^>]+>,\n <mailto:[^>]+>\nList-/);
  });

  it("keeps a sender's own List-Unsubscribe: the very same bytes come back", () => {
    for (const own of [
      'From: a@x.test\r\nlist-unsubscribe: <mailto:own@x.test>\r\n\r\nbody',
      'From: a@x.test\r\nSubject: s\r\nList-Unsubscribe :\r\n <https://x.test/u>\r\n\r\nbody',
    ]) {
      const raw = Buffer.from(own);
      expect(hasListUnsubscribe(raw)).toBe(true);
      expect(addListUnsubscribe(raw, links)).toBe(raw);
    }
    // A mention in the body or in another field's name is not the sender's header.
    expect(hasListUnsubscribe(crlf)).toBe(false);
    expect(hasListUnsubscribe(Buffer.from('X-List-Unsubscribe: no\r\n\r\n'))).toBe(false);
  });
});

describe('createUnsubscribePlanner', () => {
  const key = Buffer.alloc(32, 3);
  const tokens = new TrackingTokens(key);
  const settings = (listUnsubscribe: boolean, trackingBaseUrl: string | null = null) => ({
    // Only what the planner reads of the settings.
    get: async (id: string) =>
      ({
        id,
        trackOpens: false,
        trackClicks: false,
        trackingBaseUrl,
        listUnsubscribe,
        deletedAt: null,
      }) as BridgeSettings,
  });
  const plan = (on: boolean, recipients: string[], base: string | null = null) =>
    createUnsubscribePlanner({
      settings: settings(on, base),
      defaultBaseUrl: () => 'http://127.0.0.1:8080/',
      tokens,
      addresses: new UnsubscribeAddresses(key, 'bounce.example'),
    })(
      { messageId: 'msg_01a20fa000001122334455667788', bridgeId: 'br_1', poolId: 'pool_1' } as DeliveryJob,
      recipients,
    );

  it('makes an opaque one-click URL and a mailto address for the one recipient of a copy', async () => {
    const links = await plan(true, ['Reader@Example.test']);
    const token = /^http:\/\/127\.0\.0\.1:8080\/u\/([A-Za-z0-9_-]+)$/.exec(links?.url ?? '')?.[1];
    expect(token).toBeDefined();
    expect(links?.url).not.toMatch(/reader|example/i);
    expect(tokens.verify(token!, 'u')).toMatchObject({
      m: 'msg_01a20fa000001122334455667788',
      b: 'br_1',
      p: 'pool_1',
      r: 'Reader@Example.test',
    });
    // Not an open or click token, and those are not unsubscribe tokens.
    expect(tokens.verify(token!, 'o')).toBeUndefined();
    expect(links?.mailto).toMatch(/^unsub-[a-z2-7]{42}@bounce\.example$/);
    expect((await plan(true, ['a@x.test'], 'https://t.shop.test/'))?.url).toMatch(/^https:\/\/t\.shop\.test\/u\//);
  });

  it('plans nothing when the Bridge has it off, or for a copy to several recipients', async () => {
    expect(await plan(false, ['a@x.test'])).toBeUndefined();
    expect(await plan(true, ['a@x.test', 'b@x.test'])).toBeUndefined();
  });
});
