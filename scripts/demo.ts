/**
 * npm run demo — the main job on built-in defaults:
 * 1. generate a sample: 200,000 simulated PHYSLITE-like dimuon events (out/demo/dimuon.root);
 * 2. convert it to Parquet (out/demo/parquet/);
 * 3. analyse the Parquet with the built-in analysis: histograms (UHI JSON), plots (SVG, PNG) and
 *    an HTML report under out/analysis/, with the dimuon spectrum from the rho to the Z.
 * Each step prints the `physlite` command it runs, so it can be repeated by hand.
 * Usage: npm run demo [-- EVENTS]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const cli = resolve(root, 'dist', 'cli', 'main.js');
const events = process.argv[2] ?? '200000';
const outDir = resolve(root, 'out');
const demoDir = resolve(outDir, 'demo');

if (!existsSync(cli)) {
  console.error('physlite is not built: run `npm ci` (or `npm run build`) first');
  process.exit(1);
}
mkdirSync(demoDir, { recursive: true });

function run(args: string[]): void {
  const shown = args.map((a) => (a.startsWith(root + '/') ? a.slice(root.length + 1) : a));
  console.log(`\n$ physlite ${shown.map((a) => (/[\s;]/.test(a) ? `'${a}'` : a)).join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const t0 = performance.now();
const dimuon = resolve(demoDir, 'dimuon.root');
const parquet = resolve(demoDir, 'parquet');
const analysis = resolve(outDir, 'analysis');
console.log(`physlite demo: generate ${events} simulated dimuon events, convert them to Parquet, analyse them`);
run(['generate', '--physics', 'dimuon', '--events', events, '--out', dimuon]);
// The demo owns out/demo: outputs of earlier demos with another event count would be analysed too.
rmSync(parquet, { recursive: true, force: true });
run(['convert', dimuon, '--out', parquet]);
run(['analyze', parquet, '--out', analysis]);
console.log(`
Done in ${((performance.now() - t0) / 1000).toFixed(1)} s.
  report:     out/analysis/report.html
  plots:      out/analysis/plots/ (mumu_mass.png is the dimuon spectrum on log-log axes)
  histograms: out/analysis/histograms.json (UHI JSON: hist.Hist(uhi.io.json...) in Python)
Next: physlite analyze ../shared/fixtures/root/PHYSLITE_example.root --out out/example (ROOT directly),
      physlite convert FILE.root --out DIR --preset analysis, physlite inspect FILE.root`);
