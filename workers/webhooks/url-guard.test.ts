import { describe, expect, it } from 'vitest';
import { checkWebhookUrl, isInternalAddress, type HostResolver } from './url-guard.js';

const INTERNAL = [
  '0.0.0.0',
  '0.1.2.3',
  '10.0.0.1',
  '10.255.255.255',
  '100.64.0.1',
  '100.127.255.254',
  '127.0.0.1',
  '127.1.2.3',
  '169.254.169.254',
  '172.16.0.1',
  '172.31.255.255',
  '192.168.1.1',
  '192.0.0.8',
  '192.0.2.1',
  '198.18.0.1',
  '224.0.0.1',
  '239.255.255.250',
  '240.0.0.1',
  '255.255.255.255',
  '::',
  '::1',
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '::ffff:10.0.0.1',
  '::ffff:a9fe:a9fe',
  '::127.0.0.1',
  'fc00::1',
  'fd12:3456::1',
  'fe80::1',
  'fe80::1%eth0',
  'fec0::1',
  'ff02::1',
  '2001:db8::1',
  '64:ff9b::a00:1',
  '2002:7f00:1::1',
  '[::1]',
  'not-an-ip',
  '1.2.3',
  '256.1.1.1',
];
const PUBLIC = [
  '1.1.1.1',
  '8.8.8.8',
  '100.63.255.255',
  '100.128.0.0',
  '172.15.255.255',
  '172.32.0.0',
  '192.169.0.1',
  '223.255.255.255',
  '2606:4700:4700::1111',
  '2a00:1450:4001::200e',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808',
  '2002:808:808::1',
];

const resolverOf =
  (table: Record<string, string[]>): HostResolver =>
  async (host) => {
    const found = table[host];
    if (!found) throw new Error(`ENOTFOUND ${host}`);
    return found;
  };
const noDns: HostResolver = async (host) => {
  throw new Error(`unexpected lookup of ${host}`);
};

describe('isInternalAddress', () => {
  it.each(INTERNAL)('%s is internal', (ip) => expect(isInternalAddress(ip)).toBe(true));
  it.each(PUBLIC)('%s is public', (ip) => expect(isInternalAddress(ip)).toBe(false));
});

describe('checkWebhookUrl', () => {
  it('accepts public literal addresses over http and https', async () => {
    for (const url of ['https://8.8.8.8/hook', 'http://[2606:4700:4700::1111]:8080/x']) {
      expect(await checkWebhookUrl(url, { resolve: noDns })).toMatchObject({ ok: true });
    }
  });

  it('refuses internal literal addresses, whatever the spelling', async () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://017700000001/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://169.254.169.254/latest/meta-data',
      'http://0.0.0.0:8080/',
      'http://[fe80::1]/',
    ]) {
      expect(await checkWebhookUrl(url, { resolve: noDns }), url).toMatchObject({
        ok: false,
        reason: 'internal-address',
      });
    }
  });

  it('says which variable lets internal targets through', async () => {
    const check = await checkWebhookUrl('http://127.0.0.1:9/hook', { resolve: noDns });
    expect(check.ok ? '' : check.detail).toContain('BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE=1');
  });

  it('lets internal addresses through with allowPrivate', async () => {
    expect(await checkWebhookUrl('http://127.0.0.1:9/hook', { allowPrivate: true, resolve: noDns })).toMatchObject({
      ok: true,
    });
    const resolve = resolverOf({ localhost: ['127.0.0.1', '::1'] });
    expect(await checkWebhookUrl('http://localhost/', { allowPrivate: true, resolve })).toMatchObject({
      ok: true,
      addresses: ['127.0.0.1', '::1'],
    });
  });

  it('refuses a name when any address it resolves to is internal', async () => {
    const resolve = resolverOf({
      'hooks.example.com': ['93.184.216.34'],
      'mixed.example.com': ['93.184.216.34', '10.1.2.3'],
      'v6.example.com': ['fd00::5'],
    });
    expect(await checkWebhookUrl('https://hooks.example.com/in', { resolve })).toMatchObject({
      ok: true,
      addresses: ['93.184.216.34'],
    });
    expect(await checkWebhookUrl('https://mixed.example.com/in', { resolve })).toMatchObject({
      ok: false,
      reason: 'internal-address',
    });
    expect(await checkWebhookUrl('https://v6.example.com/in', { resolve })).toMatchObject({
      ok: false,
      reason: 'internal-address',
    });
  });

  it('reports names that do not resolve as unresolvable (may pass later)', async () => {
    expect(await checkWebhookUrl('https://nowhere.example/', { resolve: resolverOf({}) })).toMatchObject({
      ok: false,
      reason: 'unresolvable',
    });
    expect(
      await checkWebhookUrl('https://empty.example/', { resolve: resolverOf({ 'empty.example': [] }) }),
    ).toMatchObject({ ok: false, reason: 'unresolvable' });
  });

  it('refuses other schemes and non-URLs, even with allowPrivate', async () => {
    for (const url of ['ftp://8.8.8.8/', 'file:///etc/passwd', 'gopher://8.8.8.8/', 'javascript:alert(1)']) {
      expect(await checkWebhookUrl(url, { allowPrivate: true, resolve: noDns }), url).toMatchObject({
        ok: false,
        reason: 'scheme',
      });
    }
    expect(await checkWebhookUrl('/relative', { allowPrivate: true, resolve: noDns })).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
  });
});
