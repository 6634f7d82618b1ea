import fc from 'fast-check';
import { type Case } from './fuzz-runner.js';
import {
  HOSTILE_BITS,
  hostileString,
  hostileOrHuge,
  wrongType,
  field,
  extraKeys,
  rarely,
  withExtras,
  deepJsonText,
  garbageBody,
} from './fuzz-values.js';

// The send-request generators of test/integration/fuzz-http.test.ts: plausible-but-hostile and garbage bodies.

export const localPart = fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,14}$/);
/** Recipients stay on test domains the platform's MX override sends to the loopback sink. */
export const goodAddress = fc
  .tuple(localPart, fc.constantFrom('example.test', 'fuzz.example.test', 'EXAMPLE.test'))
  .map(([l, d]) => `${l}@${d}`);

export const mailbox: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: goodAddress },
  { weight: 2, arbitrary: fc.tuple(hostileString, goodAddress).map(([n, a]) => `${n} <${a}>`) },
  { weight: 2, arbitrary: fc.tuple(hostileString, goodAddress).map(([n, a]) => `"${n.replace(/"/g, '')}" <${a}>`) },
  { weight: 1, arbitrary: fc.tuple(goodAddress, fc.constantFrom(...HOSTILE_BITS)).map(([a, bit]) => `${a}${bit}`) },
  { weight: 1, arbitrary: hostileString },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'a@example.test\r\nBcc: victim@evil.test',
      'a@example.test, b@example.test',
      'a@example.test; b@example.test',
      '<>',
      '@',
      'a@',
      '@example.test',
      'a@[127.0.0.1]',
      'a@localhost',
      '"a\\"b"@example.test',
      '"a b"@example.test',
      'üser@example.test',
      'a@exämple.test',
      'undisclosed-recipients:;',
      'Group: a@example.test, b@example.test;',
      '=?utf-8?q?a=0D=0ABcc:_x@evil.test?= <a@example.test>',
      `${'a'.repeat(64)}@example.test`,
      `${'a'.repeat(65)}@example.test`,
    ),
  },
);

export const recipients: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: mailbox },
  { weight: 4, arbitrary: fc.array(mailbox, { minLength: 1, maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constant([]) },
  { weight: 1, arbitrary: fc.array(goodAddress, { minLength: 49, maxLength: 60 }) },
  { weight: 1, arbitrary: fc.array(field(mailbox, 3), { maxLength: 4 }) },
  { weight: 1, arbitrary: wrongType },
);

export const headerName = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^X-[A-Za-z0-9-]{1,20}$/) },
  { weight: 2, arbitrary: hostileString },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'Bcc',
      'To',
      'CC',
      'Subject',
      'Content-Type',
      'Content-Transfer-Encoding',
      'MIME-Version',
      'Return-Path',
      'Message-ID',
      'Received',
      'DKIM-Signature',
      'X-Bridgemail-Track',
      'x-bridgemail-idempotency-key',
      'List-Unsubscribe',
      'X-A:B',
      'X A',
      '',
      'X-\u00e9',
      '__proto__',
      'constructor',
      'x'.repeat(77),
    ),
  },
);
export const headerValue = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: hostileOrHuge },
  { weight: 1, arbitrary: fc.constantFrom('none', 'opens', 'clicks', 'all', '') },
);
export const customHeaders = fc.oneof(
  { weight: 6, arbitrary: fc.dictionary(headerName, field(headerValue), { maxKeys: 4 }) },
  {
    weight: 1,
    arbitrary: fc.dictionary(fc.stringMatching(/^X-[A-Z]{4,10}$/), fc.constant('v'), { minKeys: 48, maxKeys: 55 }),
  },
  { weight: 1, arbitrary: wrongType },
);

