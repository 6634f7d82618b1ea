import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DKIM_SIGNED_FIELD_NAMES } from './dkim-header.js';
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

/** A DNS resolver that knows one DKIM record, `bm1._domainkey.signed.example`. */
function resolverFor(record: string) {
  return async (name: string) => {
    if (name === 'bm1._domainkey.signed.example') return [[record]];
    throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  };
}

/** mailauth's own relaxed/relaxed signature of `raw` with the PEM key. */
async function mailauthSignature(
  raw: Buffer,
  type: 'rsa' | 'ed25519',
  pem: string,
  signTime?: Date,
  { domain, selector } = { domain: 'signed.example', selector: 'bm1' },
): Promise<string> {
  const signer = { signingDomain: domain, selector, privateKey: pem };
  const options = { canonicalization: 'relaxed/relaxed', algorithm: `${type}-sha256`, signTime };
  // The same field list as ours (mailauth 4.13 reads it as a colon-separated string).
  const headerList = DKIM_SIGNED_FIELD_NAMES as unknown as string[];
  return (await dkimSign(raw, { ...options, ...signer, headerList, signatureData: [signer] })).signatures;
}

/** Bytes the canonicalisations care about, often; letters, 8-bit and any other byte, less often. */
function text(extra: string[], maxLength: number) {
  return fc.string({
    unit: fc.oneof(
      { arbitrary: fc.constantFrom(' ', '\t', '\r', '\n'), weight: 6 },
      { arbitrary: fc.constantFrom('a', '\xe9', ...extra), weight: 6 },
      { arbitrary: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), weight: 1 },
    ),
    maxLength,
  });
}

/** A header block: signed and unsigned fields in any case, repeated, oddly spaced, folded, any line breaks. */
const headerBlockArbitrary = fc
  .array(
    fc.record({
      name: fc.constantFrom(
        'From',
        'FROM',
        'To',
        'cc',
        'Subject',
        'subject',
        'Date',
        'Message-ID',
        'Content-Type',
        'MIME-Version',
        'Reply-To',
        'X-Mailer',
        'Received',
        'List-Unsubscribe',
        'List-Unsubscribe-Post',
      ),
      beforeColon: fc.constantFrom('', '', ' ', '\t '),
      value: fc.array(
        fc.oneof(
          { arbitrary: text(['b', ';', '=', '<', '>', '@', ':'], 12), weight: 3 },
          fc.constantFrom('\r\n ', '\r\n\t', '\n ', '\r\n  \t'),
        ),
        {
          maxLength: 4,
        },
      ),
      lineBreak: fc.constantFrom('\r\n', '\r\n', '\n'),
    }),
    { maxLength: 8 },
  )
  .map((fields) => fields.map((f) => `${f.name}${f.beforeColon}:${f.value.join('')}${f.lineBreak}`).join(''));

/** A whole message: a header block, usually an empty line, a body. */
const messageArbitrary = fc
  .tuple(headerBlockArbitrary, fc.constantFrom('\r\n', '\r\n', '\n', ''), text([], 120))
  .map(([header, emptyLine, body]) => Buffer.from(header + emptyLine + body, 'latin1'));

