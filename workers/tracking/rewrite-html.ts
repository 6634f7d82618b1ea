import { load } from 'cheerio';

/** What to do to one HTML document. */
export interface HtmlRewrite {
  /** URL of the open pixel to append, if opens are tracked. */
  pixelUrl?: string;
  /** Tracked URL for the `index`-th trackable link, if clicks are tracked. */
  linkUrl?: (url: string, index: number) => string;
  /** Links already pointing here are left alone (already tracked). */
  trackingBase?: string;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Template placeholders of common ESPs and engines: such links are filled later, never tracked. */
const TEMPLATE = /\{\{|\}\}|\{%|%\}|\*\||\|\*|\[%|%\]|<%|%>|\$\{|%%/;
const NOTRACK = 'data-bridgemail-notrack';

const escapeAttr = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** True when a link target is an absolute http(s) URL we may track. */
export function isTrackable(href: string, trackingBase?: string): boolean {
  const url = href.trim();
  if (!/^https?:\/\//i.test(url) || TEMPLATE.test(url) || /[\x00-\x1f\x7f]/.test(url)) return false;
  return !(trackingBase && url.startsWith(trackingBase));
}

/**
 * Rewrites `<a href>` / `<area href>` to tracked URLs and appends an open pixel. The document is
 * parsed with cheerio (parse5, with source locations) and only the changed attributes and the
 * inserted pixel are spliced into the original text: everything else stays byte for byte.
 */
export function rewriteHtml(html: string, rewrite: HtmlRewrite): { html: string; links: number } {
  const isDocument = /<html[\s>]|<body[\s>]|<!doctype/i.test(html);
  const $ = load(html, { sourceCodeLocationInfo: true } as Parameters<typeof load>[1], isDocument);
  const edits: Edit[] = [];
  let index = 0;
  const { linkUrl } = rewrite;
  $('a[href], area[href]').each((_, el) => {
    const node = el as unknown as { attribs: Record<string, string>; sourceCodeLocation?: { attrs?: Record<string, { startOffset: number; endOffset: number }> } };
    const attrs = node.sourceCodeLocation?.attrs;
    const hrefLoc = attrs?.href;
    if (!hrefLoc) return;
    if (NOTRACK in node.attribs) {
      // Our own marker: it never reaches the recipient of a rewritten message.
      const loc = attrs?.[NOTRACK];
      if (loc) {
        let start = loc.startOffset;
        while (start > 0 && /\s/.test(html[start - 1] ?? '')) start--;
        edits.push({ start, end: loc.endOffset, text: '' });
      }
      return;
    }
    const href = node.attribs.href ?? '';
    if (!linkUrl || !isTrackable(href, rewrite.trackingBase)) return;
    edits.push({ start: hrefLoc.startOffset, end: hrefLoc.endOffset, text: `href="${escapeAttr(linkUrl(href.trim(), index))}"` });
    index++;
  });
  if (rewrite.pixelUrl) {
    const pixel = `<img src="${escapeAttr(rewrite.pixelUrl)}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" />`;
    const body = $('body')[0] as unknown as { sourceCodeLocation?: { endTag?: { startOffset: number } } } | undefined;
    const htmlEl = $('html')[0] as unknown as { sourceCodeLocation?: { endTag?: { startOffset: number } } } | undefined;
    const at = body?.sourceCodeLocation?.endTag?.startOffset ?? htmlEl?.sourceCodeLocation?.endTag?.startOffset ?? html.length;
    edits.push({ start: at, end: at, text: pixel });
  }
  // Apply from the end so earlier offsets stay valid.
  edits.sort((a, b) => b.start - a.start);
  let out = html;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return { html: out, links: index };
}
