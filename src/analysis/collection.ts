/**
 * Jagged object collections in columnar form: per event an offset range into flat typed arrays
 * (one per field), never an object per event or per particle. A selection is a mask over the
 * objects; `select` compacts a collection by a mask in one pass per field.
 */
export type NumArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

export interface Collection {
  /** Number of events. */
  readonly events: number;
  /** events + 1 offsets; objects of event i are [offsets[i], offsets[i+1]). */
  readonly offsets: Int32Array;
  /** One flat array per field, indexed like the offsets. */
  readonly fields: Record<string, NumArray>;
}

/** A collection from offsets that may start above zero (a slice of a larger column). */
export function collection(offsets: Int32Array, fields: Record<string, NumArray>): Collection {
  if (offsets[0] === 0) return { events: offsets.length - 1, offsets, fields };
  const base = offsets[0]!;
  const end = offsets[offsets.length - 1]!;
  const out: Record<string, NumArray> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = v.subarray(base, end) as NumArray;
  return { events: offsets.length - 1, offsets: offsets.map((o) => o - base), fields: out };
}

/** Objects per event (only those whose mask entry is non-zero, when a mask is given). */
export function counts(c: Collection, mask?: Uint8Array): Int32Array {
  const n = new Int32Array(c.events);
  if (!mask) {
    for (let i = 0; i < c.events; i++) n[i] = c.offsets[i + 1]! - c.offsets[i]!;
    return n;
  }
  for (let i = 0; i < c.events; i++) {
    let k = 0;
    for (let j = c.offsets[i]!; j < c.offsets[i + 1]!; j++) k += mask[j]!;
    n[i] = k;
  }
  return n;
}

/** The objects whose mask entry is non-zero, every field compacted, order kept. */
export function select(c: Collection, keep: Uint8Array): Collection {
  const offsets = new Int32Array(c.events + 1);
  let kept = 0;
  for (let i = 0; i < c.events; i++) {
    for (let j = c.offsets[i]!; j < c.offsets[i + 1]!; j++) if (keep[j]) kept++;
    offsets[i + 1] = kept;
  }
  const fields: Record<string, NumArray> = {};
  for (const [name, src] of Object.entries(c.fields)) {
    const dst = new (src.constructor as new (n: number) => NumArray)(kept);
    let k = 0;
    const total = c.offsets[c.events]!;
    for (let j = 0; j < total; j++) if (keep[j]) dst[k++] = src[j]!;
    fields[name] = dst;
  }
  return { events: c.events, offsets, fields };
}

/**
 * Absolute index of the `rank`-th object by descending pT in each event (0 = leading; -1 when the
 * event has too few), among the objects of `mask` when given. Ties keep the earlier object first. O(rank x objects), no allocation per event.
 */
export function leading(c: Collection, pt: NumArray, rank = 0, mask?: Uint8Array): Int32Array {
  const out = new Int32Array(c.events).fill(-1);
  for (let i = 0; i < c.events; i++) {
    const a = c.offsets[i]!;
    const b = c.offsets[i + 1]!;
    if (b - a <= rank) continue;
    let prevPt = Infinity;
    let prevIdx = -1;
    let pick = -1;
    for (let r = 0; r <= rank; r++) {
      pick = -1;
      for (let j = a; j < b; j++) {
        if (mask && !mask[j]) continue;
        const p = pt[j]!;
        // Strictly after the previous pick in the order (pt desc, index asc).
        if (p > prevPt || (p === prevPt && j <= prevIdx)) continue;
        if (pick < 0 || p > pt[pick]!) pick = j;
      }
      if (pick < 0) break;
      prevPt = pt[pick]!;
      prevIdx = pick;
    }
    out[i] = pick;
  }
  return out;
}

/**
 * The leading and subleading objects (by descending pT, ties keep the earlier object first) per
 * event among those of `mask`, in one pass: the same picks as leading(c, pt, 0/1, mask).
 */
export function leadingTwo(c: Collection, pt: NumArray, mask: Uint8Array): { first: Int32Array; second: Int32Array } {
  const first = new Int32Array(c.events).fill(-1);
  const second = new Int32Array(c.events).fill(-1);
  const o = c.offsets;
  for (let i = 0; i < c.events; i++) {
    let a = -1;
    let b = -1;
    let pa = 0;
    let pb = 0;
    for (let j = o[i]!, end = o[i + 1]!; j < end; j++) {
      if (!mask[j]) continue;
      const p = pt[j]!;
      // Strictly greater: an equal pT later in the event ranks after the earlier one.
      if (a < 0 || p > pa) {
        b = a;
        pb = pa;
        a = j;
        pa = p;
      } else if (b < 0 || p > pb) {
        b = j;
        pb = p;
      }
    }
    first[i] = a;
    second[i] = b;
  }
  return { first, second };
}
