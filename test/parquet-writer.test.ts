// The project's streaming Parquet writer end to end: files read back by hyparquet and DuckDB (two
// readers sharing no code with it) to the values written, for any row-group and page cuts;
// statistics at the edges (uint64 above 2^53, NaN, -0); the ARROW:schema restoring the Arrow
// schema; determinism; compression variants; a failing source; and the footer memory of issue 5.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bool, type DataType, Field, FixedSizeList, Float32, Float64, Int8, Int32, List, RecordBatch, Schema, Struct, Uint32, Uint64, Utf8, makeData, tableFromIPC, vectorFromArray } from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { afterAll, describe, expect, it } from 'vitest';
import { toValues } from '../src/arrow/values.ts';
import { readFooterSummary } from '../src/parquet/footer.ts';
import { writeParquet } from './helpers/write-parquet.ts';
import { ParquetFileWriter } from '../src/parquet/write/file-writer.ts';
import { duckColumns, json } from './helpers/parquet-check.ts';

const dir = mkdtempSync(join(tmpdir(), 'physlite-pqw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const path = (): string => join(dir, `f${n++}.parquet`);

const listOf = (t: DataType, nullable = false): List => new List(new Field('item', t, nullable));
const pair = new Struct([new Field('first', new Utf8(), false), new Field('second', new Utf8(), false)]);
const fields = [
  new Field('f', new Float32(), false, new Map([['root.branch', 'A.f'], ['root.type', 'float']])),
  new Field('u64', new Uint64(), false),
  new Field('u32', new Uint32(), false),
  new Field('i8', new Int8(), false),
  new Field('b', new Bool(), false),
  new Field('ll', listOf(listOf(new Float32())), false),
  new Field('lll', listOf(listOf(listOf(new Int32()))), false),
  new Field('pairs', listOf(pair), false),
  new Field('opt', new Float64(), true),
  new Field('fixed', new FixedSizeList(2, new Field('item', new Float32(), false)), false),
];
const schema = new Schema(fields);

type Row = { f: number; u64: bigint; u32: number; i8: number; b: boolean; ll: number[][]; lll: number[][][]; pairs: { first: string; second: string }[]; opt: number | null; fixed: number[] };

const float = fc.oneof(fc.float({ noDefaultInfinity: false }), fc.constantFrom(Number.NaN, -0, 0));
const row: fc.Arbitrary<Row> = fc.record({
  f: float,
  u64: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  u32: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  i8: fc.integer({ min: -128, max: 127 }),
  b: fc.boolean(),
  ll: fc.array(fc.array(float, { maxLength: 4 }), { maxLength: 3 }),
  lll: fc.array(fc.array(fc.array(fc.integer(), { maxLength: 3 }), { maxLength: 3 }), { maxLength: 3 }),
  pairs: fc.array(fc.record({ first: fc.string(), second: fc.string() }), { maxLength: 3 }),
  opt: fc.option(fc.double(), { nil: null }),
  fixed: fc.tuple(float, float).map((t) => [...t]),
});

function batchOf(rows: Row[]): RecordBatch {
  const children = fields.map((f) => vectorFromArray(rows.map((r) => r[f.name as keyof Row]) as never, f.type).data[0]!);
  return new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows.length, nullCount: 0, children }));
}

async function* from(batches: RecordBatch[]): AsyncGenerator<RecordBatch> {
  yield* batches;
}

