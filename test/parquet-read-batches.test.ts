/**
 * Issue 7, small row groups read as one batch (src/parquet/read/reader.ts fetch/decode of several
 * row groups, runs(); src/analysis/input.ts): the batch's columns equal, slice for slice, the row
 * groups read one at a time (dictionaries, nulls, nested lists, strings, a fully converted
 * PHYSLITE file); runs keep to their row and byte limits; an error in a batch still names its
 * row group; and the analysis's results do not depend on how the events were batched.
 * Column memory reused from batch to batch (src/parquet/read/arena.ts, the analysis API's
 * `reuseColumnMemory`): each decode into an arena equals a fresh decode, whatever was decoded into
 * it before, and only a consumer that opted in gets reused arrays. Readers of files opened one
 * after another reuse the footer buffer of a released reader and share a schema with the same
 * bytes, and read what they read alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Data } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertFile } from '../src/convert/convert-file.ts';
import { BATCH, openInput } from '../src/analysis/input.ts';
import { Arena } from '../src/parquet/read/arena.ts';
import { Output } from '../src/analysis/output.ts';
import { runAnalysis } from '../src/analysis/run.ts';
import { ParquetReader } from '../src/parquet/read/reader.ts';
import { FileSource } from '../src/root/source/file.ts';
import { arrowDiff } from './helpers/arrow-diff.ts';
import { fixture } from './helpers/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'physlite-pqbatch-'));
let converted: string;
let duck: string;

beforeAll(async () => {
  converted = (await convertFile(fixture('PHYSLITE_example.root'), { outDir: join(dir, 'conv'), rowGroupRows: 15 })).output;
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  duck = join(dir, 'duck.parquet');
  await con.run(`copy (select (i / 7.0)::double as f64, (i % 7)::tinyint as i8, 'name' || (i % 5) as s, case when i % 4 = 0 then null else i end as oi,
    [[i, i + 1], [], [i % 5]][1:(i % 4)] as lli, [{'k': i % 3, 'v': (i / 5.0)::double}][1:(i % 2)] as ls from range(10000) r(i))
    to '${duck}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 2048)`);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Reads `groups` as one batch and compares each row group's slice with that row group read alone. */
async function expectBatchEqualsGroups(path: string, groups: number[], columns?: string[]): Promise<void> {
  const src = await FileSource.open(path);
  try {
    const reader = await ParquetReader.open(src);
    const cols = columns ?? [...reader.schema.fields.keys()];
    const batch = reader.decode(await reader.fetch(groups, cols));
    let start = 0;
    for (const g of groups) {
      const rows = reader.meta.rowGroups[g]!.rows;
      const alone = await reader.readRowGroup(g, cols);
      for (const c of cols) {
        expect(batch.get(c)!.length).toBe(groups.reduce((n, k) => n + reader.meta.rowGroups[k]!.rows, 0));
        expect(arrowDiff(batch.get(c)!.slice(start, rows), alone.get(c)!, `${c} (row group ${g})`)).toBeNull();
      }
      start += rows;
    }
  } finally {
    await src.close();
  }
}

