/**
 * The view an analysis gets of one batch of events: columns by the analysis's own logical names
 * (resolved to the file's column names before reading), as flat typed arrays and offsets. Nothing
 * here copies per event; list columns come back as (offsets, values) over Arrow's own buffers.
 */
import { type Data, DataType, type Struct } from 'apache-arrow';
import { UsageError } from '../errors.ts';
import type { NumArray } from './collection.ts';
import { KERNEL_RANGE } from './kernel-range.ts';

export interface Jagged<T = NumArray> {
  /** rows + 1 offsets into `values` (may start above 0). */
  offsets: Int32Array;
  values: T;
}

export class Events {
  readonly rows: number;
  readonly file: string;
  private readonly data: Map<string, Data>;

  constructor(file: string, rows: number, data: Map<string, Data>) {
    this.file = file;
    this.rows = rows;
    this.data = data;
  }

  /** Whether the logical column was found in this file. */
  has(name: string): boolean {
    return this.data.has(name);
  }

  /** The Arrow data of a column (for types the helpers below do not cover). */
  raw(name: string): Data {
    const d = this.data.get(name);
    if (!d) throw new UsageError(`column ${name} was not declared or is absent from ${this.file}: check has() first for optional columns`);
    return d;
  }

  /** A scalar numeric column (one value per event). */
  scalar(name: string): NumArray {
    const d = this.raw(name);
    if (DataType.isList(d.type) || DataType.isStruct(d.type)) throw new UsageError(`column ${name} is ${String(d.type)}, not a scalar`);
    return numeric(d, name);
  }

  /** A list column of numbers (one list per event). */
  jagged(name: string): Jagged {
    const d = this.raw(name);
    if (!DataType.isList(d.type)) throw new UsageError(`column ${name} is ${String(d.type)}, not a list`);
    const child = d.children[0]!;
    return { offsets: listOffsets(d), values: numeric(child, name) };
  }

  /** A list of structs (e.g. List<ElementLink>): offsets and one flat array per struct field. */
  jaggedStruct(name: string): Jagged<Record<string, NumArray>> {
    const d = this.raw(name);
    const child = d.children[0];
    if (!DataType.isList(d.type) || !child || !DataType.isStruct(child.type)) throw new UsageError(`column ${name} is ${String(d.type)}, not a list of structs`);
    const values: Record<string, NumArray> = {};
    (child.type as Struct).children.forEach((f, i) => {
      const c = child.children[i]!;
      values[f.name] = numeric(c, `${name}.${f.name}`);
    });
    return { offsets: listOffsets(d), values };
  }

  /** A list of lists of structs (e.g. vector<vector<ElementLink>>): outer offsets, inner offsets, fields. */
  jaggedJaggedStruct(name: string): { outer: Int32Array; inner: Int32Array; values: Record<string, NumArray> } {
    const d = this.raw(name);
    const mid = d.children[0];
    const leaf = mid?.children[0];
    if (!DataType.isList(d.type) || !mid || !DataType.isList(mid.type) || !leaf || !DataType.isStruct(leaf.type)) {
      throw new UsageError(`column ${name} is ${String(d.type)}, not a list of lists of structs`);
    }
    const values: Record<string, NumArray> = {};
    (leaf.type as Struct).children.forEach((f, i) => {
      values[f.name] = numeric(leaf.children[i]!, `${name}.${f.name}`);
    });
    return { outer: listOffsets(d), inner: listOffsets(mid), values };
  }

  /** A list of strings: the index of the first item equal to `text` in each event (-1 if none), as absolute item index. */
  findString(name: string, text: string): Int32Array {
    const d = this.raw(name);
    const child = d.children[0];
    if (!DataType.isList(d.type) || !child || !DataType.isUtf8(child.type)) throw new UsageError(`column ${name} is ${String(d.type)}, not a list of strings`);
    const want = new TextEncoder().encode(text);
    const offsets = listOffsets(d);
    const so = child.valueOffsets as Int32Array;
    const bytes = child.values as Uint8Array;
    const rows = this.rows;
    // Four bytes at a time (the names of one event are mostly of one length).
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const wv = new DataView(want.buffer, want.byteOffset, want.byteLength);
    const out = new Int32Array(rows).fill(-1);
    // In ranges of rows (see kernel-range.ts).
    for (let s = 0; s < rows; s += KERNEL_RANGE) findRange(offsets, so, bytes, view, want, wv, out, s, Math.min(rows, s + KERNEL_RANGE));
    return out;
  }
}

function findRange(offsets: Int32Array, so: Int32Array, bytes: Uint8Array, view: DataView, want: Uint8Array, wv: DataView, out: Int32Array, i0: number, i1: number): void {
  const n = want.length;
  for (let i = i0; i < i1; i++) {
    for (let j = offsets[i]!, end = offsets[i + 1]!; j < end; j++) {
      const a = so[j]!;
      if (so[j + 1]! - a !== n) continue;
      let k = 0;
      while (k + 4 <= n && view.getUint32(a + k, true) === wv.getUint32(k, true)) k += 4;
      if (k + 4 <= n) continue;
      while (k < n && bytes[a + k] === want[k]) k++;
      if (k === n) {
        out[i] = j;
        break;
      }
    }
  }
}

/**
 * The offsets of a list column, rows + 1 entries into the child. (Arrow JS slices value and offset
 * buffers when it slices Data; `offset` only positions validity and boolean bitmaps.)
 */
function listOffsets(d: Data): Int32Array {
  return (d.valueOffsets as Int32Array).subarray(0, d.length + 1);
}

function numeric(d: Data, name: string): NumArray {
  const t = d.type;
  if (DataType.isBool(t)) {
    // Bit-packed: expand to bytes.
    const out = new Uint8Array(d.length);
    const bits = d.values as Uint8Array;
    const start = d.offset;
    for (let i = 0; i < d.length; i++) out[i] = (bits[(start + i) >> 3]! >> ((start + i) & 7)) & 1;
    return out;
  }
  if (!DataType.isInt(t) && !DataType.isFloat(t)) throw new UsageError(`column ${name} holds ${String(t)}, not numbers`);
  const v = d.values as NumArray | BigInt64Array | BigUint64Array;
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
    throw new UsageError(`column ${name} holds 64-bit integers: read it with raw() to keep it exact`);
  }
  return v as NumArray;
}