export const base64 = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64'));
export const filename = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z0-9]{1,12}\.(txt|pdf|bin)$/) },
  { weight: 3, arbitrary: hostileString },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '../../etc/passwd',
      '..\\..\\windows\\system32',
      '/etc/shadow',
      'a"b.txt',
      "a'b.txt",
      'a;b=c.txt',
      'evil\u202etxt.exe',
      'nul',
      'CON',
      '.',
      '..',
      '',
      'a\r\nContent-Type: text/html.txt',
      'a\0.txt',
      `${'n'.repeat(255)}`,
      `${'n'.repeat(256)}`,
      '=?utf-8?b?Li4vLi4vZXRj?=',
      'résumé.pdf',
      'файл.txt',
    ),
  },
);
export const attachment = fc.record(
  {
    filename: field(filename),
    content: field(
      fc.oneof(
        { weight: 5, arbitrary: base64 },
        { weight: 1, arbitrary: hostileString },
        { weight: 1, arbitrary: base64.map((b) => `${b.slice(0, 4)}\r\n ${b.slice(4)}`) },
      ),
    ),
    contentType: field(
      fc.oneof(
        fc.constantFrom('text/plain', 'application/pdf', 'image/png', 'text/html', 'message/rfc822', 'multipart/mixed'),
        hostileString,
      ),
    ),
  },
  { requiredKeys: ['filename', 'content'] },
);
export const attachments = fc.oneof(
  { weight: 6, arbitrary: fc.array(field(attachment), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(attachment, { minLength: 99, maxLength: 102 }) },
  { weight: 1, arbitrary: wrongType },
);

export const bodyText = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 3, arbitrary: hostileString },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '<script>alert(1)</script>',
      '<a href="javascript:alert(1)">x</a>',
      '<img src=x onerror=alert(1)>',
      '.\r\n.\r\n',
      '\r\n.\r\nMAIL FROM:<x@evil.test>\r\n',
      '=\r\n=3D',
      '',
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(10_000, 100_000, 400_000)
      .map((n) => 'lorem ipsum '.repeat(n / 12))
      .chain((big) => fc.oneof({ weight: 5, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constant(big) })),
  },
);

/** A send request shaped like the schema, with hostile or wrongly typed values. */
export const plausibleSend: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.record(
      {
        from: field(mailbox),
        to: recipients,
        cc: recipients,
        bcc: recipients,
        replyTo: field(mailbox),
        subject: field(
          fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 40 }) }, { weight: 3, arbitrary: hostileOrHuge }),
        ),
        html: field(bodyText),
        text: field(bodyText),
        headers: customHeaders,
        attachments,
      },
      { requiredKeys: [] },
    ),
    rarely(extraKeys, 8),
  )
  .map(([obj, extras]) => withExtras(obj, extras));

/** A send request more likely to be accepted: required fields present, hostile values elsewhere. */
export const nearValidSend: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.record({
      from: mailbox,
      to: fc.oneof(goodAddress, fc.array(goodAddress, { minLength: 1, maxLength: 3 })),
      subject: fc.oneof(fc.string({ maxLength: 40 }), hostileString),
      text: bodyText,
    }),
    fc.record(
      {
        html: bodyText,
        cc: fc.array(mailbox, { maxLength: 2 }),
        replyTo: mailbox,
        headers: customHeaders,
        attachments,
      },
      { requiredKeys: [] },
    ),
  )
  .map(([req, opt]) => ({ ...req, ...opt }));

export const sendBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: garbageBody },
  { weight: 4, arbitrary: plausibleSend.map((o) => JSON.stringify(o)) },
  { weight: 3, arbitrary: nearValidSend.map((o) => JSON.stringify(o)) },
);

