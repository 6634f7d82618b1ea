import { describe, it, expect } from 'vitest';
import { parseMxOverride, type MxTarget } from '../../core/index.js';
import { createMxResolver } from './mx-resolver.js';

describe('createMxResolver (override and literal paths, no DNS)', () => {
  const sink: MxTarget[] = [{ host: '127.0.0.1', port: 2526, priority: 0 }];
  const catchAll: MxTarget[] = [{ host: '127.0.0.1', port: 2525, priority: 0 }];

  it('answers from the override map, case-insensitively and ignoring a trailing dot', async () => {
    const resolve = createMxResolver({ override: new Map([['example.test', sink]]) });
    for (const domain of ['example.test', 'Example.TEST', 'EXAMPLE.test.']) {
      expect(await resolve(domain)).toEqual({ kind: 'found', targets: sink });
    }
  });

  it('prefers an exact domain over the * wildcard and uses * for the rest', async () => {
    const resolve = createMxResolver({
      override: new Map([
        ['example.test', sink],
        ['*', catchAll],
      ]),
    });
    expect(await resolve('example.test')).toEqual({ kind: 'found', targets: sink });
    expect(await resolve('other.example')).toEqual({ kind: 'found', targets: catchAll });
    expect(await resolve('gmail.com')).toEqual({ kind: 'found', targets: catchAll });
  });

  it('works with the map parseMxOverride makes', async () => {
    const resolve = createMxResolver({ override: parseMxOverride('Example.Test=127.0.0.1:2526,*=127.0.0.1:2525') });
    expect(await resolve('EXAMPLE.TEST')).toEqual({ kind: 'found', targets: sink });
    expect(await resolve('anything.test')).toEqual({ kind: 'found', targets: catchAll });
  });

  it('sends an address literal straight to that IP on the configured port', async () => {
    const resolve = createMxResolver({ port: 2525 });
    expect(await resolve('[127.0.0.1]')).toEqual({
      kind: 'found',
      targets: [{ host: '127.0.0.1', port: 2525, priority: 0 }],
    });
    expect(await resolve('127.0.0.2')).toEqual({
      kind: 'found',
      targets: [{ host: '127.0.0.2', port: 2525, priority: 0 }],
    });
  });

  it('defaults the port of an address literal to 25', async () => {
    const resolve = createMxResolver({ override: new Map([['example.test', sink]]) });
    expect(await resolve('[127.0.0.1]')).toEqual({
      kind: 'found',
      targets: [{ host: '127.0.0.1', port: 25, priority: 0 }],
    });
  });
});
