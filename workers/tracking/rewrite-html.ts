import { decodeHTMLAttribute } from 'entities';
import { Parser } from 'htmlparser2';

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

/** True when `text` holds an ASCII control character (C0 or DEL). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** True when a link target is an absolute http(s) URL we may track. */
export function isTrackable(href: string, trackingBase?: string): boolean {
  const url = href.trim();
  if (!/^https?:\/\//i.test(url) || TEMPLATE.test(url) || hasControl(url)) return false;
  return !(trackingBase && url.startsWith(trackingBase));
}

/** A span of the source: `start` included, `end` excluded. */
interface Span {
  start: number;
  end: number;
}

/** One `<a>` / `<area>` start tag as the parser saw it. */
interface LinkTag {
  /** The first `href`: where its attribute (name to end of value) sits, and its decoded value. */
  href?: Span & { value: string };
  /** Every opt-out attribute: from the whitespace before its name to the end of its value. */
  notrack: Span[];
}

/** What the rewrite needs to know of a document. */
interface Scan {
  links: LinkTag[];
  /** Where the first `</body>` starts. */
  bodyEnd?: number;
  /** Where the first `</html>` starts. */
  htmlEnd?: number;
}

/**
 * Elements whose content an HTML5 parser (with scripting on, as parse5 and browsers run) reads as
 * text, beyond the ones htmlparser2 already reads so (script, style, title, textarea): links in
 * them are not links. `plaintext` runs to the end of the document.
 */
const RAW_TEXT = new Set(['noscript', 'xmp', 'iframe', 'noembed', 'noframes', 'plaintext']);

/** Where the text of a raw-text element opened before `from` ends: at its end tag, else at the end. */
function rawTextEnd(html: string, name: string, from: number): number {
  if (name === 'plaintext') return html.length;
  // An end tag is `</name` followed by whitespace, `/` or `>` (HTML5 §13.2.5.11), in any case.
  const end = new RegExp(`</${name}[\\t\\n\\f\\r />]`, 'gi');
  end.lastIndex = from;
  return end.exec(html)?.index ?? html.length;
}

/**
 * Where the end tag `</name…>` the parser reports starts. The parser's `startIndex` is one past
 * where it ended its previous event, which for an end tag with whitespace before its `>`
 * (`</p >`) is a little before that `>`: so the tag is searched from there.
 */
function endTagStart(html: string, name: string, from: number, end: number): number {
  const open = `</${name}`;
  for (let at = html.indexOf('</', from); at !== -1 && at <= end; at = html.indexOf('</', at + 2)) {
    if (html.slice(at, at + open.length).toLowerCase() === open) return at;
  }
  return from;
}

/** The offset of the run of whitespace that ends at `end`. */
function whitespaceBefore(html: string, end: number): number {
  let start = end;
  while (start > 0 && /\s/.test(html[start - 1] ?? '')) start--;
  return start;
}

/**
 * Finds what the rewrite needs in one pass of htmlparser2's `Parser` (the parser cheerio uses in
 * its htmlparser2 mode), with the source offsets it reports for each event: link start tags with
 * their first `href` and opt-out attributes, and where `</body>` and `</html>` start. The parser
 * decodes no entities (its scan of text is faster so); an `href` is decoded as the parser itself
 * decodes attribute values (the same `entities` decoder, attribute mode), as a browser would. The
 * parser reads `<script>`, `<style>`, `<title>` and `<textarea>` content as text; the other
 * raw-text elements are skipped here by offset. No tree is built: that costs far more than the scan.
 */
function scanLinks(html: string): Scan {
  const scan: Scan = { links: [] };
  let tag: LinkTag | undefined;
  /** Everything before this offset is the text of a raw-text element (or was already passed). */
  let rawUntil = -1;
  const parser = new Parser(
    {
      onopentagname(name) {
        // The parser's endIndex is the end of the tag name: past rawUntil, the tag is outside raw text.
        tag = (name === 'a' || name === 'area') && parser.endIndex > rawUntil ? { notrack: [] } : undefined;
      },
      onattribute(name, value) {
        // For an attribute, the parser's span runs from its name to the end of its value, end excluded.
        if (!tag) return;
        if (name === 'href' && !tag.href)
          tag.href = {
            start: parser.startIndex,
            end: parser.endIndex,
            value: value.includes('&') ? decodeHTMLAttribute(value) : value,
          };
        else if (name === NOTRACK)
          tag.notrack.push({ start: whitespaceBefore(html, parser.startIndex), end: parser.endIndex });
      },
      onopentag(name) {
        if (tag && (tag.href || tag.notrack.length > 0)) scan.links.push(tag);
        tag = undefined;
        // The endIndex of a start tag is its `>`. HTML5 ignores a self-closing slash on these elements.
        if (RAW_TEXT.has(name) && parser.endIndex > rawUntil) rawUntil = rawTextEnd(html, name, parser.endIndex + 1);
      },
      onclosetag(name, isImplied) {
        if (isImplied || (name !== 'body' && name !== 'html')) return;
        const at = endTagStart(html, name, parser.startIndex, parser.endIndex);
        if (at < rawUntil) return;
        if (name === 'body') scan.bodyEnd ??= at;
        else scan.htmlEnd ??= at;
      },
    },
    { decodeEntities: false },
  );
  parser.end(html);
  return scan;
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
  if (edits.length === 0) return { html, links: 0 };
  return { html: splice(html, edits), links: index };
}

/** `html` with each edit's span replaced by its text; the spans do not overlap. */
function splice(html: string, edits: Edit[]): string {
  // Applied from the end so that earlier offsets stay valid.
  edits.sort((a, b) => b.start - a.start);
  const parts: string[] = [];
  let cursor = html.length;
  for (const e of edits) {
    parts.push(html.slice(e.end, cursor), e.text);
    cursor = e.start;
  }
  parts.push(html.slice(0, cursor));
  return parts.reverse().join('');
}
