import { describe, expect, it } from 'vitest';
import { rewriteHtml } from './rewrite-html.js';

// Elements whose content a browser reads as text (noscript with scripting on, xmp, iframe,
// noembed, noframes, plaintext): htmlparser2 parses tags inside them, so the rewrite skips their
// content by offset. These cases pin that, and where the pixel goes around them.

const PIXEL = '<img src="P" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" />';

/** Rewrites with opens and clicks on; tracked links become `T0`, `T1`, … */
function run(html: string) {
  const seen: string[] = [];
  const out = rewriteHtml(html, {
    pixelUrl: 'P',
    linkUrl: (url, i) => {
      seen.push(url);
      return `T${i}`;
    },
    trackingBase: 'https://t.example/t/',
  });
  return { html: out.html, seen };
}

describe('rewriteHtml and raw-text elements', () => {
  it('tracks no link inside noscript, xmp, iframe, noembed or noframes, and tracks the one after each', () => {
    for (const name of ['noscript', 'xmp', 'iframe', 'noembed', 'NoFrames']) {
      const html = `<p><${name}><a href="https://in.example/">in</a></${name.toUpperCase()} ><a href="https://out.example/">out</a></p>`;
      const out = run(html);
      expect(out.seen).toEqual(['https://out.example/']);
      expect(out.html).toBe(html.replace('href="https://out.example/"', 'href="T0"') + PIXEL);
    }
  });

  it('ends the raw text at its end tag even when the parser closed the element earlier', () => {
    // htmlparser2 closes <noscript> at the `</p>` inside it; a browser reads that `</p>` as text.
    const out = run('<p><noscript></p><a href="https://in.example/"></noscript><a href="https://out.example/">o</a>');
    expect(out.seen).toEqual(['https://out.example/']);
  });

  it('ends the raw text at an end tag the parser sees inside a comment', () => {
    // A browser sees no comment in raw text: `</noscript>` ends it and the link after is real.
    const out = run('<noscript><!-- </noscript> --><a href="https://out.example/">o</a>');
    expect(out.seen).toEqual(['https://out.example/']);
  });

  it('takes a self-closing <noscript/> as an opening tag, as HTML5 does', () => {
    const out = run('<noscript/><a href="https://in.example/">i</a></noscript><a href="https://out.example/">o</a>');
    expect(out.seen).toEqual(['https://out.example/']);
  });

  it('reads everything after <plaintext> as text: no link, and the pixel at the very end', () => {
    const html = '<html><body><plaintext><a href="https://in.example/">i</a></plaintext></body></html>';
    const out = run(html);
    expect(out.seen).toEqual([]);
    expect(out.html).toBe(html + PIXEL);
  });

  it('never puts the pixel inside raw text that holds a </body>', () => {
    const html = '<html><body><noscript></body></noscript><p>x</p></body></html>';
    const out = run(html);
    expect(out.html.indexOf(PIXEL)).toBeGreaterThan(html.indexOf('</noscript>'));
  });
});

describe('rewriteHtml and end tags', () => {
  it('puts the pixel right before </body >, after end tags with whitespace and an empty end tag </> (text)', () => {
    const html = '<html><body><p>x</p ></><noembed>e</noembed\t></body >\r\n</html>';
    expect(run(html).html).toBe(html.replace('</body >', `${PIXEL}</body >`));
  });

  it('ignores a </body> inside a comment or a script', () => {
    const html = '<html><body><!-- </body> --><script>"</body>"</script><p>x</p></body></html>';
    expect(run(html).html).toBe(html.replace('</body></html>', `${PIXEL}</body></html>`));
  });
});
