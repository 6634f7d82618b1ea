import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { AppError } from '../../core/index.js';

const LIST_FIELDS = new Set(['to', 'cc', 'bcc']);
const TEXT_FIELDS = new Set(['from', 'replyTo', 'subject', 'text', 'html', 'headers', 'tag', 'metadata']);
/** Text fields holding a JSON object. */
const JSON_FIELDS = new Set(['headers', 'metadata']);

/**
 * Reads a `multipart/form-data` send request into the shape of the JSON body: text fields
 * `from`, `to`/`cc`/`bcc` (repeatable), `replyTo`, `subject`, `text`, `html`, `tag`, `headers` and
 * `metadata` (JSON objects), and every file part as an attachment. Stops at `limit` bytes (`MESSAGE_TOO_LARGE`).
 */
export function readMultipartSend(req: IncomingMessage, headers: IncomingHttpHeaders, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers, limits: { fileSize: limit, fieldSize: limit, files: 100, fields: 200, parts: 300 } });
    } catch (err) {
      reject(new AppError('VALIDATION_FAILED', `malformed multipart body: ${(err as Error).message}`));
      return;
    }
    const body: Record<string, unknown> = {};
    const attachments: { filename: string; content: string; contentType: string }[] = [];
    let total = 0;
    let failed = false;
    const fail = (err: AppError) => {
      if (failed) return;
      failed = true;
      req.unpipe(parser);
      req.resume();
      reject(err);
    };
    const count = (n: number) => {
      total += n;
      if (total > limit) fail(new AppError('MESSAGE_TOO_LARGE', `request body exceeds ${limit} bytes`));
    };
    parser.on('field', (name, value, info) => {
      count(value.length);
      if (info.valueTruncated) return fail(new AppError('MESSAGE_TOO_LARGE', `field ${name} is too large`));
      if (LIST_FIELDS.has(name)) {
        body[name] = [...((body[name] as string[] | undefined) ?? []), value];
      } else if (TEXT_FIELDS.has(name)) {
        if (name in body)
          return fail(new AppError('VALIDATION_FAILED', `${name}: given more than once`, { field: name }));
        if (JSON_FIELDS.has(name)) {
          try {
            body[name] = JSON.parse(value) as unknown;
          } catch {
            return fail(new AppError('VALIDATION_FAILED', `${name}: must be a JSON object`, { field: name }));
          }
        } else body[name] = value;
      } else {
        fail(new AppError('VALIDATION_FAILED', `${name}: unknown field`, { field: name }));
      }
    });
    parser.on('file', (_name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => {
        count(c.length);
        chunks.push(c);
      });
      stream.on('limit', () => fail(new AppError('MESSAGE_TOO_LARGE', `attachment ${info.filename} is too large`)));
      // A body that ends inside a file part fails this stream too: without a listener that error
      // would be uncaught and take the process down.
      stream.on('error', (err: Error) =>
        fail(new AppError('VALIDATION_FAILED', `malformed multipart body: ${err.message}`)),
      );
      stream.on('end', () => {
        attachments.push({
          filename: info.filename || 'attachment',
          content: Buffer.concat(chunks).toString('base64'),
          contentType: info.mimeType || 'application/octet-stream',
        });
      });
    });
    parser.on('filesLimit', () =>
      fail(new AppError('VALIDATION_FAILED', 'too many attachments', { field: 'attachments' })),
    );
    parser.on('error', (err: Error) =>
      fail(new AppError('VALIDATION_FAILED', `malformed multipart body: ${err.message}`)),
    );
    parser.on('close', () => {
      if (failed) return;
      resolve(attachments.length ? { ...body, attachments } : body);
    });
    req.pipe(parser);
  });
}
