/**
 * The RLE / bit-packed hybrid encoding (Parquet's levels, dictionary indices and RLE booleans),
 * decoded straight into a typed array: runs are a varint header, then either one value repeated
 * (RLE run, value in ceil(width/8) little-endian bytes) or groups of 8 values bit-packed LSB first.
 * The last bit-packed group may be padded past the values wanted; only `count` values are written.
 * Malformed input (a run past the end of the bytes, a width over 32) throws DeserializationError.
 */
import { DeserializationError } from '../../errors.ts';

export type IntOut = Uint8Array | Uint16Array | Int32Array | Uint32Array;

/**
 * Decode `count` values of `width` bits from bytes[pos, end) into out[at...]; returns the
 * position after the runs read. Width 0 means every value is 0 (no bytes).
 */
export function decodeHybrid(bytes: Uint8Array, pos: number, end: number, width: number, count: number, out: IntOut, at = 0): number {
  if (width === 0) {
    out.fill(0, at, at + count);
    return pos;
  }
  if (width > 32) throw new DeserializationError(`RLE/bit-packed width ${width} is over 32`);
  if (end > bytes.length) throw new DeserializationError('RLE/bit-packed data past the end of the page');
  const stop = at + count;
  const valueBytes = (width + 7) >> 3;
  const mask = width === 32 ? 0xffffffff : (1 << width) - 1;
  let i = at;
  while (i < stop) {
    // Varint header.
    let h = 0;
    let shift = 1;
    for (;;) {
      if (pos >= end) throw new DeserializationError(`RLE/bit-packed data ends after ${i - at} of ${count} values`);
      const c = bytes[pos++]!;
      h += (c & 0x7f) * shift;
      if (c < 0x80) break;
      shift *= 128;
    }
    if (h % 2 === 0) {
      const n = h / 2;
      if (pos + valueBytes > end) throw new DeserializationError('RLE run truncated');
      let v = 0;
      for (let k = 0; k < valueBytes; k++) v += bytes[pos + k]! * 2 ** (8 * k);
      pos += valueBytes;
      const m = Math.min(n, stop - i);
      out.fill(v, i, i + m);
      i += m;
    } else {
      const groups = (h - 1) / 2;
      const nbytes = groups * width;
      if (pos + nbytes > end) {
        // Writers may end the last run early when it is the page's last: take what is there.
        if (pos + Math.ceil(((stop - i) * width) / 8) > end) throw new DeserializationError('bit-packed run truncated');
      }
      const m = Math.min(groups * 8, stop - i);
      unpack(bytes, pos, width, mask, m, out, i);
      pos += nbytes;
      i += m;
    }
  }
  return Math.min(pos, end);
}

function unpack(bytes: Uint8Array, pos: number, width: number, mask: number, n: number, out: IntOut, at: number): void {
  if (width === 1) {
    // Eight values a byte, unrolled (levels of list columns are mostly this).
    const full = n >> 3;
    for (let q = 0; q < full; q++) {
      const b = bytes[pos + q]!;
      const o = at + (q << 3);
      out[o] = b & 1;
      out[o + 1] = (b >> 1) & 1;
      out[o + 2] = (b >> 2) & 1;
      out[o + 3] = (b >> 3) & 1;
      out[o + 4] = (b >> 4) & 1;
      out[o + 5] = (b >> 5) & 1;
      out[o + 6] = (b >> 6) & 1;
      out[o + 7] = b >> 7;
    }
    for (let k = full << 3; k < n; k++) out[at + k] = (bytes[pos + (k >> 3)]! >> (k & 7)) & 1;
    return;
  }
  if (width === 2) {
    const full = n >> 2;
    for (let q = 0; q < full; q++) {
      const b = bytes[pos + q]!;
      const o = at + (q << 2);
      out[o] = b & 3;
      out[o + 1] = (b >> 2) & 3;
      out[o + 2] = (b >> 4) & 3;
      out[o + 3] = b >> 6;
    }
    for (let k = full << 2; k < n; k++) out[at + k] = (bytes[pos + (k >> 2)]! >> ((k & 3) << 1)) & 3;
    return;
  }
  if (width === 8) {
    for (let k = 0; k < n; k++) out[at + k] = bytes[pos + k]!;
    return;
  }
  if (width <= 24) {
    // A 32-bit bit buffer refilled a byte at a time: at most 23 + 8 bits are held.
    let acc = 0;
    let bits = 0;
    let p = pos;
    for (let k = 0; k < n; k++) {
      while (bits < width) {
        acc |= (bytes[p++] ?? 0) << bits;
        bits += 8;
      }
      out[at + k] = acc & mask;
      acc >>>= width;
      bits -= width;
    }
    return;
  }
  // Wider values: the buffer can exceed 32 bits, so it is a float (exact below 2^53).
  let acc = 0;
  let bits = 0;
  let p = pos;
  for (let k = 0; k < n; k++) {
    while (bits < width) {
      acc += (bytes[p++] ?? 0) * 2 ** bits;
      bits += 8;
    }
    const v = acc % 2 ** width;
    out[at + k] = width === 32 ? v : v & mask;
    acc = (acc - v) / 2 ** width;
    bits -= width;
  }
}

/** Bits needed for values 0..max. */
/**
 * The deprecated BIT_PACKED encoding (levels of old parquet-mr files): `count` values of `width`
 * bits packed from the most significant bit of each byte down, no header, ceil(count * width / 8)
 * bytes; returns the position after them.
 */
export function decodeBitPacked(bytes: Uint8Array, pos: number, end: number, width: number, count: number, out: IntOut, at = 0): number {
  if (width > 32) throw new DeserializationError(`bit width ${width} is over 32`);
  const stop = pos + Math.ceil((count * width) / 8);
  if (stop > end) throw new DeserializationError(`bit-packed values (${count} of ${width} bits) run past their bytes`);
  let bit = pos * 8;
  for (let k = 0; k < count; k++) {
    let v = 0;
    for (let b = 0; b < width; b++, bit++) v = v * 2 + ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1);
    out[at + k] = v;
  }
  return stop;
}

export function bitWidth(max: number): number {
  return max === 0 ? 0 : 32 - Math.clz32(max);
}