describe('issue 7: small row groups read as one batch', () => {
  it('a batch of several row groups holds what they hold one by one (DuckDB: dictionaries, nulls, nested lists, structs, strings)', async () => {
    await expectBatchEqualsGroups(duck, [0, 1, 2, 3, 4]);
    // A worker's share: row groups that are not neighbours in the file.
    await expectBatchEqualsGroups(duck, [1, 3]);
  });

  it('a batch of several row groups of a fully converted PHYSLITE file holds what they hold one by one', async () => {
    const src = await FileSource.open(converted);
    const groups = (await ParquetReader.open(src)).rowGroups;
    await src.close();
    expect(groups).toBeGreaterThan(2);
    await expectBatchEqualsGroups(converted, [...Array(groups).keys()]);
  });

  it('runs keep to their row and byte limits, in order, a large row group alone', async () => {
    const src = await FileSource.open(duck);
    try {
      const reader = await ParquetReader.open(src);
      const all = [...Array(reader.rowGroups).keys()];
      expect(reader.meta.rowGroups.map((g) => g.rows)).toEqual([2048, 2048, 2048, 2048, 1808]);
      expect(reader.runs(all, ['f64'], { rows: 1 << 20, bytes: 1 << 30 })).toEqual([all]);
      expect(reader.runs(all, ['f64'], { rows: 4096, bytes: 1 << 30 })).toEqual([[0, 1], [2, 3], [4]]);
      expect(reader.runs(all, ['f64'], { rows: 2000, bytes: 1 << 30 })).toEqual(all.map((g) => [g]));
      // 2,048 doubles are 16 KiB uncompressed (plus page headers): two fit in 40 KB, three do not.
      expect(reader.runs(all, ['f64'], { rows: 1 << 20, bytes: 40_000 })).toEqual([[0, 1], [2, 3], [4]]);
      expect(reader.runs([1, 3, 4], ['f64'], { rows: 4096, bytes: 1 << 30 })).toEqual([[1, 3], [4]]);
    } finally {
      await src.close();
    }
  });

  it('an error in a batch names the row group at fault', async () => {
    const src = await FileSource.open(duck);
    try {
      const reader = await ParquetReader.open(src);
      const f = await reader.fetch([0, 1, 2], ['lli']);
      const bad = f.bytes[0]![1]!;
      bad.fill(0xff, 0, bad.length);
      expect(() => reader.decode(f)).toThrow(/row group 1\b/);
    } finally {
      await src.close();
    }
  });

  it('level buffers lent from one decode to the next (any reader, any file) leave no trace: a small read after a larger one equals the same read first', async () => {
    const src = await FileSource.open(duck);
    const conv = await FileSource.open(converted);
    try {
      const small = await ParquetReader.open(conv);
      const cols = [...small.schema.fields.keys()];
      const first = await small.readRowGroup(1, cols);
      const large = await ParquetReader.open(src);
      large.decode(await large.fetch([0, 1, 2, 3, 4], [...large.schema.fields.keys()]));
      const again = await small.readRowGroup(1, cols);
      for (const c of cols) expect(arrowDiff(again.get(c)!, first.get(c)!, c)).toBeNull();
    } finally {
      await src.close();
      await conv.close();
    }
  });

  it('cutflow sums do not depend on how events are cut into batches', () => {
    const w = Float64Array.from({ length: 1000 }, (_, i) => 1e6 * Math.exp(Math.sin(i)) + i / 3);
    const pass = Uint8Array.from({ length: 1000 }, (_, i) => (i % 3 ? 1 : 0));
    const whole = new Output({}, ['a', 'b']);
    whole.cut('a', null, w);
    whole.cut('b', pass, w);
    const parts = new Output({}, ['a', 'b']);
    for (const [s, e] of [[0, 1], [1, 333], [333, 999], [999, 1000]] as const) {
      parts.cut('a', null, w.subarray(s, e));
      parts.cut('b', pass.subarray(s, e), w.subarray(s, e));
    }
    expect(parts.cutflow).toEqual(whole.cutflow);
  });

  it('the built-in analysis gives the same results with row groups read one by one and together, its reused scratch arrays leaving no trace', async () => {
    const saved = { ...BATCH };
    try {
      // Large batch first, then small ones after it (the last row group is the shortest), then large again.
      const together = await runAnalysis([converted]);
      BATCH.rows = 1; // one row group per batch
      const one = await runAnalysis([converted]);
      Object.assign(BATCH, saved);
      const again = await runAnalysis([converted]);
      for (const r of [one, again]) {
        expect(r.summary.cutflow).toEqual(together.summary.cutflow);
        expect(r.summary.events).toBe(together.summary.events);
        for (const [k, h] of together.histograms) expect(Array.from(r.histograms.get(k)!.values), k).toEqual(Array.from(h.values));
      }
      expect(together.summary.cutflow[1]!.events + together.summary.cutflow[3]!.events).toBeGreaterThan(0);
    } finally {
      Object.assign(BATCH, saved);
    }
  });

  it('decoding into a reused arena equals a fresh decode, batch after batch, across row groups, files and column sets; the buffers are reused', async () => {
    const src = await FileSource.open(duck);
    const conv = await FileSource.open(converted);
    try {
      const arena = new Arena();
      const d = await ParquetReader.open(src);
      const c = await ParquetReader.open(conv);
      const dCols = [...d.schema.fields.keys()];
      const cCols = [...c.schema.fields.keys()];
      const steps: [ParquetReader, number[], string[]][] = [
        [d, [0, 1], dCols],
        [d, [4], dCols],
        [c, [0], cCols],
        [d, [2], ['s', 'lli']],
        [c, [1, 2], cCols],
        [d, [3, 4], dCols],
        [d, [1], dCols],
      ];
      let reused = 0;
      let last = new Map<string, ArrayBufferLike>();
      for (const [reader, groups, cols] of steps) {
        const fresh = reader.decode(await reader.fetch(groups, cols));
        const pooled = reader.decode(await reader.fetch(groups, cols), arena);
        const now = new Map<string, ArrayBufferLike>();
        for (const col of cols) {
          expect(arrowDiff(pooled.get(col)!, fresh.get(col)!, `${col} (row groups ${groups})`)).toBeNull();
          const leaf = leafValues(pooled.get(col)!);
          now.set(col, leaf);
          if (last.get(col) === leaf) reused++;
        }
        last = now;
      }
      expect(reused).toBeGreaterThan(0);
    } finally {
      await src.close();
      await conv.close();
    }
  });

  it('an input reuses column memory from batch to batch only when asked to', async () => {
    const saved = { ...BATCH };
    BATCH.rows = 1; // one row group per batch
    try {
      for (const memory of [false, true]) {
        const input = await openInput(duck);
        try {
          const buffers: ArrayBufferLike[] = [];
          const sums: number[] = [];
          for await (const b of input.batches(['f64'], undefined, { memory })) {
            const v = b.columns.get('f64')!.values as Float64Array;
            buffers.push(v.buffer);
            sums.push(v.reduce((x, y) => x + y, 0));
          }
          expect(buffers.length).toBe(5);
          expect(new Set(buffers).size).toBe(memory ? 1 : 5);
          // Row group g holds i = 2048 g ... : the values of each batch are its own.
          expect(sums[0]).toBeCloseTo((2047 * 2048) / 2 / 7, 6);
        } finally {
          await input.close();
        }
      }
    } finally {
      Object.assign(BATCH, saved);
    }
  });
});


