import fc from 'fast-check';
import { decodeHTMLAttribute } from 'entities';
import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { fastTokenizer } from './rewrite-html.js';

const CALLBACKS = [
  'onattribdata',
  'onattribentity',
  'onattribend',
  'onattribname',
  'oncdata',
  'onclosetag',
  'oncomment',
  'ondeclaration',
  'onend',
  'onopentagend',
  'onopentagname',
  'onprocessinginstruction',
  'onselfclosingtag',
  'ontext',
  'ontextentity',
] as const;

/** Every callback the tokenizer makes, with its arguments, in order. */
function events(make: (cbs: TokenizerCallbacks) => Tokenizer, html: string): unknown[][] {
  const seen: unknown[][] = [];
  const cbs = Object.fromEntries(
    CALLBACKS.map((name) => [name, (...args: unknown[]) => seen.push([name, ...args])]),
  ) as unknown as TokenizerCallbacks;
  const tokenizer = make(cbs);
  tokenizer.write(html);
  tokenizer.end();
  return seen;
}

/** Markup-heavy strings: tag, comment, CDATA and special-element pieces among any characters. */
const markup = fc
  .array(
    fc.oneof(
      {
        arbitrary: fc.constantFrom(
          '<',
          '>',
          '/',
          '=',
          '"',
          "'",
          '&',
          ';',
          ' ',
          '\n',
          '!',
          '-',
          '?',
          '[',
          ']',
          'a',
          'A',
          'p',
        ),
        weight: 6,
      },
      {
        arbitrary: fc.constantFrom(
          '<a href=',
          '<area ',
          '</a>',
          '<!--',
          '-->',
          '<![CDATA[',
          ']]>',
          '<script>',
          '</script>',
          '<style>',
          '</style',
          '<title>',
          '</title>',
          '<textarea>',
          '</textarea>',
          '<!doctype html>',
          '<?x?>',
          '&amp;',
          '&lt',
          '&#38;',
          '&#x26;',
          'é',
          '🎉',
        ),
        weight: 4,
      },
      { arbitrary: fc.string({ maxLength: 6 }), weight: 1 },
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(''));

describe('fastTokenizer (htmlparser2 tokenizer, text skipped with indexOf)', () => {
  it('makes exactly the callbacks of the unpatched tokenizer (entities not decoded), on 5,000 random documents', () => {
    fc.assert(
      fc.property(markup, (html) => {
        expect(events(fastTokenizer, html)).toEqual(
          events((cbs) => new Tokenizer({ decodeEntities: false }, cbs), html),
        );
      }),
      { numRuns: 5_000 },
    );
  });

  it('finds the internals it relies on in this htmlparser2 (else it silently keeps the slow loop)', () => {
    const t = fastTokenizer(Object.fromEntries(CALLBACKS.map((n) => [n, () => {}])) as unknown as TokenizerCallbacks);
    t.write('<p>some text</p>');
    const internals = t as unknown as { buffer: unknown; index: unknown; offset: unknown };
    expect([typeof internals.buffer, typeof internals.index, typeof internals.offset]).toEqual([
      'string',
      'number',
      'number',
    ]);
    expect(Object.prototype.hasOwnProperty.call(t, 'fastForwardTo')).toBe(true);
    expect(typeof (Tokenizer.prototype as unknown as { fastForwardTo?: unknown }).fastForwardTo).toBe('function');
  });

  it('decodes attribute values as the tokenizer does when it decodes entities', () => {
    const value = fc
      .array(
        fc.constantFrom(
          '&amp;',
          '&amp',
          '&ampx',
          '&amp=',
          '&lt;',
          '&notin;',
          '&noti',
          '&#38;',
          '&#x26;',
          '&#0;',
          '&#xD800;',
          '&#99999999;',
          '&',
          ';',
          '=',
          'x',
          '1',
          ' ',
          '&&',
        ),
        { maxLength: 12 },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(value, (raw) => {
        const decoded: string[] = [];
        let current = '';
        const t = new Tokenizer(
          { decodeEntities: true },
          {
            ...(Object.fromEntries(CALLBACKS.map((n) => [n, () => {}])) as unknown as TokenizerCallbacks),
            onattribdata: (start, end) => (current += html.slice(start, end)),
            onattribentity: (cp) => (current += String.fromCodePoint(cp)),
            onattribend: () => {
              decoded.push(current);
              current = '';
            },
          },
        );
        const html = `<a href="${raw}">`;
        t.write(html);
        t.end();
        expect(decodeHTMLAttribute(raw)).toBe(decoded[0]);
      }),
      { numRuns: 3_000 },
    );
  });
});
