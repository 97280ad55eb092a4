/**
 * bench:write — generation throughput and peak memory while writing a large PHYSLITE-like file
 * (default 2 GB; `--gb` to change). Prints JSON: events/s, uncompressed and written MB/s, peak
 * RSS (sampled every 100 ms), against the target of 512 MiB whatever the file size.
 */
import { rmSync, statSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCompression } from '../src/root/compression/compress.ts';
import { RootFile } from '../src/root/file.ts';
import { generateLike } from '../src/root/write/generate-like.ts';

const { values } = parseArgs({
  options: {
    gb: { type: 'string', default: '2' },
    template: { type: 'string', default: resolve(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'root', 'PHYSLITE_example.root') },
    out: { type: 'string', default: resolve(import.meta.dirname, '..', 'bench-data', 'bench-write.root') },
    keep: { type: 'boolean', default: false },
  },
});
mkdirSync(resolve(values.out!, '..'), { recursive: true });
let peak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 100);
const events = Math.ceil((Number(values.gb) * 1e9) / 12_500);
const template = await RootFile.open(values.template!);
const t0 = performance.now();
const s = await generateLike({ template, events, out: values.out!, compression: parseCompression('zstd:5'), seed: 5 });
const seconds = (performance.now() - t0) / 1000;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
await template.close();
const bytes = statSync(values.out!).size;
if (!values.keep) rmSync(values.out!);
console.log(
  JSON.stringify(
    {
      benchmark: 'write',
      node: process.version,
      template: values.template,
      events,
      branches: s.branches,
      fileBytes: bytes,
      seconds: +seconds.toFixed(1),
      eventsPerSecond: Math.round(events / seconds),
      writtenMBps: +(bytes / 1e6 / seconds).toFixed(1),
      peakRssMiB: +(peak / 2 ** 20).toFixed(1),
      targetPeakRssMiB: 512,
    },
    null,
    2,
  ),
);
