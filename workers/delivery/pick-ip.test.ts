import { randomUUID } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { pickIp } from './pick-ip.js';

describe('pickIp', () => {
  const pool = [
    { ip: '127.0.0.2', weight: 1 },
    { ip: '127.0.0.3', weight: 1 },
    { ip: '127.0.0.4', weight: 1 },
  ];

  it('is sticky: the same message id always leaves from the same IP', () => {
    for (let i = 0; i < 200; i++) {
      const id = randomUUID();
      const first = pickIp(pool, id);
      expect(pool.map((p) => p.ip)).toContain(first);
      for (let k = 0; k < 3; k++) expect(pickIp(pool, id)).toBe(first);
    }
  });

  it('does not depend on other state, only on the pool and the id', () => {
    expect(pickIp([...pool], 'msg_0001')).toBe(pickIp(pool, 'msg_0001'));
  });

  it('spreads messages over every IP of equal weight', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) seen.add(pickIp(pool, randomUUID()));
    expect(seen).toEqual(new Set(pool.map((p) => p.ip)));
  });

  it('gives an IP of weight 0.1 about a tenth of what an IP of weight 1 carries', () => {
    const warm = [
      { ip: '127.0.0.2', weight: 1 },
      { ip: '127.0.0.3', weight: 0.1 },
    ];
    const n = 20_000;
    let light = 0;
    for (let i = 0; i < n; i++) if (pickIp(warm, randomUUID()) === '127.0.0.3') light++;
    // Expected share 0.1 / 1.1 ≈ 9.1%; the standard deviation over 20,000 draws is ≈ 0.2 points.
    expect(Math.abs(light / n - 0.1 / 1.1)).toBeLessThan(0.012);
  });

  it('never picks an IP of weight 0 (or less)', () => {
    const ips = [
      { ip: '127.0.0.2', weight: 0 },
      { ip: '127.0.0.3', weight: 1 },
      { ip: '127.0.0.4', weight: -1 },
    ];
    for (let i = 0; i < 2000; i++) expect(pickIp(ips, randomUUID())).toBe('127.0.0.3');
  });

  it('throws for an empty pool or one whose IPs all have weight 0', () => {
    expect(() => pickIp([], 'msg_1')).toThrow('pool has no usable IP');
    expect(() =>
      pickIp(
        [
          { ip: '127.0.0.2', weight: 0 },
          { ip: '127.0.0.3', weight: 0 },
        ],
        'msg_1',
      ),
    ).toThrow('pool has no usable IP');
  });
});

describe('pickIp with IPs this host cannot bind', () => {
  const pool = [
    { ip: '127.0.0.2', weight: 1 },
    { ip: '192.0.2.10', weight: 1 },
    { ip: '127.0.0.3', weight: 1 },
  ];
  const bindable = (ip: string) => ip !== '192.0.2.10';

  it('never picks an unbindable IP, and keeps the choice of every message whose IP is bindable', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = randomUUID();
      const free = pickIp(pool, id);
      const picked = pickIp(pool, id, bindable);
      expect(picked).not.toBe('192.0.2.10');
      if (free !== '192.0.2.10') expect(picked).toBe(free);
      if (picked) seen.add(picked);
    }
    expect(seen).toEqual(new Set(['127.0.0.2', '127.0.0.3']));
  });

  it('gives undefined when no IP of the Pool can be bound', () => {
    const unbindable = [
      { ip: '192.0.2.10', weight: 1 },
      { ip: '192.0.2.11', weight: 1 },
    ];
    expect(pickIp(unbindable, 'msg_1', () => false)).toBeUndefined();
  });
});
