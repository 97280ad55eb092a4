// Issue 5 (conversion memory): the footer summary read in JavaScript (rows, level entries per
// leaf column) equals what parquet-wasm decodes from the same footer, for any table shape.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bool, Field, Float32, Int32, List, makeData, RecordBatch, Schema, Struct, Table, Uint64, tableToIPC, Utf8 } from 'apache-arrow';
import * as pq from 'parquet-wasm/node';
import { parseFooter, readFooterSummary } from '../src/parquet/footer.ts';

function parquetOf(lengths: number[], rowGroupRows: number, stats: boolean): Uint8Array {
  const rows = lengths.length;
  const inner = new Field('element', new Float32(), false);
  const link = new Struct([new Field('m_persKey', new Int32(), false), new Field('m_persIndex', new Int32(), false)]);
  const fields = [
    new Field('pt', new List(inner), false, new Map([['root.branch', 'A.pt']])),
    new Field('id', new Uint64(), false),
    new Field('flag', new Bool(), false),
    new Field('name', new Utf8(), false),
    new Field('links', new List(new Field('element', link, false)), false),
  ];
  const offsets = new Int32Array(rows + 1);
  lengths.forEach((n, i) => (offsets[i + 1] = offsets[i]! + n));
  const total = offsets[rows]!;
  const utf8 = new TextEncoder().encode('ab'.repeat(rows));
  const children = [
    makeData({ type: fields[0]!.type as List, length: rows, nullCount: 0, valueOffsets: offsets, child: makeData({ type: new Float32(), length: total, nullCount: 0, data: Float32Array.from({ length: total }, (_, i) => i / 3) }) }),
    makeData({ type: new Uint64(), length: rows, nullCount: 0, data: BigUint64Array.from({ length: rows }, (_, i) => 2n ** 62n + BigInt(i)) }),
    makeData({ type: new Bool(), length: rows, nullCount: 0, data: Uint8Array.from({ length: Math.ceil(rows / 8) }, (_, i) => i * 37) }),
    makeData({ type: new Utf8(), length: rows, nullCount: 0, valueOffsets: Int32Array.from({ length: rows + 1 }, (_, i) => 2 * i), data: utf8 }),
    makeData({
      type: fields[4]!.type as List,
      length: rows,
      nullCount: 0,
      valueOffsets: offsets,
      child: makeData({ type: link, length: total, nullCount: 0, children: [0, 1].map((k) => makeData({ type: new Int32(), length: total, nullCount: 0, data: Int32Array.from({ length: total }, (_, i) => i + k) })) }),
    }),
  ];
  const batch = new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: rows, nullCount: 0, children }));
  const props = new pq.WriterPropertiesBuilder()
    .setMaxRowGroupSize(rowGroupRows)
    .setStatisticsEnabled(stats ? pq.EnabledStatistics.Chunk : pq.EnabledStatistics.None)
    .setKeyValueMetadata(new Map([['physlite', '{"x":1}']]))
    .build();
  return pq.writeParquet(pq.Table.fromIPCStream(tableToIPC(new Table([batch]), 'stream')), props);
}

describe('Parquet footer summary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'physlite-footer-'));

  it('equals parquet-wasm on tables of any shape (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(5), { minLength: 0, maxLength: 60 }), fc.integer({ min: 1, max: 25 }), fc.boolean(), async (lengths, rowGroupRows, stats) => {
        const bytes = parquetOf(lengths, rowGroupRows, stats);
        const path = join(dir, 'p.parquet');
        writeFileSync(path, bytes);
        const got = await readFooterSummary(path);
        const file = await pq.ParquetFile.fromFile(new Blob([bytes]));
        const meta = file.metadata();
        expect(got.rows).toBe(meta.fileMetadata().numRows());
        expect(got.rows).toBe(lengths.length);
        expect(got.rowGroups).toBe(meta.numRowGroups());
        const want = new Map<string, number>();
        for (let g = 0; g < meta.numRowGroups(); g++) {
          for (const c of meta.rowGroup(g).columns()) {
            const key = c.columnPath().join('.');
            want.set(key, (want.get(key) ?? 0) + c.numValues());
          }
        }
        expect(got.columnValues).toEqual(want);
        // Level entries: a value per element and one per empty list.
        const levels = lengths.reduce((n, l) => n + Math.max(1, l), 0);
        expect(got.columnValues.get('pt.list.element') ?? 0).toBe(levels);
        expect(got.columnValues.get('links.list.element.m_persIndex') ?? 0).toBe(levels);
        expect(got.columnValues.get('id') ?? 0).toBe(lengths.length);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a truncated or damaged footer with a reason', async () => {
    const bytes = parquetOf([1, 2, 0, 3], 2, true);
    const path = join(dir, 'bad.parquet');
    writeFileSync(path, bytes.subarray(0, bytes.length - 3));
    await expect(readFooterSummary(path)).rejects.toThrow(/not a Parquet file/);
    await expect(readFooterSummary(path)).rejects.toMatchObject({ name: 'InputError', context: { file: path } });
    const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 8, true);
    const footer = bytes.slice(bytes.length - 8 - length, bytes.length - 8);
    expect(() => parseFooter(footer.subarray(0, footer.length >> 1))).toThrow(/truncated|Thrift|list/);
    const lying = Uint8Array.from(bytes);
    new DataView(lying.buffer).setUint32(lying.length - 8, lying.length, true);
    writeFileSync(path, lying);
    await expect(readFooterSummary(path)).rejects.toThrow(/exceeds the file/);
    expect(readFileSync(path).length).toBe(bytes.length);
    rmSync(dir, { recursive: true, force: true });
  });
});
