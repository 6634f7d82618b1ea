/**
 * CityHash128 as of CityHash 1.0.2, the version ClickHouse checksums its compressed blocks with
 * (later CityHash versions give other values). 64-bit arithmetic in BigInt, wrapped to 64 bits.
 */

const MASK = (1n << 64n) - 1n;
const K0 = 0xc3a5c85c97cb3127n;
const K1 = 0xb492b66fbe98f273n;
const K2 = 0x9ae16a3b2f90404fn;
const K3 = 0xc949d7c7509e6557n;
const KMUL = 0x9ddfea08eb382d69n;

const add = (...values: bigint[]) => values.reduce((a, b) => (a + b) & MASK);
const mul = (a: bigint, b: bigint) => (a * b) & MASK;
const rotate = (v: bigint, shift: number) =>
  shift === 0 ? v : ((v >> BigInt(shift)) | (v << BigInt(64 - shift))) & MASK;
const shiftMix = (v: bigint) => v ^ (v >> 47n);

function hashLen16(u: bigint, v: bigint): bigint {
  let a = mul(u ^ v, KMUL);
  a ^= a >> 47n;
  let b = mul(v ^ a, KMUL);
  b ^= b >> 47n;
  return mul(b, KMUL);
}

/** A view of the input with little-endian loads at an offset. */
class Bytes {
  constructor(private readonly data: Uint8Array) {}
  u64(at: number): bigint {
    return new DataView(this.data.buffer, this.data.byteOffset + at, 8).getBigUint64(0, true);
  }
  u32(at: number): bigint {
    return BigInt(new DataView(this.data.buffer, this.data.byteOffset + at, 4).getUint32(0, true));
  }
  byte(at: number): bigint {
    return BigInt(this.data[at]!);
  }
}

function hashLen0to16(s: Bytes, at: number, len: number): bigint {
  const n = BigInt(len);
  if (len > 8) {
    const a = s.u64(at);
    const b = s.u64(at + len - 8);
    return hashLen16(a, rotate(add(b, n), len)) ^ b;
  }
  if (len >= 4) {
    const a = s.u32(at);
    return hashLen16(add(n, (a << 3n) & MASK), s.u32(at + len - 4));
  }
  if (len > 0) {
    const y = (s.byte(at) + (s.byte(at + (len >> 1)) << 8n)) & 0xffffffffn;
    const z = (n + (s.byte(at + len - 1) << 2n)) & 0xffffffffn;
    return mul(shiftMix(mul(y, K2) ^ mul(z, K3)), K2);
  }
  return K2;
}

function weakHashLen32WithSeeds(s: Bytes, at: number, a: bigint, b: bigint): [bigint, bigint] {
  const w = s.u64(at);
  const x = s.u64(at + 8);
  const y = s.u64(at + 16);
  const z = s.u64(at + 24);
  a = add(a, w);
  b = rotate(add(b, a, z), 21);
  const c = a;
  a = add(a, x, y);
  b = add(b, rotate(a, 44));
  return [add(a, z), add(b, c)];
}

function cityMurmur(s: Bytes, at: number, len: number, seedLow: bigint, seedHigh: bigint): [bigint, bigint] {
  let a = seedLow;
  let b = seedHigh;
  let c: bigint;
  let d: bigint;
  if (len <= 16) {
    a = mul(shiftMix(mul(a, K1)), K1);
    c = add(mul(b, K1), hashLen0to16(s, at, len));
    d = shiftMix(add(a, len >= 8 ? s.u64(at) : c));
  } else {
    c = hashLen16(add(s.u64(at + len - 8), K1), a);
    d = hashLen16(add(b, BigInt(len)), add(c, s.u64(at + len - 16)));
    a = add(a, d);
    for (let l = len - 16, p = at; l > 0; l -= 16, p += 16) {
      a ^= mul(shiftMix(mul(s.u64(p), K1)), K1);
      a = mul(a, K1);
      b ^= a;
      c ^= mul(shiftMix(mul(s.u64(p + 8), K1)), K1);
      c = mul(c, K1);
      d ^= c;
    }
  }
  a = hashLen16(a, c);
  b = hashLen16(d, b);
  return [a ^ b, hashLen16(b, a)];
}

function cityHash128WithSeed(s: Bytes, at: number, len: number, seedLow: bigint, seedHigh: bigint): [bigint, bigint] {
  if (len < 128) return cityMurmur(s, at, len, seedLow, seedHigh);
  let x = seedLow;
  let y = seedHigh;
  let z = mul(BigInt(len), K1);
  let v: [bigint, bigint] = [0n, 0n];
  let w: [bigint, bigint] = [0n, 0n];
  v[0] = add(mul(rotate(y ^ K1, 49), K1), s.u64(at));
  v[1] = add(mul(rotate(v[0], 42), K1), s.u64(at + 8));
  w[0] = add(mul(rotate(add(y, z), 35), K1), x);
  w[1] = mul(rotate(add(x, s.u64(at + 88)), 53), K1);
  let p = at;
  let left = len;
  const round = () => {
    x = mul(rotate(add(x, y, v[0], s.u64(p + 16)), 37), K1);
    y = mul(rotate(add(y, v[1], s.u64(p + 48)), 42), K1);
    x ^= w[1];
    y ^= v[0];
    z = rotate(z ^ w[0], 33);
    v = weakHashLen32WithSeeds(s, p, mul(v[1], K1), add(x, w[0]));
    w = weakHashLen32WithSeeds(s, p + 32, add(z, w[1]), y);
    [z, x] = [x, z];
    p += 64;
  };
  do {
    round();
    round();
    left -= 128;
  } while (left >= 128);
  y = add(y, mul(rotate(w[0], 37), K0), z);
  x = add(x, mul(rotate(add(v[0], z), 49), K0));
  for (let done = 0; done < left;) {
    done += 32;
    y = add(mul(rotate((y - x) & MASK, 42), K0), v[1]);
    w[0] = add(w[0], s.u64(p + left - done + 16));
    x = add(mul(rotate(x, 49), K0), w[0]);
    w[0] = add(w[0], v[0]);
    v = weakHashLen32WithSeeds(s, p + left - done, v[0], v[1]);
  }
  x = hashLen16(x, v[0]);
  y = hashLen16(y, w[0]);
  return [add(hashLen16(add(x, v[1]), w[1]), y), hashLen16(add(x, w[1]), add(y, v[1]))];
}

/** CityHash128 (1.0.2) of `data`: the low and the high 64 bits, as ClickHouse stores them (low first). */
export function cityHash128(data: Uint8Array): [bigint, bigint] {
  const s = new Bytes(data);
  const len = data.length;
  if (len >= 16) return cityHash128WithSeed(s, 16, len - 16, s.u64(0) ^ K3, s.u64(8));
  if (len >= 8) {
    return cityHash128WithSeed(s, 0, 0, s.u64(0) ^ mul(BigInt(len), K0), s.u64(len - 8) ^ K1);
  }
  return cityHash128WithSeed(s, 0, len, K0, K1);
}
