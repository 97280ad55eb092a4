/**
 * Value encodings of a data page: PLAIN (little-endian fixed width; INT32 for 8/16-bit integers,
 * sign- or zero-extended; booleans bit-packed LSB first; strings as a 4-byte length then the bytes)
 * and BYTE_STREAM_SPLIT (byte k of every value together, for k = 0..width-1: floats compress better
 * that way because exponent bytes repeat). A page's values come from one or more segments, each a
 * range of the values of one LeafLevels (see levels.ts).
 */
import type { LeafLevels } from './levels.ts';
import type { ValueKind } from './schema.ts';

export interface Segment {
  levels: LeafLevels;
  /** Level entries [e0, e1) of `levels`. */
  e0: number;
  e1: number;
  /** Values [v0, v1) of `levels` (the k-th value is leaf[lo + k] or leaf[indices[k]]). */
  v0: number;
  v1: number;
  /** Rows [r0, r1) of `levels` (used when its levels are given by its shape). */
  r0: number;
  r1: number;
}

const WIDTH: Record<ValueKind, number> = { bool: 0, i8: 4, u8: 4, i16: 4, u16: 4, i32: 4, u32: 4, f32: 4, i64: 8, u64: 8, f64: 8, utf8: 0 };

/** Bytes of values [v0, v1) of `l` in PLAIN (also the size of BYTE_STREAM_SPLIT). */
export function plainBytes(kind: ValueKind, l: LeafLevels, v0: number, v1: number): number {
  const w = WIDTH[kind];
  if (w > 0) return (v1 - v0) * w;
  if (kind === 'bool') return Math.ceil((v1 - v0) / 8);
  const offsets = l.leaf.valueOffsets as Int32Array;
  if (!l.indices) return 4 * (v1 - v0) + offsets[l.lo + v1]! - offsets[l.lo + v0]!;
  let n = 4 * (v1 - v0);
  for (let k = v0; k < v1; k++) n += offsets[l.indices[k]! + 1]! - offsets[l.indices[k]!]!;
  return n;
}

/** Size of a page's values when the page holds `segments` (booleans are packed across them). */
export function pageValueBytes(kind: ValueKind, segments: readonly Segment[]): number {
  if (kind === 'bool') return Math.ceil(segments.reduce((n, s) => n + s.v1 - s.v0, 0) / 8);
  return segments.reduce((n, s) => n + plainBytes(kind, s.levels, s.v0, s.v1), 0);
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Writes the PLAIN encoding of the segments' values at `at`; returns the end. */
export function writePlain(kind: ValueKind, segments: readonly Segment[], out: Uint8Array, at: number): number {
  if (kind === 'bool') return writeBools(segments, out, at);
  for (const s of segments) {
    const l = s.levels;
    const src = l.leaf.values as ArrayLike<number> & ArrayBufferView;
    if (kind === 'utf8') {
      at = writeStrings(l, s.v0, s.v1, out, at);
      continue;
    }
    const w = WIDTH[kind];
    const narrow = kind === 'i8' || kind === 'u8' || kind === 'i16' || kind === 'u16';
    if (!narrow && !l.indices) {
      const bytes = bytesOf(src);
      const elem = (src as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
      out.set(bytes.subarray((l.lo + s.v0) * elem, (l.lo + s.v1) * elem), at);
      at += (s.v1 - s.v0) * w;
      continue;
    }
    if (narrow) {
      for (let k = s.v0; k < s.v1; k++) {
        const v = src[l.indices ? l.indices[k]! : l.lo + k]!;
        out[at] = v & 0xff;
        out[at + 1] = (v >> 8) & 0xff;
        out[at + 2] = (v >> 16) & 0xff;
        out[at + 3] = (v >> 24) & 0xff;
        at += 4;
      }
      continue;
    }
    const bytes = bytesOf(src);
    for (let k = s.v0; k < s.v1; k++) {
      const from = l.indices![k]! * w;
      for (let b = 0; b < w; b++) out[at + b] = bytes[from + b]!;
      at += w;
    }
  }
  return at;
}

function writeStrings(l: LeafLevels, v0: number, v1: number, out: Uint8Array, at: number): number {
  const offsets = l.leaf.valueOffsets as Int32Array;
  const data = l.leaf.values as Uint8Array;
  for (let k = v0; k < v1; k++) {
    const i = l.indices ? l.indices[k]! : l.lo + k;
    const s = offsets[i]!;
    const len = offsets[i + 1]! - s;
    out[at] = len & 0xff;
    out[at + 1] = (len >>> 8) & 0xff;
    out[at + 2] = (len >>> 16) & 0xff;
    out[at + 3] = (len >>> 24) & 0xff;
    out.set(data.subarray(s, s + len), at + 4);
    at += 4 + len;
  }
  return at;
}

function writeBools(segments: readonly Segment[], out: Uint8Array, at: number): number {
  let bit = 0;
  let acc = 0;
  for (const s of segments) {
    const l = s.levels;
    const bits = l.leaf.values as Uint8Array;
    const base = l.leaf.offset;
    for (let k = s.v0; k < s.v1; k++) {
      const i = base + (l.indices ? l.indices[k]! : l.lo + k);
      if (bits[i >> 3]! & (1 << (i & 7))) acc |= 1 << bit;
      if (++bit === 8) {
        out[at++] = acc;
        acc = 0;
        bit = 0;
      }
    }
  }
  if (bit > 0) out[at++] = acc;
  return at;
}

/** Writes the BYTE_STREAM_SPLIT encoding of the segments' float/double values; returns the end. */
export function writeByteStreamSplit(kind: 'f32' | 'f64', segments: readonly Segment[], out: Uint8Array, at: number): number {
  const total = segments.reduce((n, s) => n + s.v1 - s.v0, 0);
  let g = at;
  for (const s of segments) {
    const l = s.levels;
    const src = l.leaf.values as Float32Array | Float64Array;
    // Aligned 32-bit words of the source: one load per 4 bytes.
    const words = new Uint32Array(src.buffer, src.byteOffset, src.length * (kind === 'f32' ? 1 : 2));
    const b1 = total;
    const b2 = 2 * total;
    const b3 = 3 * total;
    if (kind === 'f32') {
      for (let k = s.v0; k < s.v1; k++) {
        const v = words[l.indices ? l.indices[k]! : l.lo + k]!;
        out[g] = v & 0xff;
        out[g + b1] = (v >>> 8) & 0xff;
        out[g + b2] = (v >>> 16) & 0xff;
        out[g + b3] = v >>> 24;
        g++;
      }
    } else {
      const b4 = 4 * total;
      const b5 = 5 * total;
      const b6 = 6 * total;
      const b7 = 7 * total;
      for (let k = s.v0; k < s.v1; k++) {
        const i = 2 * (l.indices ? l.indices[k]! : l.lo + k);
        const lo = words[i]!;
        const hi = words[i + 1]!;
        out[g] = lo & 0xff;
        out[g + b1] = (lo >>> 8) & 0xff;
        out[g + b2] = (lo >>> 16) & 0xff;
        out[g + b3] = lo >>> 24;
        out[g + b4] = hi & 0xff;
        out[g + b5] = (hi >>> 8) & 0xff;
        out[g + b6] = (hi >>> 16) & 0xff;
        out[g + b7] = hi >>> 24;
        g++;
      }
    }
  }
  return at + total * (kind === 'f32' ? 4 : 8);
}
