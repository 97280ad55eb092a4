// The Parquet writer's codecs against an independent decoder (hyparquet's): compact Thrift and
// the RLE/bit-packed hybrid of levels (property tests), and the BYTE_STREAM_SPLIT layout.
import fc from 'fast-check';
import { deserializeTCompactProtocol } from 'hyparquet/src/thrift.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import { describe, expect, it } from 'vitest';
import { CompactWriter, CT } from '../src/parquet/write/thrift.ts';
import { hybridBound, LevelRuns, writeHybrid, writeHybridRuns } from '../src/parquet/write/rle.ts';
import { bitWidth as bitWidthOf } from '../src/parquet/read/rle.ts';

type Value = { kind: 'i32'; v: number } | { kind: 'i64'; v: number } | { kind: 'bool'; v: boolean } | { kind: 'str'; v: string } | { kind: 'i8'; v: number } | { kind: 'list'; v: number[] } | { kind: 'struct'; v: [number, Value][] };

const scalar: fc.Arbitrary<Value> = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((v) => ({ kind: 'i32' as const, v })),
  fc.maxSafeInteger().map((v) => ({ kind: 'i64' as const, v })),
  fc.boolean().map((v) => ({ kind: 'bool' as const, v })),
  fc.string().map((v) => ({ kind: 'str' as const, v })),
  fc.integer({ min: -128, max: 127 }).map((v) => ({ kind: 'i8' as const, v })),
  fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 40 }).map((v) => ({ kind: 'list' as const, v })),
);
/** Struct members with increasing ids (gaps up to 40, so long-form field headers occur too). */
const members = (value: fc.Arbitrary<Value>): fc.Arbitrary<[number, Value][]> =>
  fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), value), { maxLength: 8 }).map((xs) => {
    let id = 0;
    return xs.map(([gap, v]) => [(id += gap), v] as [number, Value]);
  });
const value: fc.Arbitrary<Value> = fc.oneof(scalar, members(scalar).map((v) => ({ kind: 'struct' as const, v })));

function write(w: CompactWriter, id: number, x: Value): void {
  switch (x.kind) {
    case 'i32':
      return w.i32(id, x.v);
    case 'i64':
      return w.i64(id, x.v);
    case 'bool':
      return w.bool(id, x.v);
    case 'str':
      return w.str(id, x.v);
    case 'i8':
      return w.i8(id, x.v);
    case 'list':
      w.fieldHeader(id, CT.LIST);
      w.listHeader(x.v.length, CT.I32);
      for (const v of x.v) w.zigzag(v);
      return;
    case 'struct':
      return w.struct(id, () => x.v.forEach(([i, v]) => write(w, i, v)));
  }
}

/** What hyparquet's decoder returns for a value. */
function expected(x: Value): unknown {
  switch (x.kind) {
    case 'i64':
      return BigInt(x.v);
    case 'struct':
      return Object.fromEntries(x.v.map(([i, v]) => [`field_${i}`, expected(v)]));
    default:
      return x.v;
  }
}

