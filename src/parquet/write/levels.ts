/**
 * Dremel levels of one leaf column over one Arrow column (a record batch's top-level child),
 * computed from list offsets and validity bitmaps over typed arrays, one pass per nesting level:
 * the entries of a level expand into the items of each non-empty list; an empty or null list, or a
 * null struct or value, ends its entry there with the definition level reached so far.
 * Repetition level of an entry: 0 at a row's start, else the depth of the innermost list that
 * moved on. Definition level: optional nodes present plus non-empty lists above the entry.
 * Required columns with one or two list levels (nearly all of PHYSLITE) are not expanded into
 * level arrays: their LeafLevels keep the list offsets (`shape`), and `levelRuns` gives the levels
 * of a range of rows as runs of equal values, a few per row, which the page writer encodes
 * straight into the RLE/bit-packed hybrid (a property test checks them against `general`).
 * Arrow JS conventions relied on: value offsets and value buffers are relative to the data
 * (index 0 is its first element), validity bitmaps and boolean values are indexed from `offset`.
 */
import type { Data } from 'apache-arrow';
import { pushRun, type LevelRuns } from './rle.ts';
import type { LeafColumn } from './schema.ts';

/**
 * Required lists (one or two levels) by their offsets: row r's lists are o1[r]..o1[r+1] (values
 * when `o2` is null, else inner lists j with values o2[j]..o2[j+1]).
 */
export interface ListShape {
  /** Rows (o1 may be longer than rows + 1: Arrow builders pad their buffers). */
  rows: number;
  o1: Int32Array;
  o2: Int32Array | null;
}

export interface LeafLevels {
  /** Number of level entries (values, empty lists and nulls). */
  entries: number;
  /** Definition levels, or null when the column has none (maxDef 0) or `shape` gives them. */
  def: Uint8Array | null;
  /** Repetition levels, or null when the column has none (maxRep 0) or `shape` gives them. */
  rep: Uint8Array | null;
  /** The list offsets the levels follow from, instead of `def` and `rep`. */
  shape: ListShape | null;
  /** The leaf's Arrow data. */
  leaf: Data;
  /** Number of values (entries at the maximum definition level). */
  values: number;
  /** The values are leaf[lo, hi) when `indices` is null, else leaf[indices[k]]. */
  lo: number;
  hi: number;
  indices: Int32Array | null;
}

function valid(d: Data, i: number): boolean {
  const bitmap = d.nullBitmap;
  if (!bitmap || d.nullCount === 0 || bitmap.length === 0) return true;
  const bit = d.offset + i;
  return (bitmap[bit >> 3]! & (1 << (bit & 7))) !== 0;
}

function hasNulls(d: Data): boolean {
  return d.nullCount > 0 && !!d.nullBitmap && d.nullBitmap.length > 0;
}

export function leafLevels(top: Data, leaf: LeafColumn): LeafLevels {
  const rows = top.length;
  const steps = leaf.steps;
  if (rows === 0) {
    let d = top;
    for (const s of steps) if (s.kind !== 'leaf') d = d.children[s.kind === 'struct' ? s.child : 0]!;
    return { entries: 0, def: null, rep: null, shape: null, leaf: d, values: 0, lo: 0, hi: 0, indices: null };
  }
  if (steps.every((s) => !s.nullable)) {
    const lists = steps.filter((s) => s.kind === 'list' || s.kind === 'fixed').length;
    if (lists === 0) return required(top, steps, rows);
    if (lists === 1) return requiredList(top, steps, rows);
    if (lists === 2) return requiredListOfLists(top, steps, rows);
  }
  return general(top, leaf, rows);
}

/** Structs and a value, nothing optional: one value per row, no levels. */
function required(top: Data, steps: LeafColumn['steps'], rows: number): LeafLevels {
  let d = top;
  for (const s of steps) if (s.kind === 'struct') d = d.children[s.child]!;
  return { entries: rows, def: null, rep: null, shape: null, leaf: d, values: rows, lo: 0, hi: rows, indices: null };
}

/**
 * One list (variable or fixed size) among structs, nothing optional: definition level 1 for a
 * value and 0 for an empty list, repetition level 0 at a row's start and 1 after; the values are
 * the list's item range, contiguous.
 */
