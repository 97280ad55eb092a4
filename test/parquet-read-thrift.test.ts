/**
 * Issue 7, the projected reader's footer stepping (column-chunk shapes inline, rarer types through
 * the per-value stepper): CompactCursor.skipStruct over random Thrift
 * compact structs (integers, binaries, booleans, bytes, doubles, lists of each, nested structs,
 * long-form field ids) written by the project's writer, lands exactly after the struct, and a
 * truncated struct is refused, never read past.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompactCursor } from '../src/parquet/read/thrift.ts';
import { CompactWriter, CT } from '../src/parquet/write/thrift.ts';

type Value =
  | { t: 'i32'; v: number }
  | { t: 'i64'; v: number }
  | { t: 'bin'; v: Uint8Array }
  | { t: 'bool'; v: boolean }
  | { t: 'byte'; v: number }
  | { t: 'double' }
  | { t: 'list'; of: 'i32' | 'bin' | 'struct'; items: (number | Uint8Array | Field[])[] }
  | { t: 'struct'; fields: Field[] };
type Field = { id: number; value: Value };

const { tree } = fc.letrec<{ tree: Field[]; value: Value }>((rec) => ({
  tree: fc.array(fc.record({ id: fc.integer({ min: 1, max: 40 }), value: rec('value') as fc.Arbitrary<Value> }), { maxLength: 6 }),
  value: fc.oneof(
    { depthSize: 'small' },
    fc.record({ t: fc.constant('i32' as const), v: fc.integer() }),
    fc.record({ t: fc.constant('i64' as const), v: fc.integer({ min: -(2 ** 52), max: 2 ** 52 }) }),
    fc.record({ t: fc.constant('bin' as const), v: fc.uint8Array({ maxLength: 40 }) }),
    fc.record({ t: fc.constant('bool' as const), v: fc.boolean() }),
    fc.record({ t: fc.constant('byte' as const), v: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ t: fc.constant('double' as const) }),
    fc.oneof(
      fc.record({ t: fc.constant('list' as const), of: fc.constant('i32' as const), items: fc.array(fc.integer(), { maxLength: 20 }) }),
      fc.record({ t: fc.constant('list' as const), of: fc.constant('bin' as const), items: fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 20 }) }),
      fc.record({ t: fc.constant('list' as const), of: fc.constant('struct' as const), items: fc.array(rec('tree') as fc.Arbitrary<Field[]>, { maxLength: 3 }) }),
    ),
    fc.record({ t: fc.constant('struct' as const), fields: rec('tree') as fc.Arbitrary<Field[]> }),
  ),
}));

function writeFields(w: CompactWriter, fields: Field[]): void {
  // Field ids ascend as in real structs; equal ones are made distinct, far jumps take the long form.
  let id = 0;
  for (const f of fields) {
    id += f.id;
    const v = f.value;
    if (v.t === 'i32') w.i32(id, v.v);
    else if (v.t === 'i64') w.i64(id, v.v);
    else if (v.t === 'bin') w.binary(id, v.v);
    else if (v.t === 'bool') w.bool(id, v.v);
    else if (v.t === 'byte') w.i8(id, v.v);
    else if (v.t === 'double') {
      w.fieldHeader(id, CT.DOUBLE);
      w.raw(new Uint8Array(8).fill(0xff));
    } else if (v.t === 'struct') w.struct(id, () => writeFields(w, v.fields));
    else {
      w.fieldHeader(id, CT.LIST);
      w.listHeader(v.items.length, v.of === 'i32' ? CT.I32 : v.of === 'bin' ? CT.BINARY : CT.STRUCT);
      for (const item of v.items) {
        if (v.of === 'i32') w.zigzag(item as number);
        else if (v.of === 'bin') w.bytes(item as Uint8Array);
        else {
          w.structBegin();
          writeFields(w, item as Field[]);
          w.structEnd();
        }
      }
    }
  }
}

function encode(fields: Field[]): Uint8Array {
  const w = new CompactWriter();
  w.structBegin();
  writeFields(w, fields);
  w.structEnd();
  return w.copy();
}

describe('Thrift compact skipping (footer stepping)', () => {
  it('skipStruct ends exactly after any struct, after bytes before it', () => {
    fc.assert(
      fc.property(tree, fc.uint8Array({ maxLength: 5 }), (fields, lead) => {
        const body = encode(fields);
        const bytes = new Uint8Array(lead.length + body.length + 3);
        bytes.set(lead);
        bytes.set(body, lead.length);
        const c = new CompactCursor(bytes, lead.length);
        c.skipStruct();
        expect(c.pos).toBe(lead.length + body.length);
      }),
      { numRuns: 400 },
    );
  });

  it('a truncated struct is refused', () => {
    fc.assert(
      fc.property(tree, fc.nat(), (fields, cut) => {
        const body = encode(fields);
        const short = body.subarray(0, cut % body.length);
        expect(() => new CompactCursor(short, 0).skipStruct()).toThrow(/Thrift/);
      }),
      { numRuns: 400 },
    );
  });

  it('skipStructs notes where each of consecutive structs starts and ends after the last; a truncated one is refused', () => {
    fc.assert(
      fc.property(fc.array(tree, { minLength: 1, maxLength: 5 }), fc.nat(), (structs, cut) => {
        const bodies = structs.map(encode);
        const all = new Uint8Array(bodies.reduce((n, b) => n + b.length, 0));
        const want: number[] = [];
        let at = 0;
        for (const b of bodies) {
          want.push(at);
          all.set(b, at);
          at += b.length;
        }
        const starts = new Int32Array(bodies.length);
        const c = new CompactCursor(all, 0);
        c.skipStructs(starts);
        expect([...starts]).toEqual(want);
        expect(c.pos).toBe(all.length);
        const short = all.subarray(0, cut % all.length);
        expect(() => new CompactCursor(short, 0).skipStructs(new Int32Array(bodies.length))).toThrow(/Thrift/);
      }),
      { numRuns: 300 },
    );
  });
});
