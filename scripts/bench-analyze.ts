/**
 * bench:analyze — the analysis stage's speed and bytes read, each figure naming its dataset. Prints JSON.
 *   like:   --like-events smeared PHYSLITE-like events (from PHYSLITE_example), converted in full (default
 *           512 MiB row groups, and 64 MiB ones, the default before issue 7's passes) and with the
 *           `analysis` preset: the built-in analysis's
 *           events/s (1 worker, warm: see `best`) and bytes read
 *           as a share of the files; the same analysis reading the ROOT file directly.
 *   dimuon: --dimuon-events simulated dimuon events converted to Parquet: the built-in analysis's
 *           events/s, and the leading-pair dimuon mass histogram (scripts/analyses/dimuon-mass.ts)
 *           against DuckDB on one thread running the same query in SQL on the same file.
 * Inputs are generated once under bench-data/analyze/ and reused.
 */
import { existsSync, mkdirSync, openAsBlob, readdirSync, statSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';
import * as pq from 'parquet-wasm/node';
import { FileSource } from '../src/root/source/file.ts';
import { SourceBlob } from '../src/analysis/source-blob.ts';
import { ParquetReader } from '../src/parquet/read/reader.ts';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseCompression } from '../src/root/compression/compress.ts';
import { RootFile } from '../src/root/file.ts';
import { generateLike } from '../src/root/write/generate-like.ts';
import { generateDimuon } from '../src/root/write/generate-dimuon.ts';
import { convertFile } from '../src/convert/convert-file.ts';
import { runAnalysis } from '../src/analysis/run.ts';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    'like-events': { type: 'string', default: '30000' },
    'dimuon-events': { type: 'string', default: '1000000' },
    repeat: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
  },
});
const dir = join(root, 'bench-data', 'analyze');
mkdirSync(dir, { recursive: true });
const repeat = Number(values.repeat);
const warmup = Number(values.warmup);
const log = (m: string): boolean => process.stderr.write(`bench:analyze: ${m}\n`);

async function once<T>(path: string, make: () => Promise<T>): Promise<void> {
  if (!existsSync(path)) await make();
}

function parquetIn(d: string): string {
  return join(d, readdirSync(d).find((f) => f.endsWith('.parquet'))!);
}

/**
 * CPU seconds (user + system) of this process per analysis run. With one worker the analysis runs
 * in this thread, so this is the analysing process's own time (V8's background threads included):
 * on a shared machine the per-worker figure, not stretched by waiting for a core as wall-clock
 * events/s is (though still slowed by other jobs sharing caches and cores).
 */
interface Timing {
  cpu: number;
  median: number;
  cold: number;
}
const timings = new WeakMap<object, Timing>();

/**
 * `warmup` runs first, not counted (a worker analysing a dataset is past its JIT warm-up after the
 * first file; the first run of a process, which compiles the code, is reported as `coldSeconds`),
 * then `repeat` timed runs: the best (least disturbed) by wall clock, the median, and the least CPU.
 */
async function best(inputs: string[], o: Parameters<typeof runAnalysis>[1]) {
  let cold = NaN;
  for (let i = 0; i < warmup; i++) {
    const r = await runAnalysis(inputs, o);
    if (i === 0) cold = r.summary.seconds!;
  }
  let top: Awaited<ReturnType<typeof runAnalysis>> | null = null;
  let cpu = Infinity;
  const walls: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const c0 = process.cpuUsage();
    const r = await runAnalysis(inputs, o);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1e6);
    walls.push(r.summary.seconds!);
    if (!top || r.summary.seconds! < top.summary.seconds!) top = r;
  }
  walls.sort((a, b) => a - b);
  timings.set(top!, { cpu, median: walls[walls.length >> 1]!, cold: Number.isNaN(cold) ? walls[0]! : cold });
  return top!;
}

const figures = (r: Awaited<ReturnType<typeof runAnalysis>>) => {
  const t = timings.get(r)!;
  return {
    events: r.summary.events,
    seconds: +r.summary.seconds!.toFixed(3),
    eventsPerSecond: Math.round(r.summary.eventsPerSecond!),
    medianEventsPerSecond: Math.round(r.summary.events / t.median),
    cpuSeconds: +t.cpu.toFixed(3),
    eventsPerCpuSecond: Math.round(r.summary.events / t.cpu),
    coldSeconds: +t.cold.toFixed(3),
    bytesRead: r.summary.io.bytesRead,
    bytesTotal: r.summary.io.bytesTotal,
    fractionRead: +r.summary.io.fractionRead.toFixed(4),
  };
};

