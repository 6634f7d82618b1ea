import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cityHash128 } from './cityhash128.js';
import { lz4Decode, lz4Encode } from './lz4-block.js';
import { compressBlocks, decompressBlocks } from './native-compression.js';

/** Every file under `dir`. */
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });

/** The blocks of a compressed file: stored checksum, and the bytes it covers. */
function blocksOf(file: Buffer): { low: bigint; high: bigint; block: Buffer }[] {
  const blocks = [];
  for (let at = 0; at < file.length;) {
    const size = file.readUInt32LE(at + 17);
    blocks.push({
      low: file.readBigUInt64LE(at),
      high: file.readBigUInt64LE(at + 8),
      block: file.subarray(at + 16, at + 16 + size),
    });
    at += 16 + size;
  }
  return blocks;
}

// ClickHouse itself writes the reference data: a MergeTree table's column files are sequences of
// compressed blocks, each with its CityHash128, one column stored uncompressed, one in LZ4.
describe('ClickHouse compressed blocks, against blocks chDB writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bridgemail-blocks-'));
  let session: Session;
  let parts: { name: string; path: string }[];

  beforeAll(async () => {
    session = new Session(dir);
    await session.queryAsync(
      'CREATE TABLE t (a String CODEC(NONE), b String CODEC(LZ4)) ENGINE = MergeTree ORDER BY tuple() ' +
        'SETTINGS min_bytes_for_wide_part = 0, min_rows_for_wide_part = 0',
    );
    for (const n of [1, 4, 9, 30, 100, 700, 40_000, 400_000]) {
      await session.queryAsync(
        `INSERT INTO t SELECT repeat(char(65 + number % 26), number % 50) || toString(number), ` +
          `toString(cityHash64(number % 97)) FROM numbers(${n})`,
      );
    }
    const listed = await session.queryAsync("SELECT name, path FROM system.parts WHERE table = 't' AND active", {
      format: 'JSONEachRow',
    });
    parts = Buffer.from(listed.bytes())
      .toString()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { name: string; path: string });
  });
  afterAll(() => {
    session?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('computes the CityHash128 ClickHouse stored for every block, of every size', () => {
    const sizes = new Set<number>();
    for (const file of walk(dir).filter((p) => p.endsWith('.bin'))) {
      for (const { low, high, block } of blocksOf(readFileSync(file))) {
        expect(cityHash128(block)).toEqual([low, high]);
        sizes.add(block.length);
      }
    }
    // Short blocks (the < 16 and < 128 byte paths) and long ones.
    expect(Math.min(...sizes)).toBeLessThan(16);
    expect([...sizes].some((s) => s > 128 && s < 1024)).toBe(true);
    expect(Math.max(...sizes)).toBeGreaterThan(64 * 1024);
  });

  it('reads ClickHouse’s LZ4 blocks back to the column’s values', async () => {
    for (const { name, path } of parts) {
      const values = await session.queryAsync(`SELECT b FROM t WHERE _part = '${name}' ORDER BY _part_offset`, {
        format: 'TSVRaw',
      });
      // String columns keep their bytes in b.bin and their lengths apart.
      const expected = Buffer.from(Buffer.from(values.bytes()).toString().replaceAll('\n', ''));
      const file = readFileSync(path.startsWith('/') ? join(path, 'b.bin') : join(dir, path, 'b.bin'));
      const got = decompressBlocks(file, 1 << 30);
      expect(got.equals(expected)).toBe(true);
    }
  });
});

describe('LZ4 blocks we write', () => {
  const random = (n: number, alphabet: number) =>
    Buffer.from(Array.from({ length: n }, () => Math.floor(Math.random() * alphabet)));

  it('decode to what was encoded, for every size and entropy', () => {
    for (const n of [0, 1, 5, 12, 13, 16, 100, 4096, 70_000, 2_500_000]) {
      for (const alphabet of [1, 4, 256]) {
        const data = random(n, alphabet);
        expect(lz4Decode(lz4Encode(data), n).equals(data)).toBe(true);
        expect(decompressBlocks(compressBlocks(data), 1 << 30).equals(data)).toBe(true);
      }
    }
  });

  it('compress what repeats', () => {
    const text = Buffer.from(Array.from({ length: 20_000 }, (_, i) => `${i}\tdelivered\tbr_a1b2c3\n`).join(''));
    expect(compressBlocks(text).length).toBeLessThan(text.length / 2);
  });

  it('refuse a damaged, a truncated or an unknown block with ClickHouse’s codes', () => {
    const good = compressBlocks(Buffer.from('SELECT 1'.repeat(10)));
    const flipped = Buffer.from(good);
    flipped[30] = flipped[30]! ^ 1;
    expect(() => decompressBlocks(flipped, 1 << 20)).toThrow(expect.objectContaining({ code: 40 }));
    expect(() => decompressBlocks(good.subarray(0, good.length - 3), 1 << 20)).toThrow(
      expect.objectContaining({ code: 271 }),
    );
    const zstd = Buffer.from(good);
    zstd[16] = 0x90;
    const [low, high] = cityHash128(zstd.subarray(16));
    zstd.writeBigUInt64LE(low, 0);
    zstd.writeBigUInt64LE(high, 8);
    expect(() => decompressBlocks(zstd, 1 << 20)).toThrow(expect.objectContaining({ code: 89 }));
    expect(() => decompressBlocks(good, 10)).toThrow(expect.objectContaining({ code: 62 }));
  });
});
