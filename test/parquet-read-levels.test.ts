/**
 * Issue 7, the projected Parquet reader's codecs: the RLE / bit-packed hybrid decoder against an
 * encoder written here from the format description (random widths, run mixes, padded last groups),
 * and levels -> Arrow for nested lists (three levels, nullable and required, empty lists) and lists
 * of structs, against Dremel shredding of random nested values done here from first principles.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataType, type Data } from 'apache-arrow';
import { bitWidth, decodeBitPacked, decodeHybrid } from '../src/parquet/read/rle.ts';
import { assembleField, type SharedOffsets } from '../src/parquet/read/assemble.ts';
import { buildSchema, type ArrowNode } from '../src/parquet/read/schema.ts';
import { Arena } from '../src/parquet/read/arena.ts';
import { Logical, PhysicalType, Repetition, type SchemaElement } from '../src/parquet/read/metadata.ts';
import { Values } from '../src/parquet/read/values.ts';
import type { ChunkData } from '../src/parquet/read/pages.ts';

/** Hybrid-encode `values` with runs chosen by `plan` (true: RLE run where values repeat). */
function encodeHybrid(values: number[], width: number, plan: boolean[]): Uint8Array {
  const out: number[] = [];
  const varint = (v: number): void => {
    while (v >= 0x80) {
      out.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(v);
  };
  const valueBytes = (width + 7) >> 3;
  let i = 0;
  let p = 0;
  while (i < values.length) {
    let run = 1;
    while (i + run < values.length && values[i + run] === values[i]) run++;
    if (plan[p++ % plan.length] && run >= 2) {
      varint(run * 2);
      for (let k = 0; k < valueBytes; k++) out.push(Math.floor(values[i]! / 2 ** (8 * k)) & 0xff);
      i += run;
    } else {
      const n = Math.min(values.length - i, 8 * (1 + (p % 3)));
      const groups = Math.ceil(n / 8);
      varint(groups * 2 + 1);
      const bits = new Array<number>(groups * 8 * width).fill(0);
      for (let k = 0; k < n; k++) for (let b = 0; b < width; b++) bits[k * width + b] = Math.floor(values[i + k]! / 2 ** b) % 2;
      for (let k = 0; k < bits.length; k += 8) {
        let byte = 0;
        for (let b = 0; b < 8; b++) byte |= bits[k + b]! << b;
        out.push(byte);
      }
      i += n;
    }
  }
  return Uint8Array.from(out);
}

describe('RLE / bit-packed hybrid', () => {
  it('decodes what the format-description encoder writes, any width 0-32 and run mix', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 32 }).chain((w) =>
          fc.tuple(
            fc.constant(w),
            fc.array(fc.oneof(fc.constant(0), w === 0 ? fc.constant(0) : fc.integer({ min: 0, max: 2 ** w - 1 })), { maxLength: 300 }),
            fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
          ),
        ),
        ([width, values, plan]) => {
          const bytes = width === 0 ? new Uint8Array(0) : encodeHybrid(values, width, plan);
          const out = width > 16 ? new Uint32Array(values.length + 3) : new Int32Array(values.length + 3);
          const end = decodeHybrid(bytes, 0, bytes.length, width, values.length, out, 3);
          expect(Array.from(out.subarray(3))).toEqual(values);
          expect(end).toBeLessThanOrEqual(bytes.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses runs past the end of the bytes', () => {
    const bytes = encodeHybrid([1, 2, 3, 1, 2, 3, 1, 2], 2, [false]);
    expect(() => decodeHybrid(bytes, 0, bytes.length - 1, 2, 8, new Int32Array(8))).toThrow(/truncated|ends/);
    expect(() => decodeHybrid(bytes, 0, bytes.length, 2, 16, new Int32Array(16))).toThrow(/ends after 8 of 16/);
  });

  it('bit widths of level maxima', () => {
    expect([0, 1, 2, 3, 4, 7, 8].map(bitWidth)).toEqual([0, 1, 2, 2, 3, 3, 4]);
  });
});

