import { describe, expect, it, vi } from 'vitest';
import { SlotWaiters } from './slot-waiters.js';

describe('SlotWaiters', () => {
  it('does not wait when a slot was released after the refusal was asked for (no lost wake-up)', async () => {
    vi.useFakeTimers();
    try {
      const slots = new SlotWaiters();
      const seen = slots.releasesOf('127.0.0.2');
      // The release's wake-up runs before the refused acquire gets to wait: nobody is waiting yet.
      slots.wake('127.0.0.2', 'google.com');
      let woke = false;
      const waiting = slots.wait('127.0.0.2', 'google.com', 60_000, seen).then(() => (woke = true));
      await Promise.resolve();
      await Promise.resolve();
      expect(woke).toBe(true);
      await waiting;
    } finally {
      vi.useRealTimers();
    }
  });

  it('wakes the oldest waiter of the same rollup first, and counts releases per IP', async () => {
    vi.useFakeTimers();
    try {
      const slots = new SlotWaiters();
      const order: string[] = [];
      const a = slots.wait('127.0.0.2', 'yahoo.com', 60_000, 0).then(() => order.push('yahoo'));
      const b = slots.wait('127.0.0.2', 'google.com', 60_000, 0).then(() => order.push('google'));
      slots.wake('127.0.0.2', 'google.com');
      await b;
      expect(order).toEqual(['google']);
      expect(slots.releasesOf('127.0.0.2')).toBe(1);
      expect(slots.releasesOf('127.0.0.3')).toBe(0);
      await vi.advanceTimersByTimeAsync(60_000);
      await a;
      expect(order).toEqual(['google', 'yahoo']);
    } finally {
      vi.useRealTimers();
    }
  });
});
