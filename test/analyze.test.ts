/**
 * Issue 7, end to end: simulated dimuon events generated, converted to Parquet and analysed.
 *   - cross-checked against an independent computation with DuckDB SQL over the same Parquet
 *     files: selected-muon multiplicities, the leading-muon pT histogram, the dimuon mass of the
 *     leading pair (overlap removal off: SQL does the object selection);
 *   - the same analysis reading the ROOT file gives the same histograms;
 *   - any worker count gives identical counts; shards analysed apart and merged equal one run;
 *   - every resonance of the demo sample stands at least 5 standard deviations above its sidebands;
 *   - Parquet converted from real PHYSLITE (release 21 and 22) works, reading a small share of the
 *     bytes; a missing column fails that input with its name and the file, the others go on.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateDimuon, RESONANCES } from '../src/root/write/generate-dimuon.ts';
import { generateLike } from '../src/root/write/generate-like.ts';
import { RootFile } from '../src/root/file.ts';
import { convertFile } from '../src/convert/convert-file.ts';
import { parseCompression } from '../src/root/compression/compress.ts';
import { runAnalysis } from '../src/analysis/run.ts';
import { runTask } from '../src/analysis/run-file.ts';
import { openInput } from '../src/analysis/input.ts';
import { parquetMetadata } from 'hyparquet';
import { startRangeServer } from './support/range-server.ts';
import { startGcsServer } from './support/gcs-server.ts';
import { Histogram } from '../src/analysis/histogram.ts';
import { AnalysisResult } from '../src/analysis/result.ts';
import { writeResults } from '../src/analysis/report.ts';
import { mergeResults } from '../src/cli/merge.ts';
import { main } from '../src/cli/main.ts';
import builtin from '../src/analysis/builtin.ts';
import { fixture } from './helpers/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'physlite-analyze-'));
const NO_OR = ['overlapRemoval=false'];
let rootA: string;
let rootB: string;
let pqA: string;
let pqB: string;
let demoPq: string;

beforeAll(async () => {
  rootA = join(dir, 'a.root');
  rootB = join(dir, 'b.root');
  await generateDimuon({ events: 20_000, out: rootA, compression: parseCompression('zstd:1'), seed: 1 });
  await generateDimuon({ events: 15_000, out: rootB, compression: parseCompression('zstd:1'), seed: 2 });
  // Small row groups so one file splits over workers.
  pqA = (await convertFile(rootA, { outDir: join(dir, 'pq'), rowGroupRows: 4000 })).output;
  pqB = (await convertFile(rootB, { outDir: join(dir, 'pq'), rowGroupRows: 4000 })).output;
  const demo = join(dir, 'demo.root');
  await generateDimuon({ events: 200_000, out: demo, compression: parseCompression('zstd:1') });
  demoPq = (await convertFile(demo, { outDir: join(dir, 'demo') })).output;
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The Parquet footer length (metadata) and the file size. */
function footerOf(path: string): { footer: number; size: number } {
  const b = readFileSync(path);
  return { footer: b.readUInt32LE(b.length - 8) + 8, size: b.length };
}

async function sql(query: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await db.connect();
  const r = await con.runAndReadAll(query);
  return r.getRowObjectsJS() as Record<string, unknown>[];
}

