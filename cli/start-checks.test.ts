import { describe, expect, it } from 'vitest';
import { hostNameWarnings, isFullyQualified, listenFailureLine } from './start-checks.js';

const ports = { api: 8080, admin: 8081, smtp: 587, smtps: 465, mx: 25, ops: 9464 };
const errno = (code: string, port: number) =>
  Object.assign(new Error(`listen ${code}: 0.0.0.0:${port}`), { code, port, syscall: 'listen' });

describe('listenFailureLine', () => {
  it('names the variable of the port that is taken', () => {
    expect(listenFailureLine(errno('EADDRINUSE', 8081), { ports, host: '0.0.0.0' })).toBe(
      'port 0.0.0.0:8081 is already in use: set BRIDGEMAIL_ADMIN_PORT to a free port',
    );
    expect(listenFailureLine(errno('EADDRINUSE', 9464), { ports, host: '127.0.0.1' })).toContain('BRIDGEMAIL_OPS_PORT');
  });

  it('names the variable of a privileged port', () => {
    expect(listenFailureLine(errno('EACCES', 25), { ports, host: '0.0.0.0' })).toContain(
      'set BRIDGEMAIL_MX_PORT to a port above 1023',
    );
  });

  it('leaves other failures alone', () => {
    expect(listenFailureLine(new Error('boom'), { ports, host: '0.0.0.0' })).toBeUndefined();
    expect(listenFailureLine(errno('EADDRINUSE', 6379), { ports, host: '0.0.0.0' })).toBeUndefined();
    expect(listenFailureLine(errno('ECONNREFUSED', 8080), { ports, host: '0.0.0.0' })).toBeUndefined();
    expect(listenFailureLine('EADDRINUSE', { ports, host: '0.0.0.0' })).toBeUndefined();
  });
});

describe('hostNameWarnings', () => {
  it('warns about a short HELO name and bounce domain, naming both variables', () => {
    const warnings = hostNameWarnings({ heloName: 'box', verp: { prefix: 'bounces', domain: 'box' } });
    expect(warnings.map((w) => [w.variable, w.value])).toEqual([
      ['BRIDGEMAIL_HELO_NAME', 'box'],
      ['BRIDGEMAIL_BOUNCE_DOMAIN', 'box'],
    ]);
    for (const w of warnings) expect(w.msg).toContain(w.variable);
  });

  it('is silent for fully qualified names', () => {
    expect(
      hostNameWarnings({ heloName: 'mta1.example.com', verp: { prefix: 'bounces', domain: 'bounces.example.com' } }),
    ).toEqual([]);
  });

  it('warns about the bounce domain alone when only it is short', () => {
    const warnings = hostNameWarnings({
      heloName: 'mta1.example.com',
      verp: { prefix: 'bounces', domain: 'localhost' },
    });
    expect(warnings.map((w) => w.variable)).toEqual(['BRIDGEMAIL_BOUNCE_DOMAIN']);
  });
});

describe('isFullyQualified', () => {
  it.each([
    ['mail.example.com', true],
    ['mail.example.com.', true],
    ['localhost', false],
    ['box', false],
    ['.com', false],
    ['a..b', false],
  ])('%s → %s', (name, expected) => {
    expect(isFullyQualified(name)).toBe(expected);
  });
});
