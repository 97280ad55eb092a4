/** Issue 5: the Parquet output read back with hyparquet, a second reader sharing no code with the writer. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { asyncBufferFromFile } from 'hyparquet/src/node.js';
import { compressors } from 'hyparquet-compressors';
import { afterAll, describe, expect, it } from 'vitest';
import { toValues } from '../src/arrow/values.ts';
import { convertFile } from '../src/convert/convert-file.ts';
import { columnName } from '../src/parquet/naming.ts';
import { RootFile } from '../src/root/file.ts';
import { TreeReader } from '../src/root/tree/reader.ts';
import { fixture } from './helpers/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'physlite-hyparquet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const json = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));

describe.each([
  ['uproot-HZZ.root', 'events'],
  ['PHYSLITE_example.root', 'CollectionTree'],
])('%s', (name, treeName) => {
  it('hyparquet reads every column to the reader values', async () => {
    const result = await convertFile(fixture(name), { outDir: dir });
    const rows = (await parquetReadObjects({ file: await asyncBufferFromFile(result.output), compressors })) as Record<string, unknown>[];
    expect(rows).toHaveLength(result.entries);
    const file = await RootFile.open(fixture(name));
    const reader = await TreeReader.open(file, treeName);
    const done = new Set<string>();
    for (const b of reader.tree.all) {
      const column = columnName(b.name);
      if (!(column in rows[0]!) || done.has(column)) continue;
      const { columns } = await reader.arrays([b.name]);
      const mine = toValues(columns.get(b.name)!);
      expect(json(rows.map((r) => r[column])), column).toBe(json(mine));
      done.add(column);
    }
    expect(done.size).toBeGreaterThan(40);
    await file.close();
  });
});

describe('cluster memory reused from row group to row group', () => {
  it('a file of many clusters, row groups cutting clusters: hyparquet reads every column to the reader values', async () => {
    const { generateLike } = await import('../src/root/write/generate-like.ts');
    const { parseCompression } = await import('../src/root/compression/compress.ts');
    const template = await RootFile.open(fixture('PHYSLITE_example.root'));
    const input = join(dir, 'clusters.root');
    await generateLike({ template, events: 700, out: input, compression: parseCompression('zstd:1'), seed: 3, autoFlush: 100 });
    await template.close();
    // 250-row groups: a cluster's memory may go back to the pool only when all its rows are written.
    const result = await convertFile(input, { outDir: dir, rowGroupRows: 250 });
    const rows = (await parquetReadObjects({ file: await asyncBufferFromFile(result.output), compressors })) as Record<string, unknown>[];
    expect(rows).toHaveLength(700);
    const file = await RootFile.open(input);
    const reader = await TreeReader.open(file, 'CollectionTree');
    const done = new Set<string>();
    for (const b of reader.tree.all) {
      const column = columnName(b.name);
      if (!(column in rows[0]!) || done.has(column)) continue;
      const { columns } = await reader.arrays([b.name]);
      expect(json(rows.map((r) => r[column])), column).toBe(json(toValues(columns.get(b.name)!)));
      done.add(column);
    }
    expect(done.size).toBeGreaterThan(40);
    await file.close();
  }, 120_000);
});

describe('issue 7: row groups larger than a pass', () => {
  it('columns written a few at a time and the large ones in pieces give the values of a conversion in one pass, every column', async () => {
    const { generateLike } = await import('../src/root/write/generate-like.ts');
    const { parseCompression } = await import('../src/root/compression/compress.ts');
    const { readFooterSummary } = await import('../src/parquet/footer.ts');
    const template = await RootFile.open(fixture('PHYSLITE_example.root'));
    const input = join(dir, 'passes.root');
    await generateLike({ template, events: 700, out: input, compression: parseCompression('zstd:1'), seed: 5, autoFlush: 100 });
    await template.close();
    // One row group of 700 events; a pass of 20 kB holds one or a few small columns, and every
    // column above 28 bytes an event (ElementLink lists: two leaves) is written in cluster pieces.
    const whole = await convertFile(input, { outDir: join(dir, 'whole'), rowGroupBytes: 2 ** 30, passBytes: 2 ** 30 });
    const passes = await convertFile(input, { outDir: join(dir, 'passes'), rowGroupBytes: 2 ** 30, passBytes: 20_000 });
    expect((await readFooterSummary(passes.output)).rowGroups).toBe(1);
    const read = async (path: string) => (await parquetReadObjects({ file: await asyncBufferFromFile(path), compressors })) as Record<string, unknown>[];
    const [a, b] = [await read(whole.output), await read(passes.output)];
    expect(b).toHaveLength(700);
    const columns = Object.keys(a[0]!);
    expect(columns.length).toBe(whole.columns);
    expect(columns).toContain('nominalMcEventWeight');
    for (const c of columns) expect(json(b.map((r) => r[c])), c).toBe(json(a.map((r) => r[c])));
    // And the values are the ROOT reader's (the one-pass conversion is checked the same way above).
    const file = await RootFile.open(input);
    const reader = await TreeReader.open(file, 'CollectionTree');
    const link = reader.tree.all.find((x) => x.name === 'AnalysisElectronsAuxDyn.trackParticleLinks')!;
    const { columns: got } = await reader.arrays([link.name]);
    expect(json(b.map((r) => r[columnName(link.name)]))).toBe(json(toValues(got.get(link.name)!)));
    await file.close();
  }, 120_000);
});