describe('analyze: cross-checked with DuckDB SQL', () => {
  it('selected muons, leading-muon pT and the leading-pair dimuon mass agree', async () => {
    const result = await runAnalysis([pqA, pqB], { params: NO_OR });
    expect(result.summary.failed).toEqual([]);
    const files = `read_parquet(['${pqA}', '${pqB}'])`;
    const base = `
      with ev as (select row_number() over () as ev, cast(nominalMcEventWeight as double) as w,
                         AnalysisMuonsAuxDyn_pt as pt, AnalysisMuonsAuxDyn_eta as eta, AnalysisMuonsAuxDyn_phi as phi,
                         AnalysisMuonsAuxDyn_charge as q, AnalysisMuonsAuxDyn_quality as qual from ${files}),
      mu as (select ev, w, unnest(pt) as pt, unnest(eta) as eta, unnest(phi) as phi, unnest(q) as q, unnest(qual) as qual,
                    generate_subscripts(pt, 1) as j from ev),
      sel as (select * from mu where pt > 3000 and abs(eta) < 2.5 and qual <= 1),
      ranked as (select *, row_number() over (partition by ev order by pt desc, j) as r from sel),
      nsel as (select ev.ev, ev.w, count(sel.ev) as n from ev left join sel on sel.ev = ev.ev group by ev.ev, ev.w)`;
    // Multiplicities of selected muons, weighted.
    const mult = await sql(`${base} select n, sum(w) as w, count(*) as events from nsel group by n order by n`);
    const nMu = result.histograms.get('n_muons')!;
    for (const row of mult) {
      const bin = nMu.axes[0]!.index(Number(row.n));
      expect(nMu.values[bin]).toBeCloseTo(Number(row.w), 6);
    }
    expect(mult.reduce((s, r) => s + Number(r.events), 0)).toBe(35_000);
    // Leading muon pT.
    const lead = await sql(`${base} select cast(pt as double) / 1000 as x, w from ranked where r = 1`);
    const hPt = new Histogram(builtin.histograms(builtin.params).lead_muon_pt!);
    hPt.fill([lead.map((r) => Number(r.x))], lead.map((r) => Number(r.w)));
    const mine = result.histograms.get('lead_muon_pt')!;
    for (let i = 0; i < hPt.values.length; i++) expect(mine.values[i]).toBeCloseTo(hPt.values[i]!, 8);
    // Leading pair mass, opposite charge only, in float64 from the float32 columns.
    const pairs = await sql(`${base},
      p as (select ev, w, cast(pt as double) * cos(cast(phi as double)) as px, cast(pt as double) * sin(cast(phi as double)) as py,
                   cast(pt as double) * ((exp(cast(eta as double)) - exp(-cast(eta as double))) / 2) as pz, q, r from ranked where r <= 2),
      e as (select *, sqrt(px * px + py * py + pz * pz + 105.658 * 105.658) as e from p),
      two as (select a.w, a.px + b.px as px, a.py + b.py as py, a.pz + b.pz as pz, a.e + b.e as e from e a join e b on a.ev = b.ev and a.r = 1 and b.r = 2 where a.q * b.q < 0)
      select sqrt(greatest(e * e - px * px - py * py - pz * pz, 0)) / 1000 as m, w from two`);
    const hM = new Histogram(builtin.histograms(builtin.params).mumu_mass!);
    hM.fill([pairs.map((r) => Number(r.m))], pairs.map((r) => Number(r.w)));
    const mineM = result.histograms.get('mumu_mass')!;
    expect(pairs.length).toBe(result.summary.cutflow.find((c) => c.step === 'mumu: leading pair opposite charge')!.events);
    for (let i = 0; i < hM.values.length; i++) expect(mineM.values[i]).toBeCloseTo(hM.values[i]!, 8);
  });
});

describe('analyze: I/O', () => {
  it('reads the footer and the column chunks of the declared columns, nothing else', async () => {
    const cols = ['AnalysisMuonsAuxDyn_pt', 'AnalysisMuonsAuxDyn_eta', 'AnalysisMuonsAuxDyn_phi', 'AnalysisMuonsAuxDyn_charge'];
    const bytes = readFileSync(pqA);
    const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    let chunkBytes = 0;
    let chunks = 0;
    for (const rg of meta.row_groups) {
      for (const c of rg.columns) {
        if (!cols.includes(c.meta_data!.path_in_schema[0]!)) continue;
        chunkBytes += Number(c.meta_data!.total_compressed_size);
        chunks++;
      }
    }
    expect(meta.row_groups.length).toBe(5);
    const input = await openInput(pqA);
    try {
      let rows = 0;
      for await (const b of input.batches(cols)) rows += b.rows;
      expect(rows).toBe(20_000);
      const { footer } = footerOf(pqA);
      // Footer (with a bounded read-ahead) plus exactly the chunks; one request per chunk at most.
      expect(input.counters.bytes).toBeGreaterThanOrEqual(chunkBytes + footer);
      expect(input.counters.bytes).toBeLessThanOrEqual(chunkBytes + footer + 64 * 1024 + 4);
      expect(input.counters.requests).toBeLessThanOrEqual(chunks + 3);
      expect(input.counters.bytes / input.size).toBeLessThan(0.5);
    } finally {
      await input.close();
    }
  });
});

