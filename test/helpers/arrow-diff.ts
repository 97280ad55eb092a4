/**
 * Value-for-value comparison of two apache-arrow Data trees (types, lengths, null counts and
 * validity, list and string offsets relative to their first, struct children, values; NaN equals
 * NaN). Returns the first difference as text, or null.
 */
import { type Data, DataType } from 'apache-arrow';

function bit(d: Data, bits: Uint8Array | null | undefined, i: number): number {
  if (!bits || bits.length === 0) return 1;
  const k = d.offset + i;
  return (bits[k >> 3]! >> (k & 7)) & 1;
}

export function arrowDiff(a: Data, b: Data, path = ''): string | null {
  if (String(a.type) !== String(b.type)) return `${path}: type ${a.type} vs ${b.type}`;
  if (a.length !== b.length) return `${path}: length ${a.length} vs ${b.length}`;
  if (a.nullCount !== b.nullCount) return `${path}: ${a.nullCount} vs ${b.nullCount} nulls`;
  if (a.nullCount > 0) for (let i = 0; i < a.length; i++) if (bit(a, a.nullBitmap, i) !== bit(b, b.nullBitmap, i)) return `${path}: validity of ${i}`;
  const t = a.type;
  if (DataType.isList(t) || DataType.isUtf8(t) || DataType.isBinary(t)) {
    const oa = a.valueOffsets as Int32Array;
    const ob = b.valueOffsets as Int32Array;
    const ba = oa[0]!;
    const bb = ob[0]!;
    for (let i = 0; i <= a.length; i++) if (oa[i]! - ba !== ob[i]! - bb) return `${path}: offset ${i}: ${oa[i]! - ba} vs ${ob[i]! - bb}`;
    const n = oa[a.length]! - ba;
    if (DataType.isList(t)) return arrowDiff(a.children[0]!.slice(ba, n), b.children[0]!.slice(bb, n), `${path}[]`);
    const va = a.values as Uint8Array;
    const vb = b.values as Uint8Array;
    for (let i = 0; i < n; i++) if (va[ba + i] !== vb[bb + i]) return `${path}: byte ${i} of the strings`;
    return null;
  }
  if (DataType.isStruct(t)) {
    for (let i = 0; i < a.children.length; i++) {
      const d = arrowDiff(a.children[i]!, b.children[i]!, `${path}.${t.children[i]!.name}`);
      if (d) return d;
    }
    return null;
  }
  const isBool = DataType.isBool(t);
  for (let i = 0; i < a.length; i++) {
    if (a.nullCount > 0 && !bit(a, a.nullBitmap, i)) continue; // a null slot's value is unspecified
    // Arrow JS slices the value buffer of a sliced Data (offset positions only bitmaps).
    const x = isBool ? bit(a, a.values as Uint8Array, i) : a.values[i];
    const y = isBool ? bit(b, b.values as Uint8Array, i) : b.values[i];
    if (!(x === y || (Number.isNaN(x) && Number.isNaN(y)))) return `${path}: value ${i}: ${x} vs ${y}`;
  }
  return null;
}
