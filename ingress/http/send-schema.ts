import addressparser from 'nodemailer/lib/addressparser';
import { z } from 'zod';
import {
  LABEL_LIMITS,
  metadataProblem,
  ONE_OR_MANY,
  TAG_PATTERN,
  TEMPLATE_ALIAS,
  TEMPLATE_LIMITS,
} from '../../core/index.js';

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
  // Tags: the tag field is the REST way.
  'x-bridgemail-tag',
  'x-pm-tag',
  // Scheduled sends: sendAt is the REST way.
  'x-bridgemail-send-at',
  // Templates: templateAlias / templateId and templateModel are the REST way.
  'x-bridgemail-template',
  'x-bridgemail-template-model',
]);

const headers = z
  .record(
    z
      .string()
      .regex(/^[!-9;-~]{1,76}$/, 'header names are printable ASCII without ":"')
      .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), 'this header is set by a dedicated field')
      .refine((name) => !/^x-(bridgemail|pm)-metadata-/i.test(name), 'metadata is set by the metadata field'),
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

const tag = z
  .string()
  .regex(TAG_PATTERN, `1 to ${LABEL_LIMITS.tagChars} characters of A-Z a-z 0-9 . _ -`)
  .optional()
  .describe(
    `One tag (1 to ${LABEL_LIMITS.tagChars} characters of A-Z a-z 0-9 . _ -): every event of the message carries it; ` +
      'stats can be read per tag. SMTP: `X-Bridgemail-Tag` (or `X-PM-Tag`).',
  );

const metadata = z
  .record(z.string(), z.string())
  .superRefine((m, ctx) => {
    const problem = metadataProblem(m);
    if (problem)
      ctx.addIssue({ code: 'custom', path: problem.key === undefined ? [] : [problem.key], message: problem.message });
  })
  .optional()
  .describe(
    `Strings by key (at most ${LABEL_LIMITS.metadataKeys} keys of ${LABEL_LIMITS.metadataKeyChars} characters, ` +
      `values of ${LABEL_LIMITS.metadataValueChars} characters, ${LABEL_LIMITS.metadataBytes} bytes in all): every ` +
      'event of the message and its webhooks carry them. SMTP: `X-Bridgemail-Metadata-<key>` (or `X-PM-Metadata-<key>`).',
  );

/** The JSON body of `POST /v1/send`. */
export const sendRequestSchema = z
  .object({
    from: mailbox,
    to: mailboxList,
    cc: mailboxList,
    bcc: mailboxList,
    replyTo: mailbox.optional(),
    tag,
    metadata,
    subject: z
      .string()
      .max(SEND_LIMITS.subjectChars)
      .regex(NO_CRLF, 'subject may not contain CR, LF or NUL')
      .optional()
      .describe('Required unless a template gives it'),
    html: z.string().optional(),
    text: z.string().optional(),
    headers,
    attachments: z.array(attachment).max(SEND_LIMITS.attachmentCount).optional(),
    sendAt: z
      .string()
      .max(64)
      .optional()
      .meta({ format: 'date-time' })
      .describe(
        'Send later: RFC 3339 with an offset (e.g. `2030-01-31T09:00:00Z`), at most 30 days ahead; ' +
          'now or past sends now. Cancel with `DELETE /v1/messages/{id}` until it is due.',
      ),
    templateAlias: z
      .string()
      .regex(TEMPLATE_ALIAS, '1 to 64 of a-z, 0-9, - and _')
      .optional()
      .describe('Render this template (admin API `/admin/v1/templates`) instead of giving subject, html and text'),
    templateId: z.string().min(1).max(64).optional().describe('Like templateAlias, by the template id'),
    templateModel: z
      .record(z.string(), z.unknown())
      .refine(
        (m) => Buffer.byteLength(JSON.stringify(m)) <= TEMPLATE_LIMITS.modelBytes,
        `at most ${TEMPLATE_LIMITS.modelBytes} bytes as JSON`,
      )
      .optional()
      .describe('The values the template is rendered with (a JSON object); {} when omitted'),
  })
  .strict()
  .superRefine((req, ctx) => {
    if (req.to.length + req.cc.length + req.bcc.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'at least one recipient (to, cc or bcc) is required' });
    }
    const templated = req.templateAlias !== undefined || req.templateId !== undefined;
    if (templated) {
      if (req.templateAlias !== undefined && req.templateId !== undefined)
        ctx.addIssue({ code: 'custom', path: ['templateId'], message: 'give templateAlias or templateId, not both' });
      for (const field of ['subject', 'html', 'text'] as const)
        if (req[field] !== undefined)
          ctx.addIssue({ code: 'custom', path: [field], message: 'comes from the template: leave it out' });
      return;
    }
    if (req.templateModel !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['templateModel'],
        message: 'needs templateAlias or templateId',
      });
    if (req.subject === undefined)
      ctx.addIssue({ code: 'custom', path: ['subject'], message: 'required (or templateAlias / templateId)' });
    if (req.html === undefined && req.text === undefined) {
      ctx.addIssue({ code: 'custom', path: ['html'], message: 'html or text is required' });
    }
  });

/** A validated send request. */
export type SendRequest = z.infer<typeof sendRequestSchema>;
