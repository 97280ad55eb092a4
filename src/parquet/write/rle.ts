/**
 * The RLE/bit-packed hybrid encoding of Parquet's repetition and definition levels: a run of 8 or
 * more equal values becomes an RLE run (header `count << 1`, the value in ceil(bitWidth / 8)
 * bytes); anything else goes in bit-packed groups of 8 values (header `groups << 1 | 1`, values
 * packed least significant bit first), the last group padded with zeros. Readers know the number
 * of values from the page header, so padding is never read as values.
 */

/** Bytes the encoding of `n` values of width `bitWidth` (1..8) can take at most. */
export function hybridBound(n: number, bitWidth: number): number {
  // Bit-packed everything: 8 values per bitWidth bytes plus a header per block; RLE runs are no
  // larger than the bit-packed groups they replace plus their header.
  return Math.ceil(n / 8) * bitWidth + 2 * Math.ceil(n / 8) + 16;
}

/**
 * Encodes `values` (each below 2^bitWidth, bitWidth 1..8) into `out` from `at`; returns the end.
 */
export function writeHybrid(values: Uint8Array, bitWidth: number, out: Uint8Array, at: number): number {
  const n = values.length;
  let i = 0;
  while (i < n) {
    const v = values[i]!;
    let r = i + 1;
    while (r < n && values[r] === v) r++;
    if (r - i >= 8) {
      at = varint(out, at, (r - i) * 2);
      out[at++] = v; // bitWidth <= 8: the value fits one byte
      i = r;
      continue;
    }
    // Bit-packed: groups of 8 until the next group would start a run of 8 or more.
    const start = i;
    let groups = 0;
    do {
      i += 8;
      groups++;
    } while (i < n && !runOf8(values, i));
    at = varint(out, at, (groups << 1) | 1);
    at = pack(values, start, Math.min(i, n), groups * 8, bitWidth, out, at);
  }
  return at;
}

function runOf8(values: Uint8Array, i: number): boolean {
  if (i + 8 > values.length) return false;
  const v = values[i];
  for (let k = 1; k < 8; k++) if (values[i + k] !== v) return false;
  return true;
}

/** Packs values[from, to) padded with zeros to `count` values, LSB first. */
function pack(values: Uint8Array, from: number, to: number, count: number, bitWidth: number, out: Uint8Array, at: number): number {
  let acc = 0;
  let bits = 0;
  for (let k = 0; k < count; k++) {
    const v = from + k < to ? values[from + k]! : 0;
    acc |= v << bits;
    bits += bitWidth;
    while (bits >= 8) {
      out[at++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
  }
  // count is a multiple of 8, so count * bitWidth bits are whole bytes: nothing is left over.
  return at;
}

function varint(out: Uint8Array, at: number, v: number): number {
  while (v >= 0x80) {
    out[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[at++] = v;
  return at;
}