describe('dkimSignature (mailauth canonicalisation, key parsed once)', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  for (const type of ['rsa', 'ed25519'] as const) {
    it(`signs with a ${type} key so that mailauth verifies it, identically to mailauth's own signer`, async () => {
      const { pem, record } = keys(type);
      const dkim = parseDkimKey('signed.example', 'bm1', pem);
      const header = await dkimSignature(MESSAGE, dkim);
      const signed = Buffer.concat([Buffer.from(header), MESSAGE]);
      const { results } = await dkimVerify(signed, { resolver: resolverFor(record) });
      expect(results[0]).toMatchObject({
        signingDomain: 'signed.example',
        selector: 'bm1',
        status: { result: 'pass' },
      });
      // Same key, same time: byte for byte what mailauth's dkimSign produces (RSA PKCS#1 v1.5 and
      // Ed25519 are deterministic).
      const signTime = new Date('2026-11-24T10:00:00Z');
      const ours = await dkimSignature(MESSAGE, { ...dkim });
      const theirs = await mailauthSignature(MESSAGE, type, pem, signTime);
      const strip = (h: string) => h.replace(/t=\d+;?\s*/g, '').replace(/b=[^;]*$/s, '');
      expect(strip(ours)).toBe(strip(theirs));
    });

    it(`with the clock fixed, gives byte for byte mailauth's signature (${type}), for random messages`, async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date('2026-11-24T10:00:00Z'));
      const { pem } = keys(type);
      const dkim = parseDkimKey('signed.example', 'bm1', pem);
      await fc.assert(
        fc.asyncProperty(messageArbitrary, async (raw) => {
          const theirs = await mailauthSignature(raw, type, pem);
          if (theirs === '\r\n') {
            // mailauth signs nothing without an empty line ending the header block.
            await expect(dkimSignature(raw, dkim)).rejects.toThrow(/no signature/);
          } else {
            expect(await dkimSignature(raw, dkim)).toBe(theirs);
          }
        }),
        // RSA signing costs ~10 times Ed25519: fewer runs, the canonicalisation is the same.
        { numRuns: type === 'rsa' ? 300 : 3_000 },
      );
    });
  }

  it('writes and folds the field as mailauth does, for any lengths of d=, s= and h=', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-24T10:00:00Z'));
    const { pem } = keys('ed25519');
    // A tag value written as it is: printable ASCII without `;`, `@` or spaces.
    const tagValue = fc.stringMatching(/^[!-:<-?A-~]{1,70}$/);
    const names = fc.array(fc.constantFrom('From', 'To', 'Cc', 'Subject', 'Reply-To', 'References', 'X-Other'), {
      maxLength: 30,
    });
    await fc.assert(
      fc.asyncProperty(tagValue, tagValue, names, async (domain, selector, fields) => {
        const raw = Buffer.from(`From: a@x.example\r\n${fields.map((f, i) => `${f}: ${i}\r\n`).join('')}\r\nBody\r\n`);
        const theirs = await mailauthSignature(raw, 'ed25519', pem, undefined, { domain, selector });
        expect(await dkimSignature(raw, parseDkimKey(domain, selector, pem))).toBe(theirs);
      }),
      { numRuns: 1_000 },
    );
  });

  it('leaves a domain that needs punycode to mailauth, with the same result', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-24T10:00:00Z'));
    const { pem } = keys('ed25519');
    const raw = Buffer.from('From: a@bücher.example\r\nSubject: Hi\r\n\r\nBody\r\n', 'latin1');
    const ours = await dkimSignature(raw, parseDkimKey('bücher.example', 'sel', pem));
    expect(ours).toContain('d=xn--bcher-kva.example');
    const domain = { domain: 'bücher.example', selector: 'sel' };
    expect(ours).toBe(await mailauthSignature(raw, 'ed25519', pem, undefined, domain));
  });

  it('signs the same t= it writes, even when the clock moves on in between', async () => {
    const { pem, record } = keys('ed25519');
    // mailauth reads the clock for every formatted header unless given the signing time.
    let now = Date.UTC(2026, 10, 24, 10, 0, 0, 400);
    vi.spyOn(Date, 'now').mockImplementation(() => (now += 700));
    const header = await dkimSignature(MESSAGE, parseDkimKey('signed.example', 'bm1', pem));
    vi.restoreAllMocks();
    const { results } = await dkimVerify(Buffer.concat([Buffer.from(header), MESSAGE]), {
      resolver: resolverFor(record),
    });
    expect(results[0]).toMatchObject({ status: { result: 'pass' } });
  });

  it('refuses a message without a header block, as before', async () => {
    const dkim = parseDkimKey('signed.example', 'bm1', keys('ed25519').pem);
    await expect(dkimSignature(Buffer.from('From: a@signed.example\r\nSubject: no body\r\n'), dkim)).rejects.toThrow(
      /no signature/,
    );
  });

  it('refuses keys of other types', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() =>
      parseDkimKey('x.example', 's', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    ).toThrow(/unsupported DKIM key type ec/);
  });
});
