import MailComposer from 'nodemailer/lib/mail-composer';
import type { SendRequest, Mailbox } from './send-schema.js';

const format = (m: Mailbox) => ({ name: m.name, address: m.address });

/** Builds the raw RFC 5322 message of a REST send request (Bcc is kept out of the headers). */
export async function buildMime(req: SendRequest, messageIdHeader: string): Promise<Buffer> {
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
    date: new Date(),
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
