/**
 * The LZ4 block format (no frame): what ClickHouse's compressed blocks of method LZ4 hold. The
 * encoder is a plain greedy one (a 4-byte hash table, 64 KiB window) that keeps the format's end
 * rules: the last 5 bytes are literals and no match starts in the last 12.
 */

const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
const MAX_DISTANCE = 65535;
const HASH_BITS = 16;

/** Compresses `input` into one LZ4 block. */
export function lz4Encode(input: Uint8Array): Buffer {
  const n = input.length;
  const out = Buffer.alloc(n + Math.ceil(n / 255) + 16);
  let o = 0;
  const table = new Int32Array(1 << HASH_BITS).fill(-1);
  const read32 = (at: number) =>
    (input[at]! | (input[at + 1]! << 8) | (input[at + 2]! << 16) | (input[at + 3]! << 24)) >>> 0;
  const hash = (v: number) => Math.imul(v, 2654435761) >>> (32 - HASH_BITS);
  const writeLength = (rest: number) => {
    for (; rest >= 255; rest -= 255) out[o++] = 255;
    out[o++] = rest;
  };
  let anchor = 0;
  let i = 0;
  const matchLimit = n - MF_LIMIT;
  while (i < matchLimit) {
    const h = hash(read32(i));
    const candidate = table[h]!;
    table[h] = i;
    if (candidate < 0 || i - candidate > MAX_DISTANCE || read32(candidate) !== read32(i)) {
      i++;
      continue;
    }
    let length = MIN_MATCH;
    while (i + length < n - LAST_LITERALS && input[candidate + length] === input[i + length]) length++;
    const literals = i - anchor;
    const token = o++;
    out[token] = (Math.min(literals, 15) << 4) | Math.min(length - MIN_MATCH, 15);
    if (literals >= 15) writeLength(literals - 15);
    out.set(input.subarray(anchor, i), o);
    o += literals;
    out.writeUInt16LE(i - candidate, o);
    o += 2;
    if (length - MIN_MATCH >= 15) writeLength(length - MIN_MATCH - 15);
    i += length;
    anchor = i;
  }
  const literals = n - anchor;
  out[o++] = Math.min(literals, 15) << 4;
  if (literals >= 15) writeLength(literals - 15);
  out.set(input.subarray(anchor), o);
  o += literals;
  return out.subarray(0, o);
}

/** Decompresses one LZ4 block that holds exactly `size` bytes; throws on a malformed block. */
export function lz4Decode(block: Uint8Array, size: number): Buffer {
  const out = Buffer.alloc(size);
  let i = 0;
  let o = 0;
  const readLength = (base: number) => {
    let length = base;
    if (base === 15) {
      let b: number;
      do {
        if (i >= block.length) throw new Error('LZ4 block ends inside a length');
        b = block[i++]!;
        length += b;
      } while (b === 255);
    }
    return length;
  };
  while (i < block.length) {
    const token = block[i++]!;
    const literals = readLength(token >> 4);
    if (i + literals > block.length || o + literals > size) throw new Error('LZ4 literals run past the block');
    out.set(block.subarray(i, i + literals), o);
    i += literals;
    o += literals;
    if (i === block.length) break;
    if (i + 2 > block.length) throw new Error('LZ4 block ends inside an offset');
    const distance = block[i]! | (block[i + 1]! << 8);
    i += 2;
    const length = readLength(token & 15) + MIN_MATCH;
    if (distance === 0 || distance > o || o + length > size) throw new Error('LZ4 match out of range');
    // Byte by byte: a match may overlap what it copies.
    for (let k = 0; k < length; k++, o++) out[o] = out[o - distance]!;
  }
  if (o !== size) throw new Error(`LZ4 block holds ${o} bytes, not ${size}`);
  return out;
}
