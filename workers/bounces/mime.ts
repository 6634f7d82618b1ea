import { Readable, type Transform } from 'node:stream';
import libmime from 'libmime';
import { Splitter, type MimeNode, type SplitterChunk } from 'mailsplit';

// mailsplit sets these on every node at run time (lib/mime-node.js); the shared declaration in
// types/mailsplit.d.ts leaves them out.
declare module 'mailsplit' {
  interface MimeNode {
    parentNode?: MimeNode | false;
    rfc822?: boolean;
  }
}

/** One MIME node of a message, with its body decoded to text. */
export interface MessagePart {
  /** Lower-cased content type; `text/plain` when the node has none (RFC 2045 §5.2). */
  contentType: string;
  /** How many message/rfc822 parts enclose this one (0 = the report itself). */
  depth: number;
  /** The root node of an embedded message (its headers are the returned message's). */
  embeddedRoot: boolean;
  /** Decoded, unfolded, RFC 2047-decoded values of a header, in order. */
  header: (name: string) => string[];
  /** Decoded body with LF line endings; empty for multipart and message/rfc822 containers. */
  text: string;
}

/** A message as a flat list of its parts in document order; the first is the root. */
export interface ParsedMessage {
  parts: MessagePart[];
  root: MessagePart;
}

const MAX_HEAD_BYTES = 1024 * 1024;
const UTF8_LIKE = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii', '']);

function headerReader(node: MimeNode): (name: string) => string[] {
  return (name) =>
    node.headers.get(name).map((line) => {
      const value = String(libmime.decodeHeader(line).value ?? '').replace(/\r?\n[ \t]*/g, ' ');
      return libmime.decodeWords(value).trim();
    });
}

async function collect(stream: Transform, input: Buffer): Promise<Buffer> {
  const out: Buffer[] = [];
  const source = Readable.from([input]).pipe(stream);
  for await (const chunk of source) out.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(out);
}

async function decodeBody(node: MimeNode, raw: Buffer): Promise<string> {
  const encoding = (node.encoding || '').toLowerCase();
  let body = raw;
  if (encoding === 'base64') body = Buffer.from(raw.toString('latin1'), 'base64');
  else if (encoding === 'quoted-printable') body = await collect(node.getDecoder(), raw);
  const charset = (node.charset || '').toLowerCase();
  if (!UTF8_LIKE.has(charset)) body = await collect(libmime.createDecodeStream(charset), body);
  return body.toString('utf8').replace(/\r\n?/g, '\n');
}

function depthOf(node: MimeNode): number {
  let depth = 0;
  for (let p = node.parentNode; p; p = p.parentNode) if (p.rfc822 === true) depth++;
  return depth;
}

// A boundary line followed by spaces or tabs ("--b1  "): RFC 2046 §5.1.1 allows this padding;
// mailsplit only recognises the bare line.
const PADDED_BOUNDARY = /^(--[^\r\n]*?[^\s])[ \t]+(\r?)$/gm;

/** The message with boundary-line padding removed (a copy only when there is any). */
function withoutBoundaryPadding(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  PADDED_BOUNDARY.lastIndex = 0;
  if (!PADDED_BOUNDARY.test(text)) return raw;
  return Buffer.from(text.replace(PADDED_BOUNDARY, '$1$2'), 'latin1');
}

/** Splits a raw message into its parts with mailsplit (CRLF or LF, any nesting, QP/base64 bodies). */
export async function parseMessage(raw: Buffer | string): Promise<ParsedMessage> {
  const input = withoutBoundaryPadding(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw);
  const nodes: { node: MimeNode; chunks: Buffer[]; data: Buffer[] }[] = [];
  // Attached messages are parsed unless marked as attachments (mailsplit's default is to parse
  // only `Content-Disposition: inline` ones); the option is missing from the shared typings.
  const options = { maxHeadSize: MAX_HEAD_BYTES, defaultInlineEmbedded: true };
  const splitter = new Splitter(options);
  Readable.from([input]).pipe(splitter);
  for await (const item of splitter as AsyncIterable<SplitterChunk>) {
    if (item.type === 'node') nodes.push({ node: item, chunks: [], data: [] });
    else if (item.type === 'body') nodes.at(-1)?.chunks.push(item.value);
    else nodes.at(-1)?.data.push(item.value);
  }
  const parents = new Set(nodes.map(({ node }) => node.parentNode).filter((p): p is MimeNode => Boolean(p)));
  const parts: MessagePart[] = [];
  for (const { node, chunks, data } of nodes) {
    // A multipart whose boundary never occurs (broken or rewritten boundary parameter) is read
    // as one text body, so that its DSN fields and notification are still found.
    const broken = Boolean(node.multipart) && !parents.has(node);
    // An attached message mailsplit did not descend into (encoded, or an attachment) keeps its text.
    const opaque = node.rfc822 === true && !parents.has(node);
    const leaf = (!node.multipart && node.rfc822 !== true) || broken || opaque;
    if (broken) chunks.push(...data);
    const parent = node.parentNode;
    parts.push({
      contentType: broken ? 'text/plain' : node.contentType || 'text/plain',
      depth: depthOf(node),
      embeddedRoot: parent ? parent.rfc822 === true : false,
      header: headerReader(node),
      text: leaf && chunks.length > 0 ? await decodeBody(node, Buffer.concat(chunks)) : '',
    });
  }
  const root = parts[0] ?? { contentType: 'text/plain', depth: 0, embeddedRoot: false, header: () => [], text: '' };
  return { parts: parts.length > 0 ? parts : [root], root };
}

/** Parses a header block held as text (a text/rfc822-headers part) into a header reader. */
export function headerBlockReader(text: string): (name: string) => string[] {
  const end = text.search(/\n\n/);
  const block = libmime.decodeHeaders(end === -1 ? text : text.slice(0, end));
  return (name) =>
    (block[name.toLowerCase()] ?? []).map((v) => libmime.decodeWords(String(v).replace(/\r?\n[ \t]*/g, ' ')).trim());
}
