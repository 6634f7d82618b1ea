import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { CompressedBlockError, compressBlocks, decompressBlocks } from './native-compression.js';
import { SqlError } from './sql-screen.js';

/** The HTTP side of the analysts' endpoint as ClickHouse's HTTP interface has it: credentials, bodies, compression. */

export const authFailed = () =>
  new SqlError(
    516,
    'AUTHENTICATION_FAILED',
    'Authentication failed: password is incorrect, or there is no user with such name',
    401,
  );

/**
 * The user and password of a request, as ClickHouse accepts them: HTTP Basic, the
 * `X-ClickHouse-User` / `X-ClickHouse-Key` headers, or the `user` / `password` URL parameters.
 */
export function presentedCredentials(req: IncomingMessage, url: URL): { user: string; password: string } | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const header = (name: string) => {
    const value = req.headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  const user = header('x-clickhouse-user') ?? url.searchParams.get('user');
  const password = header('x-clickhouse-key') ?? url.searchParams.get('password');
  return user !== null && user !== undefined && password !== null && password !== undefined
    ? { user, password }
    : undefined;
}

/** Engine errors: ClickHouse's own code, name and message, and an HTTP status as ClickHouse picks one. */
export function fromEngine(err: unknown): SqlError {
  const text = err instanceof Error ? err.message : String(err);
  const match = /^Code: (\d+)\. DB::Exception: ([\s\S]*?)(?:\. )?\(([A-Z_]+)\)(?: \(version [^)]*\))?\.?\s*$/.exec(
    text,
  );
  if (!match) return new SqlError(1001, 'STD_EXCEPTION', text.trim(), 500);
  const code = Number(match[1]);
  const status =
    code === 62 ? 400 : code === 164 || code === 497 ? 403 : code === 60 || code === 81 ? 404 : code === 47 ? 400 : 500;
  return new SqlError(code, match[3]!, match[2]!.replace(/^Code: \d+\. DB::Exception: /, '').trim(), status);
}

/** The longest query text a request may carry, after decompression. */
const MAX_QUERY = 1024 * 1024;

const tooLong = () => new SqlError(62, 'SYNTAX_ERROR', 'Syntax error: query is longer than 1 MiB', 413);

/**
 * A POST body as text: decoded when its `Content-Encoding` is gzip, deflate or br, then read as
 * ClickHouse's compressed blocks with `decompress=1` (ClickHouse accepts both); over 1 MiB,
 * compressed or not, it is refused.
 */
export async function readBody(req: IncomingMessage, url: URL): Promise<string> {
  const body = await decodedBody(req);
  if (url.searchParams.get('decompress') !== '1') return body.toString('utf8');
  try {
    return decompressBlocks(body, MAX_QUERY).toString('utf8');
  } catch (err) {
    if (err instanceof CompressedBlockError) throw new SqlError(err.code, err.codeName, err.message, 400);
    throw err;
  }
}

async function decodedBody(req: IncomingMessage): Promise<Buffer> {
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_QUERY) {
        reject(tooLong());
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || raw.length === 0) return raw;
  const decode = DECODERS[encoding];
  if (!decode) {
    throw new SqlError(
      1001,
      'STD_EXCEPTION',
      `Content-Encoding ${encoding} is not supported: send gzip, deflate or br (or no encoding)`,
      415,
    );
  }
  try {
    return await decode(raw, { maxOutputLength: MAX_QUERY });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLong();
    throw new SqlError(
      354,
      'CANNOT_DECOMPRESS',
      `Cannot decompress the request body as ${encoding}: ${(err as Error).message}`,
      400,
    );
  }
}

type Codec = (data: Buffer, options: zlib.ZlibOptions & zlib.BrotliOptions) => Promise<Buffer>;
const DECODERS: Record<string, Codec> = {
  gzip: promisify(zlib.gunzip),
  'x-gzip': promisify(zlib.gunzip),
  deflate: promisify(zlib.inflate),
  br: promisify(zlib.brotliDecompress),
};
const ENCODERS: Record<string, Codec> = {
  gzip: promisify(zlib.gzip),
  deflate: promisify(zlib.deflate),
  br: promisify(zlib.brotliCompress),
};

/**
 * The encoding a result goes out in: as ClickHouse does, only with `enable_http_compression=1` and
 * then the first of gzip, deflate and br that `Accept-Encoding` names; otherwise none.
 */
export function responseEncoding(req: IncomingMessage, url: URL): string | undefined {
  if (url.searchParams.get('enable_http_compression') !== '1') return undefined;
  const accepted = (req.headers['accept-encoding'] ?? '')
    .split(',')
    .map((part) => part.split(';')[0]!.trim().toLowerCase());
  return ['gzip', 'deflate', 'br'].find((encoding) => accepted.includes(encoding));
}

/**
 * Sends a result with its headers: as ClickHouse's compressed blocks with `compress=1`, then in the
 * HTTP encoding agreed (see {@link responseEncoding}), if any.
 */
export async function sendResult(
  res: ServerResponse,
  url: URL,
  bytes: Buffer,
  headers: Record<string, string>,
  encoding: string | undefined,
): Promise<void> {
  const framed = url.searchParams.get('compress') === '1' ? compressBlocks(bytes) : bytes;
  const body = encoding ? await ENCODERS[encoding]!(framed, {}) : framed;
  res.writeHead(200, {
    ...headers,
    ...(encoding ? { 'Content-Encoding': encoding, Vary: 'Accept-Encoding' } : {}),
    'Content-Length': String(body.length),
  });
  res.end(body);
}

/** The Content-Type ClickHouse answers a format with. */
export function contentType(format: string): string {
  const f = format.toLowerCase();
  if (f.startsWith('json')) return 'application/json; charset=UTF-8';
  if (f.startsWith('csv')) return 'text/csv; charset=UTF-8; header=present';
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8';
  if (/^(native|rowbinary|parquet|arrow|orc|avro|protobuf|capnproto|msgpack|bson|npy)/.test(f)) {
    return 'application/octet-stream';
  }
  return 'text/plain; charset=UTF-8';
}
