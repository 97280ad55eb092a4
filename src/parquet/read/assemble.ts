/**
 * Levels to Arrow: one top-level field's leaf columns (definition and repetition levels plus
 * non-null values) become apache-arrow Data with Int32 list offsets, struct children and validity
 * bitmaps. Each leaf is walked once: an entry with repetition level r opens a new slot in the
 * element of the list at depth r and in every node below it; its definition level says how deep
 * the slot is defined (null, empty list, or a value). Structure shared by the leaves of a struct
 * is taken from its first leaf. A list of non-null numbers (most PHYSLITE columns) takes a
 * dedicated loop over the levels. Nothing here is per event: slots are counters into typed arrays.
 */
import { type Data, makeData, Bool, Binary, Utf8, type DataType } from 'apache-arrow';
import { DeserializationError } from '../../errors.ts';
import type { Arena } from './arena.ts';
import { type ChunkData, sameBytes } from './pages.ts';
import { type ArrowNode, type LeafNode, arrowType, leavesOf } from './schema.ts';

export interface Shred {
  /** Slots per node on the leaf's path (top node: rows). */
  slots: number[];
  /** List nodes: offsets (slots + 1). */
  offsets: (Int32Array | null)[];
  /** Nullable nodes: one byte per slot, null when every slot is valid. */
  valid: (Uint8Array | null)[];
}

/**
 * Structure already built in one row group from list levels, to be shared: the columns of one
 * PHYSLITE container (a jet's pt, eta, phi, m, ...) and the fields of a list of structs have the
 * same levels, and comparing levels costs a fraction of walking them (the offsets are then one
 * array, not one per column). Only paths without nullable nodes are shared, keyed by their shape.
 */
export type SharedOffsets = { shape: string; rep: Uint8Array; def: Uint8Array; rows: number; shred: Shred; column: number }[];

/**
 * The Arrow Data of a top-level field over `rows` rows from its leaves' chunks. `shared`, kept by
 * the caller for the chunks of one row group (whose level buffers stay untouched meanwhile),
 * lets list columns with identical levels share their offsets. `arena`, when given, holds the
 * arrays of the result (see arena.ts).
 */
export function assembleField(node: ArrowNode, chunks: Map<number, ChunkData>, rows: number, shared?: SharedOffsets, arena?: Arena): Data {
  const leaves = cached(node).leaves;
  const shreds = new Map<LeafNode, Shred>();
  for (const leaf of leaves) {
    const chunk = chunks.get(leaf.column)!;
    const info = cached(leaf);
    const path = (info.path ??= pathTo(node, leaf));
    const s = shred(path, chunk, rows, shared, (info.shape ??= shapeOf(path)), arena);
    if (s.slots[0] !== rows) throw new DeserializationError(`${leaf.path} has ${s.slots[0]} rows, the row group ${rows}`);
    shreds.set(leaf, s);
  }
  return build(node, 0, shreds, chunks, arena);
}

/** Per schema node, what every row group needs again: its Arrow type, its leaves, a leaf's path. */
interface NodeInfo {
  type: DataType;
  leaves: LeafNode[];
  path?: ArrowNode[];
  /** A leaf's path as the shredding sees it; '' when a node on it is nullable (not shared). */
  shape?: string;
}

function shapeOf(path: ArrowNode[]): string {
  if (path.some((n) => n.nullable)) return '';
  const leaf = path[path.length - 1] as LeafNode;
  return `${path.map((n) => (n.kind === 'list' ? `L${n.element},${n.rep}` : n.kind === 'struct' ? 'S' : 'V')).join('/')}:${leaf.maxDef},${leaf.maxRep}`;
}
const nodeInfo = new WeakMap<ArrowNode, NodeInfo>();

function cached(n: ArrowNode): NodeInfo {
  let c = nodeInfo.get(n);
  if (!c) nodeInfo.set(n, (c = { type: arrowType(n), leaves: leavesOf(n) }));
  return c;
}

