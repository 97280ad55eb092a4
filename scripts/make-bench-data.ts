/**
 * npm run bench:data — the benchmark inputs later issues use, under bench-data/ (git-ignored):
 *   physlite-100k.root   about 100k smeared PHYSLITE-like events from PHYSLITE_example
 *   physlite-2GB.root    at least 2 GB of the same (--big-gb to change the size)
 *   small/000..999.root  1,000 small files (100 events each)
 *   dimuon-1M.root       1M simulated dimuon events (generate --physics dimuon)
 * Usage: npm run bench:data [-- --only 100k|2gb|small|dimuon] [--template FILE] [--out DIR]
 */
import { mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCompression } from '../src/root/compression/compress.ts';
import { RootFile } from '../src/root/file.ts';
import { generateLike } from '../src/root/write/generate-like.ts';
import { generateDimuon } from '../src/root/write/generate-dimuon.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    template: { type: 'string', default: resolve(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'root', 'PHYSLITE_example.root') },
    out: { type: 'string', default: resolve(import.meta.dirname, '..', 'bench-data') },
    'big-gb': { type: 'string', default: '2' },
  },
});
const out = values.out!;
mkdirSync(resolve(out, 'small'), { recursive: true });
const compression = parseCompression('zstd:5');

async function make(name: string, events: number, seed: number): Promise<void> {
  const template = await RootFile.open(values.template!);
  const t0 = performance.now();
  const s = await generateLike({ template, events, out: resolve(out, name), compression, seed });
  await template.close();
  console.log(JSON.stringify({ file: name, events, bytes: statSync(resolve(out, name)).size, seconds: +((performance.now() - t0) / 1000).toFixed(1), branches: s.branches }));
}

const only = values.only;
if (!only || only === '100k') await make('physlite-100k.root', 100_000, 1);
if (!only || only === '2gb') {
  // PHYSLITE_example-like events compress to about 13 kB each with zstd:5.
  const events = Math.ceil((Number(values['big-gb']) * 1e9) / 12_500);
  await make('physlite-2GB.root', events, 2);
}
if (!only || only === 'small') for (let i = 0; i < 1000; i++) await make(`small/${String(i).padStart(3, '0')}.root`, 100, 1000 + i);
if (!only || only === 'dimuon') {
  const t0 = performance.now();
  const s = await generateDimuon({ events: 1_000_000, out: resolve(out, 'dimuon-1M.root'), compression, seed: 7 });
  console.log(JSON.stringify({ file: 'dimuon-1M.root', events: s.events, bytes: statSync(resolve(out, 'dimuon-1M.root')).size, seconds: +((performance.now() - t0) / 1000).toFixed(1) }));
}
