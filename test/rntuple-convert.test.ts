/**
 * Issue 9: RNTuple through the commands. `convert` turns the RNTuple fixture's EventData (chosen by
 * default: the file has no CollectionTree) into Parquet whose every column DuckDB reads back equal
 * to the RNTuple reader, with the column names and types a TTree of the same content gets (checked
 * against the TTree PHYSLITE_example on every column the two files share); `inspect` lists the
 * RNTuples with kind "RNTuple"; `dump` reads fields by their RNTuple names.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { toValues } from '../src/arrow/values.ts';
import { convertFile } from '../src/convert/convert-file.ts';
import { DERIVED_COLUMNS } from '../src/convert/derived.ts';
import { expectedDerived } from './helpers/derived.ts';
import { columnName } from '../src/parquet/naming.ts';
import { RootFile } from '../src/root/file.ts';
import { inspectFile } from '../src/root/inspect.ts';
import { openTable, type TableColumn } from '../src/root/table.ts';
import { readdirSync } from 'node:fs';
import { DeserializationError } from '../src/errors.ts';
import { fixture } from './helpers/fixtures.ts';
import { leBytes, splitBytes, writeHandRNTuple, type HandRNTuple } from './helpers/rntuple-writer.ts';
import { duckColumns, json, keyValues, project } from './helpers/parquet-check.ts';

const RNTUPLE = fixture('uproot-physlite-rntuple_v1-0-0-0.root');
const dir = mkdtempSync(join(tmpdir(), 'physlite-rntuple-convert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sub = (name: string): string => {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
};

async function duckTypes(path: string): Promise<Map<string, string>> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const d = await con.runAndReadAll(`describe select * from read_parquet('${path}')`);
  return new Map(d.getRows().map((r) => [String(r[0]), String(r[1])]));
}

/** C++ type names of both spellings (`std::vector<std::uint32_t>`, `vector<unsigned int>`) made comparable. */
function cxx(t: string): string {
  const ints: Record<string, string> = {
    int8_t: 'char', uint8_t: 'unsigned char', int16_t: 'short', uint16_t: 'unsigned short', int32_t: 'int', uint32_t: 'unsigned int',
    int64_t: 'long', uint64_t: 'unsigned long', Long64_t: 'long', ULong64_t: 'unsigned long', Int_t: 'int', UInt_t: 'unsigned int', Float_t: 'float',
    Double_t: 'double', Char_t: 'char', UChar_t: 'unsigned char', Bool_t: 'bool',
  };
  return t
    .replace(/std::/g, '')
    .replace(/\b(u?int(8|16|32|64)_t|U?Long64_t|U?Int_t|Float_t|Double_t|U?Char_t|Bool_t)\b/g, (m) => ints[m]!)
    .replace(/\s+/g, '')
    .replace(/<([^<>]*)>/g, '<$1>');
}

