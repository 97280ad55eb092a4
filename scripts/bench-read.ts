/**
 * bench:read — the project's reader against jsroot on the same branches in the same run.
 * For PHYSLITE_example (every branch the project reads that holds values and jsroot also reads)
 * and the HZZ tree: each repetition reopens the file (no caching across repetitions) and reads
 * every branch over all entries; jsroot does the same with one treeProcess over all branches.
 * Repeats until each measurement has run at least --min-seconds. Then it times deserialization
 * of already-decompressed vector<float> baskets alone (MB/s of uncompressed basket bytes), and
 * the RNTuple EventData of the RNTuple fixture: every readable top-level field with the project,
 * and the fields jsroot reads correctly (columns from element 0) with both readers.
 * Times are medians of the repetitions (means are printed too). Prints one JSON document.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RootFile } from '../src/root/file.ts';
import { decompressBasket, splitBasket, type Basket } from '../src/root/tree/basket.ts';
import { TreeReader } from '../src/root/tree/reader.ts';
import { zstdImplementation } from '../src/root/compression/index.ts';
import type { BasketInterpretation } from '../src/root/interpret/registry.ts';
import { Arena } from '../src/root/interpret/builders.ts';
import { jsrootRead, openJsroot } from '../test/helpers/jsroot.ts';
import { jsrootReadFields } from '../test/helpers/jsroot-rntuple.ts';
import { RNTupleReader } from '../src/root/rntuple/reader.ts';
import type { FieldRecord } from '../src/root/rntuple/schema.ts';

const { values } = parseArgs({
  options: {
    'min-seconds': { type: 'string', default: '2' },
    fixtures: { type: 'string', default: resolve(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'root') },
  },
});
const MIN_MS = Number(values['min-seconds']) * 1000;
const FIX = values.fixtures!;

/**
 * Run `fn` until MIN_MS have passed (after one warm-up run). `ms` is the median run (rates use it:
 * it is robust to the occasional major GC of a busy machine); `meanMs` is kept alongside.
 */
async function repeat(fn: () => Promise<void>): Promise<{ runs: number; ms: number; meanMs: number }> {
  await fn(); // warm-up
  const times: number[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < MIN_MS) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return { runs: times.length, ms: median, meanMs: times.reduce((a, b) => a + b, 0) / times.length };
}

async function branchesToRead(path: string, tree: string): Promise<string[]> {
  const file = await RootFile.open(path);
  const reader = await TreeReader.open(file, tree);
  // Members of split collections are read as part of their collection branch (jsroot refuses both at once).
  const names = [
    ...new Set(
      reader.tree.all.filter((b) => reader.resolve(b).readable && !(b.parent?.element?.type === 4)).map((b) => b.name),
    ),
  ];
  await file.close();
  // Keep the branches jsroot reads too, so both readers do the same work.
  const jsTree = await openJsroot(path, tree);
  const ok: string[] = [];
  for (const n of names) {
    try {
      await jsrootRead(jsTree, [n], { start: 0, stop: 1 });
      ok.push(n);
    } catch {
      /* jsroot cannot read it: left out of both */
    }
  }
  return ok;
}

async function benchFile(name: string, tree: string, decompress: 'inline' | 'threads'): Promise<Record<string, unknown>> {
  const path = resolve(FIX, name);
  const names = await branchesToRead(path, tree);
  let entries = 0;
  const phases = { openMs: 0, fetchMs: 0, decompressMs: 0, deserializeMs: 0, uncompressedBytes: 0 };
  let runs = 0;
  const project = await repeat(async () => {
    const t0 = performance.now();
    const file = await RootFile.open(path);
    const reader = await TreeReader.open(file, tree);
    phases.openMs += performance.now() - t0;
    const r = await reader.arrays(names, { decompress });
    entries = r.entryStop - r.entryStart;
    phases.fetchMs += reader.stats.fetchMs;
    phases.decompressMs += reader.stats.decompressMs;
    phases.deserializeMs += reader.stats.deserializeMs;
    phases.uncompressedBytes = reader.stats.uncompressedBytes;
    runs++;
    await file.close();
  });
  const jsroot = await repeat(async () => {
    const jsTree = await openJsroot(path, tree);
    await jsrootRead(jsTree, names);
  });
  const per = (v: number): number => +(v / runs).toFixed(3);
  const projectRate = entries / (project.ms / 1000);
  const jsrootRate = entries / (jsroot.ms / 1000);
  return {
    file: name,
    tree,
    decompress,
    branches: names.length,
    entries,
    uncompressedBytes: phases.uncompressedBytes,
    project: {
      msPerRead: +project.ms.toFixed(3),
      meanMsPerRead: +project.meanMs.toFixed(3),
      runs: project.runs,
      openMs: per(phases.openMs),
      fetchMs: per(phases.fetchMs),
      decompressMs: per(phases.decompressMs),
      deserializeMs: per(phases.deserializeMs),
      entriesPerSecond: Math.round(projectRate),
    },
    jsroot: { msPerRead: +jsroot.ms.toFixed(3), meanMsPerRead: +jsroot.meanMs.toFixed(3), runs: jsroot.runs, entriesPerSecond: Math.round(jsrootRate) },
    speedup: +(projectRate / jsrootRate).toFixed(2),
  };
}

