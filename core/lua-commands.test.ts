import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { defineLuaCommands, resolveLuaCommands } from './lua-commands.js';

const files = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe('resolveLuaCommands', () => {
  it('names each top-level file a command and takes its number of keys from the file name', () => {
    const commands = resolveLuaCommands(
      files({ 'takeToken-3.lua': 'return 1', 'readState-1.lua': 'return 2', 'includes/clock.lua': 'local x = 1' }),
    );
    expect(commands.map(({ name, numberOfKeys }) => ({ name, numberOfKeys }))).toEqual([
      { name: 'readState', numberOfKeys: 1 },
      { name: 'takeToken', numberOfKeys: 3 },
    ]);
  });

  it('inlines includes relative to the including file, each once, nested ones before their user', () => {
    const [command] = resolveLuaCommands(
      files({
        'acquire-2.lua': '--- @include "includes/bucket"\n--- @include "includes/clock.lua"\nreturn bucket(clock())',
        'includes/bucket.lua': '--- @include "clock"\nlocal function bucket(now) return now end\n',
        'includes/clock.lua': 'local function clock() return 0 end\n',
      }),
    );
    expect(command?.lua).toBe(
      'local function clock() return 0 end\nlocal function bucket(now) return now end\n\nreturn bucket(clock())',
    );
  });

  it('fails loudly on a missing include, naming the file that wants it', () => {
    expect(() => resolveLuaCommands(files({ 'acquire-2.lua': '--- @include "includes/nowhere"\nreturn 1' }))).toThrow(
      'Lua include "includes/nowhere" of acquire-2.lua not found (looked for includes/nowhere.lua)',
    );
  });

  it('fails on an include cycle and on a command file without its number of keys', () => {
    const cycle = files({
      'a-1.lua': '--- @include "lib/b"',
      'lib/b.lua': '--- @include "c"',
      'lib/c.lua': '--- @include "b"',
    });
    expect(() => resolveLuaCommands(cycle)).toThrow('Lua include cycle: a-1.lua → lib/b.lua → lib/c.lua → lib/b.lua');
    expect(() => resolveLuaCommands(files({ 'acquire.lua': 'return 1' }))).toThrow(
      'acquire.lua is not named <name>-<numberOfKeys>.lua',
    );
  });
});

describe('defineLuaCommands', () => {
  it('defines each command once per client and refuses a name already taken', () => {
    const redis = new Redis({ lazyConnect: true });
    const [command] = resolveLuaCommands(files({ 'bumpCounter-1.lua': "return redis.call('INCR', KEYS[1])" }));
    if (!command) throw new Error('expected a command');
    defineLuaCommands(redis, [command]);
    expect('bumpCounter' in redis).toBe(true);
    expect(() => defineLuaCommands(redis, [command])).not.toThrow();
    expect(() => defineLuaCommands(redis, [{ ...command, lua: 'return 0' }])).toThrow(
      'Lua command bumpCounter clashes',
    );
    expect(() => defineLuaCommands(redis, [{ ...command, name: 'get' }])).toThrow('Lua command get clashes');
    redis.disconnect();
  });
});