// Schema elements for a column `c` of `depth` nested lists of int32, each list and item optional or required.
function nestedListSchema(depth: number, nullable: boolean): SchemaElement[] {
  const rep = nullable ? Repetition.OPTIONAL : Repetition.REQUIRED;
  const el = (name: string, o: Partial<SchemaElement>): SchemaElement => ({ name, type: undefined, typeLength: undefined, repetition: rep, numChildren: 0, convertedType: undefined, logical: undefined, ...o });
  const out: SchemaElement[] = [el('schema', { repetition: Repetition.REQUIRED, numChildren: 1 })];
  let name = 'c';
  for (let k = 0; k < depth; k++) {
    out.push(el(name, { numChildren: 1, logical: { id: Logical.LIST }, convertedType: 3 }));
    out.push(el('list', { repetition: Repetition.REPEATED, numChildren: 1 }));
    name = 'item';
  }
  out.push(el(name, { type: PhysicalType.INT32 }));
  return out;
}

type Nested = null | number | Nested[];

/** Dremel shredding from the definition: list non-null +1, list has an element +1, item non-null +1 (optional nodes only). */
function shredNested(rows: Nested[], depth: number, nullable: boolean): { def: number[]; rep: number[]; values: number[] } {
  const def: number[] = [];
  const rep: number[] = [];
  const values: number[] = [];
  const emit = (d: number, r: number): void => {
    def.push(d);
    rep.push(r);
  };
  const write = (v: Nested, k: number, d: number, r: number): void => {
    if (k === depth) {
      if (v === null) return emit(d, r);
      values.push(v as number);
      return emit(d + (nullable ? 1 : 0), r);
    }
    if (v === null) return emit(d, r);
    const d1 = d + (nullable ? 1 : 0);
    const list = v as Nested[];
    if (list.length === 0) return emit(d1, r);
    list.forEach((e, i) => write(e, k + 1, d1 + 1, i === 0 ? r : k + 1));
  };
  for (const row of rows) write(row, 0, 0, 0);
  return { def, rep, values };
}

function chunkOf(def: number[], rep: number[], values: number[], maxDef: number, maxRep: number): ChunkData {
  const v = new Values(PhysicalType.INT32, def.length);
  const bytes = new Uint8Array(Int32Array.from(values).buffer);
  v.plain(bytes, 0, bytes.length, values.length);
  return { entries: def.length, def: maxDef ? Uint8Array.from(def) : null, rep: maxRep ? Uint8Array.from(rep) : null, values: v, levelsOf: -1 };
}

/** Arrow Data back to nested JS values through its offsets, validity and values. */
function toJs(d: Data, i: number): Nested | Record<string, Nested> {
  if (d.nullBitmap && d.nullCount > 0 && !((d.nullBitmap[(d.offset + i) >> 3]! >> ((d.offset + i) & 7)) & 1)) return null;
  if (DataType.isList(d.type)) {
    const o = d.valueOffsets as Int32Array;
    const out: Nested[] = [];
    for (let k = o[i]!; k < o[i + 1]!; k++) out.push(toJs(d.children[0]!, k) as Nested);
    return out;
  }
  if (DataType.isStruct(d.type)) {
    const out: Record<string, Nested> = {};
    (d.type.children as { name: string }[]).forEach((f, k) => (out[f.name] = toJs(d.children[k]!, i) as Nested));
    return out;
  }
  return Number(d.values[d.offset + i]);
}

/** A required schema element, then what differs. */
const el = (name: string, o: Partial<SchemaElement>): SchemaElement => ({ name, type: undefined, typeLength: undefined, repetition: Repetition.REQUIRED, numChildren: 0, convertedType: undefined, logical: undefined, ...o });

const nested = (depth: number, nullable: boolean): fc.Arbitrary<Nested> => {
  const leaf = nullable ? fc.option(fc.integer(), { nil: null }) : fc.integer();
  let arb: fc.Arbitrary<Nested> = leaf;
  for (let k = 0; k < depth; k++) {
    const list = fc.array(arb, { maxLength: 4 });
    arb = nullable ? fc.option(list, { nil: null, freq: 4 }) : list;
  }
  return arb;
};

