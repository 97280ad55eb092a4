/**
 * Issue 7, the projected Parquet reader (src/parquet/read) on real files:
 *   - every column of every row group of a fully converted PHYSLITE fixture equals parquet-wasm's
 *     read, value for value and offset for offset;
 *   - files written by parquet-wasm with data pages v2, dictionaries and BYTE_STREAM_SPLIT under
 *     every codec, and by DuckDB (v1 pages, PLAIN_DICTIONARY, zstd and lz4_raw) read the same as
 *     parquet-wasm reads them, and as DuckDB's own aggregates say;
 *   - what it does not decode (DuckDB's DELTA_BINARY_PACKED) is named, and the analysis input
 *     reads such a file through parquet-wasm with a note;
 *   - over HTTP only the footer and the projected chunks are requested (counted by the server);
 *   - a corrupt page or footer is an InputError naming the file and the column.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Bool, Field, Float32, Float64, Int8, Int32, Int64, List, makeVector, Struct, Table, Uint32, Utf8, vectorFromArray, tableFromIPC, tableToIPC } from 'apache-arrow';
import * as pq from 'parquet-wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertFile } from '../src/convert/convert-file.ts';
import { ParquetReader } from '../src/parquet/read/reader.ts';
import { chunkRange, columnChunkMeta } from '../src/parquet/read/metadata.ts';
import { leavesOf, type ArrowNode } from '../src/parquet/read/schema.ts';
import { FileSource } from '../src/root/source/file.ts';
import { openSource } from '../src/root/source/open.ts';
import { openInput } from '../src/analysis/input.ts';
import { InputError } from '../src/errors.ts';
import { arrowDiff } from './helpers/arrow-diff.ts';
import { fixture } from './helpers/fixtures.ts';
import { startRangeServer } from './support/range-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'physlite-pqread-'));
let converted: string;

beforeAll(async () => {
  converted = (await convertFile(fixture('PHYSLITE_example.root'), { outDir: join(dir, 'conv'), rowGroupRows: 15 })).output;
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** parquet-wasm's read of some columns of one row group, by name. */
async function wasmRead(path: string, columns: string[], rowGroup: number) {
  const file = await pq.ParquetFile.fromFile(await import('node:fs').then((fs) => fs.openAsBlob(path)));
  try {
    const stream = await file.stream({ columns, batchSize: 1 << 30, rowGroups: [rowGroup] });
    const out = new Map<string, import('apache-arrow').Data>();
    for await (const b of stream as unknown as AsyncIterable<pq.RecordBatch>) {
      for (const batch of tableFromIPC(b.intoIPCStream()).batches) batch.schema.fields.forEach((f, i) => out.set(f.name, batch.data.children[i]!));
    }
    return out;
  } finally {
    file.free();
  }
}

/** Every column of every row group: ours equals parquet-wasm's. */
async function expectSameAsWasm(path: string): Promise<number> {
  const src = await FileSource.open(path);
  const reader = await ParquetReader.open(src);
  try {
    const columns = [...reader.schema.fields.keys()];
    expect(reader.unsupported(columns)).toBeNull();
    let compared = 0;
    for (let g = 0; g < reader.rowGroups; g++) {
      const ours = await reader.readRowGroup(g, columns);
      const theirs = await wasmRead(path, columns, g);
      for (const c of columns) {
        expect(arrowDiff(ours.get(c)!, theirs.get(c)!, c)).toBeNull();
        compared++;
      }
    }
    return compared;
  } finally {
    await src.close();
  }
}