/** Raw multipart/form-data, written by hand so names, file names and structure can be hostile. */
export const multipartCase: fc.Arbitrary<{ contentType: string; body: string }> = fc
  .tuple(
    fc.array(
      fc.record({
        name: fc.oneof(
          fc.constantFrom(
            'from',
            'to',
            'cc',
            'bcc',
            'replyTo',
            'subject',
            'text',
            'html',
            'headers',
            'attachments',
            'file',
          ),
          hostileString,
        ),
        filename: fc.option(filename, { freq: 3 }),
        contentType: fc.option(
          fc.oneof(fc.constantFrom('text/plain', 'application/json', 'application/octet-stream'), hostileString),
          { freq: 3 },
        ),
        value: fc.oneof(mailbox, goodAddress, fc.string({ maxLength: 40 }), hostileString, fc.json()),
      }),
      { maxLength: 8 },
    ),
    fc.oneof(fc.constant('b0undary'), fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,70}$/)),
    fc.constantFrom('ok', 'ok', 'ok', 'no-boundary', 'wrong-boundary', 'truncated', 'no-final'),
  )
  .map(([parts, boundary, shape]) => {
    const quote = (s: string) => s.replace(/"/g, '%22');
    const body = parts
      .map((p) => {
        const disposition = `form-data; name="${quote(p.name)}"${p.filename === null ? '' : `; filename="${quote(p.filename)}"`}`;
        return `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.contentType === null ? '' : `Content-Type: ${p.contentType}\r\n`}\r\n${p.value}\r\n`;
      })
      .join('');
    const closed = shape === 'no-final' ? body : `${body}--${boundary}--\r\n`;
    const text =
      shape === 'truncated'
        ? closed.slice(0, Math.floor(closed.length / 2))
        : shape === 'wrong-boundary'
          ? closed.replaceAll(boundary, 'other')
          : closed;
    return {
      contentType: shape === 'no-boundary' ? 'multipart/form-data' : `multipart/form-data; boundary=${boundary}`,
      body: text,
    };
  });

/** Idempotency-Key headers: mostly absent; random ones never collide with a real replay. */
export const idempotencyHeader = rarely(
  fc.oneof(
    fc.uuid().map((u) => `fuzz-${u}`),
    fc
      .string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((n) => String.fromCharCode(n)), maxLength: 300 })
      .map((s) => s || 'x'),
  ),
  8,
);

export const contentTypes = fc.oneof(
  { weight: 20, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'APPLICATION/JSON',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/jsonx',
      'application/*',
      '*/*',
      'multipart/mixed; boundary=x',
      '',
    ),
  },
);

export const sendCase = (
  apiKey: string,
  path: '/v1/send' | '/v1/send/batch',
  body: fc.Arbitrary<string | Uint8Array>,
  batchItems?: (body: string | Uint8Array) => number | undefined,
) =>
  fc.tuple(body, contentTypes, idempotencyHeader).map(([b, contentType, key]): Case => {
    const headers: Record<string, string> = { authorization: `Bearer ${apiKey}` };
    if (contentType) headers['content-type'] = contentType;
    if (key !== null) headers['idempotency-key'] = key;
    const items = contentType === 'application/json' ? batchItems?.(b) : undefined;
    return { method: 'POST', path, headers, body: b, ...(items === undefined ? {} : { batchItems: items }) };
  });

export const sendCases = (apiKey: string): fc.Arbitrary<Case> =>
  fc.oneof(
    { weight: 9, arbitrary: sendCase(apiKey, '/v1/send', sendBody) },
    {
      weight: 1,
      arbitrary: fc.tuple(multipartCase, idempotencyHeader).map(([m, key]): Case => ({
        method: 'POST',
        path: '/v1/send',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': m.contentType,
          ...(key === null ? {} : { 'idempotency-key': key }),
        },
        body: m.body,
      })),
    },
  );

/** The number of items of a batch body the API will answer one by one, if it parses as a 1-500 array. */
export const batchLength = (b: string | Uint8Array): number | undefined => {
  try {
    const v: unknown = JSON.parse(typeof b === 'string' ? b : Buffer.from(b).toString('utf8'));
    return Array.isArray(v) && v.length >= 1 && v.length <= 500 ? v.length : undefined;
  } catch {
    return undefined;
  }
};

export const batchItem = fc.oneof(
  { weight: 4, arbitrary: plausibleSend },
  { weight: 2, arbitrary: nearValidSend },
  { weight: 2, arbitrary: fc.anything({ maxDepth: 3 }) },
  { weight: 1, arbitrary: wrongType },
);
export const batchBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: garbageBody },
  { weight: 8, arbitrary: fc.array(batchItem, { minLength: 1, maxLength: 5 }).map((a) => JSON.stringify(a)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(0, 500, 501, 1000).map((n) => JSON.stringify(Array.from({ length: n }, () => ({})))),
  },
  { weight: 1, arbitrary: fc.integer({ min: 5_000, max: 60_000 }).map((d) => `[${deepJsonText(d, true)}]`) },
);
export const batchCases = (apiKey: string): fc.Arbitrary<Case> =>
  sendCase(apiKey, '/v1/send/batch', batchBody, batchLength);
