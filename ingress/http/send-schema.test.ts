import { describe, it, expect } from 'vitest';
import { SEND_LIMITS, parseMailbox, sendRequestSchema } from './send-schema.js';

const minimal = { from: 'app@example.com', to: 'user@example.org', subject: 'Hello', text: 'Hi' };

/** The issues of a body that should not parse, as [path, message] pairs. */
function issues(body: unknown): { path: PropertyKey[]; code: string; message: string }[] {
  const result = sendRequestSchema.safeParse(body);
  expect(result.success).toBe(false);
  return result.success ? [] : result.error.issues.map((i) => ({ path: i.path, code: i.code, message: i.message }));
}

describe('sendRequestSchema', () => {
  it('accepts a minimal body and normalises recipients to lists of mailboxes', () => {
    expect(sendRequestSchema.parse(minimal)).toEqual({
      from: { name: '', address: 'app@example.com' },
      to: [{ name: '', address: 'user@example.org' }],
      cc: [],
      bcc: [],
      subject: 'Hello',
      text: 'Hi',
    });
  });

  it('accepts `to` as a string or an array', () => {
    const one = sendRequestSchema.parse({ ...minimal, to: 'a@example.org' });
    expect(one.to).toEqual([{ name: '', address: 'a@example.org' }]);
    const many = sendRequestSchema.parse({ ...minimal, to: ['a@example.org', 'b@example.org'] });
    expect(many.to.map((m) => m.address)).toEqual(['a@example.org', 'b@example.org']);
  });

  it('accepts "Name <addr>" mailboxes in every address field', () => {
    const req = sendRequestSchema.parse({
      ...minimal,
      from: 'Acme Billing <billing@acme.example>',
      to: ['"Doe, Jane" <jane@example.org>'],
      cc: 'Bob <bob@example.org>',
      replyTo: 'Support <support@acme.example>',
    });
    expect(req.from).toEqual({ name: 'Acme Billing', address: 'billing@acme.example' });
    expect(req.to).toEqual([{ name: 'Doe, Jane', address: 'jane@example.org' }]);
    expect(req.cc).toEqual([{ name: 'Bob', address: 'bob@example.org' }]);
    expect(req.replyTo).toEqual({ name: 'Support', address: 'support@acme.example' });
  });

  it('accepts html alone, and recipients only in cc or bcc', () => {
    const { to: _to, text: _text, ...rest } = minimal;
    const req = sendRequestSchema.parse({ ...rest, html: '<p>Hi</p>', bcc: 'hidden@example.org' });
    expect(req.to).toEqual([]);
    expect(req.bcc).toEqual([{ name: '', address: 'hidden@example.org' }]);
    expect(req.html).toBe('<p>Hi</p>');
  });

  it('requires a recipient, reported on `to`', () => {
    const { to: _to, ...noTo } = minimal;
    expect(issues(noTo)).toEqual([expect.objectContaining({ path: ['to'] })]);
    expect(issues({ ...minimal, to: [], cc: [], bcc: [] })).toEqual([expect.objectContaining({ path: ['to'] })]);
  });

  it('requires html or text, reported on `html`', () => {
    const { text: _text, ...noBody } = minimal;
    expect(issues(noBody)).toEqual([expect.objectContaining({ path: ['html'], message: 'html or text is required' })]);
  });

  it('refuses an invalid address in a recipient list', () => {
    const found = issues({ ...minimal, to: ['a@example.org', 'not an address'] });
    expect(found).toHaveLength(1);
    expect(found[0]!.path[0]).toBe('to');
  });

  it('refuses an invalid from address', () => {
    expect(issues({ ...minimal, from: 'nobody' })).toEqual([
      expect.objectContaining({ path: ['from'], message: 'not a valid email address' }),
    ]);
  });

  it('refuses CR or LF in the subject (header injection)', () => {
    for (const subject of ['Hi\r\nBcc: victim@example.org', 'Hi\nthere', 'Hi\rthere']) {
      expect(issues({ ...minimal, subject })).toEqual([expect.objectContaining({ path: ['subject'] })]);
    }
  });

  it('refuses a subject over the limit', () => {
    expect(sendRequestSchema.safeParse({ ...minimal, subject: 'x'.repeat(SEND_LIMITS.subjectChars) }).success).toBe(
      true,
    );
    expect(issues({ ...minimal, subject: 'x'.repeat(SEND_LIMITS.subjectChars + 1) })).toEqual([
      expect.objectContaining({ path: ['subject'] }),
    ]);
  });

  it('accepts custom headers but refuses reserved names in any case', () => {
    const req = sendRequestSchema.parse({
      ...minimal,
      headers: { 'X-Campaign': 'spring', 'List-Unsubscribe': '<mailto:u@x>' },
    });
    expect(req.headers).toEqual({ 'X-Campaign': 'spring', 'List-Unsubscribe': '<mailto:u@x>' });
    for (const name of ['Subject', 'from', 'BCC', 'Message-ID', 'Content-Type', 'Return-Path', 'reply-to']) {
      const found = issues({ ...minimal, headers: { [name]: 'x' } });
      expect(found).toHaveLength(1);
      expect(found[0]!.path).toEqual(['headers', name]);
    }
  });

  it('refuses header names with a colon and header values with CR/LF', () => {
    expect(issues({ ...minimal, headers: { 'X-A:B': 'x' } })[0]!.path).toEqual(['headers', 'X-A:B']);
    expect(issues({ ...minimal, headers: { 'X-Tag': 'a\r\nBcc: v@example.org' } })).toEqual([
      expect.objectContaining({ path: ['headers', 'X-Tag'], message: 'header values may not contain CR, LF or NUL' }),
    ]);
  });

  it('accepts base64 attachment content, ignoring whitespace', () => {
    const req = sendRequestSchema.parse({
      ...minimal,
      attachments: [{ filename: 'hello.txt', content: 'SGVs\r\nbG8g\nd29y bGQ=', contentType: 'text/plain' }],
    });
    expect(req.attachments).toEqual([
      { filename: 'hello.txt', content: 'SGVsbG8gd29ybGQ=', contentType: 'text/plain' },
    ]);
    expect(Buffer.from(req.attachments![0]!.content, 'base64').toString()).toBe('Hello world');
  });

  it('refuses attachment content that is not base64', () => {
    for (const content of ['not base64!', 'SGVsbG8', 'SGVsbG8===', '====']) {
      expect(issues({ ...minimal, attachments: [{ filename: 'a.bin', content }] })).toEqual([
        expect.objectContaining({ path: ['attachments', 0, 'content'], message: 'content must be base64' }),
      ]);
    }
  });

  it('refuses a bad attachment file name or content type', () => {
    expect(issues({ ...minimal, attachments: [{ filename: 'a\r\n.txt', content: '' }] })[0]!.path).toEqual([
      'attachments',
      0,
      'filename',
    ]);
    expect(issues({ ...minimal, attachments: [{ filename: '', content: '' }] })[0]!.path).toEqual([
      'attachments',
      0,
      'filename',
    ]);
    expect(
      issues({ ...minimal, attachments: [{ filename: 'a.txt', content: '', contentType: 'text plain' }] })[0]!.path,
    ).toEqual(['attachments', 0, 'contentType']);
  });

  it('refuses unknown top-level keys', () => {
    expect(issues({ ...minimal, tags: ['x'] })).toEqual([
      expect.objectContaining({ code: 'unrecognized_keys', path: [] }),
    ]);
  });
});

