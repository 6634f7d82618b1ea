import { describe, expect, it } from 'vitest';
import { acquireKeys, SHAPING_COMMANDS, shapingKeys } from './shaping-scripts.js';

describe('shaping Lua commands', () => {
  it('are read from lua/ with their number of keys, every include inlined once', () => {
    expect(SHAPING_COMMANDS.map(({ name, numberOfKeys }) => [name, numberOfKeys])).toEqual([
      ['shapingAcquire', 6],
      ['shapingDestinationState', 1],
      ['shapingSuspend', 1],
    ]);
    for (const { lua } of SHAPING_COMMANDS) {
      expect(lua).not.toContain('@include');
      expect(lua.match(/local function clockMs\(/g)).toHaveLength(1);
      expect(lua.match(/local function adaptiveFactor\(/g)).toHaveLength(1);
    }
  });

  it('passes the six keys of a pair to shapingAcquire, all tagged with the IP', () => {
    const keys = acquireKeys(shapingKeys('bm', '127.0.0.2', 'Google.com'));
    expect(keys).toEqual([
      'bm:shaping:{127.0.0.2}:rate',
      'bm:shaping:{127.0.0.2}:hour',
      'bm:shaping:{127.0.0.2}:conns',
      'bm:shaping:{127.0.0.2}:dst:google.com:rate',
      'bm:shaping:{127.0.0.2}:dst:google.com:conns',
      'bm:shaping:{127.0.0.2}:dst:google.com:adaptive',
    ]);
  });
});
