import fc from 'fast-check';
import { RESERVED_HEADERS, type SendRequest } from '../../ingress/http/send-schema.js';

// Random REST send requests for the MIME tests: names, subjects, bodies and custom headers that
// exercise every encoding choice MailComposer makes.

const asciiWord = fc.stringMatching(/^[A-Za-z0-9]{1,12}$/);
const foreign = fc.constantFrom(
  'Jörg',
  'Müller',
  'Émilie',
  'naïve',
  '王小明',
  '注文',
  '日本語のテキスト',
  '🎉',
  '👩‍💻',
  'Ελένη',
  'Дмитрий',
  'שלום',
  '한국어',
  'ÿ',
  '\u00a0',
);
const special = fc.constantFrom(
  '"',
  ',',
  '\\',
  '(',
  ')',
  '<',
  '>',
  '@',
  ':',
  ';',
  '.',
  "'",
  '=?',
  '?=',
  '=?utf-8?q?x?=',
  '\t',
  '\x01',
  '\x7f',
  '_',
  '=',
);
const word = fc.oneof(
  { weight: 4, arbitrary: asciiWord },
  { weight: 2, arbitrary: foreign },
  { weight: 1, arbitrary: special },
);
const phrase = (maxWords: number) =>
  fc
    .tuple(fc.array(word, { maxLength: maxWords }), fc.constantFrom(' ', ' ', '', '  '))
    .map(([ws, sep]) => ws.join(sep));
/** Any text the schema lets through a header: no CR, LF or NUL (lone surrogates included). */
const anyLine = (maxLength: number) => fc.string({ unit: 'binary', maxLength }).map((s) => s.replace(/[\r\n\0]/g, ' '));

const address = fc
  .tuple(
    fc.stringMatching(/^[a-z0-9][a-z0-9+_.-]{0,14}[a-z0-9]$/),
    fc.constantFrom('example.com', 'example.org', 'mail.example.co.uk', 'Example.NET'),
  )
  .map(([local, domain]) => `${local.replace(/\.\.+/g, '.')}@${domain}`);
const box = fc.record({ name: fc.oneof(fc.constant(''), phrase(6), anyLine(40)), address });
const boxes = fc.oneof(
  { weight: 6, arbitrary: fc.array(box, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.array(box, { minLength: 40, maxLength: 120 }) },
);

const subject = fc.oneof(
  { weight: 4, arbitrary: phrase(12) },
  { weight: 2, arbitrary: anyLine(998) },
  { weight: 1, arbitrary: fc.integer({ min: 60, max: 998 }).map((n) => 'x'.repeat(n)) },
  // one word of 998 characters: MailComposer folds it into a 999-octet line
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(998), '#'.repeat(998), `${'ab'.repeat(498)}.!`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }).map((n) => '日本語🎉'.repeat(n).slice(0, 998)) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '   ') },
);

const line = fc.oneof(
  { weight: 6, arbitrary: phrase(14) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      '.',
      '..',
      '. ',
      ' ',
      'trailing   ',
      'tab\t',
      'From me',
      '=',
      '=3D',
      '--_NmP-x',
      '\x00\x01',
      'é\u00ff\u0080',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 70, max: 1300 }).map((n) => 'a'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 120 }).map((n) => 'long words '.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 80 }).map((n) => 'ünïcödé 日本 '.repeat(n)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 120 }) },
);
/** ASCII without letters: MimeNode picks base64 for it once a line is too long for 7bit. */
const numeric = fc.oneof(
  fc.constantFrom('', '---', '12:00', '#1'),
  fc.integer({ min: 1, max: 120 }).map((n) => '0123456789 -'.repeat(n)),
);
const lines = (of: fc.Arbitrary<string>) =>
  fc
    .tuple(fc.array(of, { maxLength: 25 }), fc.constantFrom('\n', '\r\n', '\r'), fc.boolean())
    .map(([ls, sep, last]) => ls.join(sep) + (last ? sep : ''));
const body = fc.oneof({ weight: 8, arbitrary: lines(line) }, { weight: 1, arbitrary: lines(numeric) });
const htmlBody = body.map(
  (b) => `<html><body><p>${b}</p><a href="https://shop.example/o?a=1&amp;b=2">x</a></body></html>`,
);
const content = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 5, arbitrary: arb },
    { weight: 1, arbitrary: fc.constant('') },
    { weight: 2, arbitrary: fc.constant(undefined) },
  );

export const headerName = fc
  .oneof(
    fc.constantFrom(
      'X-Campaign',
      'x-smtpapi',
      'List-Unsubscribe',
      'List-Unsubscribe-Post',
      'mime-foo',
      'X-MD5',
      'x-spf',
      'content-features',
      'In-Reply-To',
      'References',
      'X-Priority',
      'dkim-x',
      'arc-y',
      'bimi-z',
      'otp-token',
      'x-fbl',
      'Content-ID',
      'Keywords',
      'content-disposition',
    ),
    fc.stringMatching(/^[!-9;-~]{1,30}$/),
  )
  .filter((n) => !RESERVED_HEADERS.has(n.toLowerCase()) && n !== '__proto__');
const headerValue = fc.oneof(
  { weight: 4, arbitrary: phrase(10) },
  { weight: 2, arbitrary: anyLine(998) },
  { weight: 1, arbitrary: fc.integer({ min: 60, max: 998 }).map((n) => 'v'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom('', '  ', '<a@b.example> <c@d.example>', 'one two', 'a=?b') },
);

export const sendRequest: fc.Arbitrary<SendRequest> = fc
  .record({
    from: box,
    to: boxes,
    cc: boxes,
    bcc: fc.array(box, { maxLength: 3 }),
    replyTo: fc.option(box, { nil: undefined }),
    subject,
    html: content(htmlBody),
    text: content(body),
    headers: fc.option(fc.dictionary(headerName, headerValue, { maxKeys: 5 }), { nil: undefined }),
  })
  .map((r) => ({ ...r, text: r.html === undefined && r.text === undefined ? 'fallback text' : r.text }));
