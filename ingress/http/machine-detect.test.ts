import { describe, it, expect } from 'vitest';
import { machineReason } from './machine-detect.js';

const SENT = 1_700_000_000_000;
const WINDOW = 10_000;
const LATER = SENT + 60 * 60_000;
const HOME_IP = '203.0.113.45';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';
const GMAIL_PROXY = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';
const YAHOO_PROXY = 'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html';

const reason = (kind: 'o' | 'c', userAgent: string, clientIp = HOME_IP, now = LATER) =>
  machineReason(kind, { userAgent, clientIp }, SENT, now, WINDOW);

describe('machineReason', () => {
  it('attributes opens through the Gmail and Yahoo image proxies to the proxy', () => {
    expect(reason('o', GMAIL_PROXY, '66.249.84.1')).toBe('proxy');
    expect(reason('o', YAHOO_PROXY, '98.137.1.1')).toBe('proxy');
  });

  it('attributes opens by Apple Mail Privacy Protection to the proxy: bare Mozilla/5.0 or an Apple 17.0.0.0/8 address', () => {
    expect(reason('o', 'Mozilla/5.0')).toBe('proxy');
    expect(reason('o', IPHONE, '17.58.101.4')).toBe('proxy');
    expect(reason('o', IPHONE, '::ffff:17.58.101.4')).toBe('proxy');
  });

  it('does not mistake other addresses starting with 17 for Apple', () => {
    expect(reason('o', IPHONE, '170.10.1.1')).toBeUndefined();
    expect(reason('o', IPHONE, '172.16.0.1')).toBeUndefined();
  });

  it('attributes opens and clicks by security scanners and previewers to a scanner', () => {
    for (const ua of [
      'Mozilla/5.0 (compatible; Barracuda Sentinel)',
      'Mimecast URL Protect',
      'Proofpoint URL Defense',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) BingPreview/1.0b',
      'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      'Microsoft Office SafeLinks',
      'Trend Micro Email Security',
    ]) {
      expect(reason('o', ua)).toBe('scanner');
      expect(reason('c', ua)).toBe('scanner');
    }
  });

  it('attributes requests without a user agent to a machine', () => {
    expect(reason('o', '')).toBe('no-user-agent');
    expect(reason('c', '   ')).toBe('no-user-agent');
  });

  it('calls a click within the scanner window too fast, and one at or after its end human', () => {
    expect(reason('c', CHROME, HOME_IP, SENT + 2_000)).toBe('too-fast');
    expect(reason('c', CHROME, HOME_IP, SENT + WINDOW - 1)).toBe('too-fast');
    expect(reason('c', CHROME, HOME_IP, SENT + WINDOW)).toBeUndefined();
  });

  it('does not apply the scanner window to opens', () => {
    expect(reason('o', CHROME, HOME_IP, SENT + 1_000)).toBeUndefined();
  });

  it('attributes a normal browser open or click to a person', () => {
    expect(reason('o', CHROME)).toBeUndefined();
    expect(reason('c', CHROME)).toBeUndefined();
    expect(reason('c', IPHONE)).toBeUndefined();
  });

  it('does not call a click through an image proxy agent or from an Apple address a proxy', () => {
    expect(reason('c', IPHONE, '17.58.101.4')).toBeUndefined();
    expect(reason('c', GMAIL_PROXY)).toBeUndefined();
  });
});
