import { describe, expect, it } from 'vitest';
import { AppError } from './errors.js';
import { MAX_SCHEDULE_AHEAD_MS, parseSendAt } from './send-at.js';

const NOW = Date.parse('2030-01-15T12:00:00Z');
const read = (value: string) => parseSendAt(value, 'sendAt', 'VALIDATION_FAILED', NOW);

describe('parseSendAt', () => {
  it('reads RFC 3339 with any offset and fractional seconds into the same instant', () => {
    const due = Date.parse('2030-01-16T09:00:00Z');
    expect(read('2030-01-16T09:00:00Z')).toBe(due);
    expect(read('2030-01-16T10:30:00+01:30')).toBe(due);
    expect(read('2030-01-16t09:00:00z')).toBe(due);
    expect(read('2030-01-16 09:00:00.000000Z')).toBe(due);
    expect(read('2030-01-16T09:00:00.250Z')).toBe(due + 250);
    expect(read('2030-02-08T00:00:00-05:00')).toBe(Date.parse('2030-02-08T05:00:00Z'));
  });

  it('answers undefined (send now) for now and the past', () => {
    expect(read('2030-01-15T12:00:00Z')).toBeUndefined();
    expect(read('2000-01-01T00:00:00Z')).toBeUndefined();
  });

  it('takes up to 30 days ahead, not a millisecond more', () => {
    expect(read(new Date(NOW + MAX_SCHEDULE_AHEAD_MS).toISOString())).toBe(NOW + MAX_SCHEDULE_AHEAD_MS);
    expect(() => read(new Date(NOW + MAX_SCHEDULE_AHEAD_MS + 1).toISOString())).toThrow(/at most 30 days ahead/);
  });

  it('refuses what is not an RFC 3339 date-time with an offset, naming the field with the given code', () => {
    for (const bad of [
      '',
      'tomorrow',
      '2030-01-16',
      '2030-01-16T09:00:00',
      '2030-01-16T09:00Z',
      '2030-02-30T09:00:00Z',
      '2031-02-29T09:00:00Z',
      '2030-13-01T09:00:00Z',
      '2030-01-16T25:00:00Z',
      '1799625600000',
    ]) {
      let thrown: unknown;
      try {
        parseSendAt(bad, 'X-Bridgemail-Send-At', 'CONTROL_HEADER_INVALID', NOW);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, bad).toBeInstanceOf(AppError);
      expect(thrown, bad).toMatchObject({ code: 'CONTROL_HEADER_INVALID', field: 'X-Bridgemail-Send-At' });
    }
  });
});