describe('analyze: remote Parquet', () => {
  it('reads a signed https:// Parquet URL through the byte sources, faults and all, to the same results', async () => {
    const server = await startRangeServer({
      files: { '/data/a.parquet': readFileSync(pqA) },
      faults: { signature: 'good', errorRate: 0.2, resetRate: 0.05, retryAfter: '0', maxFaults: 4 },
      seed: 7,
    });
    try {
      const local = await runAnalysis([pqA]);
      const remote = await runAnalysis([server.url('/data/a.parquet', 'sig=good')], { workers: 2 });
      expect(remote.summary.failed).toEqual([]);
      for (const [name, h] of local.histograms) expect([...remote.histograms.get(name)!.values], name).toEqual([...h.values]);
      // Counted at the server: only ranges (never the whole file), about the declared columns' share.
      expect(server.counters.multiRange).toBe(0);
      const served = server.counters.ranges.reduce((n, [, len]) => n + len, 0);
      expect(served).toBeLessThan(readFileSync(pqA).length);
      expect(remote.summary.io.bytesRead).toBeLessThanOrEqual(served);
      // The query string (signature) appears nowhere in the results.
      expect(JSON.stringify(remote.summary)).not.toContain('sig=');
      const expired = await runAnalysis([server.url('/data/a.parquet', 'sig=old')]);
      expect(expired.summary.failed[0]).toMatchObject({ exitCode: 2 });
      expect(expired.summary.failed[0]!.file).not.toContain('sig=');
      expect(JSON.stringify(expired.summary)).not.toContain('sig=');
      // Replicas (Rucio): when the first cannot be read, the next is, to the same results.
      const first = server.url('/data/a.parquet', 'sig=old');
      const replicas = new Map([[first, [first, server.url('/data/a.parquet', 'sig=good')]]]);
      const fallback = await runAnalysis([first], { replicas });
      expect(fallback.summary.failed).toEqual([]);
      for (const [name, h] of local.histograms) expect([...fallback.histograms.get(name)!.values], name).toEqual([...h.values]);
      expect(fallback.summary.inputs[0]).toMatchObject({ file: first.replace(/\?.*/, ''), replica: first.replace(/\?.*/, '') });
      const none = await runAnalysis([first], { replicas: new Map([[first, [first, first]]]) });
      expect(none.summary.failed[0]!.error).toMatch(/replica 2 of 2; earlier: .*a\.parquet/);
      expect(JSON.stringify(none.summary)).not.toContain('sig=');
      // A file that cannot be opened as Parquet or ROOT: the error names it without its signature.
      const notData = await startRangeServer({ files: { '/x.parquet': Buffer.from('neither parquet nor root, long enough') }, faults: { signature: 's3cr3t' } });
      try {
        const bad = await runAnalysis([notData.url('/x.parquet', 'sig=s3cr3t')], { workers: 2 });
        expect(bad.summary.failed).toHaveLength(1);
        expect(JSON.stringify(bad.summary)).not.toContain('s3cr3t');
        expect(bad.summary.failed[0]!.error).toMatch(/neither Parquet nor ROOT .*x\.parquet/);
      } finally {
        await notData.close();
      }
    } finally {
      await server.close();
    }
  });
});

