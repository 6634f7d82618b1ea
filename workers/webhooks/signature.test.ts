import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature } from './signature.js';

const SECRET = 'whsec_test-secret';
const BODY = '{"event":{"id":"ev_1","type":"delivered"}}';
const T = 1_700_000_000;

describe('webhook signature', () => {
  it('is t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const mac = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
    expect(signWebhook(T, BODY, SECRET)).toBe(`t=${T},v1=${mac}`);
  });

  it('verifies what it signs, within the tolerance', () => {
    const header = signWebhook(T, BODY, SECRET);
    expect(verifyWebhookSignature(header, BODY, SECRET, 300, T)).toBe(true);
    expect(verifyWebhookSignature(header, BODY, SECRET, 300, T + 300)).toBe(true);
    expect(verifyWebhookSignature(header, BODY, SECRET, 300, T - 300)).toBe(true);
  });

  it('refuses a stale or future timestamp', () => {
    const header = signWebhook(T, BODY, SECRET);
    expect(verifyWebhookSignature(header, BODY, SECRET, 300, T + 301)).toBe(false);
    expect(verifyWebhookSignature(header, BODY, SECRET, 300, T - 301)).toBe(false);
  });

  it('refuses another body, another secret, or a re-dated signature', () => {
    const header = signWebhook(T, BODY, SECRET);
    expect(verifyWebhookSignature(header, `${BODY} `, SECRET, 300, T)).toBe(false);
    expect(verifyWebhookSignature(header, BODY, 'whsec_other', 300, T)).toBe(false);
    expect(verifyWebhookSignature(header.replace(`t=${T}`, `t=${T + 1}`), BODY, SECRET, 300, T)).toBe(false);
  });

  it('refuses malformed headers', () => {
    const mac = signWebhook(T, BODY, SECRET).split('v1=')[1] ?? '';
    for (const header of [
      undefined,
      '',
      'garbage',
      `v1=${mac}`,
      `t=${T}`,
      `t=abc,v1=${mac}`,
      `t=${T},v1=${mac.slice(2)}`,
      `t=${T},v0=${mac}`,
    ]) {
      expect(verifyWebhookSignature(header, BODY, SECRET, 300, T), String(header)).toBe(false);
    }
  });

  it('accepts a header carrying several v1 MACs when one matches', () => {
    const good = signWebhook(T, BODY, SECRET);
    const other = signWebhook(T, BODY, 'whsec_old').split(',')[1];
    expect(verifyWebhookSignature(`${good},${other}`, BODY, SECRET, 300, T)).toBe(true);
    expect(verifyWebhookSignature(`t=${T},${other}`, BODY, SECRET, 300, T)).toBe(false);
  });
});