function buffer(file: string): ArrayBuffer {
  const b = readFileSync(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** hyparquet's rows in the Arrow reader's terms (its uint64 are bigint, float32 widened). */
async function hyparquetRows(file: string): Promise<unknown[]> {
  return parquetReadObjects({ file: buffer(file), compressors });
}

/** The values as the project's Arrow-to-JS conversion gives them (what the converter compares). */
function arrowRows(batches: RecordBatch[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const b of batches) {
    const cols = fields.map((_f, i) => toValues(b.data.children[i]!));
    // toValues ignores validity (converted columns have no nulls): nulls from the bitmap here.
    for (let r = 0; r < b.numRows; r++) out.push(Object.fromEntries(fields.map((f, i) => [f.name, b.data.children[i]!.getValid(r) ? cols[i]![r] : null])));
  }
  return out;
}

describe('the streaming Parquet writer', () => {
  it('hyparquet reads back every value, for any row-group and page cuts (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(row, { maxLength: 12 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 200 }), async (chunks, rowGroupRows, pageBytes) => {
        const batches = chunks.map(batchOf);
        const file = path();
        const w = new ParquetFileWriter(file, schema, { compression: 'ZSTD', metadata: { physlite: '{}' }, pageBytes });
        const all = batches.flatMap((b) => Array.from({ length: b.numRows }, (_, i) => b.slice(i, i + 1)));
        for (let at = 0; at < all.length; at += rowGroupRows) w.writeRowGroup(all.slice(at, at + rowGroupRows));
        w.close();
        const want = arrowRows(batches);
        const got = await hyparquetRows(file);
        expect(json(got)).toBe(json(want));
        const summary = await readFooterSummary(file);
        expect(summary.rows).toBe(want.length);
        expect(summary.rowGroups).toBe(Math.ceil(want.length / rowGroupRows));
      }),
      { numRuns: 40 },
    );
  });

  it('DuckDB reads the same values, with ZSTD, SNAPPY and no compression', async () => {
    const rows = fc.sample(row, { numRuns: 300, seed: 5 });
    const batches = [batchOf(rows.slice(0, 120)), batchOf(rows.slice(120))];
    const want = arrowRows(batches);
    for (const compression of ['ZSTD', 'SNAPPY', 'UNCOMPRESSED'] as const) {
      const file = path();
      await writeParquet(file, from(batches), { compression, rowGroupRows: 100, metadata: {} });
      const duck = await duckColumns(file);
      for (const f of fields) {
        // DuckDB gives uint32/uint64/int8 as numbers and bigints of its own width; compare as JSON of numbers.
        const norm = (v: unknown): unknown => (typeof v === 'bigint' ? String(v) : Array.isArray(v) ? v.map(norm) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)])) : v);
        expect(json(norm(duck.get(f.name))), `${compression} ${f.name}`).toBe(json(norm(want.map((r) => r[f.name]))));
      }
      expect(json(await hyparquetRows(file))).toBe(json(want));
    }
  });

  it('writes the Arrow schema (types, item names, field metadata) as ARROW:schema', async () => {
    const file = path();
    await writeParquet(file, from([batchOf(fc.sample(row, { numRuns: 5, seed: 1 }))]), { compression: 'ZSTD', rowGroupRows: 10, metadata: { physlite: '{"a":1}' } });
    const md = parquetMetadata(buffer(file));
    expect(md.key_value_metadata!.map((k) => k.key)).toEqual(['physlite', 'ARROW:schema']);
    const message = Buffer.from(md.key_value_metadata![1]!.value!, 'base64');
    const back = tableFromIPC(Buffer.concat([message, Buffer.from([255, 255, 255, 255, 0, 0, 0, 0])])).schema;
    expect(back.fields.map((f) => [f.name, String(f.type), f.nullable])).toEqual(fields.map((f) => [f.name, String(f.type), f.nullable]));
    expect(back.fields[0]!.metadata.get('root.branch')).toBe('A.f');
    // Parquet's own schema: the three-level list layout and the integer annotations.
    const leaves = md.row_groups[0]!.columns.map((c) => c.meta_data!.path_in_schema.join('.'));
    expect(leaves).toContain('ll.list.item.list.item');
    expect(leaves).toContain('pairs.list.item.second');
    const u64 = md.schema.find((s) => s.name === 'u64')!;
    expect(u64.logical_type).toEqual({ type: 'INTEGER', bitWidth: 64, isSigned: false });
    expect(md.schema.find((s) => s.name === 'opt')!.repetition_type).toBe('OPTIONAL');
  });

  it('statistics: unsigned order, 64 bits exact, NaN left out, -0 as min and +0 as max, null counts', async () => {
    const base: Row = { f: 0, u64: 0n, u32: 0, i8: 0, b: false, ll: [], lll: [], pairs: [], opt: null, fixed: [0, 0] };
    const rows: Row[] = [
      { ...base, f: Number.NaN, u64: 2n ** 64n - 1n, u32: 2 ** 32 - 1, i8: -128, opt: 1.5, ll: [[]] },
      { ...base, f: 0, u64: 2n ** 53n + 1n, u32: 1, i8: 127, b: true, ll: [[Number.NaN, 2]] },
      { ...base, f: -0, u64: 2n ** 53n + 3n, u32: 2 ** 31, ll: [] },
    ];
    const file = path();
    await writeParquet(file, from([batchOf(rows)]), { compression: 'ZSTD', rowGroupRows: 10, metadata: {} });
    const md = parquetMetadata(buffer(file));
    const stats = new Map(md.row_groups[0]!.columns.map((c) => [c.meta_data!.path_in_schema.join('.'), c.meta_data!.statistics!]));
    const f = stats.get('f')!;
    expect(Object.is(f.min_value, -0)).toBe(true);
    expect(Object.is(f.max_value, 0)).toBe(true);
    expect(stats.get('u64')!.min_value).toBe(2n ** 53n + 1n);
    expect(stats.get('u64')!.max_value).toBe(2n ** 64n - 1n);
    expect(stats.get('u32')!.min_value).toBe(1);
    expect(stats.get('u32')!.max_value).toBe(2 ** 32 - 1);
    expect([stats.get('i8')!.min_value, stats.get('i8')!.max_value]).toEqual([-128, 127]);
    expect([stats.get('b')!.min_value, stats.get('b')!.max_value]).toEqual([false, true]);
    // ll: entries [] (inner empty), [NaN, 2], and an empty row: NaN is skipped, empties count as nulls.
    const ll = stats.get('ll.list.item.list.item')!;
    expect([ll.min_value, ll.max_value, ll.null_count]).toEqual([2, 2, 2n]);
    expect(stats.get('opt')!.null_count).toBe(2n);
    // Nothing but NaN: no min or max at all.
    const nan = path();
    await writeParquet(nan, from([batchOf([{ ...base, f: Number.NaN }])]), { compression: 'ZSTD', rowGroupRows: 10, metadata: {} });
    const s = parquetMetadata(buffer(nan)).row_groups[0]!.columns[0]!.meta_data!.statistics!;
    expect(s.min_value).toBeUndefined();
    expect(s.max_value).toBeUndefined();
  });

  it('is deterministic: the same batches and options give the same bytes', async () => {
    const batches = [batchOf(fc.sample(row, { numRuns: 50, seed: 9 }))];
    const a = path();
    const b = path();
    await writeParquet(a, from(batches), { compression: 'ZSTD', rowGroupRows: 7, metadata: { physlite: '{}' } });
    await writeParquet(b, from(batches), { compression: 'ZSTD', rowGroupRows: 7, metadata: { physlite: '{}' } });
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });

  it('fails with the error of the batch source (no footer written)', async () => {
    async function* failing(): AsyncGenerator<RecordBatch> {
      yield batchOf(fc.sample(row, { numRuns: 3, seed: 2 }));
      throw new Error('corrupt basket');
    }
    const file = path();
    await expect(writeParquet(file, failing(), { compression: 'ZSTD', rowGroupRows: 1, metadata: {} })).rejects.toThrow('corrupt basket');
    await expect(readFooterSummary(file)).rejects.toThrow(/not a Parquet file/);
  });

  it('a zero-row input gives a valid file with the full schema and no row group', async () => {
    const file = path();
    await writeParquet(file, from([batchOf([])]), { compression: 'ZSTD', rowGroupRows: 10, metadata: {} });
    const md = parquetMetadata(buffer(file));
    expect(md.num_rows).toBe(0n);
    expect(md.row_groups).toHaveLength(0);
    const con = await (await DuckDBInstance.create(':memory:')).connect();
    const described = await con.runAndReadAll(`describe select * from read_parquet('${file}')`);
    expect(described.getRows().map((r) => r[0])).toEqual(fields.map((f) => f.name));
  });

  it('issue 5: a written column chunk keeps only its serialized metadata for the footer (about 60 bytes plus its path)', () => {
    // 300 list columns with PHYSLITE-long names, 40 row groups: parquet-wasm kept ~0.7 kB a chunk.
    const many = Array.from({ length: 300 }, (_, i) => new Field(`AnalysisJetsAuxDyn_NumTrkPt500_${i}`, listOf(new Float32()), false));
    const s = new Schema(many);
    const data = vectorFromArray([[1, 2], [], [3]], listOf(new Float32())).data[0]!;
    const batch = new RecordBatch(s, makeData({ type: new Struct(many), length: 3, nullCount: 0, children: many.map(() => data) }));
    const w = new ParquetFileWriter(path(), s, { compression: 'ZSTD', metadata: {} });
    for (let g = 0; g < 40; g++) w.writeRowGroup([batch]);
    const pathBytes = 'AnalysisJetsAuxDyn_NumTrkPt500_100'.length + 'list'.length + 'item'.length + 4;
    expect(w.columnChunks).toBe(12_000);
    expect(w.retainedFooterBytes / w.columnChunks).toBeLessThan(pathBytes + 64);
    w.close();
  });

  it('issue 5 regression: a nullable string column of 400,000 values is split into pages in linear time, every value read back', async () => {
    // The page split summed the string bytes from the page start at every row boundary: about a
    // minute for this column (quadratic), under a second now. The timeout is ~100x the new time.
    const values = Array.from({ length: 400_000 }, (_, i) => (i % 7 === 3 ? null : `s${i % 1000}`));
    const f = new Field('s', new Utf8(), true);
    const s = new Schema([f]);
    const batch = new RecordBatch(s, makeData({ type: new Struct([f]), length: values.length, nullCount: 0, children: [vectorFromArray(values, new Utf8()).data[0]!] }));
    const file = path();
    await writeParquet(file, from([batch]), { compression: 'ZSTD', rowGroupRows: 1e9, metadata: {} });
    const meta = parquetMetadata(buffer(file));
    expect(Number(meta.num_rows)).toBe(values.length);
    const back = (await parquetReadObjects({ file: buffer(file), compressors })) as { s: string | null }[];
    expect(back.map((r) => r.s)).toEqual(values);
  }, 30_000);
});
