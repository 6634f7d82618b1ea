import { describe, expect, it } from 'vitest';
import { bridgeSlug, renderCredentialsFile, type CredentialsTarget } from './credentials-file.js';

const target: CredentialsTarget = {
  bridgeId: 'brg_01HX',
  bridgeName: 'Shop — Orders!',
  apiUrl: 'https://mail.example.com',
  apiKey: 'bm_live_AbC-123_xyz',
  smtpHost: 'smtp.example.com',
  smtpPort: 587,
  smtpsPort: 465,
  username: 'shop-orders',
  password: 'pw-Secret_9',
};
const hostile: CredentialsTarget = {
  ...target,
  bridgeName: `Bob's "app" $(rm -rf) \`x\` \\ $HOME\nline2`,
  password: `p'a"s$s\`\\`,
};

/** Reads back a POSIX shell word made of single-quoted runs and backslash escapes. */
function unshell(word: string): string {
  let out = '';
  for (const m of word.matchAll(/'([^']*)'|\\(.)|(.)/gsu)) {
    if (m[3] !== undefined) throw new Error(`unquoted ${m[3]} in ${word}`);
    out += m[1] ?? m[2] ?? '';
  }
  return out;
}

/** Splits an env file into assignments the way `source` would, for single-quoted values. */
function parseEnv(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of body.matchAll(/^([A-Z_]+)=((?:'[^']*'|\\')+)$/gmu)) out[m[1]!] = unshell(m[2]!);
  return out;
}

describe('renderCredentialsFile', () => {
  it('writes an env file whose values read back exactly, and nothing unquoted', () => {
    const file = renderCredentialsFile(hostile, 'env');
    expect(file.contentType).toBe('text/plain; charset=utf-8');
    expect(file.filename).toBe('bridgemail-bob-s-app-rm-rf-x-home-line2.env');
    expect(parseEnv(file.body)).toEqual({
      BRIDGEMAIL_BRIDGE_ID: 'brg_01HX',
      BRIDGEMAIL_BRIDGE_NAME: hostile.bridgeName,
      BRIDGEMAIL_SMTP_HOST: 'smtp.example.com',
      BRIDGEMAIL_SMTP_PORT: '587',
      BRIDGEMAIL_SMTP_ENCRYPTION: 'STARTTLS',
      BRIDGEMAIL_SMTPS_PORT: '465',
      BRIDGEMAIL_SMTPS_ENCRYPTION: 'TLS',
      BRIDGEMAIL_SMTP_USERNAME: 'shop-orders',
      BRIDGEMAIL_SMTP_PASSWORD: hostile.password,
      BRIDGEMAIL_API_KEY: 'bm_live_AbC-123_xyz',
      BRIDGEMAIL_SEND_URL: 'https://mail.example.com/v1/send',
    });
    // Each value is only single-quoted runs joined by \' escapes: nothing the shell expands.
    const assignments = file.body.match(/^[A-Z_]+=((?:'[^']*'|\\')+)$/gmu) ?? [];
    expect(assignments).toHaveLength(11);
  });

  it('writes JSON that parses back to the same values', () => {
    const file = renderCredentialsFile(hostile, 'json');
    expect(file.contentType).toBe('application/json');
    expect(file.filename).toMatch(/^bridgemail-[a-z0-9-]+\.json$/);
    expect(file.body).toContain('\n  "bridge"');
    expect(JSON.parse(file.body)).toEqual({
      bridge: { id: 'brg_01HX', name: hostile.bridgeName },
      smtp: {
        host: 'smtp.example.com',
        username: 'shop-orders',
        password: hostile.password,
        starttls: { port: 587, encryption: 'STARTTLS' },
        tls: { port: 465, encryption: 'TLS' },
      },
      api: { sendUrl: 'https://mail.example.com/v1/send', apiKey: 'bm_live_AbC-123_xyz' },
    });
  });

  it('writes aligned human-readable text', () => {
    const file = renderCredentialsFile(target, 'txt');
    expect(file.contentType).toBe('text/plain; charset=utf-8');
    expect(file.filename).toBe('bridgemail-shop-orders.txt');
    const rows = file.body.split('\n').filter((l) => /^[A-Z][\w ]+: /.test(l));
    expect(rows).toHaveLength(11);
    const columns = new Set(rows.map((l) => l.search(/(?<=: +)\S/)));
    expect(columns.size).toBe(1);
    for (const v of [
      'brg_01HX',
      'Shop — Orders!',
      'smtp.example.com',
      '587',
      'STARTTLS',
      '465',
      'TLS',
      'shop-orders',
      'pw-Secret_9',
    ]) {
      expect(file.body).toContain(v);
    }
    expect(file.body).toContain('https://mail.example.com/v1/send');
    expect(file.body).toContain('bm_live_AbC-123_xyz');
  });
});

describe('bridgeSlug', () => {
  it('lowercases, drops accents and turns other runs into single dashes', () => {
    expect(bridgeSlug('  Café Orders — EU!  ', 'brg_1')).toBe('cafe-orders-eu');
  });

  it('keeps at most 60 characters and no trailing dash', () => {
    const slug = bridgeSlug(`${'a'.repeat(59)} b`, 'brg_1');
    expect(slug).toBe('a'.repeat(59));
    expect(bridgeSlug('x'.repeat(100), 'brg_1')).toHaveLength(60);
  });

  it('falls back to the Bridge id when the name has nothing usable', () => {
    expect(bridgeSlug('!!! ???', 'brg_01HX')).toBe('brg_01HX');
    expect(bridgeSlug('日本', 'brg 1/2')).toBe('brg-1-2');
    expect(renderCredentialsFile({ ...target, bridgeName: '—' }, 'env').filename).toBe('bridgemail-brg_01HX.env');
  });
});
