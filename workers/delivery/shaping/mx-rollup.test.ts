import { describe, expect, it } from 'vitest';
import { rollupKey } from './mx-rollup.js';

describe('rollupKey', () => {
  it.each([
    ['gmail-smtp-in.l.google.com', 'google.com'],
    ['alt1.aspmx.l.google.com', 'google.com'],
    ['mx1.mail.protection.outlook.com', 'outlook.com'],
    ['contoso-com.mail.protection.outlook.com', 'outlook.com'],
    ['mx.example.co.uk', 'example.co.uk'],
    ['mail.a.b.example.k12.ak.us', 'example.k12.ak.us'],
    ['mx01.mail.icloud.com', 'icloud.com'],
  ])('rolls %s up to %s', (host, key) => {
    expect(rollupKey(host)).toBe(key);
  });

  it('lower-cases and ignores a trailing root dot', () => {
    expect(rollupKey('MX.Example.COM.')).toBe('example.com');
  });

  it('keeps a name under a reserved test TLD as its last two labels', () => {
    expect(rollupKey('mx.sub.example.test')).toBe('example.test');
  });

  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['[127.0.0.1]', '127.0.0.1'],
    ['2001:db8::1', '2001:db8::1'],
    ['[IPv6:2001:db8::1]', '2001:db8::1'],
    ['localhost', 'localhost'],
    ['mailhost', 'mailhost'],
    ['co.uk', 'co.uk'],
  ])('keeps %s as itself (%s)', (host, key) => {
    expect(rollupKey(host)).toBe(key);
  });
});
