import addressparser from 'nodemailer/lib/addressparser';
import { z } from 'zod';
import { ONE_OR_MANY } from '../../core/index.js';

/** Limits on a REST send request besides the total message size. */
export const SEND_LIMITS = {
  subjectChars: 998,
  headerCount: 50,
  headerValueChars: 998,
  attachmentCount: 100,
  filenameChars: 255,
} as const;

const NO_CRLF = /^[^\r\n\0]*$/;
const EMAIL = z.email();

/** A mailbox as written by a client: `user@example.com` or `Name <user@example.com>`. */
export interface Mailbox {
  name: string;
  address: string;
}

/** Parses one mailbox; undefined when it is not exactly one valid address. */
export function parseMailbox(text: string): Mailbox | undefined {
  if (!NO_CRLF.test(text) || text.length > 998) return undefined;
  const parsed = addressparser(text, { flatten: true });
  if (parsed.length !== 1) return undefined;
  const [box] = parsed;
  if (!box || !EMAIL.safeParse(box.address).success) return undefined;
  return { name: box.name, address: box.address };
}

const mailbox = z
  .string()
  .describe('`user@example.com` or `Name <user@example.com>`')
  .transform((value, ctx) => {
    const box = parseMailbox(value);
    if (!box) {
      ctx.addIssue({ code: 'custom', message: 'not a valid email address' });
      return z.NEVER;
    }
    return box;
  });

// A single string is a one-element list; preprocessing (rather than a union) keeps the path of
// a bad element, so the error names `to[1]` rather than just `to`.
const mailboxList = z
  .preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(mailbox).max(1000).meta(ONE_OR_MANY))
  .optional()
  .transform((v) => v ?? []);

/** Header names the JSON fields own; a custom header may not set them. */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'subject',
  'reply-to',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'sender',
  'return-path',
  // Ours: the HTTP Idempotency-Key header and the per-message tracking ceiling are the REST way.
  'x-bridgemail-idempotency-key',
]);

const headers = z
  .record(
    z
      .string()
      .regex(/^[!-9;-~]{1,76}$/, 'header names are printable ASCII without ":"')
      .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), 'this header is set by a dedicated field'),
    z.string().max(SEND_LIMITS.headerValueChars).regex(NO_CRLF, 'header values may not contain CR, LF or NUL'),
  )
  .refine((h) => Object.keys(h).length <= SEND_LIMITS.headerCount, `at most ${SEND_LIMITS.headerCount} headers`)
  .optional();

const base64 = z
  .string()
  .transform((s) => s.replace(/\s+/g, ''))
  .refine((s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0, 'content must be base64');

const attachment = z.object({
  filename: z.string().min(1).max(SEND_LIMITS.filenameChars).regex(NO_CRLF, 'file names may not contain CR, LF or NUL'),
  content: base64,
  contentType: z
    .string()
    .regex(/^[\w.+-]+\/[\w.+-]+$/, 'must look like type/subtype')
    .optional(),
});

/** The JSON body of `POST /v1/send`. */
export const sendRequestSchema = z
  .object({
    from: mailbox,
    to: mailboxList,
    cc: mailboxList,
    bcc: mailboxList,
    replyTo: mailbox.optional(),
    subject: z.string().max(SEND_LIMITS.subjectChars).regex(NO_CRLF, 'subject may not contain CR, LF or NUL'),
    html: z.string().optional(),
    text: z.string().optional(),
    headers,
    attachments: z.array(attachment).max(SEND_LIMITS.attachmentCount).optional(),
  })
  .strict()
  .superRefine((req, ctx) => {
    if (req.to.length + req.cc.length + req.bcc.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'at least one recipient (to, cc or bcc) is required' });
    }
    if (req.html === undefined && req.text === undefined) {
      ctx.addIssue({ code: 'custom', path: ['html'], message: 'html or text is required' });
    }
  });

/** A validated send request. */
export type SendRequest = z.infer<typeof sendRequestSchema>;
