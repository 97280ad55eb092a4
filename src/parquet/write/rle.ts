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
 * Levels as runs of equal values (adjacent runs differ: a push of the last run's value lengthens
 * it), in arrays reused from page to page.
 */
export class LevelRuns {
  values = new Uint8Array(1024);
  lengths = new Int32Array(1024);
  count = 0;

  clear(): void {
    this.count = 0;
  }

  /** Room for `more` further pushes. */
  reserve(more: number): void {
    const need = this.count + more;
    if (need <= this.values.length) return;
    const size = Math.max(need, 2 * this.values.length);
    const values = new Uint8Array(size);
    const lengths = new Int32Array(size);
    values.set(this.values.subarray(0, this.count));
    lengths.set(this.lengths.subarray(0, this.count));
    this.values = values;
    this.lengths = lengths;
  }

  /** Appends `n` (> 0) values `v` (room reserved). */
  push(v: number, n: number): void {
    this.count = pushRun(this.values, this.lengths, this.count, v, n);
  }
}

/** A push onto runs held in `vals`, `lens` and count `c` (room reserved); returns the new count. */
export function pushRun(vals: Uint8Array, lens: Int32Array, c: number, v: number, n: number): number {
  if (c > 0 && vals[c - 1] === v) {
    lens[c - 1]! += n;
    return c;
  }
  vals[c] = v;
  lens[c] = n;
  return c + 1;
}

/**
 * Encodes the levels in `runs` (each below 2^bitWidth, bitWidth 1..8) into `out` from `at`;
 * returns the end. What is left of a run at the current position decides: 8 or more values are
 * an RLE run; else bit-packed groups of 8 follow until a group ends where 8 or more equal values
 * start (the encoding a scan over the expanded levels gives).
 */
export function writeHybridRuns(runs: LevelRuns, bitWidth: number, out: Uint8Array, at: number): number {
  const vals = runs.values;
  const lens = runs.lengths;
  const n = runs.count;
  let ri = 0;
  let off = 0;
  while (ri < n) {
    const left = lens[ri]! - off;
    if (left >= 8) {
      at = varint(out, at, left * 2);
      out[at++] = vals[ri]!; // bitWidth <= 8: the value fits one byte
      ri++;
      off = 0;
      continue;
    }
    // Where the bit-packed groups end (ri2, off2), then the values up to there, packed.
    let ri2 = ri;
    let off2 = off;
    let groups = 0;
    do {
      for (let need = 8; need > 0 && ri2 < n; ) {
        const take = Math.min(need, lens[ri2]! - off2);
        need -= take;
        off2 += take;
        if (off2 === lens[ri2]) {
          ri2++;
          off2 = 0;
        }
      }
      groups++;
    } while (ri2 < n && lens[ri2]! - off2 < 8);
    at = varint(out, at, (groups << 1) | 1);
    // A run's values go in at most 24 bits at a time (its value times 1 + 2^w + 2^2w ...), so
    // the accumulator (under 8 bits between runs) never exceeds 32.
    const repeat = repeats(bitWidth);
    const most = repeat.length - 1;
    let acc = 0;
    let bits = 0;
    let packed = 0;
    for (; ri < ri2 || off < off2; ri++, off = 0) {
      const v = vals[ri]!;
      let take = (ri < ri2 ? lens[ri]! : off2) - off;
      packed += take;
      while (take > 0) {
        const k = take < most ? take : most;
        acc |= (v * repeat[k]!) << bits;
        bits += k * bitWidth;
        take -= k;
        for (; bits >= 8; bits -= 8) {
          out[at++] = acc & 0xff;
          acc >>>= 8;
        }
      }
      if (ri === ri2) break;
    }
    ri = ri2;
    off = off2;
    // Zeros up to whole groups: groups * 8 * bitWidth bits are whole bytes, nothing is left over.
    for (bits += (groups * 8 - packed) * bitWidth; bits >= 8; bits -= 8) {
      out[at++] = acc & 0xff;
      acc >>>= 8;
    }
  }
  return at;
}

const REPEATS: Int32Array[] = [];

/** repeats(w)[k]: k ones, w bits apart (k * w <= 24). */
function repeats(w: number): Int32Array {
  let r = REPEATS[w];
  if (!r) {
    r = new Int32Array(Math.floor(24 / w) + 1);
    for (let k = 1; k < r.length; k++) r[k] = r[k - 1]! | (1 << ((k - 1) * w));
    REPEATS[w] = r;
  }
  return r;
}

const scratchRuns = new LevelRuns();

/** Encodes `values` (each below 2^bitWidth, bitWidth 1..8) into `out` from `at`; returns the end. */
export function writeHybrid(values: Uint8Array, bitWidth: number, out: Uint8Array, at: number): number {
  const runs = scratchRuns;
  runs.clear();
  runs.reserve(values.length);
  for (let i = 0; i < values.length; i++) runs.push(values[i]!, 1);
  return writeHybridRuns(runs, bitWidth, out, at);
}

function varint(out: Uint8Array, at: number, v: number): number {
  while (v >= 0x80) {
    out[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[at++] = v;
  return at;
}
