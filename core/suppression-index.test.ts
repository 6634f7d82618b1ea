import { describe, expect, it } from 'vitest';
import { SuppressionIndex } from './suppression-index.js';

describe('SuppressionIndex', () => {
  it('answers per Bridge and account-wide, case-insensitively, from one load', async () => {
    let loads = 0;
    const index = new SuppressionIndex(async () => {
      loads++;
      return {
        entries: [
          { bridgeId: null, accountId: 'acc_1', address: 'everyone@x.test' },
          { bridgeId: 'br_a', accountId: 'acc_1', address: 'only-a@x.test' },
        ],
        bridges: [
          { id: 'br_a', accountId: 'acc_1' },
          { id: 'br_b', accountId: 'acc_1' },
          { id: 'br_c', accountId: 'acc_2' },
        ],
      };
    });
    expect(await index.among('br_a', ['Everyone@X.test', 'only-a@x.test', 'fine@x.test'])).toEqual(
      new Set(['Everyone@X.test', 'only-a@x.test']),
    );
    expect(await index.among('br_b', ['everyone@x.test', 'only-a@x.test'])).toEqual(new Set(['everyone@x.test']));
    // An account-wide entry is the account's, not the installation's.
    expect(await index.among('br_c', ['everyone@x.test', 'only-a@x.test'])).toEqual(new Set());
    expect(loads).toBe(1);
    expect(index.size).toBe(2);
  });

  it('coalesces refreshes and makes lookups wait for a pending one', async () => {
    let rows = [{ bridgeId: null as string | null, accountId: 'acc_1', address: 'a@x.test' }];
    let loads = 0;
    let release: () => void = () => {};
    const index = new SuppressionIndex(async () => {
      loads++;
      if (loads > 1) await new Promise<void>((r) => (release = r));
      return { entries: rows, bridges: [{ id: 'br_a', accountId: 'acc_1' }] };
    });
    await index.refresh();
    rows = [...rows, { bridgeId: null, accountId: 'acc_1', address: 'b@x.test' }];
    const first = index.refresh();
    const second = index.refresh();
    const third = index.refresh();
    const lookup = index.among('br_a', ['b@x.test']);
    release();
    await new Promise((r) => setTimeout(r, 0));
    release();
    await Promise.all([first, second, third]);
    expect(await lookup).toEqual(new Set(['b@x.test']));
    // One reload for the first call, one more for the calls that came while it ran.
    expect(loads).toBe(3);
  });

  it('retries a failed load on the next lookup', async () => {
    let fail = true;
    const index = new SuppressionIndex(async () => {
      if (fail) throw new Error('database down');
      return {
        entries: [{ bridgeId: null, accountId: 'acc_1', address: 'a@x.test' }],
        bridges: [{ id: 'br', accountId: 'acc_1' }],
      };
    });
    await expect(index.among('br', ['a@x.test'])).rejects.toThrow('database down');
    fail = false;
    expect(await index.among('br', ['a@x.test'])).toEqual(new Set(['a@x.test']));
  });
});
