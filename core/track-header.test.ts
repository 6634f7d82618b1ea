import { describe, it, expect } from 'vitest';
import { extractTrackHeader } from './track-header.js';

const HEAD = [
  'From: Shop <shop@shop.example>',
  'To: zoe@client.example',
  'Subject: =?UTF-8?Q?Commande_pr=C3=AAte?=',
  'MIME-Version: 1.0',
];
const BODY = 'Content-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n';

/** A message from header lines and a body: the body starts with the remaining top-level header lines. */
const msg = (lines: string[], body = BODY, eol = '\r\n') =>
  Buffer.from(lines.join(eol) + eol + body.replace(/\r\n/g, eol), 'latin1');

describe('extractTrackHeader', () => {
  for (const value of ['none', 'opens', 'clicks'] as const) {
    it(`reads and removes X-Bridgemail-Track: ${value}`, () => {
      const raw = msg([...HEAD.slice(0, 2), `X-Bridgemail-Track: ${value}`, ...HEAD.slice(2)]);
      const out = extractTrackHeader(raw);
      expect(out.ceiling).toBe(value);
      expect(out.raw.equals(msg(HEAD))).toBe(true);
    });
  }

  it('matches the field name and the value case-insensitively', () => {
    const out = extractTrackHeader(msg([...HEAD, 'x-BRIDGEMAIL-track:   Opens  ']));
    expect(out.ceiling).toBe('opens');
    expect(out.raw.equals(msg(HEAD))).toBe(true);
  });

  it('removes a folded field with all its continuation lines', () => {
    const out = extractTrackHeader(msg(['X-Bridgemail-Track:', '\t clicks', ...HEAD]));
    expect(out.ceiling).toBe('clicks');
    expect(out.raw.equals(msg(HEAD))).toBe(true);
  });

  it('works on an LF-only message', () => {
    const out = extractTrackHeader(msg([...HEAD, 'X-Bridgemail-Track: none'], BODY, '\n'));
    expect(out.ceiling).toBe('none');
    expect(out.raw.equals(msg(HEAD, BODY, '\n'))).toBe(true);
  });

  it('returns the very same Buffer when the header is absent', () => {
    const raw = msg(HEAD);
    const out = extractTrackHeader(raw);
    expect(out.raw).toBe(raw);
    expect(out.ceiling).toBeUndefined();
  });

  it('does not touch the header in a nested part or in the body', () => {
    const body = [
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      'X-Bridgemail-Track: none',
      '',
      'X-Bridgemail-Track: none',
      '--b--',
      '',
    ].join('\r\n');
    const raw = msg(HEAD, body);
    const out = extractTrackHeader(raw);
    expect(out.raw).toBe(raw);
    expect(out.ceiling).toBeUndefined();
  });

  it('lets none win over other values when the field is repeated, and removes every copy', () => {
    for (const values of [
      ['opens', 'none'],
      ['none', 'clicks'],
      ['clicks', 'none', 'opens'],
    ]) {
      const out = extractTrackHeader(msg([...HEAD, ...values.map((v) => `X-Bridgemail-Track: ${v}`)]));
      expect(out.ceiling).toBe('none');
      expect(out.raw.equals(msg(HEAD))).toBe(true);
    }
  });

  it('removes a field with an unknown value but ignores the value', () => {
    const out = extractTrackHeader(msg([...HEAD, 'X-Bridgemail-Track: everything']));
    expect(out.ceiling).toBeUndefined();
    expect(out.raw.equals(msg(HEAD))).toBe(true);
  });

  it('keeps fields with a longer name and non-ASCII header bytes as they are', () => {
    const lines = [...HEAD, 'X-Bridgemail-Tracking: opens', 'Subject: Crème brûlée'];
    const raw = Buffer.concat([
      Buffer.from(lines.join('\r\n'), 'utf8'),
      Buffer.from(`\r\nX-Bridgemail-Track: opens\r\n${BODY}`),
    ]);
    const out = extractTrackHeader(raw);
    expect(out.ceiling).toBe('opens');
    expect(out.raw.equals(Buffer.from(`${lines.join('\r\n')}\r\n${BODY}`, 'utf8'))).toBe(true);
  });
});