function requiredList(top: Data, steps: LeafColumn['steps'], rows: number): LeafLevels {
  const [d, k] = throughStructs(top, steps, 0);
  const o1 = offsetsOf(d, steps[k]!);
  const lo = o1[0]!;
  const hi = o1[rows]!;
  let count = hi - lo;
  for (let r = 0; r < rows; r++) if (o1[r + 1] === o1[r]) count++;
  const [leaf] = throughStructs(d.children[0]!, steps, k + 1);
  return { entries: count, def: null, rep: null, shape: { rows, o1, o2: null }, leaf, values: hi - lo, lo, hi, indices: null };
}

/** Offsets of a list step's data (a fixed-size list's are made from its size). */
function offsetsOf(d: Data, step: LeafColumn['steps'][number]): Int32Array {
  if (step.kind === 'list') return d.valueOffsets as Int32Array;
  const size = (step as { size: number }).size;
  const out = new Int32Array(d.length + 1);
  for (let i = 0; i <= d.length; i++) out[i] = i * size;
  return out;
}

/** Follows struct steps from `k`; returns the data reached and the index of the next other step. */
function throughStructs(d: Data, steps: LeafColumn['steps'], k: number): [Data, number] {
  for (; steps[k]!.kind === 'struct'; k++) d = d.children[(steps[k] as { child: number }).child]!;
  return [d, k];
}

/**
 * Two lists among structs, nothing optional (List<List<T>>, vectors of ElementLink vectors):
 * the levels follow from the two offset arrays (levelRuns). Levels: value (2, 0|1|2), empty inner
 * list (1, 0|1), empty outer list (0, 0).
 */
function requiredListOfLists(top: Data, steps: LeafColumn['steps'], rows: number): LeafLevels {
  const [outer, k1] = throughStructs(top, steps, 0);
  const o1 = offsetsOf(outer, steps[k1]!);
  const [inner, k2] = throughStructs(outer.children[0]!, steps, k1 + 1);
  const o2 = offsetsOf(inner, steps[k2]!);
  const [leaf] = throughStructs(inner.children[0]!, steps, k2 + 1);
  const lo = o2[o1[0]!]!;
  const hi = o2[o1[rows]!]!;
  let count = hi - lo;
  for (let r = 0; r < rows; r++) if (o1[r + 1] === o1[r]) count++;
  for (let j = o1[0]!; j < o1[rows]!; j++) if (o2[j + 1] === o2[j]) count++;
  return { entries: count, def: null, rep: null, shape: { rows, o1, o2 }, leaf, values: hi - lo, lo, hi, indices: null };
}

/** Level entries of row r of a shape (a value each, one per empty list). */
export function rowEntries(shape: ListShape, r: number): number {
  const a = shape.o1[r]!;
  const b = shape.o1[r + 1]!;
  if (a === b) return 1;
  const o2 = shape.o2;
  if (!o2) return b - a;
  let n = o2[b]! - o2[a]!;
  for (let j = a; j < b; j++) if (o2[j + 1] === o2[j]) n++;
  return n;
}

/** Index of the first value of row r of a shape, relative to the batch's first value. */
export function rowValueStart(shape: ListShape, r: number): number {
  const { o1, o2 } = shape;
  return o2 ? o2[o1[r]!]! - o2[o1[0]!]! : o1[r]! - o1[0]!;
}

/**
 * Appends the repetition (`rep`) or definition levels of rows [r0, r1) of a shape to `runs`.
 * One list: rep 0 then 1 for the rest of the row, def 1 for a value and 0 for an empty list.
 * Two lists: rep 0 | 1 at each inner list's start and 2 after; def 2 for a value, 1 for an empty
 * inner list, 0 for an empty outer list.
 */
