import { afterEach, describe, expect, it } from 'vitest';
import { setTickBatchInterval, TickBatch } from './tick-batch.js';

describe('TickBatch', () => {
  it('hands the items of one key added in one tick to a single flush, in order', async () => {
    const flushes: [string, number[]][] = [];
    const batch = new TickBatch<number, string>(async (items, key) => {
      flushes.push([key, [...items]]);
      return items.map((n) => `${key}:${n}`);
    });
    const results = await Promise.all([batch.add('a', 1), batch.add('b', 2), batch.add('a', 3)]);
    expect(results).toEqual(['a:1', 'b:2', 'a:3']);
    expect(flushes).toEqual([
      ['a', [1, 3]],
      ['b', [2]],
    ]);
  });

  it('starts a new group for items added after the flush began', async () => {
    const flushes: number[][] = [];
    const batch = new TickBatch<number>(async (items) => {
      flushes.push([...items]);
    });
    await batch.add('k', 1);
    await Promise.all([batch.add('k', 2), batch.add('k', 3)]);
    expect(flushes).toEqual([[1], [2, 3]]);
  });

  it('runs the flushes of every batch of one tick in one callback, so their writes leave together', async () => {
    const order: string[] = [];
    const a = new TickBatch<number>(async () => {
      order.push('a');
    });
    const b = new TickBatch<number>(async () => {
      order.push('b');
    });
    const first = a.add('k', 1);
    // Queued after a's group was opened and before b's: with one callback per batch it would run in between.
    setImmediate(() => order.push('other callback'));
    const second = b.add('k', 2);
    await Promise.all([first, second]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['a', 'b', 'other callback']);
  });

  it('lets each item settle on its own when the flush gives promises', async () => {
    const batch = new TickBatch<number, number>(async (items) => items.map((n) => (n % 2 === 0 ? Promise.reject(new Error(`odd one out ${n}`)) : n * 10)));
    const [one, two, three] = await Promise.allSettled([batch.add('k', 1), batch.add('k', 2), batch.add('k', 3)]);
    expect(one).toEqual({ status: 'fulfilled', value: 10 });
    expect(two).toMatchObject({ status: 'rejected', reason: new Error('odd one out 2') });
    expect(three).toEqual({ status: 'fulfilled', value: 30 });
  });

  it('fails every item of a group whose flush throws, and only that group', async () => {
    const batch = new TickBatch<string>(async (_items, key) => {
      if (key === 'bad') throw new Error('redis is down');
    });
    const settled = await Promise.allSettled([batch.add('bad', 'x'), batch.add('bad', 'y'), batch.add('good', 'z')]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
  });

  it('fails a synchronous throw of the flush like a rejection', async () => {
    const batch = new TickBatch<string>(() => {
      throw new Error('boom');
    });
    await expect(batch.add('k', 'x')).rejects.toThrow('boom');
  });

  it('rejects the items a flush gave no outcome for', async () => {
    const batch = new TickBatch<number, number>(async (items) => items.slice(1));
    const settled = await Promise.allSettled([batch.add('k', 1), batch.add('k', 2)]);
    expect(settled[0]).toEqual({ status: 'fulfilled', value: 2 });
    expect(settled[1]).toMatchObject({ status: 'rejected' });
  });

  describe('with a flush interval', () => {
    afterEach(() => setTickBatchInterval(0));

    it('flushes at once after an idle interval, then gathers what comes sooner until the interval is over', async () => {
      setTickBatchInterval(60);
      const flushes: { at: number; items: number[] }[] = [];
      const batch = new TickBatch<number>(async (items) => {
        flushes.push({ at: performance.now(), items: [...items] });
      });
      await new Promise((r) => setTimeout(r, 70));
      const start = performance.now();
      await batch.add('k', 1);
      // The first flush left within the tick; items of the next ticks wait for the interval together.
      expect(performance.now() - start).toBeLessThan(40);
      const later = [batch.add('k', 2)];
      await new Promise((r) => setImmediate(r));
      later.push(batch.add('k', 3));
      await new Promise((r) => setTimeout(r, 5));
      later.push(batch.add('other', 4));
      await Promise.all(later);
      expect(flushes.map((f) => f.items)).toEqual([[1], [2, 3], [4]]);
      const [first, second, third] = flushes;
      // At least the interval (an early timer waits out the rest, see flushDue), less what ran before the flush.
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(59);
      // The groups due at the end of the interval flush in one callback.
      expect(Math.abs((third?.at ?? 0) - (second?.at ?? 0))).toBeLessThan(5);
    });

    it('keeps the interval when the loop turn that scheduled the flush ran long (timers count from its start)', async () => {
      setTickBatchInterval(60);
      const flushes: number[] = [];
      const batch = new TickBatch<number>(async () => {
        flushes.push(performance.now());
      });
      await new Promise((r) => setTimeout(r, 70));
      await batch.add('k', 1);
      // A new turn, busy for 25 ms before it asks for the next flush. A timer set then fires a
      // little early (here about 1 ms, without the re-check in flushDue): the flush must wait.
      await new Promise((r) => setImmediate(r));
      const until = performance.now() + 25;
      while (performance.now() < until) {
        // busy
      }
      await batch.add('k', 2);
      const [first, second] = flushes;
      expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(59);
    });

    it('flushes every tick again once the interval is 0', async () => {
      setTickBatchInterval(0);
      const flushes: number[][] = [];
      const batch = new TickBatch<number>(async (items) => {
        flushes.push([...items]);
      });
      const start = performance.now();
      await batch.add('k', 1);
      await batch.add('k', 2);
      expect(flushes).toEqual([[1], [2]]);
      expect(performance.now() - start).toBeLessThan(40);
    });
  });
});