function pathTo(top: ArrowNode, leaf: LeafNode): ArrowNode[] {
  const out: ArrowNode[] = [];
  const walk = (n: ArrowNode): boolean => {
    out.push(n);
    if (n === leaf) return true;
    if (n.kind === 'list' && walk(n.child)) return true;
    if (n.kind === 'struct') for (const c of n.children) if (walk(c)) return true;
    out.pop();
    return false;
  };
  walk(top);
  return out;
}

/** A new array, or one of the arena's (zeroed when `zero`: the caller writes only some elements). */
function alloc<T extends Int32Array | Uint8Array>(C: { new (n: number): T; readonly BYTES_PER_ELEMENT: number }, n: number, arena: Arena | undefined, zero = false): T {
  return arena ? arena.take(C, n, zero) : new C(n);
}

function shred(path: ArrowNode[], chunk: ChunkData, rows: number, shared?: SharedOffsets, shape = '', arena?: Arena): Shred {
  const entries = chunk.entries;
  const def = chunk.def;
  const rep = chunk.rep;
  if (!shared || !shape || !rep || !def) return shredLevels(path, chunk, rows, arena);
  // Levels copied page for page from another column (pages.ts): its structure, without comparing.
  if (chunk.levelsOf >= 0) {
    for (const o of shared) {
      if (o.column !== chunk.levelsOf || o.shape !== shape || o.rows !== rows || o.rep.length !== entries) continue;
      return { slots: o.shred.slots.slice(), offsets: o.shred.offsets.slice(), valid: o.shred.valid.slice() };
    }
  }
  for (const o of shared) {
    if (o.shape !== shape || o.rows !== rows || o.rep.length !== entries || !sameBytes(o.rep, rep, entries) || !sameBytes(o.def, def, entries)) continue;
    return { slots: o.shred.slots.slice(), offsets: o.shred.offsets.slice(), valid: o.shred.valid.slice() };
  }
  const s = shredLevels(path, chunk, rows, arena);
  // Only complete row groups are shared (a short one is refused by the caller anyway).
  if (s.slots[0] === rows) shared.push({ shape, rep: rep.subarray(0, entries), def: def.subarray(0, entries), rows, shred: s, column: (path[path.length - 1] as LeafNode).column });
  return s;
}

