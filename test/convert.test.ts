/**
 * Issue 5 (first part): one ROOT file to one Parquet file. Every column read back with DuckDB (a
 * reader that shares no code with the writer) equals what the project's reader returns for the
 * ROOT branch: floats bit for bit, 64-bit integers exact, ElementLinks, nested lists, strings.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';
import { toValues } from '../src/arrow/values.ts';
import { convertFile } from '../src/convert/convert-file.ts';
import { DERIVED_COLUMNS } from '../src/convert/derived.ts';
import { expectedDerived } from './helpers/derived.ts';
import { columnName, columnNames } from '../src/parquet/naming.ts';
import { parseCompression } from '../src/root/compression/compress.ts';
import { RootFile } from '../src/root/file.ts';
import { TreeReader } from '../src/root/tree/reader.ts';
import { generateLike } from '../src/root/write/generate-like.ts';
import { InputError } from '../src/errors.ts';
import { fixture } from './helpers/fixtures.ts';
import { duckColumns, json, keyValues, project } from './helpers/parquet-check.ts';

const dir = mkdtempSync(join(tmpdir(), 'physlite-convert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(['uproot-HZZ.root', 'uproot-Zmumu-lz4.root', 'PHYSLITE_example.root', 'DAOD_PHYSLITE_21.2.108.0.art.pool.root'])('%s', (name) => {
  it('converts to Parquet that DuckDB reads to the same values', async () => {
    const result = await convertFile(fixture(name), { outDir: dir });
    const file = await RootFile.open(fixture(name));
    const reader = await TreeReader.open(file, name.startsWith('uproot') ? 'events' : 'CollectionTree');
    const duck = await duckColumns(result.output);
    expect(duck.size).toBe(result.columns);
    const compared = new Set<string>();
    for (const b of reader.tree.all) {
      const column = columnName(b.name);
      if (!duck.has(column) || DERIVED.has(column) || compared.has(column)) continue;
      const { columns } = await reader.arrays([b.name]);
      const mine = toValues(columns.get(b.name)!);
      const theirs = duck.get(column)!;
      expect(theirs.length, column).toBe(reader.tree.entries);
      // DuckDB drops struct fields pruned for Parquet (empty records): compare what it has.
      expect(json(theirs), column).toBe(json(project(mine, theirs)));
      compared.add(column);
    }
    const derived = [...DERIVED.keys()].filter((c) => duck.has(c));
    expect(compared.size).toBe(result.columns - derived.length);
    if (name.includes('PHYSLITE')) expect(derived.sort()).toEqual(['AnalysisJets_NumTrkPt500PV', 'nominalMcEventWeight']);
    for (const column of derived) {
      const source = DERIVED.get(column)!.replace(/_/, '.');
      const { columns } = await reader.arrays([source]);
      expect(json(duck.get(column)), column).toBe(json(expectedDerived(column, toValues(columns.get(source)!))));
    }
    await file.close();
    // The file says where it came from and what it left out.
    const info = JSON.parse((await keyValues(result.output)).get('physlite')!);
    expect(info.source).toBe(fixture(name));
    expect(info.entries).toBe(result.entries);
    expect(info.leftOut).toEqual(result.leftOut);
    if (name.startsWith('DAOD')) expect(info.bookkeeping.cutBookkeepers[0].name).toBe('AllExecutedEvents');
  });
});

const DERIVED = new Map(DERIVED_COLUMNS.map((d) => [d.name, d.source]));

/** `mine` shaped like `theirs` where a struct lost fields (the pruned empty records). */
describe('conversion rules', () => {
  it('issue 5: the row-group target counts the selected columns, so a preset gets row groups of more events', async () => {
    const template = await RootFile.open(fixture('PHYSLITE_example.root'));
    const like = join(dir, 'clusters.root');
    await generateLike({ template, events: 400, autoFlush: 50, out: like, compression: parseCompression('zstd:1') });
    await template.close();
    const groups = async (selection: { preset?: string }): Promise<number[]> => {
      const r = await convertFile(like, { outDir: mkdtempSync(join(dir, 'rg-')), rowGroupBytes: 8 * 2 ** 20, selection });
      const buf = readFileSync(r.output);
      return parquetMetadata(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)).row_groups.map((g) => Number(g.num_rows));
    };
    const full = await groups({});
    const preset = await groups({ preset: 'analysis' });
    // Whole clusters of 50 events either way; the preset's ~10% of the bytes fits 8x more of them.
    expect(full.every((n) => n % 50 === 0 || n === full.at(-1))).toBe(true);
    expect(full.length).toBeGreaterThan(1);
    expect(Math.max(...preset)).toBeGreaterThan(2 * Math.max(...full));
  });

  it('a zero-entry input gives a zero-row file with the full schema', async () => {
    const template = await RootFile.open(fixture('uproot-Zmumu.root'));
    const empty = join(dir, 'empty.root');
    await generateLike({ template, tree: 'events', events: 0, out: empty, compression: parseCompression('zstd:1') });
    await template.close();
    const result = await convertFile(empty, { outDir: dir });
    expect(result.entries).toBe(0);
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const d = await con.runAndReadAll(`describe select * from read_parquet('${result.output}')`);
    expect(d.getRows().map((r) => String(r[0]))).toContain('Type');
    expect(d.getRows().length).toBe(20);
    const n = await con.runAndReadAll(`select count(*) from read_parquet('${result.output}')`);
    expect(Number(n.getRows()[0]![0])).toBe(0);
  });

  it('names columns by one rule and refuses collisions', () => {
    expect(columnName('AnalysisMuonsAuxDyn.pt')).toBe('AnalysisMuonsAuxDyn_pt');
    expect(columnName('AnalysisMuonsAuxDyn:pt')).toBe('AnalysisMuonsAuxDyn_pt');
    expect(() => columnNames(['a.b_c', 'a_b.c'], 'x.root')).toThrow(InputError);
  });

  it('the same input gives a byte-identical file', async () => {
    const a = await convertFile(fixture('uproot-HZZ-zstd.root'), { outDir: mkdtempSync(join(dir, 'a-')) });
    const b = await convertFile(fixture('uproot-HZZ-zstd.root'), { outDir: mkdtempSync(join(dir, 'b-')) });
    expect(readFileSync(a.output).equals(readFileSync(b.output))).toBe(true);
  });
});

