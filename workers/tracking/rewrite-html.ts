import { decodeHTMLAttribute } from 'entities';
import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';

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

const escapeAttr = (v: string) =>
  v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** True when a link target is an absolute http(s) URL we may track. */
export function isTrackable(href: string, trackingBase?: string): boolean {
  const url = href.trim();
  if (!/^https?:\/\//i.test(url) || TEMPLATE.test(url) || /[\x00-\x1f\x7f]/.test(url)) return false;
  return !(trackingBase && url.startsWith(trackingBase));
}

/** One `<a>` / `<area>` start tag as the tokenizer saw it. */
interface LinkTag {
  /** The first `href`: where its attribute (name to end of value) sits, and its decoded value. */
  href?: { start: number; end: number; value: string };
  /** Every opt-out attribute: from the whitespace before its name to the end of its value. */
  notrack: Array<{ start: number; end: number }>;
}

/**
 * Elements whose content an HTML5 parser (with scripting on, as parse5 and browsers run) reads as
 * text, beyond the ones the tokenizer already knows (script, style, title, textarea): links in
 * them are not links. `plaintext` runs to the end of the document.
 */
const RAW_TEXT = new Set(['noscript', 'xmp', 'iframe', 'noembed', 'noframes', 'plaintext']);

/** The tokenizer's state its fastForwardTo() reads (htmlparser2 10.1, Tokenizer.ts). */
interface TokenizerInternals {
  buffer: unknown;
  index: unknown;
  offset: unknown;
  fastForwardTo(c: number): boolean;
}

/**
 * A tokenizer whose fastForwardTo() (how it skips text up to `<`, and attribute values up to their
 * quote, when it does not decode entities) finds the character with String#indexOf instead of a
 * charCodeAt loop: same result, a tenth of the time on email HTML. When its internals are not the
 * ones expected, it keeps its own method.
 */
export function fastTokenizer(cbs: TokenizerCallbacks): Tokenizer {
  const tokenizer = new Tokenizer({ decodeEntities: false }, cbs);
  const t = tokenizer as unknown as TokenizerInternals;
  const own = t.fastForwardTo.bind(tokenizer);
  t.fastForwardTo = (c) => {
    const { buffer, index, offset } = t;
    if (typeof buffer !== 'string' || typeof index !== 'number' || typeof offset !== 'number') return own(c);
    const at = buffer.indexOf(String.fromCharCode(c), index + 1 - offset);
    // As the original: on the character when found, else on the last one of the buffer.
    t.index = (at >= 0 ? at : buffer.length - 1) + offset;
    return at >= 0;
  };
  return tokenizer;
}

/**
 * Finds what the rewrite needs in one pass of htmlparser2's tokenizer (the parser cheerio uses in
 * its htmlparser2 mode), with source offsets: link start tags with their first `href` (entities
 * decoded, as a browser would; the tokenizer decodes none, text is skipped faster so) and opt-out attributes, and where `</body>` and `</html>` start.
 * The tokenizer treats `<script>`, `<style>`, `<title>` and `<textarea>` content as text, so
 * nothing inside them is taken for a tag. No tree is built: that costs far more than the scan.
 */
function scanLinks(html: string): { links: LinkTag[]; bodyEnd?: number; htmlEnd?: number } {
  const links: LinkTag[] = [];
  let bodyEnd: number | undefined;
  let htmlEnd: number | undefined;
  let tag: LinkTag | undefined;
  let attr: { name: string; start: number; value: string } | undefined;
  /** The raw-text element being skipped, from its start tag to its end tag. */
  let rawText: string | undefined;
  let opened: string | undefined;
  const finishTag = () => {
    if (tag && (tag.href || tag.notrack.length > 0)) links.push(tag);
    tag = undefined;
    // HTML5 ignores a self-closing slash on these: `<noscript/>` opens one all the same.
    if (opened) rawText = opened;
    opened = undefined;
  };
  const cbs: TokenizerCallbacks = {
    onopentagname(start, end) {
      const name = html.slice(start, end).toLowerCase();
      if (rawText) return;
      tag = name === 'a' || name === 'area' ? { notrack: [] } : undefined;
      opened = RAW_TEXT.has(name) ? name : undefined;
    },
    onattribname(start, end) {
      attr = tag ? { name: html.slice(start, end).toLowerCase(), start, value: '' } : undefined;
    },
    onattribdata(start, end) {
      if (attr) attr.value += html.slice(start, end);
    },
    onattribentity() {},
    onattribend(_quote, end) {
      if (!tag || !attr) return;
      // Entities decoded as the tokenizer itself decodes them in attribute values (the same
      // entities decoder in attribute mode), only for the value that matters.
      if (attr.name === 'href' && !tag.href)
        tag.href = {
          start: attr.start,
          end,
          value: attr.value.includes('&') ? decodeHTMLAttribute(attr.value) : attr.value,
        };
      if (attr.name === NOTRACK) {
        let start = attr.start;
        while (start > 0 && /\s/.test(html[start - 1] ?? '')) start--;
        tag.notrack.push({ start, end });
      }
      attr = undefined;
    },
    onopentagend: finishTag,
    onselfclosingtag: finishTag,
    onclosetag(start, end) {
      const name = html.slice(start, end).toLowerCase();
      if (rawText) {
        if (name === rawText) rawText = undefined;
        return;
      }
      const at = html.lastIndexOf('<', start);
      if (name === 'body') bodyEnd ??= at;
      else if (name === 'html') htmlEnd ??= at;
    },
    oncdata() {},
    oncomment() {},
    ondeclaration() {},
    onend() {},
    onprocessinginstruction() {},
    ontext() {},
    ontextentity() {},
  };
  const tokenizer = fastTokenizer(cbs);
  tokenizer.write(html);
  tokenizer.end();
  return { links, ...(bodyEnd !== undefined ? { bodyEnd } : {}), ...(htmlEnd !== undefined ? { htmlEnd } : {}) };
}

/**
 * Rewrites `<a href>` / `<area href>` to tracked URLs and appends an open pixel. Only the changed
 * attributes and the inserted pixel are spliced into the original text: everything else stays
 * byte for byte. The pixel goes before `</body>` (else `</html>`) of a document, at the end of a
 * fragment.
 */
export function rewriteHtml(html: string, rewrite: HtmlRewrite): { html: string; links: number } {
  const isDocument = /<html[\s>]|<body[\s>]|<!doctype/i.test(html);
  const scan = scanLinks(html);
  const edits: Edit[] = [];
  let index = 0;
  const { linkUrl } = rewrite;
  for (const link of scan.links) {
    if (link.notrack.length > 0) {
      // Our own marker: it never reaches the recipient of a rewritten message.
      for (const n of link.notrack) edits.push({ start: n.start, end: n.end, text: '' });
      continue;
    }
    const href = link.href;
    if (!href || !linkUrl || !isTrackable(href.value, rewrite.trackingBase)) continue;
    edits.push({ start: href.start, end: href.end, text: `href="${escapeAttr(linkUrl(href.value.trim(), index))}"` });
    index++;
  }
  if (rewrite.pixelUrl) {
    const pixel = `<img src="${escapeAttr(rewrite.pixelUrl)}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" />`;
    const at = (isDocument ? (scan.bodyEnd ?? scan.htmlEnd) : undefined) ?? html.length;
    edits.push({ start: at, end: at, text: pixel });
  }
  // Apply from the end so earlier offsets stay valid.
  edits.sort((a, b) => b.start - a.start);
  if (edits.length === 0) return { html, links: 0 };
  const parts: string[] = [];
  let cursor = html.length;
  for (const e of edits) {
    parts.push(html.slice(e.end, cursor), e.text);
    cursor = e.start;
  }
  parts.push(html.slice(0, cursor));
  return { html: parts.reverse().join(''), links: index };
}
