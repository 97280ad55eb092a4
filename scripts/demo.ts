/**
 * npm run demo — the main job on built-in defaults. Today the project reads ROOT; the demo
 * inspects a real PHYSLITE sample, dumps electron, muon, jet and event branches, and shows the
 * bookkeeping (sums of weights) of a release-21 sample, with the `physlite` command, printing each
 * command first so it can be run by hand.
 * (Generation, conversion to Parquet and analysis join the demo as they land.)
 * Usage: npm run demo [-- FILE.root]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const cli = resolve(root, 'dist', 'cli', 'main.js');
const sample = process.argv[2] ?? resolve(root, '..', 'shared', 'fixtures', 'root', 'PHYSLITE_example.root');

if (!existsSync(cli)) {
  console.error('physlite is not built: run `npm ci` (or `npm run build`) first');
  process.exit(1);
}
if (!existsSync(sample)) {
  console.error(`no sample at ${sample}: pass a PHYSLITE ROOT file, e.g. npm run demo -- my.root`);
  process.exit(1);
}

function run(args: string[]): void {
  console.log(`\n$ physlite ${args.map((a) => (/[\s;]/.test(a) ? `'${a}'` : a)).join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

console.log(`physlite demo on ${sample}`);
run(['inspect', sample]);
run([
  'dump',
  sample,
  '--tree',
  'CollectionTree',
  '--branch',
  'EventInfoAuxDyn.eventNumber',
  '--branch',
  'AnalysisElectronsAuxDyn.pt',
  '--branch',
  'AnalysisElectronsAuxDyn.DFCommonElectronsLHMedium',
  '--branch',
  'AnalysisMuonsAuxDyn.pt',
  '--branch',
  'AnalysisMuonsAuxDyn.quality',
  '--branch',
  'AnalysisJetsAuxDyn.btaggingLink',
  '--entry-stop',
  '3',
]);
const daod = resolve(root, '..', 'shared', 'fixtures', 'root', 'DAOD_PHYSLITE_21.2.108.0.art.pool.root');
if (!process.argv[2] && existsSync(daod)) run(['inspect', daod, '--metadata']);
console.log('\nNext steps: `physlite inspect FILE --json` for the full branch report; `physlite dump FILE --branch B` for any branch.');