describe('analyze: gs:// Parquet', () => {
  it('lists a gs:// prefix (skipping ledgers and manifests) and reads the objects by ranges, to the same results', async () => {
    const gcs = await startGcsServer({ buckets: ['data'] });
    try {
      gcs.put('data', 'parquet/a.parquet', readFileSync(pqA));
      gcs.put('data', 'parquet/b.parquet', readFileSync(pqB));
      gcs.put('data', 'parquet/_manifest.json', Buffer.from('{}'));
      gcs.put('data', 'parquet/_ledger/run.jsonl', Buffer.from('{}'));
      const out = join(dir, 'gs-out');
      const lines: string[] = [];
      const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        const code = await main(['analyze', 'gs://data/parquet/', '--gcs-endpoint', gcs.endpoint, '--out', out, '--workers', '2', '--no-plots'], (t) => lines.push(t));
        expect(code, lines.join('\n') + String((err.mock.calls as unknown[][]).map((c) => c[0]).join(''))).toBe(0);
      } finally {
        err.mockRestore();
      }
      const local = await runAnalysis([pqA, pqB]);
      const remote = JSON.parse(readFileSync(join(out, 'histograms.json'), 'utf8'));
      for (const [name, h] of local.histograms) expect(remote[name].storage.values, name).toEqual([...h.values]);
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      expect(summary.inputs.map((i: { file: string }) => i.file).sort()).toEqual(['gs://data/parquet/a.parquet', 'gs://data/parquet/b.parquet']);
      expect(gcs.counters.byKind.media).toBeGreaterThan(0);
      expect(gcs.counters.bytesServed).toBeLessThan(readFileSync(pqA).length + readFileSync(pqB).length);
    } finally {
      await gcs.close();
    }
  });
});

describe('analyze: inputs, workers, shards', () => {
  it('reading the ROOT files gives the same histograms as reading their Parquet conversions', async () => {
    const fromPq = await runAnalysis([pqA, pqB]);
    const fromRoot = await runAnalysis([rootA, rootB]);
    expect(fromRoot.summary.events).toBe(35_000);
    expect(fromRoot.summary.inputs.map((i) => i.kind)).toEqual(['root', 'root']);
    for (const [name, h] of fromPq.histograms) expect([...fromRoot.histograms.get(name)!.values], name).toEqual([...h.values]);
    // Cutflow sums add per batch; ROOT clusters and Parquet row groups batch differently.
    fromPq.summary.cutflow.forEach((c, i) => {
      const o = fromRoot.summary.cutflow[i]!;
      expect(o.events).toBe(c.events);
      expect(o.weighted).toBeCloseTo(c.weighted, 9);
      expect(o.weighted2).toBeCloseTo(c.weighted2, 9);
    });
  });

  it('one worker, two workers (files split by row group) and merged shards agree', async () => {
    const one = await runAnalysis([pqA, pqB], { workers: 1 });
    const two = await runAnalysis([pqA], { workers: 2 }).then(async (a) => a.add(await runAnalysis([pqB], { workers: 2 })));
    const shardDirs = [join(dir, 'shard0'), join(dir, 'shard1')];
    await writeResults(await runAnalysis([pqA], { workers: 1 }), shardDirs[0]!, { plots: false });
    await writeResults(await runAnalysis([pqB], { workers: 2 }), shardDirs[1]!, { plots: false });
    const merged = (await mergeResults([shardDirs[1]!, shardDirs[0]!])) as AnalysisResult;
    for (const other of [two, merged]) {
      expect(other.summary.events).toBe(35_000);
      for (const [name, h] of one.histograms) {
        const o = other.histograms.get(name)!;
        for (let i = 0; i < h.values.length; i++) {
          expect(Math.abs(o.values[i]! - h.values[i]!), name).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(h.values[i]!)));
        }
      }
      for (const [k, row] of one.summary.cutflow.entries()) expect(other.summary.cutflow[k]!.events).toBe(row.events);
    }
    // Shares of a file really ran apart: several row groups, all counted once.
    expect(two.summary.inputs.length).toBeGreaterThan(2);
    expect(two.summary.io.bytesTotal).toBe(one.summary.io.bytesTotal);
  });

  it('every resonance of the demo sample stands at least 5 standard deviations above its sidebands', async () => {
    const r = await runAnalysis([demoPq], { workers: 1 });
    const h = r.histograms.get('mumu_mass')!;
    const edges = h.axes[0]!.edges;
    const sumIn = (lo: number, hi: number): number => {
      let s = 0;
      for (let i = 0; i < edges.length - 1; i++) {
        const c = Math.sqrt(edges[i]! * edges[i + 1]!);
        if (c >= lo && c < hi) s += h.values[i + 1]!;
      }
      return s;
    };
    for (const res of RESONANCES) {
      const m = res.mass / 1000;
      const d = res.name === 'Z' ? 0.05 : res.name.startsWith('Upsilon') ? 0.012 : 0.02;
      const signal = sumIn(m * (1 - d), m * (1 + d));
      const side = (sumIn(m * (1 - 2 * d), m * (1 - d)) + sumIn(m * (1 + d), m * (1 + 2 * d))) / 2;
      const z = (signal - side) / Math.sqrt(Math.max(side, 1));
      expect(z, `${res.name}: ${signal} in the window, ${side} per sideband`).toBeGreaterThanOrEqual(5);
    }
  });
});

