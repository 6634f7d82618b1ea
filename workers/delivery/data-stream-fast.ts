// nodemailer's DataStream turns a message into SMTP DATA: bare CR and bare LF become CRLF and a dot
// that starts a line is doubled. It does so with a JavaScript loop over every byte, about 6 % of
// the delivery thread at full load, for bodies that are almost always already in that form (the
// copies we sign are CRLF-only). This pass-through decides with a few native scans per line
// whether a chunk would come out unchanged, and hands any other chunk to DataStream's own code.

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const LF_DOT = Buffer.from('\n.', 'latin1');

/**
 * Whether DataStream would push `chunk` unchanged after a chunk that ended in `lastByte` (`false`
 * at the start): every CR is followed by an LF, every LF follows a CR, and no line starts with `.`.
 */
export function passesUnchanged(chunk: Buffer, lastByte: number | false): boolean {
  if (lastByte === CR) return false;
  if (chunk[0] === DOT && (lastByte === LF || lastByte === false)) return false;
  if (chunk.indexOf(LF_DOT) !== -1) return false;
  let lines = 0;
  for (let j = chunk.indexOf(LF); j !== -1; j = chunk.indexOf(LF, j + 1)) {
    if (j === 0 || chunk[j - 1] !== CR) return false;
    lines++;
  }
  let returns = 0;
  for (let j = chunk.indexOf(CR); j !== -1; j = chunk.indexOf(CR, j + 1)) returns++;
  return returns === lines;
}

/** The state of nodemailer 10.6's DataStream this pass-through reads and keeps up to date. */
interface DataStreamState {
  lastByte: number | false;
  inByteCount: number;
  outByteCount: number;
  push(chunk: Buffer): boolean;
  _transform(chunk: unknown, encoding: BufferEncoding, done: (err?: Error | null) => void): void;
}

const looksLikeDataStream = (s: Partial<DataStreamState>): s is DataStreamState =>
  (s.lastByte === false || typeof s.lastByte === 'number') &&
  typeof s.inByteCount === 'number' &&
  typeof s.outByteCount === 'number' &&
  typeof s._transform === 'function';

/**
 * Gives one DataStream the pass-through: a Buffer chunk that {@link passesUnchanged} is pushed as
 * it is (with the counters and last byte DataStream keeps), any other goes to DataStream's code.
 * A stream without the state this expects is left alone. Returns whether it was installed.
 */
export function installPassThrough(stream: object): boolean {
  const s = stream as Partial<DataStreamState>;
  if (!looksLikeDataStream(s)) return false;
  const original = s._transform.bind(s);
  s._transform = (chunk, encoding, done) => {
    if (!Buffer.isBuffer(chunk) || chunk.length === 0 || !passesUnchanged(chunk, s.lastByte)) {
      original(chunk, encoding, done);
      return;
    }
    s.inByteCount += chunk.length;
    s.outByteCount += chunk.length;
    s.push(chunk);
    s.lastByte = chunk[chunk.length - 1] ?? false;
    done();
  };
  return true;
}