function shredLevels(path: ArrowNode[], chunk: ChunkData, rows: number, arena?: Arena): Shred {
  const depth = path.length;
  const entries = chunk.entries;
  const def = chunk.def;
  const rep = chunk.rep;
  const leaf = path[depth - 1] as LeafNode;
  const s: Shred = { slots: new Array<number>(depth).fill(0), offsets: new Array(depth).fill(null), valid: new Array(depth).fill(null) };

  // A flat required or optional leaf.
  if (depth === 1) {
    if (def) for (let i = 0; i < entries; i++) if (def[i]! > leaf.maxDef) throw new DeserializationError(`${leaf.path}: definition level ${def[i]} over ${leaf.maxDef}`);
    s.slots[0] = entries;
    if (leaf.nullable && def) s.valid[0] = validity(def, 0, entries, leaf.defined, arena);
    return s;
  }
  // List<leaf> or List<struct<...leaf>> (an ElementLink's), nothing nullable and no other list:
  // offsets from the levels directly (a required struct has its parent's slots).
  const list = path[0]!;
  let oneList = list.kind === 'list' && !list.nullable && rep !== null && def !== null;
  for (let k = 1; oneList && k < depth; k++) if (path[k]!.kind === 'list' || path[k]!.nullable) oneList = false;
  if (oneList && rep && def) {
    // Both levels are 0 or 1 here (checked after the loop): a row opens at rep 0, an element is
    // there at def 1. Branch-free: the slot of the next row is written at every entry and keeps
    // the value written when that row opens (an out-of-range write is dropped, then refused).
    const offsets = alloc(Int32Array, rows + 1, arena);
    // Levels over their maxima would set a higher bit.
    if (oneListLoop(rep, def, entries, offsets) > 1) throw new DeserializationError(`${leaf.path} has levels over their maxima`);
    const row = loopRows;
    const n = loopValues;
    if (row > rows) throw new DeserializationError(`${leaf.path} has more rows than its row group (${rows})`);
    offsets[row] = n;
    s.slots[0] = row;
    for (let k = 1; k < depth; k++) s.slots[k] = n;
    s.offsets[0] = offsets;
    return s;
  }

  if (rep && def && path.every((n) => !n.nullable)) return shredRequired(path, def, rep, entries, rows, s, arena);

  // General nesting.
  const repDepth = new Int32Array(depth + 1).fill(-1); // node index of the list whose elements repeat at level r
  for (let k = 0; k < depth; k++) {
    const n = path[k]!;
    if (n.kind === 'list') repDepth[n.rep] = k;
    if (n.kind === 'list') s.offsets[k] = alloc(Int32Array, entries + 2, arena);
  }
  const slots = new Int32Array(depth);
  // Validity for nullable nodes, and always for the leaf: under a null struct a leaf has a slot but no value.
  const validBytes: (Uint8Array | null)[] = path.map((n, k) => (n.nullable || k === depth - 1 ? alloc(Uint8Array, entries, arena) : null));
  const anyNull = new Array<boolean>(depth).fill(false);
  for (let i = 0; i < entries; i++) {
    const d = def ? def[i]! : 0;
    const r = rep ? rep[i]! : 0;
    if (r > leaf.maxRep || d > leaf.maxDef) throw new DeserializationError(`${leaf.path}: levels (${d}, ${r}) over their maxima (${leaf.maxDef}, ${leaf.maxRep})`);
    let k = r === 0 ? 0 : repDepth[r]! + 1;
    if (k <= 0 && r !== 0) throw new DeserializationError(`${leaf.path}: repetition level ${r} matches no list`);
    let underNull = false;
    for (; k < depth; k++) {
      const n = path[k]!;
      const slot = slots[k]!++;
      const ok = !underNull && d >= n.defined;
      const v = validBytes[k];
      if (v) {
        v[slot] = ok ? 1 : 0;
        if (!ok) anyNull[k] = true;
      }
      if (n.kind === 'list') {
        s.offsets[k]![slot] = slots[k + 1]!;
        if (!ok || d < n.element) break;
      } else if (!ok) underNull = true;
    }
  }
  for (let k = 0; k < depth; k++) {
    s.slots[k] = slots[k]!;
    const o = s.offsets[k];
    if (o) {
      o[slots[k]!] = slots[k + 1]!;
      s.offsets[k] = o.subarray(0, slots[k]! + 1);
    }
    if (anyNull[k]) s.valid[k] = validBytes[k]!.subarray(0, slots[k]!);
  }
  return s;
}

/**
 * Nesting without nullable nodes: only the lists make structure (a struct's slots are its
 * parent's), so each entry opens a slot in the list at its repetition level and in the lists
 * below it until its definition level says the list is empty. Counters live in a typed array.
 */
function shredRequired(path: ArrowNode[], def: Uint8Array, rep: Uint8Array, entries: number, rows: number, s: Shred, arena?: Arena): Shred {
  const listAt: number[] = [];
  path.forEach((n, k) => {
    if (n.kind === 'list') listAt.push(k);
  });
  const m = listAt.length;
  const element = Int32Array.from(listAt, (k) => (path[k] as { element: number }).element);
  const offsets = listAt.map(() => alloc(Int32Array, entries + 2, arena));
  // count[j]: slots of list j so far (count[0] = rows); count[m]: leaf values.
  const count = new Int32Array(m + 1);
  const maxDef = (path[path.length - 1] as LeafNode).maxDef;
  if (m === 2) {
    // Lists of lists (a vector of ElementLink vectors): the loop below unrolled in a function of
    // typed arrays only (the general loop here ran at ~10 ns per entry, deoptimised by the nodes).
    twoLists(def, rep, entries, offsets[0]!, offsets[1]!, element[0]!, element[1]!, maxDef, count);
  } else {
    for (let i = 0; i < entries; i++) {
      const d = def[i]!;
      let j = rep[i]!;
      if (j > m || d > maxDef) throw new DeserializationError(`levels (${d}, ${j}) over their maxima (${maxDef}, ${m})`);
      for (; j < m; j++) {
        offsets[j]![count[j]!++] = count[j + 1]!;
        if (d < element[j]!) break;
      }
      if (j === m) count[m]!++;
    }
  }
  if (count[0]! > rows) throw new DeserializationError(`${count[0]} rows in a row group of ${rows}`);
  // Slots per node: a node has the slots of the nearest list at or above it, or of the element below it.
  let slots = count[0]!;
  let j = 0;
  for (let k = 0; k < path.length; k++) {
    s.slots[k] = slots;
    if (path[k]!.kind === 'list') {
      const o = offsets[j]!;
      o[count[j]!] = count[j + 1]!;
      s.offsets[k] = o.subarray(0, count[j]! + 1);
      slots = count[j + 1]!;
      j++;
    }
  }
  return s;
}

