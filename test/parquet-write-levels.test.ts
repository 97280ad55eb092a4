// Dremel levels computed from Arrow offsets and validity (src/parquet/write/levels.ts) on
// hand-built nested data: empty lists at every depth, zero rows, three list levels, nulls, slices.
import { type Data, type DataType, Field, FixedSizeList, Float32, Int32, List, Schema, Struct, Uint8, makeData, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { general, leafLevels, levelRuns, type LeafLevels } from '../src/parquet/write/levels.ts';
import { LevelRuns } from '../src/parquet/write/rle.ts';
import { ColumnChunkWriter, Scratch } from '../src/parquet/write/column-chunk.ts';
import { compressor } from '../src/parquet/write/compress.ts';
import { FileSink } from '../src/parquet/write/sink.ts';
import { CompactWriter } from '../src/parquet/write/thrift.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writerSchema } from '../src/parquet/write/schema.ts';

const f32 = (xs: number[]): Data => makeData({ type: new Float32(), length: xs.length, nullCount: 0, data: Float32Array.from(xs) });
const i32 = (xs: number[]): Data => makeData({ type: new Int32(), length: xs.length, nullCount: 0, data: Int32Array.from(xs) });
const list = (child: Data, offsets: number[], nullable = false): Data =>
  makeData({ type: new List(new Field('item', child.type, nullable)), length: offsets.length - 1, nullCount: 0, valueOffsets: Int32Array.from(offsets), child });

/** The levels as arrays: those of the general path, or those a shape's runs expand to. */
function expanded(l: LeafLevels): LeafLevels {
  if (!l.shape) return l;
  const of = (rep: boolean): Uint8Array => {
    const runs = new LevelRuns();
    levelRuns(l.shape!, 0, l.shape!.rows, rep, runs);
    const out: number[] = [];
    for (let i = 0; i < runs.count; i++) {
      expect(runs.lengths[i]).toBeGreaterThan(0);
      if (i > 0) expect(runs.values[i]).not.toBe(runs.values[i - 1]);
      for (let k = 0; k < runs.lengths[i]!; k++) out.push(runs.values[i]!);
    }
    return Uint8Array.from(out);
  };
  const def = of(false);
  expect(def.length).toBe(l.entries);
  return { ...l, def, rep: of(true) };
}

function levels(data: Data, nullable = false, leaf = 0): LeafLevels & { valuesOf: number[] } {
  const { leaves } = writerSchema(new Schema([new Field('c', data.type as DataType, nullable)]), { byteStreamSplit: false });
  const l = expanded(leafLevels(data, leaves[leaf]!));
  const src = l.leaf.values as ArrayLike<number>;
  const valuesOf = Array.from({ length: l.values }, (_, k) => src[l.indices ? l.indices[k]! : l.lo + k]!);
  return { ...l, valuesOf };
}

const arr = (a: Uint8Array | null): number[] | null => (a ? Array.from(a) : null);

describe('levels from Arrow', () => {
  it('a list with an empty row', () => {
    const l = levels(list(f32([1, 2, 3]), [0, 2, 2, 3]));
    expect(arr(l.def)).toEqual([1, 1, 0, 1]);
    expect(arr(l.rep)).toEqual([0, 1, 0, 0]);
    expect(l.valuesOf).toEqual([1, 2, 3]);
  });

  it('two levels: an empty inner list and an empty outer list', () => {
    // [[[1, 2], []], [], [[3]]]
    const l = levels(list(list(f32([1, 2, 3]), [0, 2, 2, 3]), [0, 2, 2, 3]));
    expect(arr(l.def)).toEqual([2, 2, 1, 0, 2]);
    expect(arr(l.rep)).toEqual([0, 2, 1, 0, 0]);
    expect(l.valuesOf).toEqual([1, 2, 3]);
  });

  it('three levels', () => {
    // [ [[[1], []], []], [[[2, 3]]] ]
    const inner = list(i32([1, 2, 3]), [0, 1, 1, 3]); // [1], [], [2, 3]
    const middle = list(inner, [0, 2, 2, 3]); // [[1], []], [], [[2, 3]]
    const outer = list(middle, [0, 2, 3]);
    const l = levels(outer);
    expect(arr(l.def)).toEqual([3, 2, 1, 3, 3]);
    expect(arr(l.rep)).toEqual([0, 2, 1, 0, 3]);
    expect(l.valuesOf).toEqual([1, 2, 3]);
    expect(l.entries).toBe(5);
  });

  it('zero rows', () => {
    for (const d of [f32([]), list(f32([]), [0]), list(list(f32([]), [0]), [0])]) {
      const l = levels(d);
      expect(l.entries).toBe(0);
      expect(l.values).toBe(0);
    }
  });

  it('a required flat column has no levels', () => {
    const l = levels(f32([5, 6]));
    expect(l.def).toBeNull();
    expect(l.rep).toBeNull();
    expect(l.valuesOf).toEqual([5, 6]);
  });

  it('struct members inside a list share the list levels', () => {
    const a = f32([1, 2, 3]);
    const b = makeData({ type: new Uint8(), length: 3, nullCount: 0, data: Uint8Array.from([7, 8, 9]) });
    const s = makeData({ type: new Struct([new Field('first', a.type, false), new Field('second', b.type, false)]), length: 3, nullCount: 0, children: [a, b] });
    const d = list(s, [0, 0, 3]);
    const second = levels(d, false, 1);
    expect(arr(second.def)).toEqual([0, 1, 1, 1]);
    expect(arr(second.rep)).toEqual([0, 0, 1, 1]);
    expect(second.valuesOf).toEqual([7, 8, 9]);
  });

  it('a fixed-size list', () => {
    const d = makeData({ type: new FixedSizeList(2, new Field('item', new Float32(), false)), length: 2, nullCount: 0, child: f32([1, 2, 3, 4]) } as never);
    const l = levels(d);
    expect(arr(l.def)).toEqual([1, 1, 1, 1]);
    expect(arr(l.rep)).toEqual([0, 1, 0, 1]);
    expect(l.valuesOf).toEqual([1, 2, 3, 4]);
  });

  it('a sliced list (Arrow offsets relative to the slice)', () => {
    const whole = list(f32([1, 2, 3]), [0, 2, 2, 3]);
    const l = levels(whole.slice(1, 2));
    expect(arr(l.def)).toEqual([0, 1]);
    expect(arr(l.rep)).toEqual([0, 0]);
    expect(l.valuesOf).toEqual([3]);
  });

  it('nulls: a null list, a null item, an empty list', () => {
    // [[1, null], null, []] with an optional list of optional items: maxDef 3.
    const v = vectorFromArray([[1, null], null, []], new List(new Field('item', new Int32(), true)));
    const l = levels(v.data[0]!, true);
    expect(arr(l.def)).toEqual([3, 2, 0, 1]);
    expect(arr(l.rep)).toEqual([0, 1, 0, 0]);
    expect(l.valuesOf).toEqual([1]);
  });

  it('a nullable flat column with nulls', () => {
    const v = vectorFromArray([1.5, null, 2.5], new Float32());
    const l = levels(v.data[0]!, true);
    expect(arr(l.def)).toEqual([1, 0, 1]);
    expect(l.rep).toBeNull();
    expect(l.valuesOf).toEqual([1.5, 2.5]);
  });
});

describe('fast paths agree with the general algorithm', () => {
  // Random shapes: rows of lists of lists (of lists), with empty lists anywhere, under a struct.
  const shape = fc.array(fc.array(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }), { maxLength: 3 }), { maxLength: 6 });
  const build = (rows: number[][][], depth: number): Data => {
    const o1 = [0];
    const o2 = [0];
    const o3 = [0];
    let v = 0;
    for (const r of rows) {
      for (const inner of depth === 1 ? [] : r) {
        for (const n of depth === 2 ? [] : inner) o3.push(o3.at(-1)! + n);
        o2.push(depth === 2 ? o2.at(-1)! + inner.length : o3.length - 1);
      }
      o1.push(depth === 1 ? o1.at(-1)! + r.length : o2.length - 1);
    }
    v = depth === 1 ? o1.at(-1)! : depth === 2 ? o2.at(-1)! : o3.at(-1)!;
    let d = f32(Array.from({ length: v }, (_, i) => i));
    if (depth === 3) d = list(d, o3);
    if (depth >= 2) d = list(d, o2);
    d = list(d, o1);
    return makeData({ type: new Struct([new Field('x', d.type, false)]), length: rows.length, nullCount: 0, children: [d] });
  };
  it.each([1, 2, 3])('%i list level(s) (property)', (depth) => {
    fc.assert(
      fc.property(shape, fc.nat(3), (rows, cut) => {
        const c = Math.min(cut, rows.length);
        const data = build(rows, depth).slice(c, rows.length - c);
        const { leaves } = writerSchema(new Schema([new Field('c', data.type, false)]), { byteStreamSplit: false });
        const fast = expanded(leafLevels(data, leaves[0]!));
        if (data.length === 0) {
          expect(fast.entries).toBe(0);
          return;
        }
        const slow = general(data, leaves[0]!, data.length);
        expect([fast.entries, arr(fast.def), arr(fast.rep), fast.values, fast.values && fast.lo, fast.indices]).toEqual([slow.entries, arr(slow.def), arr(slow.rep), slow.values, slow.values && slow.lo, slow.indices]);
      }),
      { numRuns: 300 },
    );
  });

  it.each([1, 2])('pages from list offsets are the bytes of pages from level arrays, %i list level(s) (property)', (depth) => {
    const dir = mkdtempSync(join(tmpdir(), 'levels-'));
    try {
      fc.assert(
        fc.property(fc.array(shape, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 40 }), (batches, pageBytes) => {
          const write = (name: string, levelsOf: (d: Data, leaf: Parameters<typeof leafLevels>[1]) => LeafLevels): Buffer => {
            const path = join(dir, name);
            const sink = new FileSink(path);
            const datas = batches.map((rows) => build(rows, depth));
            const { leaves } = writerSchema(new Schema([new Field('c', datas[0]!.type, false)]), { byteStreamSplit: false });
            const chunk = new ColumnChunkWriter(leaves[0]!, compressor('UNCOMPRESSED', 0), sink, new Scratch(), pageBytes);
            for (const d of datas) if (d.length > 0) chunk.add(levelsOf(d, leaves[0]!));
            const meta = new CompactWriter();
            chunk.finish(meta);
            sink.write(meta.view());
            sink.finish();
            return readFileSync(path);
          };
          const fromShape = write('shape', (d, leaf) => leafLevels(d, leaf));
          const fromArrays = write('arrays', (d, leaf) => general(d, leaf, d.length));
          expect(fromShape.equals(fromArrays)).toBe(true);
        }),
        { numRuns: 300 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
