import { describe, it, expect } from 'vitest';
import { load } from 'cheerio';
import { isTrackable, rewriteHtml } from './rewrite-html.js';

const BASE = 'https://track.example/t/';
const PIXEL_URL = `${BASE}o/OPEN-TOKEN`;
/** Tracked URL of the i-th link; the `&` checks that the new attribute value is escaped. */
const tracked = (i: number) => `${BASE}c/${i}?k=c&n=${i}`;
const trackedAttr = (i: number) => `href="${tracked(i).replace(/&/g, '&amp;')}"`;

/**
 * A document assembled from pieces whose edits are known in advance: `link` pieces must become
 * the i-th tracked href, `drop` pieces must vanish, plain strings must stay byte for byte.
 */
type Piece = string | { link: string; url: string } | { drop: string };

function compose(pieces: Piece[]): { input: string; expected: string; urls: string[] } {
  let input = '';
  let expected = '';
  const urls: string[] = [];
  for (const p of pieces) {
    if (typeof p === 'string') {
      input += p;
      expected += p;
    } else if ('link' in p) {
      input += p.link;
      expected += trackedAttr(urls.length);
      urls.push(p.url);
    } else {
      input += p.drop;
    }
  }
  return { input, expected, urls };
}

/** Rewrites with a recording `linkUrl`, returning the calls it saw. */
function run(html: string, opts: { pixel?: boolean; clicks?: boolean } = { pixel: true, clicks: true }) {
  const calls: [string, number][] = [];
  const result = rewriteHtml(html, {
    ...(opts.pixel ? { pixelUrl: PIXEL_URL } : {}),
    ...(opts.clicks
      ? {
          linkUrl: (url: string, i: number) => {
            calls.push([url, i]);
            return tracked(i);
          },
        }
      : {}),
    trackingBase: BASE,
  });
  return { ...result, calls };
}

/** Cuts the one pixel `<img>` out of `html`, returning the rest and what followed the pixel. */
function removePixel(html: string): { rest: string; after: string } {
  const start = html.indexOf(`<img src="${PIXEL_URL}"`);
  expect(start).toBeGreaterThanOrEqual(0);
  expect(html.indexOf(`<img src="${PIXEL_URL}"`, start + 1)).toBe(-1);
  const end = html.indexOf('/>', start) + 2;
  return { rest: html.slice(0, start) + html.slice(end), after: html.slice(end) };
}

const textOf = (html: string) => load(html).text();
const anchorCount = (html: string) => load(html)('a').length;
const occurrences = (haystack: string, needle: string) => haystack.split(needle).length - 1;

const MSO_HEAD = `<!--[if mso]>
<xml><o:OfficeDocumentSettings><o:AllowPNG/><o:PixelsPerInch>96</o:PixelsPerInch></o:OfficeDocumentSettings></xml>
<style>table{border-collapse:collapse;} td{mso-line-height-rule:exactly;}</style>
<![endif]-->`;
const MSO_BUTTON = `<!--[if mso]>
<v:roundrect xmlns:v="urn:schemas-microsoft-com:vml" href="https://shop.example/vml-button?src=mso&amp;x=1" style="height:44px;v-text-anchor:middle;width:220px;" arcsize="10%" fillcolor="#e4572e">
<w:anchorlock/><center style="color:#ffffff;font-family:Arial,sans-serif;">Shop the sale</center>
</v:roundrect>
<a href="https://shop.example/inside-mso-comment">hidden from parsers</a>
<![endif]-->`;
const SCRIPT = `<script type="application/ld+json">{"@context":"http://schema.org","url":"https://shop.example/ld","html":"<a href=\\"https://shop.example/in-script\\">x</a>"}</script>`;

