import { describe, expect, it } from 'vitest';
import DataStream from 'nodemailer/lib/smtp-connection/data-stream.js';
import { installPassThrough, passesUnchanged } from './data-stream-fast.js';

/** Runs `chunks` through a DataStream (with or without the pass-through); output and counters. */
async function run(chunks: Buffer[], fast: boolean): Promise<{ out: Buffer; inBytes: number; outBytes: number }> {
  const stream = new DataStream();
  if (fast) expect(installPassThrough(stream)).toBe(true);
  const parts: Buffer[] = [];
  stream.on('data', (c: Buffer) => parts.push(c));
  const done = new Promise<void>((resolve, reject) => {
    stream.once('end', resolve);
    stream.once('error', reject);
  });
  for (const c of chunks) stream.write(c);
  stream.end();
  await done;
  const s = stream as unknown as { inByteCount: number; outByteCount: number };
  return { out: Buffer.concat(parts), inBytes: s.inByteCount, outBytes: s.outByteCount };
}

/** A small PRNG so a failure can be replayed from its seed. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const PIECES = [
  '\r\n',
  '\r\n',
  '\r\n',
  '.',
  '..',
  '\r',
  '\n',
  'a',
  'Subject: x',
  ' ',
  '\r\n.\r\n',
  '\n.',
  '\r.',
  'é',
  '.a',
];

function randomMessage(next: () => number): Buffer {
  const cleanOnly = next() < 0.5;
  const parts: string[] = [];
  const n = Math.floor(next() * 60);
  for (let i = 0; i < n; i++) {
    if (cleanOnly) parts.push(next() < 0.3 ? '\r\n' : 'line text'.slice(0, 1 + Math.floor(next() * 9)));
    else parts.push(PIECES[Math.floor(next() * PIECES.length)] ?? '');
  }
  return Buffer.from(parts.join(''), 'utf8');
}

function randomChunks(buf: Buffer, next: () => number): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    const len = 1 + Math.floor(next() * (next() < 0.5 ? 4 : buf.length));
    chunks.push(buf.subarray(at, at + len));
    at += len;
  }
  return chunks;
}

describe('DataStream pass-through', () => {
  it('says which chunks DataStream leaves unchanged', () => {
    const b = (s: string) => Buffer.from(s, 'latin1');
    expect(passesUnchanged(b('a\r\nb\r\n'), false)).toBe(true);
    expect(passesUnchanged(b('a\r\nb'), 0x0a)).toBe(true);
    expect(passesUnchanged(b('.a\r\n'), false)).toBe(false);
    expect(passesUnchanged(b('.a\r\n'), 0x0a)).toBe(false);
    expect(passesUnchanged(b('.a\r\n'), 0x61)).toBe(true);
    expect(passesUnchanged(b('a\r\n.b'), false)).toBe(false);
    expect(passesUnchanged(b('a\nb'), false)).toBe(false);
    expect(passesUnchanged(b('a\rb'), false)).toBe(false);
    expect(passesUnchanged(b('a\r'), false)).toBe(false);
    expect(passesUnchanged(b('\nb'), 0x0d)).toBe(false);
    expect(passesUnchanged(b('\r\nb'), 0x0d)).toBe(false);
  });

  it('gives the bytes and counters DataStream gives, on 4,000 random messages in random chunks', async () => {
    for (let seed = 1; seed <= 4000; seed++) {
      const next = rng(seed);
      const chunks = randomChunks(randomMessage(next), next);
      const [slow, fast] = [await run(chunks, false), await run(chunks, true)];
      if (!fast.out.equals(slow.out) || fast.inBytes !== slow.inBytes || fast.outBytes !== slow.outBytes) {
        expect({ seed, ...fast, out: fast.out.toString('latin1') }).toEqual({
          seed,
          ...slow,
          out: slow.out.toString('latin1'),
        });
      }
    }
  });

  it('leaves a stream without the expected state alone', () => {
    expect(installPassThrough({ _transform: () => undefined })).toBe(false);
  });
});