// Smeared PHYSLITE-like data.
const likeEvents = Number(values['like-events']);
const likeRoot = join(dir, `like-${likeEvents}.root`);
await once(likeRoot, async () => {
  log(`generating ${likeEvents} PHYSLITE-like events`);
  const template = await RootFile.open(resolve(root, '..', 'shared', 'fixtures', 'root', 'PHYSLITE_example.root'));
  await generateLike({ template, events: likeEvents, out: likeRoot, compression: parseCompression('zstd:5') });
  await template.close();
});
// Directories name the row-group target, so conversions cached under an older default are not reused.
const likeFull = join(dir, `like-${likeEvents}-full-512MiB`);
const likePreset = join(dir, `like-${likeEvents}-preset-512MiB`);
await once(likeFull, () => convertFile(likeRoot, { outDir: likeFull }));
await once(likePreset, () => convertFile(likeRoot, { outDir: likePreset, selection: { preset: 'analysis' } }));
// In full with the earlier default target, 64 MiB: 8x more row groups of 8x fewer events (a larger
// footer, smaller pages); shows what the row-group size costs an analysis.
const likeFullSmall = join(dir, `like-${likeEvents}-full-64MiB`);
await once(likeFullSmall, () => convertFile(likeRoot, { outDir: likeFullSmall, rowGroupBytes: 64 * 2 ** 20 }));

log('built-in analysis on PHYSLITE-like data');
const likeResults = {
  dataset: `${likeEvents} smeared PHYSLITE-like events (${(statSync(likeRoot).size / 1e6).toFixed(1)} MB ROOT, zstd:5)`,
  parquetFull: figures(await best([parquetIn(likeFull)], { workers: 1 })),
  parquetPreset: figures(await best([parquetIn(likePreset)], { workers: 1 })),
  parquetFullRowGroup64MiB: figures(await best([parquetIn(likeFullSmall)], { workers: 1 })),
  rootDirect: figures(await best([likeRoot], { workers: 1 })),
};

// Simulated dimuon events.
const dimuonEvents = Number(values['dimuon-events']);
const dimuonRoot = join(dir, `dimuon-${dimuonEvents}.root`);
await once(dimuonRoot, () => {
  log(`generating ${dimuonEvents} dimuon events`);
  return generateDimuon({ events: dimuonEvents, out: dimuonRoot, compression: parseCompression('zstd:5') });
});
const dimuonPqDir = join(dir, `dimuon-${dimuonEvents}-pq-512MiB`);
await once(dimuonPqDir, () => convertFile(dimuonRoot, { outDir: dimuonPqDir }));
const dimuonPq = parquetIn(dimuonPqDir);

log('built-in analysis and the leading-pair mass on dimuon events');
const builtinDimuon = figures(await best([dimuonPq], { workers: 1 }));
const massRun = await best([dimuonPq], { workers: 1, analysis: join(root, 'scripts', 'analyses', 'dimuon-mass.ts') });

const db = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await db.connect();
const query = `
  with e as (
    select AnalysisMuonsAuxDyn_pt as pt, AnalysisMuonsAuxDyn_eta as eta, AnalysisMuonsAuxDyn_phi as phi, AnalysisMuonsAuxDyn_charge as q,
           list_grade_up(AnalysisMuonsAuxDyn_pt, 'DESC') as o
    from read_parquet('${dimuonPq}') where len(AnalysisMuonsAuxDyn_pt) >= 2),
  p as (
    select cast(pt[o[1]] as double) as pt1, cast(eta[o[1]] as double) as eta1, cast(phi[o[1]] as double) as phi1,
           cast(pt[o[2]] as double) as pt2, cast(eta[o[2]] as double) as eta2, cast(phi[o[2]] as double) as phi2
    from e where q[o[1]] * q[o[2]] < 0),
  v as (
    select pt1 * cos(phi1) + pt2 * cos(phi2) as px, pt1 * sin(phi1) + pt2 * sin(phi2) as py,
           pt1 * sinh(eta1) + pt2 * sinh(eta2) as pz,
           sqrt(pow(pt1 * cosh(eta1), 2) + 105.658 * 105.658) + sqrt(pow(pt2 * cosh(eta2), 2) + 105.658 * 105.658) as e
    from p),
  m as (select sqrt(greatest(e * e - px * px - py * py - pz * pz, 0)) / 1000 as m from v)
  select least(greatest(floor(ln(m / 0.25) / ln(150 / 0.25) * 600) + 1, 0), 601) as bin, count(*) as n from m group by bin order by bin`;
