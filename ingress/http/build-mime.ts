import MailComposer from 'nodemailer/lib/mail-composer';
import { buildFastMime } from './fast-mime.js';
import type { SendRequest, Mailbox } from './send-schema.js';

const format = (m: Mailbox) => ({ name: m.name, address: m.address });

/**
 * Builds the raw RFC 5322 message of a REST send request (Bcc is kept out of the headers).
 * Requests without attachments take a synchronous path that writes what MailComposer would
 * (see fast-mime.ts); anything else goes through MailComposer.
 *
 * @param date - Value of the Date header.
 * @defaultValue `date`: the current time
 */
export async function buildMime(req: SendRequest, messageIdHeader: string, date: Date = new Date()): Promise<Buffer> {
  return buildFastMime(req, messageIdHeader, date) ?? composeMime(req, messageIdHeader, date);
}

/** Builds the message with nodemailer's MailComposer: the fallback of {@link buildMime} and its reference in tests. */
export async function composeMime(req: SendRequest, messageIdHeader: string, date: Date): Promise<Buffer> {
  const composer = new MailComposer({
    from: format(req.from),
    to: req.to.map(format),
    cc: req.cc.map(format),
    bcc: req.bcc.map(format),
    replyTo: req.replyTo ? format(req.replyTo) : undefined,
    subject: req.subject,
    html: req.html,
    text: req.text,
    headers: req.headers,
    messageId: messageIdHeader,
    date,
    attachments: req.attachments?.map((a) => ({
      filename: a.filename,
      content: Buffer.from(a.content, 'base64'),
      contentType: a.contentType,
    })),
  });
  return composer.compile().build();
}

/** Envelope recipients of a send request: to, cc and bcc, deduplicated case-insensitively. */
export function envelopeRecipients(req: SendRequest): string[] {
  const seen = new Map<string, string>();
  for (const m of [...req.to, ...req.cc, ...req.bcc]) {
    const key = m.address.toLowerCase();
    if (!seen.has(key)) seen.set(key, m.address);
  }
  return [...seen.values()];
}