describe('convert an RNTuple', () => {
  it('converts EventData by default; DuckDB reads every column equal to the RNTuple reader', async () => {
    const result = await convertFile(RNTUPLE, { outDir: dir });
    expect(result.entries).toBe(100);
    const info = JSON.parse((await keyValues(result.output)).get('physlite')!);
    expect(info.tree).toBe('EventData');
    expect(info.leftOut).toEqual(result.leftOut);
    // What is left out says why: DataVector counts, split aux stores, classes without values.
    expect(new Set(result.leftOut.map((l) => l.reason.replace(/ \(.*$|:.*$/, '')))).toEqual(new Set(['redundant', 'no values']));
    const file = await RootFile.open(RNTUPLE);
    const table = await openTable(file, 'EventData');
    const duck = await duckColumns(result.output);
    expect(duck.size).toBe(result.columns);
    let compared = 0;
    for (const c of table.columns()) {
      const column = columnName(c.name);
      if (!duck.has(column)) continue;
      const { columns } = await table.arrays([c.name]);
      const theirs = duck.get(column)!;
      expect(theirs.length, column).toBe(100);
      expect(json(theirs), column).toBe(json(project(toValues(columns.get(c.name)!), theirs)));
      compared++;
    }
    expect(compared).toBe(result.columns - DERIVED_COLUMNS.length); // all but the derived columns
    for (const d of DERIVED_COLUMNS) {
      const source = d.source.replace(/_/, ':');
      const { columns } = await table.arrays([source]);
      expect(json(duck.get(d.name)), d.name).toBe(json(expectedDerived(d.name, toValues(columns.get(source)!))));
    }
    await file.close();
  }, 120_000);

  it('gives every column the name and type the TTree of the same content gets', async () => {
    const fromTree = await convertFile(fixture('PHYSLITE_example.root'), { outDir: dir });
    const fromNtuple = await convertFile(RNTUPLE, { outDir: sub('named'), tree: 'EventData' });
    const treeTypes = await duckTypes(fromTree.output);
    const ntupleTypes = await duckTypes(fromNtuple.output);
    const cxxOf = async (path: string, name: string): Promise<Map<string, TableColumn>> => {
      const f = await RootFile.open(path);
      const cols = (await openTable(f, name)).columns();
      await f.close();
      return new Map(cols.map((c) => [columnName(c.name), c]));
    };
    const treeCols = await cxxOf(fixture('PHYSLITE_example.root'), 'CollectionTree');
    const ntupleCols = await cxxOf(RNTUPLE, 'EventData');
    const differences: string[] = [];
    let same = 0;
    for (const [column, n] of ntupleCols) {
      const t = treeCols.get(column);
      if (!t || cxx(t.typeName) !== cxx(n.typeName)) continue; // not the same content
      const a = treeTypes.get(column);
      const b = ntupleTypes.get(column);
      if (a !== b) differences.push(`${column} (${n.typeName}): TTree ${a ?? 'left out'}, RNTuple ${b ?? 'left out'}`);
      else if (a) same++;
    }
    expect(differences).toEqual([]);
    expect(same).toBeGreaterThan(650);
    // Spot checks of the type table: ElementLinks, nested lists, chars, split aux-store members.
    expect(ntupleTypes.get('AnalysisJetsAuxDyn_btaggingLink')).toBe('STRUCT(m_persKey UINTEGER, m_persIndex UINTEGER)[]');
    expect(ntupleTypes.get('AnalysisJetsAuxDyn_EnergyPerSampling')).toBe('FLOAT[][]');
    expect(ntupleTypes.get('AnalysisElectronsAuxDyn_DFCommonElectronsLHMedium')).toBe('TINYINT[]');
    expect(ntupleTypes.get('xTrigDecisionAux_smk')).toBe('UINTEGER');
    expect(ntupleTypes.has('AnalysisElectrons')).toBe(false); // DataVector counts are redundant
  }, 120_000);

  it('selects RNTuple fields with the TTree-style globs and the analysis preset', async () => {
    const r = await convertFile(RNTUPLE, { outDir: sub('selected'), selection: { include: ['AnalysisMuonsAuxDyn.*'] } });
    const types = await duckTypes(r.output);
    expect([...types.keys()].every((c) => c.startsWith('AnalysisMuonsAuxDyn_'))).toBe(true);
    expect(types.get('AnalysisMuonsAuxDyn_pt')).toBe('FLOAT[]');
    const preset = await convertFile(RNTUPLE, { outDir: sub('preset'), selection: { preset: 'analysis' } });
    const ptypes = await duckTypes(preset.output);
    for (const c of ['AnalysisElectronsAuxDyn_pt', 'AnalysisMuonsAuxDyn_pt', 'AnalysisJetsAuxDyn_pt', 'EventInfoAuxDyn_eventNumber']) expect(ptypes.has(c), c).toBe(true);
  }, 120_000);
});

describe('inspect lists RNTuples', () => {
  it('with kind "RNTuple", entries, top-level fields, page bytes and counts', async () => {
    const r = await inspectFile(RNTUPLE);
    const ntuples = r.trees.filter((t) => t.kind === 'RNTuple');
    expect(ntuples.map((t) => [t.name, t.cycle, t.entries, t.branches.length])).toEqual([
      ['DataHeader', 1, 100, 2],
      ['DataHeaderForm', 1, 1, 2],
      ['EventData', 1, 100, 854],
      ['EventTag', 1, 100, 14],
    ]);
    const ed = ntuples.find((t) => t.name === 'EventData')!;
    // The figures of ../shared/docs/physlite-format.md section 7: 1,749 pages, 1,023,012 bytes.
    expect(ed.branches.reduce((s, b) => s + b.baskets, 0)).toBe(1749);
    expect(ed.branches.reduce((s, b) => s + b.compressedBytes, 0)).toBe(1023012);
    const pt = ed.branches.find((b) => b.name === 'AnalysisMuonsAuxDyn:pt')!;
    expect(pt).toMatchObject({ typeName: 'std::vector<float>', readable: true });
    expect(pt.baskets).toBeGreaterThan(0);
    const aux = ed.branches.find((b) => b.name === 'AnalysisElectronsAux:')!;
    expect(aux.readable).toBe(false);
    expect(aux.reason).toMatch(/^no values: xAOD::AuxContainerBase has no columns/);
    expect(r.trees.filter((t) => t.kind === 'TTree').map((t) => t.name)).toContain('MetaData');
  });
});

describe('convert a hand-built RNTuple', () => {
  // Two clusters; `AnalysisMuonsAuxDyn:pt` is deferred from entry 1 (schema extension).
  const ntuple = (checksum: 'good' | 'bad'): HandRNTuple => ({
    name: 'Events',
    entries: 4,
    clusters: [2, 2],
    fields: [
      { name: 'EventInfoAuxDyn:runNumber', type: 'std::uint32_t', role: 0 },
      { name: 'AnalysisMuonsAuxDyn:pt', type: 'std::vector<float>', role: 1, extension: true },
      { name: '_0', type: 'float', role: 0, parent: 1, extension: true },
    ],
    columns: [
      {
        field: 0,
        type: 0x14,
        bits: 32,
        perCluster: [
          { pages: [{ bytes: splitBytes(leBytes([7, 7], 'u32'), 4), elements: 2, checksum: 'good' }], elementOffset: 0 },
          { pages: [{ bytes: splitBytes(leBytes([8, 8], 'u32'), 4), elements: 2, checksum }], elementOffset: 2 },
        ],
      },
      {
        field: 1,
        type: 0x1b,
        bits: 64,
        firstElement: 1,
        extension: true,
        perCluster: [
          { pages: [{ bytes: splitBytes(leBytes([2], 'u64'), 8), elements: 1 }], elementOffset: 1 },
          { pages: [{ bytes: splitBytes(leBytes([0, 1], 'u64'), 8), elements: 2 }], elementOffset: 2 },
        ],
      },
      {
        field: 2,
        type: 0x18,
        bits: 32,
        extension: true,
        perCluster: [
          { pages: [{ bytes: splitBytes(leBytes([5000, 6000], 'f32'), 4), elements: 2 }], elementOffset: 0 },
          { pages: [{ bytes: splitBytes(leBytes([7000], 'f32'), 4), elements: 1 }], elementOffset: 2 },
        ],
      },
    ],
  });

  it('deferred entries become empty lists in Parquet; the only RNTuple is the default', async () => {
    const input = join(sub('hand-in'), 'hand.root');
    await writeHandRNTuple(input, ntuple('good'));
    const r = await convertFile(input, { outDir: sub('hand-out') });
    const duck = await duckColumns(r.output);
    expect([...duck.keys()]).toEqual(['EventInfoAuxDyn_runNumber', 'AnalysisMuonsAuxDyn_pt']);
    expect(duck.get('EventInfoAuxDyn_runNumber')).toEqual([7, 7, 8, 8]);
    expect(duck.get('AnalysisMuonsAuxDyn_pt')).toEqual([[], [5000, 6000], [], [7000]]);
  });

  it('a corrupt page fails the input with a typed error and leaves no output behind', async () => {
    const input = join(sub('bad-in'), 'bad.root');
    await writeHandRNTuple(input, ntuple('bad'));
    const out = sub('bad-out');
    const err = await convertFile(input, { outDir: out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeserializationError);
    expect((err as DeserializationError).describe()).toMatch(/page 0 of column 0: checksum mismatch .*file .*bad\.root, object Events;1, branch EventInfoAuxDyn:runNumber/);
    expect(readdirSync(out)).toEqual([]);
  });
});

