/**
 * bench:remote — remote reading against the loopback range server (test/support/range-server.ts).
 * For each file: the requests and bytes that reading the `analysis` preset costs (opening the file
 * and the tree, then the baskets), with the default range coalescing and without it, against the
 * file size; and throughput with 1, 4 and 16 requests in flight, for the whole file in 256 KiB ranges and
 * for the analysis read, with no added latency and with --latency ms per answer (a WAN round
 * trip). Files: the fixtures PHYSLITE_example and the release-21 DAOD, and a generated file of
 * --events PHYSLITE-like events (cached under bench-data/). Then a full conversion over HTTP from a
 * server in its own process, with --latency and with 150 ms per answer: default row groups (written
 * in passes) with read-ahead at 4 and 16 requests in flight and without it, and 64 MiB row groups
 * (one read per cluster); --convert FILE converts FILE instead of the generated file. Prints JSON.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { branchFilter } from '../src/convert/select.ts';
import { convertFile } from '../src/convert/convert-file.ts';
import { parseCompression } from '../src/root/compression/compress.ts';
import { RootFile } from '../src/root/file.ts';
import { DEFAULT_COALESCE, type CoalesceConfig } from '../src/root/source/coalesce.ts';
import { HttpSource } from '../src/root/source/http.ts';
import { TreeReader } from '../src/root/tree/reader.ts';
import { generateLike } from '../src/root/write/generate-like.ts';
import { startRangeServer } from '../test/support/range-server.ts';

const root = resolve(import.meta.dirname, '..');
const fixtures = resolve(root, '..', 'shared', 'fixtures', 'root');
const { values } = parseArgs({ options: { events: { type: 'string', default: '3000' }, latency: { type: 'string', default: '20' }, convert: { type: 'string' } } });

const generated = join(root, 'bench-data', `remote-${values.events}.root`);
if (!existsSync(generated)) {
  mkdirSync(join(root, 'bench-data'), { recursive: true });
  const template = await RootFile.open(join(fixtures, 'PHYSLITE_example.root'));
  await generateLike({ template, events: Number(values.events), out: generated, compression: parseCompression('zstd:5'), seed: 11 });
  await template.close();
}
const files: Record<string, string> = {
  'PHYSLITE_example.root': join(fixtures, 'PHYSLITE_example.root'),
  'DAOD_PHYSLITE_21.2.108.0.art.pool.root': join(fixtures, 'DAOD_PHYSLITE_21.2.108.0.art.pool.root'),
  [`generated-${values.events}.root`]: generated,
};
const server = await startRangeServer({ files: Object.fromEntries(Object.entries(files).map(([n, p]) => [`/${n}`, new Uint8Array(readFileSync(p))])) });
const noCreds = { credentials: {} };
const NO_COALESCE: CoalesceConfig = { maxGap: -1, maxRequest: 0, concurrency: 4 };

async function analysisRead(url: string, coalesce: CoalesceConfig, concurrency = coalesce.concurrency) {
  server.reset();
  const t0 = performance.now();
  const source = await HttpSource.open(url, { ...noCreds, concurrency });
  const file = await RootFile.open(source);
  const reader = await TreeReader.open(file, 'CollectionTree');
  const open = { requests: server.counters.gets, bytes: server.counters.bytes };
  const wanted = branchFilter({ preset: 'analysis' });
  const names = reader.tree.all.filter((b) => wanted(b.name) && reader.resolve(b).readable).map((b) => b.name);
  await reader.arrays(names, { coalesce: { ...coalesce, concurrency } });
  const ms = performance.now() - t0;
  await file.close();
  return {
    size: source.size,
    branches: names.length,
    open,
    baskets: { requests: server.counters.gets - open.requests, bytes: server.counters.bytes - open.bytes },
    total: { requests: server.counters.gets, bytes: server.counters.bytes, fractionOfFile: +(server.counters.bytes / source.size).toFixed(4) },
    ms: +ms.toFixed(1),
  };
}

async function wholeFile(url: string, concurrency: number) {
  const source = await HttpSource.open(url, { ...noCreds, concurrency });
  const step = 256 << 10;
  const t0 = performance.now();
  const parts: Promise<Uint8Array>[] = [];
  for (let at = 0; at < source.size; at += step) parts.push(source.read(at, Math.min(step, source.size - at)));
  await Promise.all(parts);
  const s = (performance.now() - t0) / 1000;
  return { requests: parts.length, MBps: +(source.size / 1e6 / s).toFixed(1) };
}

const report: Record<string, unknown> = { latencyMs: Number(values.latency), files: {} };
for (const name of Object.keys(files)) {
  const url = server.url(`/${name}`);
  const entry: Record<string, unknown> = {
    analysisPreset: { coalesced: await analysisRead(url, DEFAULT_COALESCE), uncoalesced: await analysisRead(url, NO_COALESCE) },
  };
  const throughput: Record<string, unknown> = {};
  for (const latency of [0, Number(values.latency)]) {
    server.faults = latency ? { slowMs: latency } : {};
    for (const n of [1, 4, 16]) {
      const a = await analysisRead(url, DEFAULT_COALESCE, n);
      const u = await analysisRead(url, NO_COALESCE, n);
      throughput[`latency${latency}ms_inFlight${n}`] = {
        wholeFile256KiBRanges: await wholeFile(url, n),
        analysis: { coalescedMs: a.ms, coalescedRequests: a.total.requests, uncoalescedMs: u.ms, uncoalescedRequests: u.total.requests },
      };
    }
  }
  server.faults = {};
  entry.throughput = throughput;
  (report.files as Record<string, unknown>)[name] = entry;
}
// Full conversion over HTTP from a server in another process (so that fetching can overlap this
// thread's decoding, as with a real server): requests and time, per latency and requests in flight.
const convertDir = mkdtempSync(join(tmpdir(), 'physlite-bench-remote-'));
const convertInput = values.convert ?? generated;
async function remoteConversion(latency: number, requests: number, o: { rowGroupBytes?: number; readAhead: boolean }) {
  const child = spawn(process.execPath, [join(root, 'scripts', 'support', 'serve-file.ts'), convertInput, String(latency)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((resolveUrl, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolveUrl(d.toString().trim()));
      child.once('exit', (code) => reject(new Error(`file server exited (${code})`)));
    });
    const t0 = performance.now();
    const source = await HttpSource.open(url, { ...noCreds, concurrency: requests });
    const r = await convertFile(source, { outDir: convertDir, force: true, ...o }, { identity: 'input.root' });
    const s = (performance.now() - t0) / 1000;
    return { latencyMs: latency, requestsInFlight: requests, seconds: +s.toFixed(2), requests: source.counters.requests, MB: +(source.counters.bytes / 1e6).toFixed(1), eventsPerSecond: Math.round(r.entries / s) };
  } finally {
    child.kill();
  }
}
const conversions: Record<string, unknown>[] = [];
for (const latency of [Number(values.latency), 150]) {
  conversions.push({ layout: 'default row groups, read-ahead', ...(await remoteConversion(latency, 4, { readAhead: true })) });
  conversions.push({ layout: 'default row groups, read-ahead', ...(await remoteConversion(latency, 16, { readAhead: true })) });
  conversions.push({ layout: 'default row groups, no read-ahead', ...(await remoteConversion(latency, 4, { readAhead: false })) });
  conversions.push({ layout: '64 MiB row groups (a read per cluster), no read-ahead', ...(await remoteConversion(latency, 4, { rowGroupBytes: 64 * 2 ** 20, readAhead: false })) });
}
report.fullConversion = { file: convertInput, bytes: statSync(convertInput).size, runs: conversions };
rmSync(convertDir, { recursive: true, force: true });
await server.close();
console.log(JSON.stringify(report, null, 1));
