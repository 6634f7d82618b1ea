import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { describe, expect, it } from 'vitest';
import { dkimSignature, parseDkimKey } from './dkim-signer.js';

const MESSAGE = Buffer.from(
  'From: Shop <shop@signed.example>\r\nTo: a@example.test\r\nSubject:  Hello   there \r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m1@bridgemail.test>\r\nContent-Type: text/plain\r\n\r\nHello  world \r\n\r\n\r\n',
);

function keys(type: 'rsa' | 'ed25519') {
  const pair = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
  const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pub = pair.publicKey.export({ type: 'spki', format: 'der' });
  // Ed25519 records carry the raw 32-byte key (RFC 8463 §4.2), RSA records the SPKI.
  const p = type === 'rsa' ? pub.toString('base64') : pub.subarray(pub.length - 32).toString('base64');
  return { pem, record: `v=DKIM1; k=${type}; p=${p}` };
}

describe('dkimSignature (mailauth canonicalisation, key parsed once)', () => {
  for (const type of ['rsa', 'ed25519'] as const) {
    it(`signs with a ${type} key so that mailauth verifies it, identically to mailauth's own signer`, async () => {
      const { pem, record } = keys(type);
      const dkim = parseDkimKey('signed.example', 'bm1', pem);
      const header = await dkimSignature(MESSAGE, dkim);
      const resolver = async (name: string) => {
        if (name === 'bm1._domainkey.signed.example') return [[record]];
        throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      };
      const signed = Buffer.concat([Buffer.from(header), MESSAGE]);
      const { results } = await dkimVerify(signed, { resolver: resolver as never });
      expect(results[0]).toMatchObject({ signingDomain: 'signed.example', selector: 'bm1', status: { result: 'pass' } });
      // Same key, same time: byte for byte what mailauth's dkimSign produces (RSA PKCS#1 v1.5 and
      // Ed25519 are deterministic).
      const signTime = new Date('2026-11-24T10:00:00Z');
      const ours = await dkimSignature(MESSAGE, { ...dkim });
      const signer = { signingDomain: 'signed.example', selector: 'bm1', privateKey: pem };
      const theirs = await dkimSign(MESSAGE, { canonicalization: 'relaxed/relaxed', algorithm: `${type}-sha256`, signTime, ...signer, signatureData: [signer] } as never);
      const strip = (h: string) => h.replace(/t=\d+;?\s*/g, '').replace(/b=[^;]*$/s, '');
      expect(strip(ours)).toBe(strip(theirs.signatures));
    });
  }

  it('refuses keys of other types', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => parseDkimKey('x.example', 's', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toThrow(/unsupported DKIM key type ec/);
  });
});