export function levelRuns(shape: ListShape, r0: number, r1: number, rep: boolean, runs: LevelRuns): void {
  const { o1, o2 } = shape;
  runs.reserve(2 * (r1 - r0) + (o2 ? 2 * (o1[r1]! - o1[r0]!) : 0));
  // The runs' arrays and count in locals: this loop runs per row of every list column.
  const vals = runs.values;
  const lens = runs.lengths;
  let c = runs.count;
  for (let r = r0; r < r1; r++) {
    const a = o1[r]!;
    const b = o1[r + 1]!;
    if (a === b) c = pushRun(vals, lens, c, 0, 1);
    else if (!o2) {
      if (!rep) c = pushRun(vals, lens, c, 1, b - a);
      else {
        c = pushRun(vals, lens, c, 0, 1);
        if (b - a > 1) c = pushRun(vals, lens, c, 1, b - a - 1);
      }
    } else {
      for (let j = a; j < b; j++) {
        const m = o2[j + 1]! - o2[j]!;
        if (rep) {
          c = pushRun(vals, lens, c, j === a ? 0 : 1, 1);
          if (m > 1) c = pushRun(vals, lens, c, 2, m - 1);
        } else c = pushRun(vals, lens, c, m === 0 ? 1 : 2, m === 0 ? 1 : m);
      }
    }
  }
  runs.count = c;
}

/** The general algorithm (any nesting, nulls), which the fast paths above must agree with. */
export function general(top: Data, leaf: LeafColumn, rows: number): LeafLevels {
  const steps = leaf.steps;
  let n = rows;
  let idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  let def = new Uint8Array(n);
  let rep = new Uint8Array(n);
  let d = top;
  let depth = 0;
  for (const step of steps) {
    if (step.nullable) {
      const nulls = hasNulls(d);
      for (let e = 0; e < n; e++) {
        const j = idx[e]!;
        if (j < 0) continue;
        if (!nulls || valid(d, j)) def[e]!++;
        else idx[e] = -1;
      }
    }
    if (step.kind === 'leaf') break;
    if (step.kind === 'struct') {
      d = d.children[step.child]!;
      continue;
    }
    // A list: expand each live entry into the list's items.
    depth++;
    const offsets = step.kind === 'list' ? (d.valueOffsets as Int32Array) : null;
    const size = step.kind === 'fixed' ? step.size : 0;
    let count = 0;
    for (let e = 0; e < n; e++) {
      const j = idx[e]!;
      if (j < 0) count++;
      else {
        const len = offsets ? offsets[j + 1]! - offsets[j]! : size;
        count += len > 0 ? len : 1;
      }
    }
    const nidx = new Int32Array(count);
    const ndef = new Uint8Array(count);
    const nrep = new Uint8Array(count);
    let at = 0;
    for (let e = 0; e < n; e++) {
      const j = idx[e]!;
      const de = def[e]!;
      const re = rep[e]!;
      if (j < 0) {
        nidx[at] = -1;
        ndef[at] = de;
        nrep[at++] = re;
        continue;
      }
      const s = offsets ? offsets[j]! : j * size;
      const t = offsets ? offsets[j + 1]! : s + size;
      if (t <= s) {
        nidx[at] = -1;
        ndef[at] = de;
        nrep[at++] = re;
        continue;
      }
      nidx[at] = s;
      ndef[at] = de + 1;
      nrep[at++] = re;
      for (let c = s + 1; c < t; c++) {
        nidx[at] = c;
        ndef[at] = de + 1;
        nrep[at++] = depth;
      }
    }
    idx = nidx;
    def = ndef;
    rep = nrep;
    n = count;
    d = d.children[0]!;
  }
  // The values: live entries. Without nulls they are one contiguous range of the leaf.
  let values = 0;
  let lo = -1;
  let last = -1;
  let contiguous = true;
  for (let e = 0; e < n; e++) {
    const j = idx[e]!;
    if (j < 0) continue;
    if (lo < 0) lo = j;
    else if (j !== last + 1) contiguous = false;
    last = j;
    values++;
  }
  let indices: Int32Array | null = null;
  if (!contiguous) {
    indices = new Int32Array(values);
    let k = 0;
    for (let e = 0; e < n; e++) if (idx[e]! >= 0) indices[k++] = idx[e]!;
  }
  if (lo < 0) lo = 0;
  return { entries: n, def: leaf.maxDef > 0 ? def : null, rep: leaf.maxRep > 0 ? rep : null, shape: null, leaf: d, values, lo, hi: contiguous ? lo + values : lo, indices };
}