describe('parseMailbox', () => {
  it('parses a bare address, a named one, a quoted name and angle brackets alone', () => {
    expect(parseMailbox('user@example.com')).toEqual({ name: '', address: 'user@example.com' });
    expect(parseMailbox('Jane Doe <jane@example.com>')).toEqual({ name: 'Jane Doe', address: 'jane@example.com' });
    expect(parseMailbox('"Doe, Jane" <jane@example.com>')).toEqual({ name: 'Doe, Jane', address: 'jane@example.com' });
    expect(parseMailbox('<user@example.com>')).toEqual({ name: '', address: 'user@example.com' });
    expect(parseMailbox('  user@example.com  ')).toEqual({ name: '', address: 'user@example.com' });
  });

  it('refuses anything that is not exactly one valid address', () => {
    for (const text of [
      '',
      'not an email',
      'user@',
      '@example.com',
      'user@localhost',
      'a@example.com, b@example.com',
      'Jane <not-an-address>',
    ]) {
      expect(parseMailbox(text)).toBeUndefined();
    }
  });

  it('refuses CR, LF or NUL anywhere', () => {
    expect(parseMailbox('user@example.com\r\nBcc: victim@example.org')).toBeUndefined();
    expect(parseMailbox('Jane\n <jane@example.com>')).toBeUndefined();
    expect(parseMailbox('user@example.com\0')).toBeUndefined();
  });

  it('refuses text longer than a header line may be', () => {
    const name = 'x'.repeat(990);
    expect(parseMailbox(`${name} <a@example.com>`)).toBeUndefined();
  });
});

describe('sendRequestSchema with a template', () => {
  const { subject: _s, text: _t, ...envelope } = minimal;
  const paths = (body: unknown) => issues(body).map((i) => i.path.join('.'));

  it('takes templateAlias or templateId with a model instead of subject, html and text', () => {
    const req = sendRequestSchema.parse({ ...envelope, templateAlias: 'welcome', templateModel: { n: [1] } });
    expect(req).toMatchObject({ templateAlias: 'welcome', templateModel: { n: [1] } });
    expect(req.subject).toBeUndefined();
    expect(sendRequestSchema.safeParse({ ...envelope, templateId: 'tpl_1' }).success).toBe(true);
  });

  it('refuses a template with subject, html or text, naming each', () => {
    expect(paths({ ...minimal, html: '<p>x</p>', templateAlias: 'welcome' })).toEqual(['subject', 'html', 'text']);
  });

  it('refuses both alias and id, a model without a template, a bad alias and a model too large', () => {
    expect(paths({ ...envelope, templateAlias: 'a', templateId: 'b' })).toEqual(['templateId']);
    expect(paths({ ...minimal, templateModel: {} })).toEqual(['templateModel']);
    expect(paths({ ...envelope, templateAlias: 'Not An Alias' })).toEqual(['templateAlias']);
    expect(paths({ ...envelope, templateAlias: 'a', templateModel: { big: 'x'.repeat(33 * 1024) } })).toEqual([
      'templateModel',
    ]);
    expect(paths({ ...envelope, templateAlias: 'a', templateModel: ['not', 'an object'] })).toEqual(['templateModel']);
  });

  it('still wants a subject without a template', () => {
    expect(issues({ ...envelope, text: 'x' })).toEqual([
      expect.objectContaining({ path: ['subject'], message: 'required (or templateAlias / templateId)' }),
    ]);
  });
});
