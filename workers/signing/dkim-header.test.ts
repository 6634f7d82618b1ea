import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import {
  formatRelaxedLine,
  formatSignatureHeaderLine,
  getSigningHeaderLines,
  parseHeaders,
} from 'mailauth/lib/tools.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatSignature, isPlainTagValue, relaxedLine, signedFields } from './dkim-header.js';
import { dkimSignature, parseDkimKey } from './dkim-signer.js';

const NAMES = [
  'From',
  'to',
  'SUBJECT',
  'Date',
  'Message-ID',
  'Cc',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
  'List-Unsubscribe',
  'X-Other',
  'Reply-To',
  'References',
];

/** A tag value mailauth writes as it is: printable ASCII without `;` or spaces, 1 to 70 characters. */
const plainValue = fc
  .string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength: 70,
  })
  .filter(isPlainTagValue);

/** A header block of any bytes, where whitespace, line breaks and colons are frequent. */
const headerBlock = fc
  .array(
    fc.tuple(
      fc.constantFrom(...NAMES, ' From', 'from ', 'To\t', ''),
      fc.constantFrom(':', ': ', ':\t', ' : ', ''),
      fc.string({
        unit: fc.oneof(
          {
            arbitrary: fc.constantFrom(' ', '\t', '\r', '\n', '\r\n ', '\r\n\t', '\v', '\f', '\xa0', ':', ';'),
            weight: 4,
          },
          { arbitrary: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), weight: 4 },
        ),
        maxLength: 40,
      }),
      fc.constantFrom('\r\n', '\n'),
    ),
    { maxLength: 10 },
  )
  .map((fields) => `${fields.map(([n, sep, v, br]) => n + sep + v + br).join('')}\r\n`);

describe('DKIM header canonicalisation and formatting (mailauth’s, without its Buffers)', () => {
  afterEach(() => vi.useRealTimers());

  it('selects, orders and canonicalises the signed fields as mailauth does, on 5,000 random header blocks', () => {
    fc.assert(
      fc.property(headerBlock, (block) => {
        const theirs = getSigningHeaderLines(parseHeaders(Buffer.from(block, 'latin1')).parsed, undefined);
        const ours = signedFields(block);
        expect(ours.keys).toBe(theirs.keys);
        expect(ours.lines.map((l) => relaxedLine(l))).toEqual(
          theirs.headers.map((h) => formatRelaxedLine(h.line).toString('latin1')),
        );
      }),
      { numRuns: 5_000 },
    );
  });

  it('canonicalises fields near the plain shape (one space, printable words) as formatRelaxedLine does', () => {
    const word = fc.string({
      unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
      minLength: 1,
      maxLength: 8,
    });
    const gap = fc.constantFrom(' ', ' ', ' ', '  ', '\t', '\r\n ', '\xa0');
    const field = fc
      .tuple(
        fc.constantFrom('From', 'SUBJECT', 'x-y', 'Date ', 'A\t'),
        fc.constantFrom(':', ': ', ':  ', ':\t'),
        fc.array(fc.tuple(word, gap), { maxLength: 6 }),
        fc.constantFrom('', ' ', '\t'),
      )
      .map(
        ([name, colon, words, tail]) => `${name}${colon}${words.map(([w, g], i) => (i ? g : '') + w).join('')}${tail}`,
      );
    fc.assert(
      fc.property(field, (line) => {
        expect(relaxedLine(line)).toBe(formatRelaxedLine(Buffer.from(line, 'latin1')).toString('latin1'));
      }),
      { numRuns: 5_000 },
    );
    expect(relaxedLine('Subject: Order 1 shipped')).toBe('subject:Order 1 shipped');
  });

  it('writes and folds the signature field as formatSignatureHeaderLine does, for any lengths of d=, s=, h= and b=', () => {
    fc.assert(
      fc.property(
        plainValue,
        plainValue,
        fc.array(fc.constantFrom(...NAMES), { maxLength: 30 }),
        fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }),
        fc.base64String({ maxLength: 700 }),
        fc.constantFrom('rsa-sha256', 'ed25519-sha256'),
        (d, s, names, t, b, a) => {
          const tags = { a, c: 'relaxed/relaxed', d, s, h: names.join(': '), t, bh: 'x'.repeat(44), b };
          expect(formatSignature(tags)).toBe(formatSignatureHeaderLine('DKIM', { ...tags }, true));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('leaves a domain that needs punycode to mailauth, with the same result', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-24T10:00:00Z'));
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const raw = Buffer.from('From: a@bücher.example\r\nSubject: Hi\r\n\r\nBody\r\n', 'latin1');
    const signer = { signingDomain: 'bücher.example', selector: 'sel', privateKey: pem };
    const theirs = (
      await dkimSign(raw, {
        canonicalization: 'relaxed/relaxed',
        algorithm: 'ed25519-sha256',
        ...signer,
        signatureData: [signer],
      } as never)
    ).signatures;
    const ours = await dkimSignature(raw, parseDkimKey('bücher.example', 'sel', pem));
    expect(ours).toContain('d=xn--bcher-kva.example');
    expect(ours).toBe(theirs);
  });
});