describe('deprecated BIT_PACKED levels (old parquet-mr files)', () => {
  it('decodes values packed from the most significant bit down, any width 0-8', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }).chain((w) => fc.tuple(fc.constant(w), fc.array(fc.integer({ min: 0, max: 2 ** w - 1 }), { maxLength: 70 }))),
        ([width, values]) => {
          // Written here bit by bit from the format description: MSB first, no header, padded last byte.
          const bytes = new Uint8Array(Math.ceil((values.length * width) / 8) + 2).fill(0xee);
          bytes.fill(0, 0, Math.ceil((values.length * width) / 8));
          let bit = 0;
          for (const v of values) for (let b = width - 1; b >= 0; b--, bit++) if ((v >> b) & 1) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
          const out = new Uint8Array(values.length + 1).fill(99);
          const end = decodeBitPacked(bytes, 0, bytes.length, width, values.length, out, 1);
          expect(end).toBe(Math.ceil((values.length * width) / 8));
          expect([...out.subarray(1)]).toEqual(values);
          expect(out[0]).toBe(99);
        },
      ),
    );
  });

  it('refuses values that run past their bytes', () => {
    expect(() => decodeBitPacked(new Uint8Array(2), 0, 2, 3, 8, new Uint8Array(8))).toThrow(/run past/);
  });
});