/** A newsletter of nested tables with inline styles, Outlook conditionals and 40 trackable links. */
function newsletter(): { input: string; expected: string; urls: string[]; msoBlocks: string[] } {
  const pieces: Piece[] = [
    `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\r\n`,
    `<html xmlns="http://www.w3.org/1999/xhtml" xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">\r\n`,
    `<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />\r\n<title>Autumn digest — Café Noir</title>\r\n`,
    MSO_HEAD,
    `\r\n<style type="text/css">a{color:#e4572e;} .btn a{text-decoration:none;} @media (max-width:600px){.col{width:100%!important;}}</style>\r\n`,
    SCRIPT,
    `\r\n</head>\r\n<body style="margin:0;padding:0;background-color:#f4f4f4;">\r\n`,
    `<div style="display:none;max-height:0;overflow:hidden;">Ten new roasts, a tasting in Lyon &amp; more ✨</div>\r\n`,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f4f4f4;"><tr><td align="center">\r\n`,
    `<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="background:#ffffff;border:1px solid #dddddd;">\r\n`,
    `<tr><td style="padding:12px 24px;font:12px/16px Arial,sans-serif;color:#888;">Trouble reading? <a `,
    {
      link: `href="https://news.example/view/2024-10?id=77&amp;v=web"`,
      url: 'https://news.example/view/2024-10?id=77&v=web',
    },
    ` style="color:#888;">View it in your browser</a></td></tr>\r\n`,
    `<tr><td style="padding:24px;"><a `,
    {
      link: `HREF="https://cafe-noir.example/?utm_source=newsletter&amp;utm_medium=email&amp;utm_campaign=autumn"`,
      url: 'https://cafe-noir.example/?utm_source=newsletter&utm_medium=email&utm_campaign=autumn',
    },
    ` target="_blank"><img src="https://cdn.example/logo.png" width="160" alt="Café Noir" style="display:block;border:0;"></a></td></tr>\r\n`,
    `<tr><td class="btn" style="padding:0 24px 24px;">`,
    MSO_BUTTON,
    `<!--[if !mso]><!--><a `,
    {
      link: `href='https://shop.example/sale?season=autumn&amp;discount=20#top-picks'`,
      url: 'https://shop.example/sale?season=autumn&discount=20#top-picks',
    },
    ` style="background:#e4572e;color:#fff;padding:12px 28px;border-radius:4px;display:inline-block;">Shop the sale</a><!--<![endif]--></td></tr>\r\n`,
  ];
  for (let i = 1; i <= 11; i++) {
    pieces.push(
      `<tr><td style="padding:0 24px 16px;"><table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr>\r\n`,
      `<td class="col" width="180" valign="top"><a `,
      {
        link: `href=https://shop.example/roast/${i}?ref=img&amp;pos=${i}`,
        url: `https://shop.example/roast/${i}?ref=img&pos=${i}`,
      },
      `><img src="https://cdn.example/roast-${i}.jpg" width="160" height="120" alt="Roast ${i}" style="display:block;"></a></td>\r\n`,
      `<td class="col" valign="top" style="font:15px/22px Georgia,serif;color:#333;"><h2 style="margin:0 0 8px;font-size:18px;"><a `,
      { link: `href="https://shop.example/roast/${i}?ref=title"`, url: `https://shop.example/roast/${i}?ref=title` },
      ` style="color:#222;text-decoration:none;">Roast nº ${i} — notes of cherry &amp; cocoa</a></h2>\r\n`,
      `<p style="margin:0;">Single origin, washed, roasted on ${i} October. <a `,
      {
        link: `href="https://shop.example/roast/${i}?ref=more#reviews"`,
        url: `https://shop.example/roast/${i}?ref=more#reviews`,
      },
      `>Read more&nbsp;›</a></p></td>\r\n</tr></table></td></tr>\r\n`,
    );
  }
  pieces.push(
    `<tr><td style="padding:16px 24px;"><img src="https://cdn.example/map.png" usemap="#stores" width="552" alt="Stores"><map name="stores">`,
    `<area shape="rect" coords="0,0,276,200" `,
    { link: `href="https://cafe-noir.example/stores/lyon"`, url: 'https://cafe-noir.example/stores/lyon' },
    ` alt="Lyon"><area shape="rect" coords="276,0,552,200" href="#paris" alt="Paris"></map></td></tr>\r\n`,
    `<tr><td align="center" style="padding:8px 24px;"><a `,
    { link: `href="https://instagram.example/cafenoir"`, url: 'https://instagram.example/cafenoir' },
    `><img src="https://cdn.example/ig.png" width="24" alt="Instagram"></a>&nbsp;<a `,
    {
      link: `href="http://blog.cafe-noir.example/feed?format=rss&amp;lang=fr"`,
      url: 'http://blog.cafe-noir.example/feed?format=rss&lang=fr',
    },
    `><img src="https://cdn.example/rss.png" width="24" alt="Blog"></a></td></tr>\r\n`,
    `<tr><td style="padding:24px;font:12px/18px Arial,sans-serif;color:#888;">`,
    `Questions? <a href="mailto:hello@cafe-noir.example?subject=Hi%20there">hello@cafe-noir.example</a> or <a href="tel:+33123456789">+33 1 23 45 67 89</a>.<br>\r\n`,
    `<a href="{{unsubscribe_url}}">Unsubscribe</a> · <a href="https://cafe-noir.example/prefs?u={{ user_id }}">Preferences</a> · `,
    `<a href="*|ARCHIVE|*">Archive</a> · <a href="https://cafe-noir.example/legal"`,
    { drop: ' data-bridgemail-notrack' },
    ` style="color:#888;">Legal</a> · <a href="${BASE}c/already-tracked">Already tracked</a> · <a href="#top">Back to top</a> · `,
    `<a href="/relative/path">Relative</a> · <a `,
    { link: `href="https://cafe-noir.example/privacy"`, url: 'https://cafe-noir.example/privacy' },
    `>Privacy</a></td></tr>\r\n</table>\r\n</td></tr></table>\r\n`,
    `<!--[if mso]></td></tr></table><![endif]-->\r\n</body>\r\n</html>\r\n`,
  );
  return { ...compose(pieces), msoBlocks: [MSO_HEAD, MSO_BUTTON] };
}