/** Rows and values counted by the last oneListLoop (module variables: no object per call). */
let loopRows = 0;
let loopValues = 0;

/**
 * shredLevels' loop for one list: offsets by row, the OR of all levels returned (over 1: levels
 * over their maxima), rows and values in loopRows / loopValues. A function of typed arrays only,
 * so the schema nodes around it cannot deoptimise it.
 */
function oneListLoop(rep: Uint8Array, def: Uint8Array, entries: number, offsets: Int32Array): number {
  let row = 0;
  let n = 0;
  let top = 0;
  for (let i = 0; i < entries; i++) {
    const r = rep[i]!;
    const d = def[i]!;
    offsets[row] = n;
    row += 1 - r;
    n += d;
    top |= r | d;
  }
  loopRows = row;
  loopValues = n;
  return top;
}

/** shredRequired's loop for two lists (levels up to 2): list slots and values counted into `count`. */
function twoLists(def: Uint8Array, rep: Uint8Array, entries: number, o0: Int32Array, o1: Int32Array, e0: number, e1: number, maxDef: number, count: Int32Array): void {
  let c0 = 0;
  let c1 = 0;
  let c2 = 0;
  for (let i = 0; i < entries; i++) {
    const d = def[i]!;
    const r = rep[i]!;
    if (r > 2 || d > maxDef) throw new DeserializationError(`levels (${d}, ${r}) over their maxima (${maxDef}, 2)`);
    if (r === 0) {
      o0[c0++] = c1;
      if (d < e0) continue;
    }
    if (r <= 1) {
      o1[c1++] = c2;
      if (d < e1) continue;
    }
    c2++;
  }
  count[0] = c0;
  count[1] = c1;
  count[2] = c2;
}

function validity(def: Uint8Array, from: number, to: number, level: number, arena?: Arena): Uint8Array | null {
  let all = true;
  for (let i = from; i < to; i++) if (def[i]! < level) { all = false; break; }
  if (all) return null;
  const v = alloc(Uint8Array, to - from, arena);
  for (let i = from; i < to; i++) v[i - from] = def[i]! >= level ? 1 : 0;
  return v;
}

function bitmap(valid: Uint8Array, arena?: Arena): { nullBitmap: Uint8Array; nullCount: number } {
  const out = alloc(Uint8Array, (valid.length + 7) >> 3, arena, true);
  let nulls = 0;
  for (let i = 0; i < valid.length; i++) {
    if (valid[i]) out[i >> 3]! |= 1 << (i & 7);
    else nulls++;
  }
  return { nullBitmap: out, nullCount: nulls };
}

function build(n: ArrowNode, k: number, shreds: Map<LeafNode, Shred>, chunks: Map<number, ChunkData>, arena?: Arena): Data {
  const c = cached(n);
  const first = shreds.get(c.leaves[0]!)!;
  const length = first.slots[k]!;
  const v = first.valid[k];
  const nulls = v ? bitmap(v, arena) : { nullBitmap: undefined, nullCount: 0 };
  const type = c.type;
  if (n.kind === 'list') {
    const child = build(n.child, k + 1, shreds, chunks, arena);
    return makeData({ type: type as never, length, ...nulls, valueOffsets: first.offsets[k]!, child } as never);
  }
  if (n.kind === 'struct') {
    const children = n.children.map((c) => build(c, k + 1, shreds, chunks, arena));
    return makeData({ type: type as never, length, ...nulls, children } as never);
  }
  return leafData(n, type, length, v ?? null, chunks.get(n.column)!, nulls, arena);
}

