/**
 * npm run demo — the main job on built-in defaults, as far as the pipeline exists today:
 * 1. generate a sample: simulated PHYSLITE-like dimuon events (out/demo/dimuon.root);
 * 2. inspect it, dump a few events and convert it to Parquet (out/demo/parquet/);
 * 3. inspect a real PHYSLITE file (PHYSLITE_example, if ../shared/fixtures is there) and show the
 *    bookkeeping of a release-21 sample.
 * Each step prints the `physlite` command it runs, so it can be repeated by hand.
 * (Conversion to Parquet and the analysis join the demo as they land.)
 * Usage: npm run demo [-- FILE.root]   (a PHYSLITE file of your own for step 3)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const cli = resolve(root, 'dist', 'cli', 'main.js');
const fixtures = resolve(root, '..', 'shared', 'fixtures', 'root');
const sample = process.argv[2] ?? resolve(fixtures, 'PHYSLITE_example.root');
const outDir = resolve(root, 'out', 'demo');

if (!existsSync(cli)) {
  console.error('physlite is not built: run `npm ci` (or `npm run build`) first');
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });

function run(args: string[]): void {
  console.log(`\n$ physlite ${args.map((a) => (/[\s;]/.test(a) ? `'${a}'` : a)).join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const dimuon = resolve(outDir, 'dimuon.root');
console.log('physlite demo: generate a simulated sample, then read it and a real PHYSLITE file');
run(['generate', '--physics', 'dimuon', '--events', '100000', '--out', dimuon]);
run(['inspect', dimuon]);
run(['dump', dimuon, '--branch', 'EventInfoAuxDyn.eventNumber', '--branch', 'AnalysisMuonsAuxDyn.pt', '--branch', 'AnalysisMuonsAuxDyn.charge', '--entry-stop', '3']);
run(['convert', dimuon, '--out', resolve(outDir, 'parquet'), '--force']);

if (existsSync(sample)) {
  run(['inspect', sample]);
  run([
    'dump',
    sample,
    '--branch',
    'EventInfoAuxDyn.eventNumber',
    '--branch',
    'AnalysisElectronsAuxDyn.pt',
    '--branch',
    'AnalysisElectronsAuxDyn.DFCommonElectronsLHMedium',
    '--branch',
    'AnalysisJetsAuxDyn.btaggingLink',
    '--entry-stop',
    '3',
  ]);
  const daod = resolve(fixtures, 'DAOD_PHYSLITE_21.2.108.0.art.pool.root');
  if (!process.argv[2] && existsSync(daod)) run(['inspect', daod, '--metadata']);
} else {
  console.log(`\n(no real PHYSLITE file at ${sample}: pass one with npm run demo -- FILE.root)`);
}
console.log(`\nNext steps: physlite generate --like ${sample} --events 100000 --out big.root; physlite inspect FILE --json; physlite dump FILE --branch B`);