describe('physlite convert', () => {
  it('converts a directory (ROOT files by their magic bytes), reports a bad input with exit 2, skips existing outputs', async () => {
    const { copyFileSync, mkdirSync, writeFileSync, readdirSync } = await import('node:fs');
    const { main } = await import('../src/cli/main.ts');
    const inDir = join(dir, 'cli-in');
    const outDir = join(dir, 'cli-out');
    mkdirSync(inDir, { recursive: true });
    copyFileSync(fixture('uproot-HZZ.root'), join(inDir, 'good.pool.root.1'));
    writeFileSync(join(inDir, 'truncated.root'), readFileSync(fixture('uproot-Zmumu.root')).subarray(0, 100000));
    writeFileSync(join(inDir, 'notes.txt'), 'not ROOT');
    let text = '';
    expect(await main(['convert', inDir, '--out', outDir], (t) => (text += t))).toBe(2);
    expect(text).toMatch(/1 converted, 0 skipped \(output exists\), 1 failed/);
    expect(readdirSync(outDir).filter((f) => f.endsWith('.parquet'))).toEqual(['good.pool.217945.parquet']);
    expect(readdirSync(outDir).some((f) => f.includes('.tmp-'))).toBe(false);
    const ledgers = readdirSync(join(outDir, '_ledger'));
    const lines = readFileSync(join(outDir, '_ledger', ledgers[0]!), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // Workers finish in any order.
    expect(lines.map((l) => l.status).sort()).toEqual(['done', 'failed']);
    expect(lines.find((l) => l.status === 'failed').error).toMatch(/truncated.*truncated\.root/);
    text = '';
    expect(await main(['convert', join(inDir, 'good.pool.root.1'), '--out', outDir], (t) => (text += t))).toBe(0);
    expect(text).toMatch(/0 converted, 1 skipped/);
    expect(await main(['convert', inDir, '--out', outDir, '--row-group', '5000'], () => {})).toBe(1);
    // A worker memory cap below what a conversion pass needs is refused with the reason; the
    // row-group size is not what sets it (issue 7: row groups are written in passes).
    expect(await main(['convert', inDir, '--out', outDir, '--row-group', '1GiB', '--max-worker-memory', '256MiB'], () => {})).toBe(1);
    // The bad input failed before: skipped (still exit 2) unless --resume retries it.
    text = '';
    expect(await main(['convert', inDir, '--out', outDir], (t) => (text += t))).toBe(2);
    expect(text).toMatch(/1 skipped \(failed before; --resume\), 0 failed/);
    text = '';
    expect(await main(['convert', inDir, '--out', outDir, '--resume'], (t) => (text += t))).toBe(2);
    expect(text).toMatch(/0 converted, 1 skipped \(output exists\), 1 failed/);
  });
});

describe('branch selection', () => {
  it('--preset analysis, --include and --exclude choose the columns', async () => {
    const { branchFilter } = await import('../src/convert/select.ts');
    const a = await convertFile(fixture('PHYSLITE_example.root'), { outDir: mkdtempSync(join(dir, 'preset-')), selection: { preset: 'analysis', exclude: ['*mcEventWeights'] } });
    const cols = [...(await duckColumns(a.output)).keys()];
    expect(cols).toContain('AnalysisMuonsAuxDyn_pt');
    expect(cols).toContain('AnalysisJetsAuxDyn_btaggingLink');
    expect(cols).toContain('BTagging_AntiKt4EMPFlowAuxDyn_GN2v00_pb');
    expect(cols).not.toContain('EventInfoAuxDyn_mcEventWeights');
    expect(cols).not.toContain('AnalysisJetsAuxDyn_EnergyPerSampling');
    expect(cols.length).toBeGreaterThan(50);
    expect(cols.length).toBeLessThan(120);
    const only = branchFilter({ include: ['AnalysisMuonsAuxDyn.p?'] });
    expect(['AnalysisMuonsAuxDyn.pt', 'AnalysisMuonsAuxDyn.phi', 'AnalysisMuonsAuxDyn.eta'].filter(only)).toEqual(['AnalysisMuonsAuxDyn.pt']);
    expect(() => branchFilter({ preset: 'nope' })).toThrow(/unknown preset/);
  });
});

describe('verification counts', () => {
  it('counts Parquet level entries: a value each, one per empty list at any depth', async () => {
    const { leafLevels } = await import('../src/convert/convert-file.ts');
    const { ListBuilder, PrimBuilder, StructBuilder } = await import('../src/root/interpret/builders.ts');
    // [[1,2],[]], [], [[3]]  -> values 3, empty lists: one inner, one outer -> 5 level entries
    const inner = new ListBuilder(new PrimBuilder('i32', 64));
    const outer = new ListBuilder(inner);
    const src = new Uint8Array([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]);
    const view = new DataView(src.buffer);
    inner.child.appendBE(src, view, 0, 2);
    inner.close();
    inner.close();
    outer.close();
    outer.close();
    inner.child.appendBE(src, view, 8, 1);
    inner.close();
    outer.close();
    expect(leafLevels(outer.finish(), 'x')).toEqual([['x.list.item.list.item', 5]]);
    const links = new ListBuilder(new StructBuilder(['a', 'b'], [new PrimBuilder('u32'), new PrimBuilder('u32')]));
    links.close();
    expect(leafLevels(links.finish(), 'l')).toEqual([
      ['l.list.item.a', 1],
      ['l.list.item.b', 1],
    ]);
    // A fixed-size list of three per row inside a list: [[a3, b3], []] -> 6 values and one empty list.
    const { FixedListBuilder } = await import('../src/root/interpret/builders.ts');
    const fixed = new ListBuilder(new FixedListBuilder(new PrimBuilder('i32', 64), 3));
    const six = new Uint8Array(24);
    fixed.child.child.appendBE(six, new DataView(six.buffer), 0, 6);
    fixed.close();
    fixed.close();
    expect(leafLevels(fixed.finish(), 'f')).toEqual([['f.list.item.list.item', 7]]);
  });
});