describe('analyze: real PHYSLITE conversions and failures', () => {
  it('runs on Parquet converted from release-21 and release-22 files, reading only its columns', async () => {
    const out = join(dir, 'fixtures');
    const r22 = (await convertFile(fixture('PHYSLITE_example.root'), { outDir: out })).output;
    const r21 = (await convertFile(fixture('DAOD_PHYSLITE_21.2.108.0.art.pool.root'), { outDir: out })).output;
    for (const f of [r22, r21]) {
      const r = await runAnalysis([f]);
      expect(r.summary.failed, f).toEqual([]);
      expect(r.summary.events).toBeGreaterThan(0);
      // These files hold 40-100 events: the footer (schema of ~1,200 columns, about half the file) is
      // read whole; of the column data, only the analysis's share.
      const { footer, size } = footerOf(f);
      expect((r.summary.io.bytesRead - footer) / (size - footer), f).toBeLessThan(0.15);
      expect(r.summary.io.requests).toBeLessThan(100);
    }
    const r = await runAnalysis([r22]);
    // Release 22 has the track links: the electron-muon step ran.
    expect(r.summary.notes.join(' ')).not.toMatch(/electron-muon.*skipped/);
    // The release-21 file carries CutBookkeepers: their sums reach the normalisation.
    const n = (await runAnalysis([r21, r21])).summary.normalisation;
    expect(n.filesWithBookkeeping).toBe(2);
    expect(n.nominal).toMatchObject({ container: 'CutBookkeepers', name: 'AllExecutedEvents', stream: 'StreamAOD', cycle: 5, files: 2, nAcceptedEvents: 80 });
    const one = (await runAnalysis([r21])).summary.normalisation.nominal!;
    expect(n.nominal!.sumOfEventWeights).toBe(2 * one.sumOfEventWeights);
    expect(n.nominal!.nAcceptedEvents).toBe(2 * one.nAcceptedEvents);
  });

  it('issue 7: the analysis preset holds every column the built-in analysis reads', async () => {
    const full = (await convertFile(fixture('PHYSLITE_example.root'), { outDir: join(dir, 'preset-full') })).output;
    const preset = (await convertFile(fixture('PHYSLITE_example.root'), { outDir: join(dir, 'preset-only'), selection: { preset: 'analysis' } })).output;
    const columns = async (f: string): Promise<ReadonlySet<string>> => {
      const input = await openInput(f);
      const names = input.columnNames;
      await input.close();
      return names;
    };
    const inFull = await columns(full);
    const inPreset = await columns(preset);
    const requests = Object.entries(builtin.columns(builtin.params)).map(([k, r]) => [k, typeof r === 'string' ? [r] : Array.isArray(r) ? r : (r as { names: string[] }).names] as const);
    for (const [name, names] of requests) {
      const wanted = names.find((n) => inFull.has(n));
      if (wanted) expect(inPreset.has(wanted), `${name}: ${wanted}`).toBe(true);
    }
    const r = await runAnalysis([preset]);
    expect(r.summary.notes.join(' ')).not.toMatch(/electron-muon/);
  });

  it('issue 7: reads the derived per-jet primary-vertex track count instead of NumTrkPt500, to the same results', async () => {
    const file = (await convertFile(fixture('PHYSLITE_example.root'), { outDir: join(dir, 'derived') })).output;
    const params = builtin.params as unknown as Record<string, unknown>;
    const full = { ...builtin, columns: (p: typeof builtin.params) => ({ ...builtin.columns(p), jet_ntrk: { names: ['AnalysisJetsAuxDyn_NumTrkPt500'], optional: true } }) };
    const derived = await runTask(builtin as never, params, { file });
    const fromFull = await runTask(full as never, params, { file });
    expect(derived.histograms.size).toBeGreaterThan(0);
    for (const [name, h] of fromFull.histograms) expect([...derived.histograms.get(name)!.values], name).toEqual([...h.values]);
    expect(derived.summary.cutflow).toEqual(fromFull.summary.cutflow);
    expect(derived.summary.notes.join(' ')).not.toMatch(/track counts absent/);
    expect(derived.summary.io.bytesRead).toBeLessThan(fromFull.summary.io.bytesRead);
  });

  it('analyses an RNTuple PHYSLITE file directly, as its Parquet conversion', async () => {
    const rn = fixture('uproot-physlite-rntuple_v1-0-0-0.root');
    const pq = (await convertFile(rn, { outDir: join(dir, 'rntuple') })).output;
    const direct = await runAnalysis([rn]);
    const converted = await runAnalysis([pq]);
    expect(direct.summary.failed).toEqual([]);
    expect(direct.summary.events).toBe(100);
    expect(direct.summary.inputs[0]!.kind).toBe('root');
    for (const [name, h] of converted.histograms) expect([...direct.histograms.get(name)!.values], name).toEqual([...h.values]);
    expect(direct.histograms.get('n_jets')!.sum()).toBeGreaterThan(0);
  });

  it('reads at most 15% of the bytes of fully converted PHYSLITE-like files', async () => {
    const template = await RootFile.open(fixture('PHYSLITE_example.root'));
    const like = join(dir, 'like.root');
    try {
      await generateLike({ template, events: 1500, out: like, compression: parseCompression('zstd:1') });
    } finally {
      await template.close();
    }
    const full = (await convertFile(like, { outDir: join(dir, 'like') })).output;
    const r = await runAnalysis([full]);
    expect(r.summary.failed).toEqual([]);
    expect(r.summary.events).toBe(1500);
    expect(r.summary.io.fractionRead).toBeLessThan(0.15);
  });

  it('a missing column or a corrupt file fails that input with a clear reason; the others are analysed (exit 2)', async () => {
    const partial = (await convertFile(rootA, { outDir: join(dir, 'partial'), selection: { include: ['EventInfoAuxDyn.*'] } })).output;
    const corrupt = join(dir, 'corrupt.parquet');
    writeFileSync(corrupt, 'PAR1 this is not parquet PAR1');
    const r = await runAnalysis([pqA, partial, corrupt], { workers: 2 });
    expect(r.summary.complete).toBe(false);
    expect(r.summary.failed.map((f) => f.file)).toEqual([partial, corrupt]);
    expect(r.summary.failed[0]!.error).toMatch(/column AnalysisElectronsAuxDyn_pt or AnalysisElectronsAux_pt \(for el_pt\) is missing \(file .*partial/);
    expect(r.summary.failed.every((f) => f.exitCode === 2)).toBe(true);
    expect(r.summary.events).toBe(20_000);

    const out = join(dir, 'cli-out');
    const lines: string[] = [];
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await main(['analyze', pqA, partial, '--out', out, '--workers', '1', '--no-plots'], (t) => lines.push(t));
      expect(code).toBe(2);
      expect(lines.join('\n')).toMatch(/INCOMPLETE: 1 input\(s\) failed/);
      expect(await main(['analyze', pqA, '--out', out, '--param', 'nope=1'], (t) => lines.push(t))).toBe(1);
      expect(await main(['analyze', pqA, '--out', out, '--param', 'muonPt=abc'], (t) => lines.push(t))).toBe(1);
    } finally {
      err.mockRestore();
    }
  });

  it('a custom analysis module declares its columns and fills its own histogram', async () => {
    const mod = join(dir, 'my-analysis.ts');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      mod,
      `export default {
  name: 'muon-eta',
  params: { minPt: 10 },
  columns: () => ({ pt: 'AnalysisMuonsAuxDyn_pt', eta: 'AnalysisMuonsAuxDyn_eta' }),
  histograms: () => ({ eta: { axes: [{ type: 'regular', bins: 50, lower: -2.5, upper: 2.5, label: '#eta' }], storage: 'int' } }),
  process(events, out, p) {
    const pt = events.jagged('pt').values;
    const eta = events.jagged('eta').values;
    const x = [];
    for (let i = 0; i < pt.length; i++) if (pt[i] > p.minPt * 1000) x.push(eta[i]);
    out.hist('eta').fill([x]);
  },
};
`,
    );
    const r = await runAnalysis([pqA], { analysis: mod, params: ['minPt=20'], workers: 2 });
    expect(r.summary.analysis).toBe('muon-eta');
    const rows = await sql(`select count(*) as n from (select unnest(AnalysisMuonsAuxDyn_pt) as pt from read_parquet('${pqA}')) where pt > 20000`);
    expect(r.histograms.get('eta')!.sum()).toBe(Number(rows[0]!.n));
    const out = join(dir, 'custom-out');
    await writeResults(r, out);
    expect((await mergeResults([out, out])) instanceof AnalysisResult).toBe(true);
  });

  it('a file whose row-group share fails contributes nothing (a rerun cannot count events twice)', async () => {
    // pqB has row groups of 4000, 4000, 4000 and 3000 rows; the analysis fails on the batch that
    // holds the last one (small row groups are read together: 15,000 rows in one batch, or with
    // two workers 8,000 and 7,000).
    const mod = join(dir, 'fails-on-short-batch.ts');
    writeFileSync(
      mod,
      `export default {
  name: 'fails', params: {}, columns: () => ({ pt: 'AnalysisMuonsAuxDyn_pt' }),
  histograms: () => ({ n: { axes: [{ type: 'regular', bins: 1, lower: 0, upper: 1 }], storage: 'int' } }),
  process(events, out) { if (events.rows % 4000 !== 0) throw new Error('boom'); out.hist('n').fill([new Float64Array(events.rows)]); },
};
`,
    );
    for (const workers of [1, 2]) {
      const r = await runAnalysis([pqA, pqB], { analysis: mod, workers });
      expect(r.summary.failed.map((f) => f.file)).toEqual([pqB]);
      expect(r.summary.failed[0]!.error).toMatch(/boom/);
      expect(r.summary.events).toBe(20_000);
      expect(r.histograms.get('n')!.sum()).toBe(20_000);
    }
  });

  it('merging results of different parameters is refused', async () => {
    const a = await runAnalysis([pqA], { params: ['muonPt=3'] });
    const b = await runAnalysis([pqA], { params: ['muonPt=20'] });
    expect(() => a.add(b)).toThrow(/different parameters/);
  });
});
