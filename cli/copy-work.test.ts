import { generateKeyPairSync } from 'node:crypto';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { describe, expect, it } from 'vitest';
import { TrackingTokens } from '../core/index.js';
import { createCopyMaker } from './copy-work.js';

function keyPair() {
  const pair = generateKeyPairSync('ed25519');
  const pub = pair.publicKey.export({ type: 'spki', format: 'der' });
  return {
    privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    record: `v=DKIM1; k=ed25519; p=${pub.subarray(pub.length - 32).toString('base64')}`,
  };
}

const raw = Buffer.from('From: shop@signed.example\r\nTo: r@example.test\r\nSubject: hi\r\n\r\nHello\r\n');

async function verifiesWith(copy: Buffer, record: string): Promise<string> {
  const resolver = async (name: string) => {
    if (name === 'bm1._domainkey.signed.example') return [[record]];
    throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  };
  const { results } = await dkimVerify(copy, { resolver: resolver });
  return (results[0] as { status: { result: string } }).status.result;
}

describe('createCopyMaker', () => {
  it('signs each copy with the key it is given, when a domain’s key changes between copies', async () => {
    const make = createCopyMaker(new TrackingTokens(Buffer.alloc(32, 1)));
    const a = keyPair();
    const b = keyPair();
    const task = (privateKey: string) => ({
      raw,
      signingKey: { domain: 'signed.example', selector: 'bm1', privateKey },
    });
    const [first, second, third] = [
      await make(task(a.privateKey)),
      await make(task(b.privateKey)),
      await make(task(a.privateKey)),
    ];
    expect(await verifiesWith(first, a.record)).toBe('pass');
    expect(await verifiesWith(second, b.record)).toBe('pass');
    expect(await verifiesWith(second, a.record)).toBe('fail');
    expect(await verifiesWith(third, a.record)).toBe('pass');
  });
});
