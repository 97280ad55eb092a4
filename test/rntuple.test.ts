/**
 * Issue 9: the RNTuple fixture (four RNTuples, ROOT 6.34, format 1.0) read by the project.
 * Every top-level field is read (or is a class without values, with that reason); fields whose
 * columns all start at element 0 are compared with jsroot entry by entry; the deferred electron
 * and photon fields (schema extension, first element index 1), which jsroot misreads, are checked
 * by consistency with each other and with the electron/photon DataVector counts.
 */
import { DataType, type Data, type List } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { toValues } from '../src/arrow/values.ts';
import { RootFile } from '../src/root/file.ts';
import type { Plan } from '../src/root/rntuple/fields.ts';
import { RNTupleReader } from '../src/root/rntuple/reader.ts';
import { MemorySource } from '../src/root/source/memory.ts';
import { readFile } from 'node:fs/promises';
import type { FieldRecord } from '../src/root/rntuple/schema.ts';
import { difference } from './helpers/compare.ts';
import { fixture } from './helpers/fixtures.ts';
import { countsFromEnds, jsrootReadFields, normalizeRNTupleValue, openJsrootRNTuple } from './helpers/jsroot-rntuple.ts';

const NAME = 'uproot-physlite-rntuple_v1-0-0-0.root';
const NTUPLES = { EventData: { entries: 100, fields: 854 }, EventTag: { entries: 100, fields: 14 }, DataHeader: { entries: 100, fields: 2 }, DataHeaderForm: { entries: 1, fields: 2 } };

let file: RootFile;
beforeAll(async () => {
  file = await RootFile.open(fixture(NAME));
  return () => file.close();
});

/** True when every column under the field starts at element 0 (nothing deferred). */
function startsAtZero(reader: RNTupleReader, f: FieldRecord): boolean {
  const nt = reader.ntuple;
  if ((nt.columnsOf.get(f.id) ?? []).some((c) => c.firstElement !== 0)) return false;
  return (nt.children.get(f.id) ?? []).every((c) => startsAtZero(reader, c));
}

/** jsroot's values in the Arrow type's shapes: chars as codes; DataVectors (end indices) as counts. */
function alignToType(theirs: unknown, type: DataType): unknown {
  if (DataType.isInt(type) && (type as { bitWidth: number }).bitWidth === 8 && typeof theirs === 'string') {
    const code = theirs.charCodeAt(0);
    return (type as { isSigned: boolean }).isSigned && code > 127 ? code - 256 : code;
  }
  if (DataType.isList(type) && Array.isArray(theirs)) return theirs.map((t) => alignToType(t, (type as List).children[0]!.type));
  if (DataType.isStruct(type) && theirs && typeof theirs === 'object') {
    const out: Record<string, unknown> = {};
    for (const f of type.children) out[f.name] = alignToType((theirs as Record<string, unknown>)[f.name], f.type);
    return out;
  }
  return theirs;
}

/**
 * jsroot returns 64-bit integers as doubles, rounded above 2^53 (EventTag index_ref 0x38295400000001
 * comes back as ...00): the project's exact value must round to jsroot's.
 */
