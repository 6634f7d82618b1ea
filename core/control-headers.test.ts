import { describe, expect, it } from 'vitest';
import { takeControlHeaders } from './control-headers.js';

const msg = (s: string) => Buffer.from(s, 'latin1');

describe('takeControlHeaders', () => {
  it('gives back the very same Buffer when the header has none of ours', () => {
    const raw = msg('From: a@x.example\r\nSubject: hi\r\n\r\nX-Bridgemail-Track: none\r\n');
    const out = takeControlHeaders(raw);
    expect(out.raw).toBe(raw);
    expect(out.values.size).toBe(0);
  });

  it('takes out our fields, folded lines included, and keeps every other byte', () => {
    const raw = msg(
      'From: a@x.example\r\nX-Bridgemail-Track: opens,\r\n clicks\r\nSubject: hi\r\nX-Bridgemail-Idempotency-Key: k1\r\n\r\nbody\r\nX-Bridgemail-Track: x\r\n',
    );
    const out = takeControlHeaders(raw);
    expect(out.raw.toString('latin1')).toBe(
      'From: a@x.example\r\nSubject: hi\r\n\r\nbody\r\nX-Bridgemail-Track: x\r\n',
    );
    expect(out.values.get('x-bridgemail-track')).toEqual(['opens, clicks']);
    expect(out.values.get('x-bridgemail-idempotency-key')).toEqual(['k1']);
  });

  it('ends the header at the first blank line, LF-only or CRLF, whichever comes first', () => {
    const lfOnly = takeControlHeaders(msg('X-Bridgemail-Track: none\nSubject: s\n\nbody\r\n\r\nmore'));
    expect(lfOnly.raw.toString('latin1')).toBe('Subject: s\n\nbody\r\n\r\nmore');
    const crlfFirst = takeControlHeaders(msg('Subject: s\r\nX-Bridgemail-Track: none\r\n\r\nbody\n\nmore'));
    expect(crlfFirst.raw.toString('latin1')).toBe('Subject: s\r\n\r\nbody\n\nmore');
  });

  it('reads a message that is all header, and keeps 8-bit bytes as they are', () => {
    const raw = Buffer.concat([msg('Subject: caf'), Buffer.from([0xe9]), msg('\r\nX-Bridgemail-Track: none\r\n')]);
    const out = takeControlHeaders(raw);
    expect([...out.raw]).toEqual([...Buffer.concat([msg('Subject: caf'), Buffer.from([0xe9]), msg('\r\n')])]);
    expect(out.values.get('x-bridgemail-track')).toEqual(['none']);
  });

  it('looks at the first 256 KiB only', () => {
    const raw = msg(`Subject: ${'a'.repeat(256 * 1024)}\r\nX-Bridgemail-Track: none\r\n\r\nbody`);
    expect(takeControlHeaders(raw).raw).toBe(raw);
  });
});
