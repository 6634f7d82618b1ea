import { describe, expect, it } from 'vitest';
import { renderCredentialsFile } from '../admin-api/samples/credentials-file.js';
import { envSchema } from '../core/index.js';
import { hostNameWarnings, isFullyQualified, listenFailureLine, unknownVariableWarnings } from './start-checks.js';

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

describe('unknownVariableWarnings', () => {
  const settings = Object.keys(envSchema.shape);

  it('names a misspelt setting and the one it most likely meant, never its value', () => {
    const warnings = unknownVariableWarnings({ BRIDGEMAIL_ADMIN_TOKNE: 'secret-value', PATH: '/bin' }, settings);
    expect(warnings).toEqual([
      {
        msg: 'BRIDGEMAIL_ADMIN_TOKNE is not a Bridgemail setting and has no effect: did you mean BRIDGEMAIL_ADMIN_TOKEN?',
        variable: 'BRIDGEMAIL_ADMIN_TOKNE',
        meant: 'BRIDGEMAIL_ADMIN_TOKEN',
      },
    ]);
    expect(JSON.stringify(warnings)).not.toContain('secret-value');
  });

  it('knows a missing, extra or wrong letter, two swapped letters and a missing unit', () => {
    const meant = (name: string) => unknownVariableWarnings({ [name]: '1' }, settings)[0]?.meant;
    expect(meant('BRIDGEMAIL_API_PRT')).toBe('BRIDGEMAIL_API_PORT');
    expect(meant('BRIDGEMAIL_API_PORTS')).toBe('BRIDGEMAIL_API_PORT');
    expect(meant('BRIDGEMAIL_EVENT_SHARD')).toBe('BRIDGEMAIL_EVENT_SHARDS');
    expect(meant('BRIDGEMAIL_SMTP_TIMEOUT')).toBe('BRIDGEMAIL_SMTP_TIMEOUT_MS');
  });

  it('points to the README when no setting is one typo away', () => {
    const [far, other] = unknownVariableWarnings({ BRIDGEMAIL_COLOUR: 'x', BRIDGEMAIL_HTTP_PORT: '80' }, settings);
    expect(far).toMatchObject({ variable: 'BRIDGEMAIL_COLOUR', meant: undefined });
    expect(far?.msg).toContain('(the settings are listed in the README)');
    // Two letters from BRIDGEMAIL_SMTP_PORT, which is not what someone writing HTTP means.
    expect(other).toMatchObject({ variable: 'BRIDGEMAIL_HTTP_PORT', meant: undefined });
  });

  it('is quiet about every setting and about the variables of a Bridge credentials file', () => {
    const env = Object.fromEntries(settings.map((s) => [s, '1']));
    expect(unknownVariableWarnings(env, settings)).toEqual([]);
    const target = { apiUrl: 'http://127.0.0.1:8080', apiKey: 'k', smtpHost: 'h', smtpPort: 587, smtpsPort: 465 };
    const file = renderCredentialsFile(
      { ...target, username: 'u', password: 'p', bridgeId: 'br_1', bridgeName: 'shop' },
      'env',
    );
    const fromFile = Object.fromEntries(
      file.body
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), 'v']),
    );
    expect(Object.keys(fromFile)).toContain('BRIDGEMAIL_API_KEY');
    expect(unknownVariableWarnings(fromFile, settings)).toEqual([]);
  });
});