describe('footer buffers and schemas reused from file to file', () => {
  it('a reader opened after another was released reuses its footer buffer and equal schema, and reads the same', async () => {
    const first = new Map<string, Map<string, Data>>();
    let last: ParquetReader | undefined;
    let sharedFooter = 0;
    let sharedSchema = 0;
    for (const path of [converted, duck, converted, converted, duck]) {
      const src = await FileSource.open(path);
      try {
        const reader = await ParquetReader.open(src);
        const cols = [...reader.schema.fields.keys()];
        const got = await reader.readRowGroup(1, cols);
        const want = first.get(path);
        if (!want) first.set(path, got);
        else for (const c of cols) expect(arrowDiff(got.get(c)!, want.get(c)!, c)).toBeNull();
        if (last && last.meta.footer.buffer === reader.meta.footer.buffer) sharedFooter++;
        if (last && last.schema === reader.schema) {
          sharedSchema++;
          expect(last.meta.schema).toBe(reader.meta.schema);
        }
        reader.release();
        expect(() => reader.keyValue('physlite')).toThrow(/released/);
        last = reader;
      } finally {
        await src.close();
      }
    }
    // The converted file's footer (over 64 KiB) is read into a pooled buffer: the third and fourth
    // readers have the same file, hence the same buffer and schema; a different schema is not taken.
    expect(sharedFooter).toBeGreaterThan(0);
    expect(sharedSchema).toBe(1);
  });
});

/** The buffer of the first leaf's values under a Data tree. */
function leafValues(d: Data): ArrayBufferLike {
  let x = d;
  while (x.children.length) x = x.children[0]!;
  return (x.values as Uint8Array).buffer;
}
