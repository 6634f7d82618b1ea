import { describe, expect, it } from 'vitest';
import { splitMessage } from './split-message.js';

const split = (message: string) => {
  const parts = splitMessage(Buffer.from(message, 'latin1'));
  return parts && { header: parts.header.toString('latin1'), body: parts.body.toString('latin1') };
};

describe('splitMessage (where mailauth ends the header block)', () => {
  it('splits at the first empty line', () => {
    expect(split('A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore')).toEqual({
      header: 'A: 1\r\nB: 2\r\n\r\n',
      body: 'body\r\n\r\nmore',
    });
  });

  it('turns bare LFs into CRLF, in the header and in the body', () => {
    expect(split('A: 1\n\nbody\nline\r\n')).toEqual({ header: 'A: 1\r\n\r\n', body: 'body\r\nline\r\n' });
  });

  it('leaves LFs that follow a CRLF as they are, as mailauth does ("\\r\\n\\n" ends the header)', () => {
    expect(split('A: 1\r\n\nbody\r\n\n\nx')).toEqual({ header: 'A: 1\r\n\n', body: 'body\r\n\n\nx' });
  });

  it('gives an empty body when the message ends with the empty line', () => {
    expect(split('A: 1\r\n\r\n')).toEqual({ header: 'A: 1\r\n\r\n', body: '' });
  });

  it('keeps 8-bit bytes', () => {
    expect(split('A: \xe9\n\n\xff\n')).toEqual({ header: 'A: \xe9\r\n\r\n', body: '\xff\r\n' });
  });

  it('finds no header block without an empty line (mailauth signs no such message)', () => {
    expect(split('A: 1\r\nB: 2\r\n')).toBeUndefined();
    expect(split('')).toBeUndefined();
  });

  it('does not end the header at a leading CRLF (mailauth needs LF CR LF), but does at a leading LF LF', () => {
    expect(split('\r\nA: 1\r\n\r\nx')).toEqual({ header: '\r\nA: 1\r\n\r\n', body: 'x' });
    expect(split('\n\nx')).toEqual({ header: '\r\n\r\n', body: 'x' });
  });
});
