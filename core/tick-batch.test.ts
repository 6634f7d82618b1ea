import { afterEach, describe, expect, it, vi } from 'vitest';
import { TickBatch } from './tick-batch.js';

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
    const batch = new TickBatch<number, number>(async (items) =>
      items.map((n) => (n % 2 === 0 ? Promise.reject(new Error(`odd one out ${n}`)) : n * 10)),
    );
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
    /**
     * A fresh copy of the module on a fake clock (timers, immediates, performance.now): its
     * schedules start there, not after the real-clock flushes of earlier tests.
     */
    async function onFakeClock(): Promise<typeof TickBatch> {
      vi.resetModules();
      const fresh = await import('./tick-batch.js');
      vi.useFakeTimers({ toFake: ['setTimeout', 'setImmediate', 'performance'] });
      return fresh.TickBatch;
    }

    afterEach(() => {
      vi.useRealTimers();
    });

    it('flushes at once after an idle interval, then gathers what comes sooner until the interval is over', async () => {
      const FakeClockBatch = await onFakeClock();
      const flushes: { at: number; items: number[] }[] = [];
      const batch = new FakeClockBatch<number>(
        async (items) => {
          flushes.push({ at: performance.now(), items: [...items] });
        },
        { flushIntervalMs: 60 },
      );
      const first = batch.add('k', 1);
      await vi.advanceTimersByTimeAsync(0);
      await first;
      // Items of the next ticks wait for the interval together; the groups due then flush in one callback.
      const later = [batch.add('k', 2)];
      await vi.advanceTimersByTimeAsync(1);
      later.push(batch.add('k', 3));
      await vi.advanceTimersByTimeAsync(5);
      later.push(batch.add('other', 4));
      await vi.advanceTimersByTimeAsync(60);
      await Promise.all(later);
      expect(flushes).toEqual([
        { at: 0, items: [1] },
        { at: 60, items: [2, 3] },
        { at: 60, items: [4] },
      ]);
    });

    it('keeps the interval when the loop turn that scheduled the flush ran long (timers count from its start)', async () => {
      const flushes: number[] = [];
      const batch = new TickBatch<number>(
        async () => {
          flushes.push(performance.now());
        },
        { flushIntervalMs: 70 },
      );
      await batch.add('k', 1);
      // A new turn, busy for 25 ms before it asks for the next flush. A timer set then fires a
      // little early (here about 1 ms, without the re-check of the early timer): the flush must wait.
      await new Promise((r) => setImmediate(r));
      const until = performance.now() + 25;
      while (performance.now() < until) {
        // busy
      }
      await batch.add('k', 2);
      const [first, second] = flushes;
      expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(69);
    });

    it('keeps its own spacing beside batches of other intervals in the same thread', async () => {
      const FakeClockBatch = await onFakeClock();
      const flushes: string[] = [];
      const batchOf = (name: string, flushIntervalMs?: number) =>
        new FakeClockBatch<number>(
          async () => {
            flushes.push(name);
          },
          flushIntervalMs === undefined ? {} : { flushIntervalMs },
        );
      const slow = batchOf('slow', 50);
      const fast = batchOf('fast', 10);
      const everyTick = batchOf('every tick');
      const added: Promise<void>[] = [];
      // One item for each batch every millisecond, for 100 ms.
      for (let ms = 0; ms < 100; ms++) {
        added.push(slow.add('k', ms), fast.add('k', ms), everyTick.add('k', ms));
        await vi.advanceTimersByTimeAsync(1);
      }
      await vi.runAllTimersAsync();
      await Promise.all(added);
      const count = (name: string) => flushes.filter((f) => f === name).length;
      // At 0 ms, then at the end of each interval while items keep coming (the last one at 100 ms).
      expect(count('slow')).toBe(3);
      expect(count('fast')).toBe(11);
      expect(count('every tick')).toBe(100);
    });
  });
});
