// The streaming (mailsplit) implementation rewriteHtmlParts had until it was replaced by one
// that splices byte offsets (workers/tracking/rewrite-mime.ts). Kept as the oracle of a
// differential test: both must give the same bytes.
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import iconv from 'iconv-lite';
import { Joiner, Splitter, type MimeNode, type SplitterChunk } from 'mailsplit';

/** Rewrites the decoded text of one HTML part. */
type HtmlPartRewriter = (html: string) => string;

const isHtmlBody = (node: MimeNode) => node.contentType === 'text/html' && node.disposition !== 'attachment';

async function transcode(input: Buffer, stream: Transform): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  await new Promise<void>((resolve, reject) => {
    stream.once('end', resolve);
    stream.once('error', reject);
    stream.end(input);
  });
  return Buffer.concat(chunks);
}

/**
 * Streams a message through mailsplit and hands every inline `text/html` part (any nesting of
 * multipart/*) to `rewrite`: decoded from its transfer encoding and charset, then re-encoded in
 * the same charset and the same transfer encoding. Other parts and all headers pass untouched.
 * A part whose charset cannot be round-tripped is left as it is.
 */
export async function rewriteHtmlPartsWithMailsplit(raw: Buffer, rewrite: HtmlPartRewriter): Promise<Buffer> {
  let current: MimeNode | undefined;
  let body: Buffer[] = [];

  const flush = async (stream: Transform) => {
    const node = current;
    if (!node) return;
    current = undefined;
    const original = Buffer.concat(body);
    body = [];
    stream.push(node);
    stream.push({ type: 'body', node, value: await rewritePart(node, original, rewrite) });
  };

  const rewriter = new Transform({
    objectMode: true,
    transform(chunk: SplitterChunk, _enc, done: TransformCallback) {
      (async () => {
        if (current && chunk.type === 'body') {
          body.push(chunk.value);
          return;
        }
        await flush(this);
        if (chunk.type === 'node' && isHtmlBody(chunk)) {
          current = chunk;
          return;
        }
        this.push(chunk);
      })().then(() => done(), done);
    },
    flush(done: TransformCallback) {
      flush(this).then(() => done(), done);
    },
  });

  const out: Buffer[] = [];
  await pipeline(
    Readable.from([raw]),
    new Splitter({ ignoreEmbedded: true }),
    rewriter,
    new Joiner(),
    async function (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) out.push(chunk);
    },
  );
  return Buffer.concat(out);
}

async function rewritePart(node: MimeNode, encoded: Buffer, rewrite: HtmlPartRewriter): Promise<Buffer> {
  const charset = (node.charset || 'utf-8').toString().trim().toLowerCase();
  if (!iconv.encodingExists(charset)) return encoded;
  const decoded = await transcode(encoded, node.getDecoder());
  const text = iconv.decode(decoded, charset);
  // Only round-trippable parts are touched: re-encoding must give back the decoded bytes.
  if (!iconv.encode(text, charset).equals(decoded)) return encoded;
  const changed = rewrite(text);
  if (changed === text) return encoded;
  const out = await transcode(iconv.encode(changed, charset), node.getEncoder());
  // The encoders break lines with CRLF; a message written with bare LF keeps its convention.
  return encoded.includes('\r\n') || !out.includes('\r\n')
    ? out
    : Buffer.from(out.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
}