describe('projected Parquet reader', () => {
  it('reads every column of a fully converted PHYSLITE file as parquet-wasm does', async () => {
    const src = await FileSource.open(converted);
    const reader = await ParquetReader.open(src);
    expect(reader.rowGroups).toBeGreaterThan(1);
    expect(reader.schema.fields.size).toBeGreaterThan(900);
    await src.close();
    expect(await expectSameAsWasm(converted)).toBe(reader.rowGroups * reader.schema.fields.size);
  }, 120_000);

  // A table with the shapes PHYSLITE has, plus nulls at every level.
  function table(rows: number): Table {
    const f32 = Float32Array.from({ length: rows }, (_, i) => i / 3);
    const lists = (i: number) => (i % 4 === 0 ? [] : Array.from({ length: i % 5 }, (_, k) => (i + k) / 7));
    return new Table({
      f32: makeVector(f32),
      f64: makeVector(Float64Array.from({ length: rows }, (_, i) => i / 7)),
      i8: makeVector(Int8Array.from({ length: rows }, (_, i) => (i % 200) - 100)),
      u32: makeVector(Uint32Array.from({ length: rows }, (_, i) => 4e9 - i)),
      i64: makeVector(BigInt64Array.from({ length: rows }, (_, i) => BigInt(i) * 1_000_000_007n + 2n ** 60n)),
      flag: vectorFromArray(Array.from({ length: rows }, (_, i) => i % 3 === 0), new Bool()),
      name: vectorFromArray(Array.from({ length: rows }, (_, i) => `n${i % 6}`), new Utf8()),
      maybe: vectorFromArray(Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? null : i)), new Int32()),
      pt: vectorFromArray(Array.from({ length: rows }, (_, i) => lists(i)), new List(new Field('item', new Float32(), false))),
      nested: vectorFromArray(
        Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? null : [[i, i + 1], [], [i % 9]].slice(0, i % 4))),
        new List(new Field('item', new List(new Field('item', new Int32(), true)), true)),
      ),
      links: vectorFromArray(
        Array.from({ length: rows }, (_, i) => Array.from({ length: i % 3 }, (_, k) => ({ key: (i * 7 + k) >>> 0, index: k % 2 === 0 ? BigInt(k) : null }))),
        new List(new Field('item', new Struct([new Field('key', new Uint32(), false), new Field('index', new Int64(), true)]), false)),
      ),
      small: vectorFromArray(Array.from({ length: rows }, (_, i) => [i % 3, -1]), new List(new Field('item', new Int8(), false))),
    });
  }

  const codecs: [string, pq.Compression][] = [
    ['zstd', pq.Compression.ZSTD],
    ['snappy', pq.Compression.SNAPPY],
    ['gzip', pq.Compression.GZIP],
    ['lz4_raw', pq.Compression.LZ4_RAW],
    ['uncompressed', pq.Compression.UNCOMPRESSED],
  ];
  for (const [name, codec] of codecs) {
    it(`reads parquet-wasm files with data pages v2, dictionaries and BYTE_STREAM_SPLIT, ${name}`, async () => {
      const t = table(3000);
      const props = new pq.WriterPropertiesBuilder()
        .setWriterVersion(pq.WriterVersion.V2)
        .setCompression(codec)
        .setDictionaryEnabled(true)
        .setMaxRowGroupSize(1000)
        .setColumnEncoding('f32', pq.Encoding.BYTE_STREAM_SPLIT)
        .setColumnDictionaryEnabled('f32', false)
        .setColumnEncoding('f64', pq.Encoding.BYTE_STREAM_SPLIT)
        .setColumnDictionaryEnabled('f64', false)
        .build();
      const path = join(dir, `wasm-${name}.parquet`);
      writeFileSync(path, pq.writeParquet(pq.Table.fromIPCStream(tableToIPC(t, 'stream')), props));
      const src = await FileSource.open(path);
      const reader = await ParquetReader.open(src);
      const encodings = new Set<number>();
      const pageTypes = new Set<number>();
      for (const leaf of [...reader.schema.fields.values()].flatMap((n) => leavesOf(n as ArrowNode))) {
        const m = columnChunkMeta(reader.meta.footer, reader.meta.rowGroups[0]!.chunkAt[leaf.column]!);
        for (const e of m.encodings) encodings.add(e);
        pageTypes.add(readFileSync(path)[chunkRange(m).offset + 1]!); // first header field: zigzag page type
      }
      await src.close();
      expect(encodings).toContain(9); // BYTE_STREAM_SPLIT
      expect(encodings).toContain(8); // RLE_DICTIONARY
      expect(pageTypes).toContain(6); // zigzag(3): DATA_PAGE_V2
      expect(await expectSameAsWasm(path)).toBe(3 * 12);
    });
  }

  it('reads DuckDB files (v1 pages, PLAIN_DICTIONARY, zstd and lz4_raw) as parquet-wasm does and as DuckDB sums them', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    await con.run(`create table t as select (i / 3.0)::float as f32, (i / 7.0)::double as f64, (i % 7)::tinyint as i8, (i % 3 = 0) as b,
      'name' || (i % 5) as s, case when i % 4 = 0 then null else i end as oi,
      [(i / 2.0)::float, (i / 3.0)::float][1:(i % 3)] as lf, [[i, i + 1], [], [i % 5]][1:(i % 4)] as lli,
      [{'k': i % 3, 'v': (i / 5.0)::double}][1:(i % 2)] as ls from range(5000) r(i)`);
    for (const codec of ['zstd', 'lz4_raw']) {
      const path = join(dir, `duck-${codec}.parquet`);
      await con.run(`copy t to '${path}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 2048)`);
      expect(await expectSameAsWasm(path)).toBeGreaterThan(0);
      // DuckDB's own aggregates against ours.
      const src = await FileSource.open(path);
      const reader = await ParquetReader.open(src);
      let sumF64 = 0;
      let nonNull = 0;
      let items = 0;
      for (let g = 0; g < reader.rowGroups; g++) {
        const d = await reader.readRowGroup(g, ['f64', 'oi', 'lli']);
        const f64 = d.get('f64')!;
        for (let i = 0; i < f64.length; i++) sumF64 += f64.values[i]!;
        nonNull += d.get('oi')!.length - d.get('oi')!.nullCount;
        const lli = d.get('lli')!;
        items += lli.valueOffsets[lli.length]! - lli.valueOffsets[0]!;
      }
      await src.close();
      const r = (await con.runAndReadAll(`select sum(f64), count(oi), sum(len(lli)) from read_parquet('${path}')`)).getRows()[0]!;
      expect(sumF64).toBeCloseTo(Number(r[0]), 6);
      expect(nonNull).toBe(Number(r[1]));
      expect(items).toBe(Number(r[2]));
    }
  });

  it('names what it does not decode; the analysis input reads such a file with parquet-wasm and says so', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const path = join(dir, 'duck-v2.parquet');
    await con.run(`copy (select i::int as i32, (i / 3.0)::float as f32, [(i / 2.0)::double, (i / 7.0)::double][1:(i % 3)] as ld
      from range(3000) r(i)) to '${path}' (FORMAT parquet, PARQUET_VERSION v2)`);
    const src = await FileSource.open(path);
    const reader = await ParquetReader.open(src);
    // BYTE_STREAM_SPLIT, top-level and as list elements (as the conversion may write float leaves).
    expect(reader.unsupported(['f32', 'ld'])).toBeNull();
    expect(reader.unsupported(['i32'])).toMatch(/column i32: encoding DELTA_BINARY_PACKED/);
    const ours = await reader.readRowGroup(0, ['f32', 'ld']);
    const theirs = await wasmRead(path, ['f32', 'ld'], 0);
    for (const c of ['f32', 'ld']) expect(arrowDiff(ours.get(c)!, theirs.get(c)!, c)).toBeNull();
    expect(columnChunkMeta(reader.meta.footer, reader.meta.rowGroups[0]!.chunkAt[2]!).encodings).toContain(9);
    await src.close();
    const input = await openInput(path);
    try {
      let sum = 0;
      for await (const b of input.batches(['i32'])) for (const v of b.columns.get('i32')!.values as Int32Array) sum += v;
      expect(sum).toBe((2999 * 3000) / 2);
      expect(input.notes.join('\n')).toMatch(/read with parquet-wasm.*DELTA_BINARY_PACKED/);
    } finally {
      await input.close();
    }
  });

  it('over HTTP requests only the footer and the projected column chunks', async () => {
    const bytes = new Uint8Array(readFileSync(converted));
    const server = await startRangeServer({ files: { '/c.parquet': bytes } });
    try {
      const columns = ['AnalysisMuonsAuxDyn_pt', 'AnalysisJetsAuxDyn_NumTrkPt500', 'EventInfoAuxDyn_eventNumber'];
      const src = await openSource(server.url('/c.parquet'));
      const opened = server.counters.ranges.length; // the source's own size probe
      const openedBytes = src.counters.bytes;
      const reader = await ParquetReader.open(src);
      const footerRequests = server.counters.ranges.length;
      expect(footerRequests - opened).toBeLessThanOrEqual(2);
      const footerBytes = server.counters.ranges.slice(opened).reduce((n, [, len]) => n + len, 0);
      const footerLength = new DataView(bytes.buffer).getUint32(bytes.length - 8, true);
      expect(footerBytes).toBeGreaterThanOrEqual(footerLength + 8);
      expect(footerBytes).toBeLessThanOrEqual(Math.max(footerLength + 8, 64 * 1024));
      let chunkBytes = 0;
      let chunks = 0;
      for (let g = 0; g < reader.rowGroups; g++) {
        for (const c of columns) {
          for (const leaf of leavesOf(reader.schema.fields.get(c) as ArrowNode)) {
            chunkBytes += chunkRange(columnChunkMeta(reader.meta.footer, reader.meta.rowGroups[g]!.chunkAt[leaf.column]!)).length;
            chunks++;
          }
        }
        await reader.readRowGroup(g, columns);
      }
      const served = server.counters.ranges.slice(footerRequests);
      const servedBytes = served.reduce((n, [, len]) => n + len, 0);
      expect(served.length).toBeGreaterThanOrEqual(reader.rowGroups);
      expect(served.length).toBeLessThanOrEqual(chunks);
      // Exactly the chunks, plus gaps under 1 KiB where two chunks were read in one request.
      expect(servedBytes).toBeGreaterThanOrEqual(chunkBytes);
      expect(servedBytes).toBeLessThanOrEqual(chunkBytes + 1024 * (chunks - served.length));
      expect(src.counters.bytes).toBe(openedBytes + footerBytes + servedBytes);
      expect(server.counters.multiRange).toBe(0);
      await src.close();
    } finally {
      await server.close();
    }
  });

  it('a corrupt page, footer or missing column is an InputError naming the file and the column', async () => {
    const column = 'AnalysisMuonsAuxDyn_pt';
    const src = await FileSource.open(converted);
    const reader = await ParquetReader.open(src);
    const leaf = leavesOf(reader.schema.fields.get(column) as ArrowNode)[0]!;
    const range = chunkRange(columnChunkMeta(reader.meta.footer, reader.meta.rowGroups[1]!.chunkAt[leaf.column]!));
    await expect(reader.readRowGroup(0, ['NoSuchColumn'])).rejects.toThrow(/column NoSuchColumn is missing/);
    await src.close();

    // Page bytes overwritten after the page header: the zstd frame is garbage.
    const bad = join(dir, 'bad-page.parquet');
    copyFileSync(converted, bad);
    const b = readFileSync(bad);
    for (let i = range.offset + 30; i < range.offset + range.length; i++) b[i] = (b[i]! * 31 + 7) & 0xff;
    writeFileSync(bad, b);
    const input = await openInput(bad);
    try {
      const read = async () => {
        for await (const _ of input.batches([column, 'AnalysisJetsAuxDyn_pt'])) void _;
      };
      const err = await read().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).describe()).toMatch(new RegExp(`column ${column}\\.list\\.item, row group 1: .*\\(file ${bad}`));
    } finally {
      await input.close();
    }

    // A page header cut short.
    const badHeader = join(dir, 'bad-header.parquet');
    const h = readFileSync(converted);
    h.fill(0xff, range.offset, range.offset + 12);
    writeFileSync(badHeader, h);
    const s2 = await FileSource.open(badHeader);
    const r2 = await ParquetReader.open(s2);
    const e2 = await r2.readRowGroup(1, [column]).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(InputError);
    expect((e2 as InputError).describe()).toContain(`(file ${badHeader}`);
    expect((e2 as InputError).message).toContain(column);
    await s2.close();

    // A footer that is not Thrift.
    const badFooter = join(dir, 'bad-footer.parquet');
    const f = readFileSync(converted);
    const len = f.readUInt32LE(f.length - 8);
    f.fill(0xee, f.length - 8 - len, f.length - 8 - len + 64);
    writeFileSync(badFooter, f);
    const e3 = await openInput(badFooter).catch((e: unknown) => e);
    expect(e3).toBeInstanceOf(InputError);
    expect((e3 as InputError).describe()).toContain(`file ${badFooter}`);
  });
});