/** Deserialization alone: decode already-decompressed vector<float> baskets, MB/s of their uncompressed bytes. */
async function benchVectorFloat(name: string): Promise<Record<string, unknown>> {
  const file = await RootFile.open(resolve(FIX, name));
  const reader = await TreeReader.open(file, 'CollectionTree');
  // One builder per branch over all its baskets, as the reader does.
  const work: { baskets: Basket[]; interp: BasketInterpretation; bytes: number }[] = [];
  let bytes = 0;
  for (const b of reader.tree.all) {
    if (b.typeName !== 'vector<float>') continue;
    const r = reader.resolve(b);
    if (!r.readable || r.interpretation.kind !== 'basket') continue;
    const baskets: Basket[] = [];
    let branchBytes = 0;
    for (const loc of b.baskets) {
      const raw = await file.source.read(loc.seek, loc.bytes);
      const { header, payload } = await decompressBasket(raw, loc, {});
      baskets.push(splitBasket(payload, header, loc, {}));
      branchBytes += header.objlen;
    }
    work.push({ baskets, interp: r.interpretation, bytes: branchBytes });
    bytes += branchBytes;
  }
  await file.close();
  const run = async (): Promise<void> => {
    const arena = new Arena(bytes * 1.3);
    for (const { baskets, interp, bytes: hint } of work) {
      const builder = interp.decoder.newBuilder(hint, arena.alloc);
      for (const basket of baskets) interp.decoder.decode({ basket, lo: 0, hi: basket.header.nevbuf, context: {} }, builder);
      builder.finish();
    }
  };
  const r = await repeat(run);
  return { file: name, branches: work.length, baskets: work.reduce((n, w) => n + w.baskets.length, 0), uncompressedBytes: bytes, msPerPass: +r.ms.toFixed(3), MBps: +(bytes / 1e6 / (r.ms / 1000)).toFixed(1), meanMBps: +(bytes / 1e6 / (r.meanMs / 1000)).toFixed(1), target: 500 };
}

/** RNTuple EventData: the project on all readable fields, and both readers on the fields jsroot reads correctly. */
async function benchRNTuple(name: string, ntuple: string): Promise<Record<string, unknown>> {
  const path = resolve(FIX, name);
  const file = await RootFile.open(path);
  const probe = await RNTupleReader.open(file, ntuple);
  const nt = probe.ntuple;
  const fromZero = (f: FieldRecord): boolean =>
    (nt.columnsOf.get(f.id) ?? []).every((c) => c.firstElement === 0) && (nt.children.get(f.id) ?? []).every(fromZero);
  const readable = nt.topLevel.filter((f) => probe.resolve(f).readable);
  const all = readable.map((f) => f.name);
  const jsTuple = await openJsroot(path, ntuple);
  const shared: string[] = [];
  for (const f of readable.filter(fromZero)) {
    try {
      await jsrootReadFields(jsTuple, [f.name]);
      shared.push(f.name);
    } catch {
      /* jsroot cannot read it: left out of the comparison */
    }
  }
  await file.close();
  const projectRead = (names: string[]) => async (): Promise<void> => {
    const f = await RootFile.open(path);
    await (await RNTupleReader.open(f, ntuple)).arrays(names);
    await f.close();
  };
  const allFields = await repeat(projectRead(all));
  const project = await repeat(projectRead(shared));
  const jsroot = await repeat(async () => {
    await jsrootReadFields(await openJsroot(path, ntuple), shared);
  });
  const pages = probe.pageBytes();
  return {
    file: name,
    ntuple,
    entries: nt.entries,
    allFields: { fields: all.length, pages: pages.pages, compressedBytes: pages.compressed, uncompressedBytes: pages.uncompressed, msPerRead: +allFields.ms.toFixed(3), runs: allFields.runs },
    sharedWithJsroot: { fields: shared.length, projectMsPerRead: +project.ms.toFixed(3), jsrootMsPerRead: +jsroot.ms.toFixed(3), speedup: +(jsroot.ms / project.ms).toFixed(2) },
  };
}

const results = {
  benchmark: 'read',
  node: process.version,
  zstd: zstdImplementation,
  minSeconds: MIN_MS / 1000,
  files: [
    await benchFile('PHYSLITE_example.root', 'CollectionTree', 'inline'),
    await benchFile('PHYSLITE_example.root', 'CollectionTree', 'threads'),
    await benchFile('uproot-HZZ.root', 'events', 'inline'),
  ],
  deserializeVectorFloat: await benchVectorFloat('PHYSLITE_example.root'),
  rntuple: await benchRNTuple('uproot-physlite-rntuple_v1-0-0-0.root', 'EventData'),
};
// Overall: geometric mean over the files, each with the reader's default (auto) mode.
const rates = [results.files[1], results.files[2]].map((f) => f as { speedup: number });
(results as Record<string, unknown>).overallSpeedup = +(rates.reduce((a, f) => a * f.speedup, 1) ** (1 / rates.length)).toFixed(2);
(results as Record<string, unknown>).target = { speedup: 20, deserializeMBps: 500 };
process.stdout.write(JSON.stringify(results, null, 2) + '\n');
