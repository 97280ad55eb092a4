/**
 * bench:convert — conversion throughput and memory with one worker and with all cores, and the
 * Parquet/ROOT size ratio on generated data and on the real fixtures. Prints JSON.
 * Inputs: --inputs DIR (e.g. bench-data/small from `npm run bench:data`), else it generates
 * --files files of --events PHYSLITE-like events into bench-data/convert-in first.
 * Memory per worker is the workers' resident size reported after each file (the pool's record): the samples
 * after file 100 and 1,000, the median of every 100 files, and the growth as the median of files
 * 901-1,000 over that of files 51-150 (one sample moves by tens of MiB with the GC's timing)
 * and their peak (the kernel's high-water mark, also within a file).
 * The 2 GB file (`npm run bench:data -- --only 2gb`, or --big FILE) is converted by one worker:
 * events/s, MB/s and the worker's peak memory.
 * Throughput is given twice: uncompressedMBpsPerWorker is wall-clock (slowed by whatever else runs
 * on the machine); uncompressedMBPerWorkerCpuSecond divides by the CPU time the workers spent on
 * the inputs (user + system of each worker process, all its threads), the per-worker figure that
 * a shared machine's load does not distort (much: caches and frequency are still shared). --only small|big|fixtures runs one part;
 * --row-group 128MiB (or 5000rows) converts with another row-group target than the default;
 * --scratch DIR puts the outputs (removed and rewritten on every run) elsewhere than bench-data/.
 */
import { availableParallelism, loadavg } from 'node:os';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCompression } from '../src/root/compression/compress.ts';
import { RootFile } from '../src/root/file.ts';
import { generateLike } from '../src/root/write/generate-like.ts';
import { ConversionPool } from '../src/convert/pool.ts';
import { convertFile, type ConvertResult } from '../src/convert/convert-file.ts';
import { parseRowGroupTarget } from '../src/convert/options.ts';

const root = resolve(import.meta.dirname, '..');
const fixtures = resolve(root, '..', 'shared', 'fixtures', 'root');
const { values } = parseArgs({
  options: {
    inputs: { type: 'string' },
    files: { type: 'string', default: '8' },
    events: { type: 'string', default: '1000' },
    template: { type: 'string', default: join(fixtures, 'PHYSLITE_example.root') },
    big: { type: 'string', default: join(root, 'bench-data', 'physlite-2GB.root') },
    only: { type: 'string' },
    scratch: { type: 'string', default: join(root, 'bench-data') },
    'row-group': { type: 'string' },
  },
});
const loadAtStart = loadavg();
const target = values['row-group'] ? parseRowGroupTarget(values['row-group']) : {};
const part = (name: string): boolean => !values.only || values.only === name;

let inputDir = values.inputs;
if (!inputDir && part('small')) {
  inputDir = join(root, 'bench-data', 'convert-in');
  mkdirSync(inputDir, { recursive: true });
  for (let i = 0; i < Number(values.files); i++) {
    const out = join(inputDir, `gen-${i}.root`);
    if (existsSync(out)) continue;
    const template = await RootFile.open(values.template!);
    await generateLike({ template, events: Number(values.events), out, compression: parseCompression('zstd:5'), seed: 100 + i });
    await template.close();
  }
}
const inputs = inputDir
  ? readdirSync(inputDir)
      .filter((f) => f.endsWith('.root'))
      .sort()
      .map((f) => join(inputDir!, f))
  : [];

async function run(workers: number, files = inputs, label = String(workers)): Promise<Record<string, unknown>> {
  const outDir = join(values.scratch!, `convert-out-${label}`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const pool = new ConversionPool({ workers, maxRssBytes: 4 * 2 ** 30, maxFilesPerWorker: 1_000_000 });
  const results: ConvertResult[] = [];
  const t0 = performance.now();
  await pool.run(files, { outDir, rowGroupBytes: target.bytes, rowGroupRows: target.rows }, async (_input, r) => {
    if (r instanceof Error) throw r;
    results.push(r);
  });
  const seconds = (performance.now() - t0) / 1000;
  const events = results.reduce((n, r) => n + r.entries, 0);
  const uncompressed = results.reduce((n, r) => n + r.uncompressedBytes, 0);
  const rootBytes = results.reduce((n, r) => n + r.bytesIn, 0);
  const parquetBytes = results.reduce((n, r) => n + r.bytesOut, 0);
  return {
    workers,
    files: results.length,
    events,
    seconds: +seconds.toFixed(2),
    eventsPerSecond: Math.round(events / seconds),
    eventsPerSecondPerWorker: Math.round(events / seconds / workers),
    uncompressedMBpsPerWorker: +(uncompressed / 1e6 / seconds / workers).toFixed(1),
    workerCpuSeconds: +pool.cpuSeconds.toFixed(2),
    uncompressedMBPerWorkerCpuSecond: +(uncompressed / 1e6 / pool.cpuSeconds).toFixed(1),
    peakWorkerRssMiB: +(pool.peakRss / 2 ** 20).toFixed(1),
    workerRssAfterFile100MiB: pool.rssHistory[99] ? +(pool.rssHistory[99] / 2 ** 20).toFixed(1) : null,
    workerRssAfterFile1000MiB: pool.rssHistory[999] ? +(pool.rssHistory[999] / 2 ** 20).toFixed(1) : null,
    // One sample jumps by tens of MiB with the garbage collector's timing; the median of each
    // 100 files shows a trend (a leak) apart from that noise.
    workerRssMedianPer100FilesMiB: windows(pool.rssHistory, 100).map((b) => +(b / 2 ** 20).toFixed(1)),
    rssGrowthFile100To1000: pool.rssHistory.length >= 1000 ? +(median(pool.rssHistory.slice(900, 1000)) / median(pool.rssHistory.slice(50, 150)) - 1).toFixed(3) : null,
    parquetToRootRatio: +(parquetBytes / rootBytes).toFixed(3),
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Medians of consecutive windows of `n` values (whole windows only). */
function windows(xs: readonly number[], n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + n <= xs.length; i += n) out.push(median(xs.slice(i, i + n)));
  return out;
}

const fixtureRatios: Record<string, number> = {};
const fixtureOut = join(values.scratch!, 'convert-fixtures');
rmSync(fixtureOut, { recursive: true, force: true });
mkdirSync(fixtureOut, { recursive: true });
for (const name of ['PHYSLITE_example.root', 'DAOD_PHYSLITE_21.2.108.0.art.pool.root', 'uproot-HZZ.root']) {
  if (!part('fixtures') || !existsSync(join(fixtures, name))) continue;
  const r = await convertFile(join(fixtures, name), { outDir: fixtureOut });
  fixtureRatios[name] = +(r.bytesOut / statSync(join(fixtures, name)).size).toFixed(3);
}

const result = {
  benchmark: 'convert',
  node: process.version,
  inputs: inputDir,
  rowGroup: values['row-group'] ?? 'default',
  oneWorker: part('small') ? await run(1) : null,
  allCores: part('small') ? await run(availableParallelism()) : null,
  bigFile: part('big') && existsSync(values.big!) ? { file: values.big, bytes: statSync(values.big!).size, ...(await run(1, [values.big!], 'big')) } : null,
  parquetToRootRatioOnFixtures: fixtureRatios,
  loadAverage: { atStart: loadAtStart.map((x) => +x.toFixed(2)), atEnd: loadavg().map((x) => +x.toFixed(2)) },
  targets: { uncompressedMBpsPerWorker: 100, peakWorkerRssMiB: 512, parquetToRootRatio: 1, rssGrowthFile100To1000: 0.1 },
};
console.log(JSON.stringify(result, null, 2));