describe('compact Thrift', () => {
  it('decodes with hyparquet to what was written (property)', () => {
    fc.assert(
      fc.property(members(value), (fields) => {
        const w = new CompactWriter(4);
        w.structBegin();
        for (const [id, v] of fields) write(w, id, v);
        w.structEnd();
        const bytes = w.copy();
        const reader = { view: new DataView(bytes.buffer), offset: 0 };
        const got = deserializeTCompactProtocol(reader);
        expect(reader.offset).toBe(bytes.length);
        // hyparquet decodes strings as bytes turned to text only where it knows the schema: compare as text.
        const norm = (o: unknown): unknown =>
          o instanceof Uint8Array ? new TextDecoder().decode(o) : Array.isArray(o) ? o.map(norm) : o && typeof o === 'object' && typeof o !== 'bigint' ? Object.fromEntries(Object.entries(o).map(([k, v]) => [k, norm(v)])) : o;
        expect(norm(got)).toEqual(expected({ kind: 'struct', v: fields }));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses integers it cannot write exactly', () => {
    expect(() => new CompactWriter().i64(1, 2 ** 53)).toThrow(/safe integer/);
  });
});

describe('RLE/bit-packed hybrid', () => {
  const levelArrays = fc.integer({ min: 1, max: 8 }).chain((width) =>
    fc
      .array(fc.tuple(fc.integer({ min: 0, max: 2 ** width - 1 }), fc.integer({ min: 1, max: 30 })), { maxLength: 60 })
      .map((runs) => ({ width, values: Uint8Array.from(runs.flatMap(([v, n]) => Array<number>(n).fill(v))) })),
  );

  it('decodes with hyparquet to the same levels, within the bound (property)', () => {
    fc.assert(
      fc.property(levelArrays, ({ width, values }) => {
        const out = new Uint8Array(hybridBound(values.length, width));
        const end = writeHybrid(values, width, out, 0);
        expect(end).toBeLessThanOrEqual(out.length);
        const decoded = new Array<number>(values.length);
        readRleBitPackedHybrid({ view: new DataView(out.buffer, 0, end), offset: 0 }, width, decoded, end);
        expect(decoded).toEqual(Array.from(values));
      }),
      { numRuns: 500 },
    );
  });

  // The encoding as a scan over the expanded levels makes it (the writer's before it encoded runs):
  // a run of 8 or more equal values from i is an RLE run; else bit-packed groups of 8 until one
  // ends where 8 equal values start.
  function scanEncode(values: Uint8Array, width: number): number[] {
    const out: number[] = [];
    const varint = (v: number): void => {
      for (; v >= 0x80; v >>>= 7) out.push((v & 0x7f) | 0x80);
      out.push(v);
    };
    const runOf8 = (i: number): boolean => i + 8 <= values.length && values.subarray(i, i + 8).every((v) => v === values[i]);
    let i = 0;
    while (i < values.length) {
      let r = i + 1;
      while (r < values.length && values[r] === values[i]) r++;
      if (r - i >= 8) {
        varint((r - i) * 2);
        out.push(values[i]!);
        i = r;
        continue;
      }
      const start = i;
      let groups = 0;
      do {
        i += 8;
        groups++;
      } while (i < values.length && !runOf8(i));
      varint((groups << 1) | 1);
      let acc = 0n;
      for (let k = 0; k < groups * 8; k++) acc |= BigInt(start + k < values.length ? values[start + k]! : 0) << BigInt(k * width);
      for (let b = 0; b < groups * width; b++) out.push(Number((acc >> BigInt(8 * b)) & 0xffn));
    }
    return out;
  }

  it('encoding runs gives the bytes of a scan over the expanded levels, pushed in any pieces (property)', () => {
    const pieces = fc.integer({ min: 1, max: 8 }).chain((width) =>
      fc.record({ width: fc.constant(width), pushes: fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** width - 1 }), fc.integer({ min: 1, max: 20 })), { maxLength: 80 }) }),
    );
    fc.assert(
      fc.property(pieces, ({ width, pushes }) => {
        const runs = new LevelRuns();
        for (const [v, n] of pushes) {
          runs.reserve(1);
          runs.push(v, n);
        }
        const values = Uint8Array.from(pushes.flatMap(([v, n]) => Array<number>(n).fill(v)));
        const out = new Uint8Array(hybridBound(values.length, width));
        const end = writeHybridRuns(runs, width, out, 0);
        expect(Array.from(out.subarray(0, end))).toEqual(scanEncode(values, width));
        expect(Array.from(out.subarray(0, writeHybrid(values, width, out, 0)))).toEqual(scanEncode(values, width));
      }),
      { numRuns: 1000 },
    );
  });

  it('uses RLE runs for long runs: a million equal levels take a few bytes', () => {
    const values = new Uint8Array(1_000_000).fill(1);
    const out = new Uint8Array(hybridBound(values.length, 1));
    expect(writeHybrid(values, 1, out, 0)).toBeLessThan(8);
  });

  it('bit widths', () => {
    expect([0, 1, 2, 3, 4, 7, 8, 255].map(bitWidthOf)).toEqual([0, 1, 2, 2, 3, 3, 4, 8]);
  });
});
