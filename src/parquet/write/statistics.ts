/**
 * Column-chunk statistics: min_value / max_value in the column's sort order (unsigned integers
 * compared unsigned, strings as unsigned bytes), encoded as PLAIN values (INT32/INT64 little-endian
 * bits, FLOAT/DOUBLE, BOOLEAN one byte, strings their bytes). Floats skip NaN; a zero minimum is
 * written as -0 and a zero maximum as +0, as parquet-format asks, since readers cannot know which
 * zero was there. No values (or only NaN): no min/max. Strings longer than MAX_STRING_STAT bytes
 * leave min/max out (the footer is kept small; no truncation rules needed).
 */
import type { Segment } from './values.ts';
import type { ValueKind } from './schema.ts';

const MAX_STRING_STAT = 64;

export interface MinMax {
  min: Uint8Array;
  max: Uint8Array;
}

export class ChunkStatistics {
  private readonly kind: ValueKind;
  private min: number | bigint | Uint8Array | boolean | null = null;
  private max: number | bigint | Uint8Array | boolean | null = null;
  private tooLong = false;
  nulls = 0;

  constructor(kind: ValueKind) {
    this.kind = kind;
  }

  add(s: Segment): void {
    const l = s.levels;
    this.nulls += s.e1 - s.e0 - (s.v1 - s.v0);
    if (s.v1 === s.v0) return;
    const at = (k: number): number => (l.indices ? l.indices[k]! : l.lo + k);
    switch (this.kind) {
      case 'bool': {
        const bits = l.leaf.values as Uint8Array;
        let anyTrue = false;
        let anyFalse = false;
        for (let k = s.v0; k < s.v1 && !(anyTrue && anyFalse); k++) {
          const i = l.leaf.offset + at(k);
          if (bits[i >> 3]! & (1 << (i & 7))) anyTrue = true;
          else anyFalse = true;
        }
        if (this.min === null) {
          this.min = !anyFalse;
          this.max = anyTrue;
        } else {
          this.min = (this.min as boolean) && !anyFalse;
          this.max = (this.max as boolean) || anyTrue;
        }
        return;
      }
      case 'i64':
      case 'u64': {
        const src = l.leaf.values as BigInt64Array | BigUint64Array;
        let mn = (this.min as bigint | null) ?? src[at(s.v0)]!;
        let mx = (this.max as bigint | null) ?? mn;
        for (let k = s.v0; k < s.v1; k++) {
          const v = src[at(k)]!;
          if (v < mn) mn = v;
          if (v > mx) mx = v;
        }
        this.min = mn;
        this.max = mx;
        return;
      }
      case 'utf8': {
        if (this.tooLong) return; // no string min/max is written for this chunk any more
        const offsets = l.leaf.valueOffsets as Int32Array;
        const data = l.leaf.values as Uint8Array;
        for (let k = s.v0; k < s.v1; k++) {
          const i = at(k);
          const v = data.subarray(offsets[i]!, offsets[i + 1]!);
          if (v.length > MAX_STRING_STAT) this.tooLong = true;
          if (this.min === null || Buffer.compare(v, this.min as Uint8Array) < 0) this.min = v;
          if (this.max === null || Buffer.compare(v, this.max as Uint8Array) > 0) this.max = v;
        }
        return;
      }
      default: {
        // Numbers: integers up to 32 bits (typed arrays give unsigned values for unsigned types) and floats.
        const floats = this.kind === 'f32' || this.kind === 'f64';
        const src = l.leaf.values as Float32Array;
        const [mn, mx] = l.indices
          ? minMaxAt(src, l.indices, s.v0, s.v1, (this.min as number | null) ?? Infinity, (this.max as number | null) ?? -Infinity)
          : floats
            ? minMaxFloat(src, l.lo + s.v0, l.lo + s.v1, (this.min as number | null) ?? Infinity, (this.max as number | null) ?? -Infinity)
            : this.kind === 'u32'
              ? minMaxU32(src as unknown as Uint32Array, l.lo + s.v0, l.lo + s.v1, (this.min as number | null) ?? Infinity, (this.max as number | null) ?? -Infinity)
              : minMaxInt(src, l.lo + s.v0, l.lo + s.v1, (this.min as number | null) ?? Infinity, (this.max as number | null) ?? -Infinity);
        if (mn <= mx) {
          this.min = mn;
          this.max = mx;
        }
      }
    }
  }

  /** The encoded min and max, or null when there are none. */
  result(): MinMax | null {
    if (this.min === null || this.max === null) return null;
    switch (this.kind) {
      case 'bool':
        return { min: Uint8Array.of(this.min ? 1 : 0), max: Uint8Array.of(this.max ? 1 : 0) };
      case 'i64':
      case 'u64': {
        const a = this.kind === 'i64' ? BigInt64Array.of(this.min as bigint, this.max as bigint) : BigUint64Array.of(this.min as bigint, this.max as bigint);
        const b = new Uint8Array(a.buffer);
        return { min: b.slice(0, 8), max: b.slice(8, 16) };
      }
      case 'utf8':
        return this.tooLong ? null : { min: (this.min as Uint8Array).slice(), max: (this.max as Uint8Array).slice() };
      case 'f32':
      case 'f64': {
        const mn = (this.min as number) === 0 ? -0 : (this.min as number);
        const mx = (this.max as number) === 0 ? 0 : (this.max as number);
        const a = this.kind === 'f32' ? Float32Array.of(mn, mx) : Float64Array.of(mn, mx);
        const b = new Uint8Array(a.buffer);
        const w = a.BYTES_PER_ELEMENT;
        return { min: b.slice(0, w), max: b.slice(w, 2 * w) };
      }
      default: {
        // INT32 bits: unsigned 32-bit values wrap to the same bits.
        const a = Int32Array.of((this.min as number) | 0, (this.max as number) | 0);
        const b = new Uint8Array(a.buffer);
        return { min: b.slice(0, 4), max: b.slice(4, 8) };
      }
    }
  }
}

// Separate loops for floats and integers keep each one's element access to few array types.
// NaN fails both comparisons, so it never becomes the min or max.
function minMaxFloat(src: ArrayLike<number>, a: number, b: number, mn: number, mx: number): [number, number] {
  for (let i = a; i < b; i++) {
    const v = src[i]!;
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  return [mn, mx];
}

/** uint32, the most common integer column (counts, links, flags): its own loop stays monomorphic. */
function minMaxU32(src: Uint32Array, a: number, b: number, mn: number, mx: number): [number, number] {
  for (let i = a; i < b; i++) {
    const v = src[i]!;
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  return [mn, mx];
}

function minMaxInt(src: ArrayLike<number>, a: number, b: number, mn: number, mx: number): [number, number] {
  for (let i = a; i < b; i++) {
    const v = src[i]!;
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  return [mn, mx];
}

function minMaxAt(src: ArrayLike<number>, at: Int32Array, a: number, b: number, mn: number, mx: number): [number, number] {
  for (let k = a; k < b; k++) {
    const v = src[at[k]!]!;
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  return [mn, mx];
}
