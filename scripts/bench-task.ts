/**
 * bench:task — one batch task as Kubernetes, Cloud Batch or PanDA would run it, for sizing: the
 * CLI (`physlite convert --workers 1`, then `physlite analyze --workers 1` on its output) in a
 * child process, with the resident memory of its whole process tree (parent and workers together)
 * sampled from /proc every 200 ms. Prints JSON: seconds, events/s, compressed and uncompressed
 * MB/s, the peak tree RSS and the parent's share, and the analysis's events/s and bytes read.
 * Inputs: --inputs DIR of ROOT files, else three PHYSLITE-like files (20,000 + 5,000 + 5,000
 * events, zstd:5, from PHYSLITE_example) generated once into bench-data/task-in. Linux only (/proc).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCompression } from '../src/root/compression/compress.ts';
import { RootFile } from '../src/root/file.ts';
import { TreeReader } from '../src/root/tree/reader.ts';
import { generateLike } from '../src/root/write/generate-like.ts';

const root = resolve(import.meta.dirname, '..');
const fixtures = resolve(root, '..', 'shared', 'fixtures', 'root');
const { values } = parseArgs({
  options: {
    inputs: { type: 'string' },
    scratch: { type: 'string', default: join(root, 'bench-data') },
    preset: { type: 'string' },
  },
});
const log = (m: string): boolean => process.stderr.write(`bench:task: ${m}\n`);

async function generatedInputs(): Promise<string> {
  const dir = join(root, 'bench-data', 'task-in');
  const sizes = [20_000, 5_000, 5_000];
  mkdirSync(dir, { recursive: true });
  const template = await RootFile.open(join(fixtures, 'PHYSLITE_example.root'));
  try {
    for (const [i, events] of sizes.entries()) {
      const out = join(dir, `like-${i}.root`);
      if (existsSync(out)) continue;
      log(`generating ${events} events into ${out}`);
      await generateLike({ template, events, out, compression: parseCompression('zstd:5'), seed: i + 1 });
    }
  } finally {
    await template.close();
  }
  return dir;
}

/** Resident bytes of a process and all its descendants, from /proc (0 once it has gone). */
function treeRss(pid: number): { total: number; own: number } {
  const rss = (p: number): number => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  };
  const children = (p: number): number[] => {
    try {
      return readdirSync(`/proc/${p}/task`).flatMap((t) => readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
    } catch {
      return [];
    }
  };
  const own = rss(pid);
  let total = own;
  const queue = children(pid);
  while (queue.length) {
    const c = queue.pop()!;
    total += rss(c);
    queue.push(...children(c));
  }
  return { total, own };
}

/** Runs the CLI with `args`, sampling its process tree; resolves with time, exit code, peaks, stdout. */
function runCli(args: string[]): Promise<{ seconds: number; code: number | null; peak: number; parentPeak: number; stdout: string }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(root, 'src', 'cli', 'main.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  let peak = 0;
  let parentPeak = 0;
  const timer = setInterval(() => {
    const r = treeRss(child.pid!);
    peak = Math.max(peak, r.total);
    parentPeak = Math.max(parentPeak, r.own);
  }, 200);
  return new Promise((done) =>
    child.on('exit', (code) => {
      clearInterval(timer);
      done({ seconds: (performance.now() - t0) / 1000, code, peak, parentPeak, stdout });
    }),
  );
}

const inputs = values.inputs ? resolve(values.inputs) : await generatedInputs();
const files = readdirSync(inputs).filter((f) => f.includes('.root')).map((f) => join(inputs, f));
const bytesIn = files.reduce((a, f) => a + statSync(f).size, 0);
let events = 0;
let uncompressed = 0;
for (const f of files) {
  const file = await RootFile.open(f);
  try {
    const { tree } = await TreeReader.open(file, 'CollectionTree');
    events += tree.entries;
    uncompressed += tree.totBytes;
  } finally {
    await file.close();
  }
}
const out = join(values.scratch!, 'task-out');
const ana = join(values.scratch!, 'task-analysis');
rmSync(out, { recursive: true, force: true });
rmSync(ana, { recursive: true, force: true });
const load0 = loadavg().map((x) => +x.toFixed(2));
log(`converting ${files.length} files (${events} events, ${(bytesIn / 1e6).toFixed(0)} MB) with one worker`);
const convert = await runCli(['convert', ...files, '--out', out, '--workers', '1', ...(values.preset ? ['--preset', values.preset] : [])]);
if (convert.code !== 0) throw new Error(`convert exited ${convert.code}`);
log('analysing the output with one worker');
const analyze = await runCli(['analyze', out, '--out', ana, '--workers', '1', '--no-plots']);
if (analyze.code !== 0) throw new Error(`analyze exited ${analyze.code}`);
const summary = JSON.parse(readFileSync(join(ana, 'summary.json'), 'utf8')) as { inputs: { bytesRead: number; size: number }[] };
const bytesRead = summary.inputs.reduce((a, x) => a + x.bytesRead, 0);
const size = summary.inputs.reduce((a, x) => a + x.size, 0);
const mib = (b: number): number => +(b / 2 ** 20).toFixed(1);
console.log(
  JSON.stringify(
    {
      benchmark: 'task',
      node: process.version,
      inputs: { files: files.length, events, bytes: bytesIn, uncompressedBytes: uncompressed, preset: values.preset ?? null },
      convert: {
        seconds: +convert.seconds.toFixed(2),
        eventsPerSecond: Math.round(events / convert.seconds),
        compressedMBps: +(bytesIn / 1e6 / convert.seconds).toFixed(1),
        uncompressedMBps: +(uncompressed / 1e6 / convert.seconds).toFixed(1),
        peakTreeRssMiB: mib(convert.peak),
        peakParentRssMiB: mib(convert.parentPeak),
      },
      analyze: {
        seconds: +analyze.seconds.toFixed(2),
        eventsPerSecond: Math.round(events / analyze.seconds),
        bytesReadShare: +(bytesRead / size).toFixed(4),
        peakTreeRssMiB: mib(analyze.peak),
        note: 'process start, module loading and writing the outputs included',
      },
      loadAverage: { atStart: load0, atEnd: loadavg().map((x) => +x.toFixed(2)) },
    },
    null,
    2,
  ),
);