describe('rewriteHtml on a newsletter', () => {
  const doc = newsletter();
  const out = run(doc.input);

  it('is a sizeable document with 40 trackable links', () => {
    expect(doc.urls).toHaveLength(40);
    expect(anchorCount(doc.input)).toBeGreaterThanOrEqual(45);
  });

  it('rewrites every trackable link exactly once, in document order', () => {
    expect(out.links).toBe(40);
    expect(out.calls).toEqual(doc.urls.map((u, i) => [u, i]));
    for (let i = 0; i < 40; i++) expect(occurrences(out.html, trackedAttr(i))).toBe(1);
  });

  it('changes nothing but the known edits: the rest is byte for byte the original', () => {
    const { rest, after } = removePixel(out.html);
    expect(after.startsWith('</body>\r\n</html>\r\n')).toBe(true);
    expect(rest).toBe(doc.expected);
  });

  it('keeps the text and the number of links', () => {
    expect(textOf(out.html)).toBe(textOf(doc.input));
    expect(anchorCount(out.html)).toBe(anchorCount(doc.input));
  });

  it('keeps Outlook conditional comments and script content byte for byte', () => {
    for (const block of doc.msoBlocks) expect(out.html).toContain(block);
    expect(out.html).toContain(SCRIPT);
    expect(out.calls.some(([u]) => /inside-mso-comment|vml-button|in-script|\/ld/.test(u))).toBe(false);
  });

  it('leaves mailto, tel, anchors, relative, template and already-tracked links alone', () => {
    for (const href of [
      'mailto:hello@cafe-noir.example?subject=Hi%20there',
      'tel:+33123456789',
      '{{unsubscribe_url}}',
      '*|ARCHIVE|*',
      '#top',
      '#paris',
      '/relative/path',
      `${BASE}c/already-tracked`,
    ]) {
      expect(out.html).toContain(`href="${href}"`);
    }
    expect(out.html).toContain('href="https://cafe-noir.example/prefs?u={{ user_id }}"');
  });

  it('removes the opt-out attribute and keeps that link as it was', () => {
    expect(out.html).not.toContain('data-bridgemail-notrack');
    expect(out.html).toContain('<a href="https://cafe-noir.example/legal" style="color:#888;">Legal</a>');
  });
});