let duckSeconds = Infinity;
let duckRows: Record<string, unknown>[] = [];
for (let i = 0; i < repeat; i++) {
  const t0 = performance.now();
  duckRows = (await con.runAndReadAll(query)).getRowObjectsJS() as Record<string, unknown>[];
  duckSeconds = Math.min(duckSeconds, (performance.now() - t0) / 1000);
}
const duckCount = duckRows.reduce((s, r) => s + Number(r.n), 0);

// Reading four muon list columns: the project's projected reader over its byte source (the
// approach chosen: counted, the same path HTTP and GCS sources take) versus parquet-wasm (with the
// Arrow IPC copy) over the byte source's Blob and over Node's own file Blob.
const muonColumns = ['AnalysisMuonsAuxDyn_pt', 'AnalysisMuonsAuxDyn_eta', 'AnalysisMuonsAuxDyn_phi', 'AnalysisMuonsAuxDyn_charge'];
async function readColumnsWasm(blob: Blob): Promise<number> {
  const pf = await pq.ParquetFile.fromFile(blob);
  const t0 = performance.now();
  const stream = await pf.stream({ columns: muonColumns, batchSize: 1 << 20 });
  for await (const b of stream as unknown as AsyncIterable<pq.RecordBatch>) tableFromIPC(b.intoIPCStream());
  const s = (performance.now() - t0) / 1000;
  pf.free();
  return s;
}
async function readColumnsOwn(path: string): Promise<number> {
  const src = await FileSource.open(path);
  const t0 = performance.now();
  const reader = await ParquetReader.open(src);
  for (let g = 0; g < reader.rowGroups; g++) await reader.readRowGroup(g, muonColumns);
  const s = (performance.now() - t0) / 1000;
  await src.close();
  return s;
}
const readTimes = { projectedReader: Infinity, wasmSourceBlob: Infinity, wasmNodeFileBlob: Infinity };
for (let i = 0; i < repeat; i++) {
  readTimes.projectedReader = Math.min(readTimes.projectedReader, await readColumnsOwn(dimuonPq));
  const src = await FileSource.open(dimuonPq);
  readTimes.wasmSourceBlob = Math.min(readTimes.wasmSourceBlob, await readColumnsWasm(new SourceBlob(src)));
  await src.close();
  readTimes.wasmNodeFileBlob = Math.min(readTimes.wasmNodeFileBlob, await readColumnsWasm(await openAsBlob(dimuonPq)));
}
const ours = massRun.histograms.get('mass')!;

console.log(
  JSON.stringify(
    {
      note: "Each figure after `warmup` uncounted runs in this process (a worker is warm after its first file), then `repeat` timed runs. eventsPerSecond: wall clock, best of the runs, disturbed by other load on the machine; medianEventsPerSecond: the median run; eventsPerCpuSecond: events per CPU second (user + system, least over the runs) of the analysing process with one worker; it includes V8's background threads (concurrent GC, compiler), so it can be below the wall-clock figure. coldSeconds: the first run in the process (module loading and JIT compilation included).",
      runs: { warmup, repeat },
      loadAverage: os.loadavg().map((x) => +x.toFixed(2)),
      like: likeResults,
      dimuon: {
        dataset: `${dimuonEvents} simulated dimuon events (Parquet ${(statSync(dimuonPq).size / 1e6).toFixed(1)} MB)`,
        builtin: builtinDimuon,
        leadingPairMass: {
          physlite: figures(massRun),
          duckdbOneThread: { seconds: +duckSeconds.toFixed(3), eventsPerSecond: Math.round(dimuonEvents / duckSeconds) },
          physliteOverDuckdbTime: +(massRun.summary.seconds! / duckSeconds).toFixed(2),
          pairs: { physlite: ours.sum(), duckdb: duckCount },
        },
        readFourMuonColumns: Object.fromEntries(
          Object.entries(readTimes).map(([k, t]) => [k, { seconds: +t.toFixed(3), eventsPerSecond: Math.round(dimuonEvents / t) }]),
        ),
      },
    },
    null,
    2,
  ),
);
