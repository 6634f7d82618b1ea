import { load } from 'cheerio';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTrackable, rewriteHtml } from './rewrite-html.js';

// rewriteHtml scans with htmlparser2's Parser, no tree built; cheerio (parse5, the HTML5 tree
// builder) is the oracle: on email-shaped HTML both must find the same links, in the same order,
// with the same decoded URLs, and the rewritten document must parse to the tracked URLs.

const BASE = 'https://track.example/t/';
const tracked = (i: number) => `${BASE}c/${i}`;

const url = fc.constantFrom(
  'https://shop.example/a',
  'https://shop.example/p?a=1&amp;b=2',
  'http://x.example/ü?q=日本',
  '  https://spaced.example/  ',
  'mailto:someone@example.com',
  '/relative',
  '#top',
  'https://{{name}}.example/',
  `${BASE}c/already`,
  'https://e.example/&lt;x&gt;&quot;',
  'https://e.example/a&#38;b&#x26;c',
);
const quoted = (value: string) =>
  fc.constantFrom(
    `"${value}"`,
    `'${value.replace(/'/g, '&#39;')}'`,
    value.includes(' ') || value.includes('>') ? `"${value}"` : value,
  );
const attrName = fc.constantFrom('href', 'HREF', 'Href');
const anchor = fc
  .tuple(
    fc.constantFrom('a', 'A', 'area'),
    attrName,
    url,
    fc.constantFrom('', ' class="btn"', ' target=_blank', ' title="a > b"'),
    fc.constantFrom(' ', '\r\n  ', '\t'),
  )
  .chain(([tag, name, u, extra, ws]) =>
    quoted(u).map((q) => `<${tag}${ws}${name}=${q}${extra}>${tag.toLowerCase() === 'area' ? '' : `link</${tag}>`}`),
  );
const noise = fc.constantFrom(
  '<p style="font:15px Arial">Hello &amp; welcome</p>',
  '<!-- <a href="https://comment.example/">hidden</a> -->',
  '<!--[if mso]><table><tr><td><![endif]-->',
  '<script>var s = \'<a href="https://script.example/">x</a>\';</script>',
  '<style>a { color: red } /* <a href="https://style.example/"> */</style>',
  '<title>Order <a href="https://title.example/"></title>',
  '<table><tr><td>',
  '</td></tr></table>',
  '<img src="https://img.example/logo.png" alt="logo">',
  '<br/>',
  'plain text 🎉 ',
  '<div><span>nested</span></div>',
  '<noscript><a href="https://noscript.example/">n</a></noscript>',
  '<xmp><a href="https://xmp.example/">x</a></xmp>',
  '<iframe srcdoc="x"><a href="https://iframe.example/">i</a></iframe>',
  '<p><noscript></p><a href="https://noscript-p.example/">n</a></noscript>',
  '<noscript><!-- </noscript> -->',
  '<noembed><a href="https://noembed.example/">e</a></NOEMBED >',
  '</>',
);
const fragment = fc
  .array(fc.oneof({ arbitrary: anchor, weight: 2 }, { arbitrary: noise, weight: 3 }), { maxLength: 25 })
  .map((parts) => parts.join(''));
const documentHtml = fragment.map(
  (body) => `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>${body}</body></html>`,
);

/** The first href of every <a>/<area>, decoded, in document order, as cheerio (parse5) sees them. */
function oracleLinks(html: string): string[] {
  const $ = load(html);
  return $('a[href], area[href]')
    .map((_, el) => $(el).attr('href') ?? '')
    .get();
}

describe('rewriteHtml against cheerio (parse5) as oracle', () => {
  it('finds the same links, rewrites exactly the trackable ones, and the output parses to the tracked URLs', () => {
    fc.assert(
      fc.property(fc.oneof(fragment, documentHtml), (html) => {
        const seen: string[] = [];
        const out = rewriteHtml(html, {
          linkUrl: (u, i) => {
            seen.push(u);
            return tracked(i);
          },
          trackingBase: BASE,
          pixelUrl: `${BASE}o/pixel`,
        });
        const expected = oracleLinks(html).filter((u) => isTrackable(u, BASE));
        expect(seen).toEqual(expected.map((u) => u.trim()));
        expect(out.links).toBe(expected.length);
        const after = oracleLinks(out.html);
        const trackedNow = after.filter((u) => u.startsWith(`${BASE}c/`) && u !== `${BASE}c/already`);
        expect(trackedNow).toEqual(expected.map((_, i) => tracked(i)));
        const $ = load(out.html);
        expect($(`img[src="${BASE}o/pixel"]`).length).toBe(1);
        // The text a reader sees is unchanged.
        expect($.root().text()).toBe(load(html).root().text());
      }),
      { numRuns: 1500, seed: 20261125 },
    );
  });
});
