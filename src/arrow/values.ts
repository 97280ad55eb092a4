/**
 * Arrow Data -> plain JS values, one entry at a time (for `dump`, tests and small reads; never on a
 * hot path). 64-bit integers come back as bigint, so nothing above 2^53 is rounded; int8 stays a
 * number, bool a boolean, lists arrays, structs objects with their field names.
 */
import { type Data, Type, type Struct, type FixedSizeList } from 'apache-arrow';

const utf8 = new TextDecoder('utf-8');

export type JsValue = number | bigint | boolean | string | null | JsValue[] | { [k: string]: JsValue };

/**
 * Arrow JS slices a Data's offsets and value buffers (and a struct's or fixed-size list's children)
 * with it, so entries are indexed from 0; only a boolean bitmap stays whole and needs `offset`.
 */
export function valueAt(d: Data, index: number): JsValue {
  const i = index;
  switch (d.type.typeId) {
    case Type.List: {
      const o = d.valueOffsets as Int32Array;
      const child = d.children[0]!;
      const out: JsValue[] = [];
      for (let k = o[i]!; k < o[i + 1]!; k++) out.push(valueAt(child, k));
      return out;
    }
    case Type.FixedSizeList: {
      const size = (d.type as FixedSizeList).listSize;
      const child = d.children[0]!;
      const out: JsValue[] = [];
      for (let k = i * size; k < (i + 1) * size; k++) out.push(valueAt(child, k));
      return out;
    }
    case Type.Struct: {
      const fields = (d.type as Struct).children;
      const out: { [k: string]: JsValue } = {};
      fields.forEach((f, k) => {
        out[f.name] = valueAt(d.children[k]!, i);
      });
      return out;
    }
    case Type.Utf8: {
      const o = d.valueOffsets as Int32Array;
      return utf8.decode((d.values as Uint8Array).subarray(o[i]!, o[i + 1]!));
    }
    case Type.Bool: {
      const bits = d.values as Uint8Array;
      const b = d.offset + i;
      return ((bits[b >> 3]! >> (b & 7)) & 1) === 1;
    }
    case Type.Int:
    case Type.Float:
      return (d.values as unknown as ArrayLike<number | bigint>)[i]!;
    case Type.Null:
      return null;
    default:
      throw new Error(`no JS conversion for Arrow type ${d.type}`);
  }
}

export function toValues(d: Data): JsValue[] {
  const out = new Array<JsValue>(d.length);
  for (let i = 0; i < d.length; i++) out[i] = valueAt(d, i);
  return out;
}