function differenceRounded(mine: unknown, theirs: unknown, path: string): string | undefined {
  if (typeof mine === 'bigint' && typeof theirs === 'number' && !Number.isSafeInteger(theirs)) {
    return Number(mine) === theirs ? undefined : `${path}: ${mine} does not round to ${theirs}`;
  }
  if (Array.isArray(mine) && Array.isArray(theirs) && mine.length === theirs.length) {
    for (let i = 0; i < mine.length; i++) {
      const d = differenceRounded(mine[i], theirs[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (mine && typeof mine === 'object' && !Array.isArray(mine) && theirs && typeof theirs === 'object') {
    for (const [k, v] of Object.entries(mine)) {
      const d = differenceRounded(v, (theirs as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return difference(mine, theirs, path);
}

describe.each(Object.entries(NTUPLES))('RNTuple %s', (name, expected) => {
  it('reads every top-level field over all entries; the only unread ones hold no values', async () => {
    const reader = await RNTupleReader.open(file, name);
    expect(reader.entries).toBe(expected.entries);
    expect(reader.ntuple.topLevel.length).toBe(expected.fields);
    const readable: string[] = [];
    const unread: string[] = [];
    for (const f of reader.ntuple.topLevel) {
      const r = reader.resolve(f);
      if (r.readable) readable.push(f.name);
      else if (!r.reason.startsWith('no values: ')) unread.push(`${f.name}: ${r.reason}`);
    }
    expect(unread).toEqual([]);
    const { columns } = await reader.arrays(readable);
    for (const n of readable) expect(columns.get(n)!.length, n).toBe(expected.entries);
    // A sub-range gives the same values as the slice of the whole range.
    if (expected.entries > 20) {
      const part = await reader.arrays(readable, { entryStart: 7, entryStop: 19 });
      const mismatches = readable.filter((n) => difference(toValues(part.columns.get(n)!), toValues(columns.get(n)!).slice(7, 19), n));
      expect(mismatches).toEqual([]);
    }
  });

  it('matches jsroot entry by entry on every field whose columns start at element 0', async () => {
    const reader = await RNTupleReader.open(file, name);
    const jsTuple = await openJsrootRNTuple(fixture(NAME), name);
    const fields = reader.ntuple.topLevel.filter((f) => reader.resolve(f).readable && startsAtZero(reader, f)).map((f) => f.name);
    const { columns } = await reader.arrays(fields);
    const mismatches: string[] = [];
    let compared = 0;
    for (const n of fields) {
      let theirs: unknown[];
      try {
        theirs = (await jsrootReadFields(jsTuple, [n])).get(n)!;
      } catch {
        continue; // jsroot cannot read some classes (`No columns found for field ':_0'`); read above
      }
      const data: Data = columns.get(n)!;
      const plan: Plan = reader.plan(n);
      // jsroot gives every DataVector (also one whose elements hold values, egammaClusters) as the
      // cluster's running end index: compare element counts.
      const dataVector = /^DataVector</.test(reader.field(n).typeName);
      let mine = toValues(data) as unknown[];
      if (dataVector && plan.kind === 'list') mine = mine.map((v) => (v as unknown[]).length);
      const ref = dataVector || plan.kind === 'count' ? countsFromEnds(theirs) : theirs.map((v) => alignToType(normalizeRNTupleValue(v), data.type));
      const d = differenceRounded(mine, ref, n);
      if (d) mismatches.push(d);
      compared++;
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(name === 'EventData' ? 600 : 0);
  }, 120_000);
});

describe('deferred columns (schema extension): electrons and photons', () => {
  const groups = [
    { container: 'AnalysisElectrons', prefix: 'AnalysisElectronsAuxDyn:' },
    { container: 'AnalysisPhotons', prefix: 'AnalysisPhotonsAuxDyn:' },
  ];
  it.each(groups)('$prefix fields agree with each other and with $container', async ({ container, prefix }) => {
    const reader = await RNTupleReader.open(file, 'EventData');
    const fields = reader.ntuple.topLevel.filter((f) => f.name.startsWith(prefix) && /^std::vector</.test(f.typeName));
    expect(fields.length).toBeGreaterThan(10);
    // Every one of them is deferred: its index column starts at element 1 (entry 0 is synthesized).
    for (const f of fields) expect(reader.ntuple.columnsOf.get(f.id)![0]!.firstElement, f.name).toBe(1);
    const { columns } = await reader.arrays([container, ...fields.map((f) => f.name)]);
    const counts = Array.from(columns.get(container)!.values as Uint32Array);
    const total = counts.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(0);
    for (const f of fields) {
      const d = columns.get(f.name)!;
      const o = d.valueOffsets as Int32Array;
      const lengths = Array.from({ length: d.length }, (_, i) => o[i + 1]! - o[i]!);
      expect(lengths, f.name).toEqual(counts);
      expect(lengths[0], f.name).toBe(0);
      expect(o[d.length], f.name).toBe(total);
    }
    // The values are physics, not another field's bytes (jsroot returned zstd headers here).
    const kin = await reader.arrays([`${prefix}pt`, `${prefix}eta`, `${prefix}phi`]);
    const pt = kin.columns.get(`${prefix}pt`)!.children[0]!.values as Float32Array;
    const eta = kin.columns.get(`${prefix}eta`)!.children[0]!.values as Float32Array;
    const phi = kin.columns.get(`${prefix}phi`)!.children[0]!.values as Float32Array;
    expect(pt.length).toBe(total);
    for (let i = 0; i < total; i++) {
      expect(pt[i]).toBeGreaterThan(1000); // MeV
      expect(Math.abs(eta[i]!)).toBeLessThan(2.6);
      expect(Math.abs(phi[i]!)).toBeLessThanOrEqual(Math.fround(Math.PI));
    }
  });

  it('the deferred flags are 0/1 chars and per-electron ElementLinks are consistent', async () => {
    const reader = await RNTupleReader.open(file, 'EventData');
    const { columns } = await reader.arrays(['AnalysisElectronsAuxDyn:DFCommonElectronsLHMedium', 'AnalysisElectronsAuxDyn:trackParticleLinks', 'AnalysisElectrons']);
    const flags = toValues(columns.get('AnalysisElectronsAuxDyn:DFCommonElectronsLHMedium')!).flat() as number[];
    expect(flags.every((v) => v === 0 || v === 1)).toBe(true);
    const links = toValues(columns.get('AnalysisElectronsAuxDyn:trackParticleLinks')!) as unknown[][];
    const counts = Array.from(columns.get('AnalysisElectrons')!.values as Uint32Array);
    expect(links.map((l) => l.length)).toEqual(counts);
  });
});

describe('split aux stores jsroot cannot read (`No columns found for field :_0`)', () => {
  it.each(['AntiKt4TruthDressedWZJets', 'AntiKt10TruthSoftDropBeta100Zcut10Jets'])('%sAux: members agree with the %s DataVector', async (container) => {
    const reader = await RNTupleReader.open(file, 'EventData');
    const members = ['pt', 'eta', 'phi', 'm', 'constituentLinks', 'constituentWeights'].map((m) => `${container}Aux:${m}`);
    const { columns } = await reader.arrays([container, `${container}Aux:`, ...members]);
    const counts = Array.from(columns.get(container)!.values as Uint32Array);
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    for (const m of members) {
      const o = columns.get(m)!.valueOffsets as Int32Array;
      expect(Array.from({ length: 100 }, (_, i) => o[i + 1]! - o[i]!), m).toEqual(counts);
    }
    // The record read whole holds the same values as its member columns.
    const whole = toValues(columns.get(`${container}Aux:`)!) as Record<string, unknown>[];
    expect(whole.map((r) => r.pt)).toEqual(toValues(columns.get(`${container}Aux:pt`)!));
    const eta = columns.get(`${container}Aux:eta`)!.children[0]!.values as Float32Array;
    for (const x of eta) expect(Math.abs(x)).toBeLessThan(10);
  });
});

describe('EventData and EventTag agree', () => {
  it('event and run numbers, and the first MC weight', async () => {
    const data = await RNTupleReader.open(file, 'EventData');
    const tag = await RNTupleReader.open(file, 'EventTag');
    const d = await data.arrays(['EventInfoAuxDyn:eventNumber', 'EventInfoAuxDyn:runNumber', 'EventInfoAuxDyn:mcEventWeights']);
    const t = await tag.arrays(['EventNumber', 'RunNumber', 'EventWeight', 'index_ref']);
    expect(toValues(d.columns.get('EventInfoAuxDyn:eventNumber')!)).toEqual(toValues(t.columns.get('EventNumber')!));
    expect(toValues(d.columns.get('EventInfoAuxDyn:runNumber')!)).toEqual(toValues(t.columns.get('RunNumber')!));
    const w = toValues(d.columns.get('EventInfoAuxDyn:mcEventWeights')!) as number[][];
    expect(w.every((x) => x.length === 194)).toBe(true);
    expect(w[0]![0]).toBe(toValues(t.columns.get('EventWeight')!)[0]);
    // 64-bit values above 2^53 stay exact: consecutive entries differ by exactly one.
    const refs = toValues(t.columns.get('index_ref')!) as bigint[];
    expect(refs[0]! > 2n ** 53n).toBe(true);
    for (let i = 1; i < refs.length; i++) expect(refs[i]! - refs[i - 1]!).toBe(1n);
  });
});

describe('I/O: only the envelopes and the pages of the requested fields are read', () => {
  it('opening reads anchor, header, footer and page list; a field reads its own pages', async () => {
    const source = new MemorySource(new Uint8Array(await readFile(fixture(NAME))), NAME);
    const f = await RootFile.open(source);
    const before = { ...source.counters };
    const reader = await RNTupleReader.open(f, 'EventData');
    const a = reader.ntuple.anchor;
    const group = reader.ntuple.groups[0]!.pageList.locator;
    const opened = source.counters.bytes - before.bytes;
    // The anchor's key, the two envelopes and the page list, nothing else (no page, no full scan).
    expect(opened).toBeGreaterThanOrEqual(a.nbytesHeader + a.nbytesFooter + group.size);
    expect(opened).toBeLessThan(a.nbytesHeader + a.nbytesFooter + group.size + 1024);
    expect(source.counters.requests - before.requests).toBeLessThanOrEqual(4);

    const field = reader.field('AnalysisMuonsAuxDyn:pt');
    const pages = reader.pageBytes(field);
    const start = { ...source.counters };
    await reader.arrays(['AnalysisMuonsAuxDyn:pt']);
    const read = source.counters.bytes - start.bytes;
    // Its pages (with their checksums), in at most one request per page: a few kB of a 2 MB file.
    expect(read).toBeGreaterThanOrEqual(pages.compressed);
    expect(read).toBeLessThanOrEqual(pages.compressed + 8 * pages.pages + 64 * 1024);
    expect(source.counters.requests - start.requests).toBeLessThanOrEqual(pages.pages);
    await f.close();
  });
});

