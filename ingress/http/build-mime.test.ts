import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { buildMime, envelopeRecipients } from './build-mime.js';
import { buildFastMime } from './fast-mime.js';
import { sendRequestSchema } from './send-schema.js';

const DATE = new Date('2024-05-01T10:00:00Z');
const MESSAGE_ID = '<msg_1@mail.bridgemail.example>';
const parse = (body: Record<string, unknown>) =>
  sendRequestSchema.parse({ from: 'Shop <shop@example.com>', to: 'zoe@example.org', subject: 'Your order', ...body });

describe('buildMime', () => {
  it('takes the fast path for a request without attachments', async () => {
    const req = parse({ html: '<p>Hi</p>', bcc: 'audit@example.net' });
    const raw = await buildMime(req, MESSAGE_ID, DATE);
    expect(raw).toEqual(buildFastMime(req, MESSAGE_ID, DATE));
    expect(raw.toString()).not.toMatch(/^Bcc:/im);
  });

  it('builds a request with attachments with MailComposer', async () => {
    const req = parse({
      text: 'See attached.',
      bcc: 'audit@example.net',
      attachments: [{ filename: 'résumé.txt', content: Buffer.from('hello').toString('base64') }],
    });
    const raw = await buildMime(req, MESSAGE_ID, DATE);
    expect(raw.toString()).toMatch(/^Content-Type: multipart\/mixed;/m);
    expect(raw.toString()).not.toMatch(/^Bcc:/im);
    const mail = await simpleParser(raw);
    expect(mail.text).toBe('See attached.');
    expect(mail.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([['résumé.txt', 'hello']]);
    expect(mail.messageId).toBe(MESSAGE_ID);
    expect(mail.date).toEqual(DATE);
  });

  it('builds a request with a custom Content-Disposition header with MailComposer', async () => {
    const req = parse({ text: 'x', headers: { 'Content-Disposition': 'inline' } });
    const raw = (await buildMime(req, MESSAGE_ID, DATE)).toString();
    expect(raw).toMatch(/^Content-Disposition: inline\r\n/m);
  });

  it('dates the message now by default', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const mail = await simpleParser(await buildMime(parse({ text: 'x' }), MESSAGE_ID));
    expect(mail.date?.getTime()).toBeGreaterThanOrEqual(before);
    expect(mail.date?.getTime()).toBeLessThanOrEqual(Date.now());
  });
});

describe('envelopeRecipients', () => {
  it('lists to, cc and bcc once each, case-insensitively, first spelling kept', () => {
    const req = parse({
      to: ['A@example.org', 'b@example.org'],
      cc: 'a@example.org',
      bcc: ['c@example.org', 'B@EXAMPLE.ORG'],
      text: 'x',
    });
    expect(envelopeRecipients(req)).toEqual(['A@example.org', 'b@example.org', 'c@example.org']);
  });
});
