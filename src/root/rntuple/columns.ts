/**
 * RNTuple column types of format 1.0, as a registry: each type's name, bits on storage, the
 * primitive its values are, and how a decompressed page of `n` elements turns into those values
 * in the machine's (little-endian) byte order: plain copies, split encoding undone, zigzag for
 * split signed integers, delta for split index columns, bits unpacked, half floats widened,
 * truncated and quantized floats (variable bits on storage, tightly bit-packed) restored.
 * Index columns (collection offsets, cluster-local) decode to numbers. Pure, no I/O.
 */
import type { Prim } from '../interpret/builders.ts';

export interface ColumnType {
  id: number;
  name: string;
  /** Bits on storage: fixed, or the range a column may choose (Real32Trunc, Real32Quant). */
  bits: number | [number, number];
  /** What the values are: a primitive, or cluster-local collection offsets. */
  prim: Prim | 'index';
  /**
   * Page bytes (exactly ceil(n * bits / 8)) -> `n` values, little-endian, `PRIM_WIDTH[prim]` bytes
   * each (index: 8-byte float64). `column` gives the bits and value range of variable types.
   */
  decode(page: Uint8Array, n: number, column: ColumnLayout): Uint8Array;
}

export interface ColumnLayout {
  bitsOnStorage: number;
  range?: { min: number; max: number };
}

/** Whether a column of this type may have `bits` bits on storage. */
export function bitsAllowed(t: ColumnType, bits: number): boolean {
  return typeof t.bits === 'number' ? t.bits === bits : bits >= t.bits[0] && bits <= t.bits[1];
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('the RNTuple reader needs a little-endian machine');
}

const registry = new Map<number, ColumnType>();

export function registerColumnType(t: ColumnType): void {
  registry.set(t.id, t);
}

export function columnType(id: number): ColumnType | undefined {
  return registry.get(id);
}

/** Bytes of a page of `n` elements of `bits` each. */
export function pageBytes(n: number, bits: number): number {
  return Math.ceil((n * bits) / 8);
}

const copy = (page: Uint8Array): Uint8Array => page;

/**
 * Undo the split encoding: all first bytes, then all second bytes, ... back to whole values,
 * assembled as little-endian 16/32-bit words (one store per word, not per byte).
 */
export function unsplit(page: Uint8Array, n: number, width: number): Uint8Array {
  const out = new Uint8Array(n * width);
  if (width === 2) {
    const o = new Uint16Array(out.buffer);
    for (let i = 0; i < n; i++) o[i] = page[i]! | (page[n + i]! << 8);
  } else if (width === 4 || width === 8) {
    const o = new Uint32Array(out.buffer);
    const words = width >> 2;
    for (let w = 0; w < words; w++) {
      const b0 = 4 * w * n;
      for (let i = 0, k = w; i < n; i++, k += words) {
        o[k] = page[b0 + i]! | (page[b0 + n + i]! << 8) | (page[b0 + 2 * n + i]! << 16) | (page[b0 + 3 * n + i]! << 24);
      }
    }
  } else {
    for (let b = 0; b < width; b++) {
      const src = b * n;
      for (let i = 0, o = b; i < n; i++, o += width) out[o] = page[src + i]!;
    }
  }
  return out;
}

function zigzag16(bytes: Uint8Array, n: number): Uint8Array {
  const u = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  for (let i = 0; i < n; i++) {
    const v = u[i]!;
    u[i] = (v >>> 1) ^ -(v & 1);
  }
  return bytes;
}

function zigzag32(bytes: Uint8Array, n: number): Uint8Array {
  const u = new Uint32Array(bytes.buffer, bytes.byteOffset, n);
  for (let i = 0; i < n; i++) {
    const v = u[i]!;
    u[i] = (v >>> 1) ^ -(v & 1);
  }
  return bytes;
}

/** 64-bit zigzag on 32-bit halves (no BigInt in the loop). */
function zigzag64(bytes: Uint8Array, n: number): Uint8Array {
  const u = new Uint32Array(bytes.buffer, bytes.byteOffset, 2 * n);
  for (let i = 0; i < 2 * n; i += 2) {
    const lo = u[i]!;
    const hi = u[i + 1]!;
    const mask = -(lo & 1);
    u[i] = ((lo >>> 1) | (hi << 31)) ^ mask;
    u[i + 1] = (hi >>> 1) ^ mask;
  }
  return bytes;
}

function asFloat64(values: ArrayLike<number>, n: number): Uint8Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = values[i]!;
  return new Uint8Array(out.buffer);
}

function index32(bytes: Uint8Array, n: number): Uint8Array {
  return asFloat64(new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 4 * n)), n);
}

function index64(bytes: Uint8Array, n: number): Uint8Array {
  // Offsets are cluster-local element counts: far below 2^53, so the low and high words suffice.
  const u = new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 8 * n));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = u[2 * i]! + u[2 * i + 1]! * 4294967296;
  return new Uint8Array(out.buffer);
}

function delta(bytes: Uint8Array, n: number): Uint8Array {
  const v = new Float64Array(bytes.buffer, bytes.byteOffset, n);
  for (let i = 1; i < n; i++) v[i] = v[i]! + v[i - 1]!;
  return bytes;
}

function bits(page: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (page[i >> 3]! >> (i & 7)) & 1;
  return out;
}

/** IEEE half precision to single precision, exactly (every half value is a float32). */
function half(bytes: Uint8Array, n: number): Uint8Array {
  const h = new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 2 * n));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = h[i]!;
    const sign = v & 0x8000 ? -1 : 1;
    const exp = (v >> 10) & 0x1f;
    const frac = v & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return new Uint8Array(out.buffer);
}