describe('rewriteHtml on fragments and attribute shapes', () => {
  it('appends the pixel at the very end of a fragment without <html> or <body>', () => {
    const doc = compose([
      '<table><tr><td><p>Your receipt</p><a ',
      { link: 'href="https://shop.example/orders/42"', url: 'https://shop.example/orders/42' },
      '>Order 42</a></td></tr></table>\n<p>Thanks!</p>',
    ]);
    const out = run(doc.input);
    const { rest, after } = removePixel(out.html);
    expect(after).toBe('');
    expect(rest).toBe(doc.expected);
    expect(out.calls).toEqual([['https://shop.example/orders/42', 0]]);
  });

  it('handles uppercase HREF, single-quoted and unquoted values, and decodes &amp; in the original URL', () => {
    const doc = compose([
      '<p><A ',
      { link: 'HREF="https://a.example/x?a=1&amp;b=2"', url: 'https://a.example/x?a=1&b=2' },
      '>upper</A> <a ',
      { link: "href='https://b.example/y?a=1&amp;b=2#frag'", url: 'https://b.example/y?a=1&b=2#frag' },
      ' class="c">single</a> <a ',
      { link: 'href=https://c.example/z?a=1&amp;b=2', url: 'https://c.example/z?a=1&b=2' },
      '>unquoted</a> <a title="t" ',
      { link: 'href = "  https://d.example/spaced  "', url: 'https://d.example/spaced' },
      '>spaced</a></p>',
    ]);
    const out = run(doc.input, { clicks: true });
    expect(out.html).toBe(doc.expected);
    expect(out.calls).toEqual(doc.urls.map((u, i) => [u, i]));
    const $ = load(out.html);
    expect(
      $('a')
        .map((_, el) => $(el).attr('href'))
        .get(),
    ).toEqual([0, 1, 2, 3].map(tracked));
  });

  it('escapes quotes and ampersands in the tracked URL it writes', () => {
    const out = rewriteHtml('<a href="https://a.example/">a</a>', { linkUrl: () => 'https://t.example/?a=1&b="2"<' });
    expect(out.html).toBe('<a href="https://t.example/?a=1&amp;b=&quot;2&quot;&lt;">a</a>');
    expect(load(out.html)('a').attr('href')).toBe('https://t.example/?a=1&b="2"<');
  });

  it('tracks <area> links too', () => {
    const out = run('<map name="m"><area shape="rect" coords="0,0,1,1" href="https://a.example/area" alt="a"></map>', {
      clicks: true,
    });
    expect(out.calls).toEqual([['https://a.example/area', 0]]);
    expect(out.html).toBe(`<map name="m"><area shape="rect" coords="0,0,1,1" ${trackedAttr(0)} alt="a"></map>`);
  });

  it('keeps offsets right after CRLF line breaks, astral characters and multi-line tags', () => {
    const doc = compose([
      '<html>\r\n<body>\r\n<p>🎉 Sale 🎉 — 𝓕𝓪𝓵𝓵</p>\r\n<a\r\n  class="x"\r\n  ',
      { link: 'href="https://a.example/🎉?q=ü"', url: 'https://a.example/🎉?q=ü' },
      '>a</a>\r\n<p>日本語のテキスト</p><a ',
      { link: 'href="https://b.example/"', url: 'https://b.example/' },
      '>b</a>\r\n',
      '</body>\r\n</html>',
    ]);
    const out = run(doc.input);
    const { rest, after } = removePixel(out.html);
    expect(after).toBe('</body>\r\n</html>');
    expect(rest).toBe(doc.expected);
  });

  it('leaves <script> and <style> content untouched in a fragment too', () => {
    const html =
      '<style>.a{background:url("https://cdn.example/bg.png")}</style><script>document.write(\'<a href="https://x.example/">x</a>\')</script><a href="https://y.example/">y</a>';
    const out = run(html, { clicks: true });
    expect(out.calls).toEqual([['https://y.example/', 0]]);
    expect(out.html).toBe(html.replace('href="https://y.example/"', trackedAttr(0)));
  });
});

