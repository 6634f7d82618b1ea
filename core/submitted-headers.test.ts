import { describe, expect, it } from 'vitest';
import { isAppError } from './errors.js';
import { completeSubmittedHeaders, rfc5322Date } from './submitted-headers.js';

const msg = (s: string) => Buffer.from(s, 'latin1');
const fill = { messageId: 'msg_1', domain: 'mail.example.test', date: new Date('2026-12-06T05:11:58Z') };
const refusal = (raw: Buffer) => {
  try {
    completeSubmittedHeaders(raw, fill);
  } catch (err) {
    return isAppError(err) ? err.code : 'other';
  }
  return undefined;
};

describe('completeSubmittedHeaders', () => {
  it('prepends Message-ID and Date when both are missing, every submitted byte after them', () => {
    const raw = msg('From: a@x.example\r\nSubject: hi\r\n\r\nbody\r\n');
    const out = completeSubmittedHeaders(raw, fill);
    expect(out.toString('latin1')).toBe(
      `Message-ID: <msg_1@mail.example.test>\r\nDate: Sun, 06 Dec 2026 05:11:58 +0000\r\n${raw.toString('latin1')}`,
    );
  });

  it('adds only the missing one and matches names in any case, blanks before the colon included', () => {
    const withId = completeSubmittedHeaders(
      msg('FROM: a@x.example\r\nmessage-ID : <own@x.example>\r\n\r\nb'),
      fill,
    ).toString('latin1');
    expect(withId).toMatch(/^Date: [^\r\n]+\r\nFROM: /);
    expect(withId.match(/message-id/gi)).toHaveLength(1);
    const withDate = completeSubmittedHeaders(
      msg('from:a@x.example\r\ndAtE: Tue, 01 Apr 2025 10:00:00 +0000\r\n\r\nb'),
      fill,
    ).toString('latin1');
    expect(withDate).toMatch(/^Message-ID: <msg_1@mail\.example\.test>\r\nfrom:/);
    expect(withDate.match(/^date/gim)).toHaveLength(1);
  });

  it('gives back the very same Buffer when nothing is missing', () => {
    const raw = msg(
      'Date: Tue, 01 Apr 2025 10:00:00 +0000\r\nFrom: a@x.example\r\nMessage-Id: <own@x.example>\r\n\r\nb',
    );
    expect(completeSubmittedHeaders(raw, fill)).toBe(raw);
  });

  it('reads only the header block: fields in the body or in folded lines do not count', () => {
    const raw = msg(
      'From: a@x.example\r\nSubject: s\r\n Date: folded\r\n\r\nMessage-ID: <in-body@x.example>\r\nDate: body\r\n',
    );
    const out = completeSubmittedHeaders(raw, fill).toString('latin1');
    expect(
      out.startsWith('Message-ID: <msg_1@mail.example.test>\r\nDate: Sun, 06 Dec 2026 05:11:58 +0000\r\nFrom:'),
    ).toBe(true);
    expect(refusal(msg('Subject: s\r\n\r\nFrom: a@x.example\r\n'))).toBe('FROM_HEADER_MISSING');
    expect(refusal(msg('Subject: s\r\n From: folded@x.example\r\n\r\nb'))).toBe('FROM_HEADER_MISSING');
    expect(refusal(msg('\r\nFrom: a@x.example\r\n'))).toBe('FROM_HEADER_MISSING');
    expect(refusal(msg('X-From: a@x.example\r\nFromage: yes\r\n\r\nb'))).toBe('FROM_HEADER_MISSING');
  });

  it('ends the new lines like the submitted header (LF-only stays LF-only)', () => {
    const out = completeSubmittedHeaders(msg('From: a@x.example\nSubject: s\n\nbody\n'), fill).toString('latin1');
    expect(out).toBe(
      'Message-ID: <msg_1@mail.example.test>\nDate: Sun, 06 Dec 2026 05:11:58 +0000\nFrom: a@x.example\nSubject: s\n\nbody\n',
    );
  });

  it('formats dates as RFC 5322 date-time with a numeric zone', () => {
    expect(rfc5322Date(new Date('2025-01-02T03:04:05Z'))).toBe('Thu, 02 Jan 2025 03:04:05 +0000');
  });
});