function leafData(n: LeafNode, type: DataType, length: number, valid: Uint8Array | null, chunk: ChunkData, nulls: { nullBitmap: Uint8Array | undefined; nullCount: number }, arena?: Arena): Data {
  const vals = chunk.values;
  const present = vals.n;
  if (valid ? present > length : present !== length) throw new DeserializationError(`${n.path} has ${present} values for ${length} slots`);
  if (n.leaf === 'utf8' || n.leaf === 'binary') {
    let offsets = vals.offsets!.subarray(0, vals.n + 1);
    if (valid) {
      // Null slots repeat the previous offset.
      const o = alloc(Int32Array, length + 1, arena);
      let j = 0;
      for (let i = 0; i < length; i++) {
        o[i] = offsets[j]!;
        if (valid[i]) j++;
      }
      if (j !== present) throw new DeserializationError(`${n.path} has ${present} values for ${j} non-null slots`);
      o[length] = offsets[j]!;
      offsets = o;
    }
    const data = (vals.data as Uint8Array).subarray(0, offsets[length]!);
    return makeData({ type: type as Utf8 | Binary, length, ...nulls, valueOffsets: offsets, data } as never);
  }
  let data: ArrayLike<number | bigint> & { subarray(a: number, b: number): unknown } = vals.data;
  let arr = scatter(vals.data, present, valid, length, arena);
  switch (n.leaf) {
    case 'bool': {
      const bits = alloc(Uint8Array, (length + 7) >> 3, arena, true);
      const b = arr as Uint8Array;
      for (let i = 0; i < length; i++) if (b[i]) bits[i >> 3]! |= 1 << (i & 7);
      return makeData({ type: type as Bool, length, ...nulls, data: bits } as never);
    }
    case 'int8':
      arr = narrow(Int8Array, arr as Int32Array, arena);
      break;
    case 'uint8':
      arr = narrow(Uint8Array, arr as Int32Array, arena);
      break;
    case 'int16':
      arr = narrow(Int16Array, arr as Int32Array, arena);
      break;
    case 'uint16':
      arr = narrow(Uint16Array, arr as Int32Array, arena);
      break;
    case 'uint32':
      arr = new Uint32Array(arr.buffer, arr.byteOffset, length);
      break;
    case 'uint64':
      arr = new BigUint64Array(arr.buffer, arr.byteOffset, length);
      break;
  }
  data = arr;
  return makeData({ type: type as never, length, ...nulls, data } as never);
}

type Typed = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** INT32 values in a narrower integer type (the same wrap-around as the typed array constructor). */
function narrow<T extends Int8Array | Uint8Array | Int16Array | Uint16Array>(C: { new (n: number): T; new (a: Int32Array): T; readonly BYTES_PER_ELEMENT: number }, src: Int32Array, arena: Arena | undefined): T {
  if (!arena) return new C(src);
  const out = arena.take(C, src.length);
  out.set(src);
  return out;
}

/** Values placed at their slots (nulls get zero), or the dense values when there are no nulls. */
function scatter(src: Typed, present: number, valid: Uint8Array | null, length: number, arena?: Arena): Typed {
  if (!valid) return src.subarray(0, length) as Typed;
  const C = src.constructor as { new (n: number): Typed; readonly BYTES_PER_ELEMENT: number };
  const out = arena ? arena.take(C, length, true) : new C(length);
  let j = 0;
  for (let i = 0; i < length; i++) if (valid[i]) (out as Float64Array)[i] = (src as Float64Array)[j++]!;
  if (j !== present) throw new DeserializationError(`${present} values for ${j} non-null slots`);
  return out;
}