describe('rewriteHtml options', () => {
  const page =
    '<!doctype html><html><head><title>t</title></head><BODY><a href="https://a.example/?x=1&amp;y=2">a</a></BODY></html>';

  it('with only a pixel, leaves links alone and puts the pixel before </body>, whatever its case', () => {
    const out = run(page, { pixel: true });
    expect(out.links).toBe(0);
    const { rest, after } = removePixel(out.html);
    expect(rest).toBe(page);
    expect(after).toBe('</BODY></html>');
  });

  it('with only clicks, adds no pixel', () => {
    const out = run(page, { clicks: true });
    expect(out.html).toBe(page.replace('href="https://a.example/?x=1&amp;y=2"', trackedAttr(0)));
    expect(out.html).not.toContain('<img');
  });

  it('with neither, returns the input unchanged', () => {
    expect(rewriteHtml(page, {})).toEqual({ html: page, links: 0 });
  });

  it('removes the opt-out attribute even when only the pixel is added', () => {
    const out = run('<p><a href="https://a.example/" data-bridgemail-notrack>a</a></p>', { pixel: true });
    expect(removePixel(out.html).rest).toBe('<p><a href="https://a.example/">a</a></p>');
  });

  it('puts the pixel before </html> when there is no </body>', () => {
    const html = '<html><head></head><body><p>x</p></html>';
    const { after } = removePixel(run(html, { pixel: true }).html);
    expect(after).toBe('</html>');
  });

  it('removes every spelling of the opt-out attribute without consuming a link index', () => {
    const doc = compose([
      '<a href="https://a.example/"',
      { drop: ' data-bridgemail-notrack' },
      '>a</a><a',
      { drop: ' DATA-BRIDGEMAIL-NOTRACK=""' },
      ' href="https://b.example/">b</a><a',
      { drop: "\n\tdata-bridgemail-notrack='yes'" },
      ' href="https://c.example/">c</a><a ',
      { link: 'href="https://d.example/"', url: 'https://d.example/' },
      '>d</a>',
    ]);
    const out = run(doc.input, { clicks: true });
    expect(out.html).toBe(doc.expected);
    expect(out.calls).toEqual([['https://d.example/', 0]]);
  });
});

describe('isTrackable', () => {
  it('accepts absolute http(s) URLs', () => {
    for (const url of [
      'https://a.example/',
      'http://a.example/x?y=1#z',
      'HTTPS://A.EXAMPLE/',
      '  https://a.example/  ',
    ]) {
      expect(isTrackable(url)).toBe(true);
    }
  });

  it('refuses other schemes, relative links and anchors', () => {
    for (const url of [
      'mailto:a@b.example',
      'tel:+331234',
      '#top',
      '/path',
      'javascript:alert(1)',
      'ftp://a.example/',
      '//a.example/',
      '',
    ]) {
      expect(isTrackable(url)).toBe(false);
    }
  });

  it('refuses template placeholders of common engines', () => {
    for (const url of [
      'https://a.example/{{id}}',
      'https://a.example/?u=*|EMAIL|*',
      'https://a.example/{% url %}',
      'https://a.example/[%name%]',
      'https://a.example/<%= id %>',
      'https://a.example/${id}',
      'https://a.example/?u=%%EMAIL%%',
    ]) {
      expect(isTrackable(url)).toBe(false);
    }
  });

  it('refuses URLs with control characters and URLs already under the tracking base', () => {
    expect(isTrackable('https://a.example/\nx')).toBe(false);
    expect(isTrackable('https://a.example/\tx')).toBe(false);
    expect(isTrackable(`${BASE}c/abc`, BASE)).toBe(false);
    expect(isTrackable('https://track.example/other', BASE)).toBe(true);
  });
});