describe('levels to Arrow offsets', () => {
  const arena = new Arena();
  for (const depth of [1, 2, 3]) {
    for (const nullable of [false, true]) {
      it(`${depth} level(s) of ${nullable ? 'nullable' : 'required'} lists, empty lists included`, () => {
        const node = buildSchema(nestedListSchema(depth, nullable)).fields.get('c') as ArrowNode;
        const maxDef = nullable ? 2 * depth + 1 : depth;
        fc.assert(
          fc.property(fc.array(nested(depth, nullable), { minLength: 1, maxLength: 30 }), (rows) => {
            const { def, rep, values } = shredNested(rows, depth, nullable);
            const data = assembleField(node, new Map([[0, chunkOf(def, rep, values, maxDef, depth)]]), rows.length);
            expect(data.length).toBe(rows.length);
            expect(rows.map((_, i) => toJs(data, i))).toEqual(rows);
            // Into an arena's reused memory (whatever earlier runs left there): the same.
            arena.reset();
            const pooled = assembleField(node, new Map([[0, chunkOf(def, rep, values, maxDef, depth)]]), rows.length, undefined, arena);
            expect(rows.map((_, i) => toJs(pooled, i))).toEqual(rows);
          }),
          { numRuns: 150 },
        );
      });
    }
  }

  it('a list of structs with a required and an optional field (two leaves, one structure)', () => {
    const schema = [
      el('schema', { numChildren: 1 }),
      el('s', { numChildren: 1, logical: { id: Logical.LIST } }),
      el('list', { repetition: Repetition.REPEATED, numChildren: 1 }),
      el('item', { numChildren: 2 }),
      el('a', { type: PhysicalType.INT32 }),
      el('b', { type: PhysicalType.INT32, repetition: Repetition.OPTIONAL }),
    ];
    const node = buildSchema(schema).fields.get('s') as ArrowNode;
    const item = fc.record({ a: fc.integer(), b: fc.option(fc.integer(), { nil: null }) });
    fc.assert(
      fc.property(fc.array(fc.array(item, { maxLength: 4 }), { minLength: 1, maxLength: 30 }), (rows) => {
        const a = { def: [] as number[], rep: [] as number[], values: [] as number[] };
        const b = { def: [] as number[], rep: [] as number[], values: [] as number[] };
        for (const row of rows) {
          if (row.length === 0) {
            for (const x of [a, b]) x.def.push(0), x.rep.push(0);
            continue;
          }
          row.forEach((it, i) => {
            const r = i === 0 ? 0 : 1;
            a.def.push(1), a.rep.push(r), a.values.push(it.a);
            b.rep.push(r);
            if (it.b === null) b.def.push(1);
            else b.def.push(2), b.values.push(it.b);
          });
        }
        const chunks = new Map([
          [0, chunkOf(a.def, a.rep, a.values, 1, 1)],
          [1, chunkOf(b.def, b.rep, b.values, 2, 1)],
        ]);
        const data = assembleField(node, chunks, rows.length);
        expect(rows.map((_, i) => toJs(data, i))).toEqual(rows);
      }),
      { numRuns: 150 },
    );
  });

  it('list columns of one row group share offsets only when their levels are identical', () => {
    // Two columns of one shape (a container's pt and eta), then one with other lists of the same
    // entry count: the first two share one offsets array, the third gets its own, all decode right.
    const node = buildSchema(nestedListSchema(1, false)).fields.get('c') as ArrowNode;
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer(), { maxLength: 4 }), { minLength: 2, maxLength: 30 }), fc.nat(), (rows, seed) => {
        const from = seed % rows.length;
        const target = from === rows.length - 1 ? 0 : rows.length - 1;
        const a = shredNested(rows, 1, false);
        const b = shredNested(rows.map((r) => r.map((x) => x ^ 1)), 1, false);
        const shared: SharedOffsets = [];
        const da = assembleField(node, new Map([[0, chunkOf(a.def, a.rep, a.values, 1, 1)]]), rows.length, shared);
        const db = assembleField(node, new Map([[0, chunkOf(b.def, b.rep, b.values, 1, 1)]]), rows.length, shared);
        expect(db.valueOffsets).toBe(da.valueOffsets);
        expect(rows.map((_, i) => toJs(db, i))).toEqual(rows.map((r) => r.map((x) => x ^ 1)));
        // Same entry count, other structure: an element moved between two non-empty rows.
        if (rows[from]!.length < 2 || rows[target]!.length < 1) return;
        const moved = rows.map((r, i) => (i === from ? r.slice(1) : i === target ? [...r, 7] : r));
        const c = shredNested(moved, 1, false);
        expect(c.def.length).toBe(a.def.length);
        const dc = assembleField(node, new Map([[0, chunkOf(c.def, c.rep, c.values, 1, 1)]]), rows.length, shared);
        expect(dc.valueOffsets).not.toBe(da.valueOffsets);
        expect(moved.map((_, i) => toJs(dc, i))).toEqual(moved);
      }),
      { numRuns: 200 },
    );
  });

  it('the fields of a list of lists of structs share one structure when shared offsets are kept', () => {
    const schema = [
      el('schema', { numChildren: 1 }),
      el('s', { numChildren: 1, logical: { id: Logical.LIST } }),
      el('list', { repetition: Repetition.REPEATED, numChildren: 1 }),
      el('element', { numChildren: 1, logical: { id: Logical.LIST } }),
      el('list', { repetition: Repetition.REPEATED, numChildren: 1 }),
      el('item', { numChildren: 2 }),
      el('a', { type: PhysicalType.INT32 }),
      el('b', { type: PhysicalType.INT32 }),
    ];
    const node = buildSchema(schema).fields.get('s') as ArrowNode;
    const item = fc.record({ a: fc.integer(), b: fc.integer() });
    fc.assert(
      fc.property(fc.array(fc.array(fc.array(item, { maxLength: 3 }), { maxLength: 3 }), { minLength: 1, maxLength: 20 }), (rows) => {
        const a = shredNested(rows.map((r) => r.map((l) => l.map((x) => x.a))), 2, false);
        const b = shredNested(rows.map((r) => r.map((l) => l.map((x) => x.b))), 2, false);
        const chunks = new Map([
          [0, chunkOf(a.def, a.rep, a.values, 2, 2)],
          [1, chunkOf(b.def, b.rep, b.values, 2, 2)],
        ]);
        const shared: SharedOffsets = [];
        const data = assembleField(node, chunks, rows.length, shared);
        expect(shared.length).toBe(1);
        expect(rows.map((_, i) => toJs(data, i))).toEqual(rows);
      }),
      { numRuns: 150 },
    );
  });

  it('refuses more rows in a chunk than in its row group', () => {
    const node = buildSchema(nestedListSchema(1, false)).fields.get('c') as ArrowNode;
    const { def, rep, values } = shredNested([[1], [2, 3], []], 1, false);
    expect(() => assembleField(node, new Map([[0, chunkOf(def, rep, values, 1, 1)]]), 2)).toThrow(/rows/);
  });
});