/**
 * Tightly bit-packed items (Real32Trunc, Real32Quant): item i is the `nbits` bits from bit
 * i * nbits of the page read as one little-endian bit stream; each is returned in the high bits
 * of a 32-bit word, the dropped low bits zero (as ROOT packs: the items' most significant bits).
 */
export function unpackHighBits(page: Uint8Array, n: number, nbits: number): Uint32Array {
  const out = new Uint32Array(n);
  const shift = 32 - nbits;
  for (let i = 0, bit = 0; i < n; i++, bit += nbits) {
    let v = 0;
    for (let got = 0; got < nbits; ) {
      const at = bit + got;
      const take = Math.min(8 - (at & 7), nbits - got);
      const chunk = (page[at >> 3]! >> (at & 7)) & ((1 << take) - 1);
      v += chunk * 2 ** got;
      got += take;
    }
    out[i] = (v * 2 ** shift) >>> 0;
  }
  return out;
}

function real32Trunc(page: Uint8Array, n: number, c: ColumnLayout): Uint8Array {
  return new Uint8Array(unpackHighBits(page, n, c.bitsOnStorage).buffer);
}

/** Quantized reals: integer q in [0, 2^bits - 1] stands for min + q * (max - min) / (2^bits - 1), computed in double. */
function real32Quant(page: Uint8Array, n: number, c: ColumnLayout): Uint8Array {
  if (!c.range) throw new Error('Real32Quant column without a value range');
  const bitsOn = c.bitsOnStorage;
  const words = unpackHighBits(page, n, bitsOn);
  const scale = (c.range.max - c.range.min) / (2 ** bitsOn - 1);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(words[i]! / 2 ** (32 - bitsOn)) * scale + c.range.min;
  return new Uint8Array(out.buffer);
}

/** Copy into an aligned buffer when the page bytes are not aligned for typed-array views. */
function aligned(page: Uint8Array, width: number): Uint8Array {
  return page.byteOffset % width === 0 ? page : page.slice();
}

const plain = (id: number, name: string, bitsOnStorage: number, prim: Prim): ColumnType => ({ id, name, bits: bitsOnStorage, prim, decode: copy });
const split = (id: number, name: string, width: number, prim: Prim, after?: (b: Uint8Array, n: number) => Uint8Array): ColumnType => ({
  id,
  name,
  bits: width * 8,
  prim,
  decode: (page, n) => (after ? after(unsplit(page, n, width), n) : unsplit(page, n, width)),
});

for (const t of [
  { id: 0x00, name: 'Bit', bits: 1, prim: 'bool', decode: bits },
  plain(0x01, 'Byte', 8, 'u8'),
  plain(0x02, 'Char', 8, 'i8'),
  plain(0x03, 'Int8', 8, 'i8'),
  plain(0x04, 'UInt8', 8, 'u8'),
  plain(0x05, 'Int16', 16, 'i16'),
  plain(0x06, 'UInt16', 16, 'u16'),
  plain(0x07, 'Int32', 32, 'i32'),
  plain(0x08, 'UInt32', 32, 'u32'),
  plain(0x09, 'Int64', 64, 'i64'),
  plain(0x0a, 'UInt64', 64, 'u64'),
  { id: 0x0b, name: 'Real16', bits: 16, prim: 'f32', decode: half },
  plain(0x0c, 'Real32', 32, 'f32'),
  plain(0x0d, 'Real64', 64, 'f64'),
  { id: 0x0e, name: 'Index32', bits: 32, prim: 'index', decode: (p, n) => index32(aligned(p, 4), n) },
  { id: 0x0f, name: 'Index64', bits: 64, prim: 'index', decode: (p, n) => index64(aligned(p, 8), n) },
  split(0x11, 'SplitInt16', 2, 'i16', zigzag16),
  split(0x12, 'SplitUInt16', 2, 'u16'),
  split(0x13, 'SplitInt32', 4, 'i32', zigzag32),
  split(0x14, 'SplitUInt32', 4, 'u32'),
  split(0x15, 'SplitInt64', 8, 'i64', zigzag64),
  split(0x16, 'SplitUInt64', 8, 'u64'),
  { id: 0x17, name: 'SplitReal16', bits: 16, prim: 'f32', decode: (p, n) => half(unsplit(p, n, 2), n) },
  split(0x18, 'SplitReal32', 4, 'f32'),
  split(0x19, 'SplitReal64', 8, 'f64'),
  { id: 0x1a, name: 'SplitIndex32', bits: 32, prim: 'index', decode: (p, n) => delta(index32(unsplit(p, n, 4), n), n) },
  { id: 0x1b, name: 'SplitIndex64', bits: 64, prim: 'index', decode: (p, n) => delta(index64(unsplit(p, n, 8), n), n) },
  { id: 0x1c, name: 'Real32Trunc', bits: [10, 31], prim: 'f32', decode: real32Trunc },
  // Values are computed in double; a float field rounds them as ROOT's static_cast<float> does.
  { id: 0x1d, name: 'Real32Quant', bits: [1, 32], prim: 'f64', decode: real32Quant },
] satisfies ColumnType[]) {
  registerColumnType(t as ColumnType);
}

/** Column types of format 1.0 that this reader does not decode, with the reason given to users. */
export const UNSUPPORTED_COLUMN_TYPES: Record<number, string> = {
  0x10: 'Switch columns (std::variant) are not decoded',
};
