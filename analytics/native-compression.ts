import { cityHash128 } from './cityhash128.js';
import { lz4Decode, lz4Encode } from './lz4-block.js';

/**
 * ClickHouse's own compressed block format, which its HTTP interface speaks with `compress=1`
 * (results) and `decompress=1` (request bodies), and which JDBC and clickhouse-go use by default.
 * A block is a 16-byte CityHash128 (1.0.2) of the rest, a method byte, the block's size with its
 * 9-byte header and the data's size (both 32-bit little-endian), then the data.
 */

const NONE = 0x02;
const LZ4 = 0x82;
const HEADER = 9;
/** ClickHouse's default block size for compressed output. */
const BLOCK = 1024 * 1024;

/** Thrown for a body that is not a well-formed sequence of blocks. */
export class CompressedBlockError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
  ) {
    super(message);
  }
}

/** `data` as LZ4 blocks of at most 1 MiB each (none for empty data). */
export function compressBlocks(data: Uint8Array): Buffer {
  const blocks: Buffer[] = [];
  for (let at = 0; at < data.length; at += BLOCK) {
    const chunk = data.subarray(at, Math.min(at + BLOCK, data.length));
    const packed = lz4Encode(chunk);
    const block = Buffer.alloc(16 + HEADER + packed.length);
    block[16] = LZ4;
    block.writeUInt32LE(HEADER + packed.length, 17);
    block.writeUInt32LE(chunk.length, 21);
    packed.copy(block, 16 + HEADER);
    const [low, high] = cityHash128(block.subarray(16));
    block.writeBigUInt64LE(low, 0);
    block.writeBigUInt64LE(high, 8);
    blocks.push(block);
  }
  return Buffer.concat(blocks);
}

/** The data a sequence of blocks holds, checksums checked; at most `limit` bytes in all. */
export function decompressBlocks(body: Uint8Array, limit: number): Buffer {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.length);
  const parts: Buffer[] = [];
  let total = 0;
  for (let at = 0; at < buf.length;) {
    if (at + 16 + HEADER > buf.length) throw broken('the body ends inside a block header');
    const size = buf.readUInt32LE(at + 17);
    const dataSize = buf.readUInt32LE(at + 21);
    if (size < HEADER || at + 16 + size > buf.length)
      throw broken(`a block claims ${size} bytes the body does not hold`);
    total += dataSize;
    if (total > limit) throw new CompressedBlockError(62, 'SYNTAX_ERROR', `the body holds more than ${limit} bytes`);
    const block = buf.subarray(at + 16, at + 16 + size);
    const [low, high] = cityHash128(block);
    if (low !== buf.readBigUInt64LE(at) || high !== buf.readBigUInt64LE(at + 8)) {
      throw new CompressedBlockError(40, 'CHECKSUM_DOESNT_MATCH', 'Checksum doesnt match: corrupted data');
    }
    const method = block[0]!;
    const data = block.subarray(HEADER);
    if (method === NONE) {
      if (data.length !== dataSize) throw broken('an uncompressed block whose sizes disagree');
      parts.push(Buffer.from(data));
    } else if (method === LZ4) {
      try {
        parts.push(lz4Decode(data, dataSize));
      } catch (err) {
        throw broken((err as Error).message);
      }
    } else {
      throw new CompressedBlockError(
        89,
        'UNKNOWN_COMPRESSION_METHOD',
        `Unknown compression method 0x${method.toString(16)}: this endpoint reads LZ4 and uncompressed blocks`,
      );
    }
    at += 16 + size;
  }
  return Buffer.concat(parts);
}

function broken(what: string): CompressedBlockError {
  return new CompressedBlockError(271, 'CANNOT_DECOMPRESS', `Cannot decompress: ${what}`);
}
