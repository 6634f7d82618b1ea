import { describe, expect, it } from 'vitest';
import { DEFAULT_SHAPING_POLICY, destinationLimits, parseShapingPolicy } from './shaping-policy.js';

describe('parseShapingPolicy', () => {
  it('parses a policy with defaults and per-rollup overrides', () => {
    const policy = parseShapingPolicy({ destinations: { 'Google.com': { connections: 20, perSecond: 50 } } });
    expect(policy.adaptive.suspendMs).toBe(300_000);
    expect(destinationLimits(policy, 'google.com')).toEqual({ connections: 20, perSecond: 50 });
    expect(destinationLimits(policy, 'yahoo.com')).toEqual(DEFAULT_SHAPING_POLICY.destination);
    expect(() => parseShapingPolicy({ ip: { perSecond: 0 } })).toThrow();
    expect(() => parseShapingPolicy({ adaptive: { patterns: ['('] } })).toThrow();
  });

  it('by default limits no rate, only 20 connections per (IP, rollup)', () => {
    expect(DEFAULT_SHAPING_POLICY.ip.perSecond).toBeUndefined();
    expect(DEFAULT_SHAPING_POLICY.ip.perHour).toBeUndefined();
    expect(destinationLimits(DEFAULT_SHAPING_POLICY, 'google.com')).toEqual({ connections: 20 });
  });
});
