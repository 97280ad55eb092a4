/**
 * Writing results: `histograms.json` (UHI, readable by Python's hist/uhi), `summary.json`
 * (cutflow, normalisation, inputs, bytes read, failures, notes), one SVG and one PNG per
 * one-axis histogram under `plots/`, and `report.html` with the cutflow table, the normalisation,
 * the notes and every plot (linked from plots/). Each file is written under a temporary name and renamed, so a reader
 * never sees half a file.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnalysisResult, Summary } from './result.ts';
import { histogramSvg, svgToPng } from './plot.ts';

export interface WrittenResults {
  dir: string;
  histograms: string;
  summary: string;
  report?: string;
  plots: string[];
}

async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

export async function writeResults(result: AnalysisResult, dir: string, o: { plots?: boolean } = {}): Promise<WrittenResults> {
  await mkdir(dir, { recursive: true });
  const histograms = join(dir, 'histograms.json');
  const summary = join(dir, 'summary.json');
  await atomicWrite(histograms, JSON.stringify(result.histogramsJson(), null, 1) + '\n');
  await atomicWrite(summary, JSON.stringify(result.summary, null, 2) + '\n');
  const written: WrittenResults = { dir, histograms, summary, plots: [] };
  if (o.plots === false) return written;
  await mkdir(join(dir, 'plots'), { recursive: true });
  const drawn: { name: string }[] = [];
  for (const [name, h] of [...result.histograms].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (h.axes.length !== 1) continue;
    const svg = await histogramSvg(name, h);
    drawn.push({ name });
    const svgPath = join(dir, 'plots', `${name}.svg`);
    const pngPath = join(dir, 'plots', `${name}.png`);
    await atomicWrite(svgPath, svg);
    await atomicWrite(pngPath, await svgToPng(svg));
    written.plots.push(svgPath, pngPath);
  }
  const report = join(dir, 'report.html');
  await atomicWrite(report, reportHtml(result.summary, drawn));
  written.report = report;
  return written;
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const num = (x: number, digits = 6): string => (Number.isInteger(x) ? x.toLocaleString('en-US') : x.toPrecision(digits));

export function reportHtml(s: Summary, plots: { name: string }[]): string {
  // Efficiency against the previous step of the same channel (`mumu: ...`), else the first row.
  const channel = (step: string): string => /^([^:\s]+):\s/.exec(step)?.[1] ?? '';
  const rows = s.cutflow
    .map((c, i) => {
      const before = s.cutflow.slice(0, i).filter((x) => channel(x.step) === channel(c.step) && channel(c.step) !== '');
      const prev = before.length ? before[before.length - 1]!.events : i > 0 ? s.cutflow[0]!.events : c.events;
      const eff = prev > 0 ? ((100 * c.events) / prev).toFixed(1) + '%' : '';
      return `<tr><td>${esc(c.step)}</td><td>${num(c.events)}</td><td>${num(c.weighted)} &plusmn; ${num(Math.sqrt(c.weighted2), 3)}</td><td>${eff}</td></tr>`;
    })
    .join('\n');
  const n = s.normalisation;
  const bk = n.bookkeepers
    .map((k) => `<tr><td>${esc(k.container)}</td><td>${esc(k.name)}</td><td>${esc(k.stream)}</td><td>${k.cycle}</td><td>${k.files}</td><td>${num(k.nAcceptedEvents)}</td><td>${num(k.sumOfEventWeights)}</td><td>${num(k.sumOfEventWeightsSquared)}</td></tr>`)
    .join('\n');
  const failed = s.failed.map((f) => `<li><code>${esc(f.file)}</code>: ${esc(f.error)} (exit code ${f.exitCode})</li>`).join('\n');
  const notes = s.notes.map((x) => `<li>${esc(x)}</li>`).join('\n');
  // Linked, not inlined: jsroot's SVGs reuse element ids (clip paths), which would collide in one page.
  const figures = plots
    .map((p) => `<figure id="${esc(p.name)}"><img src="plots/${esc(p.name)}.svg" alt="${esc(p.name)}" width="520"><figcaption><a href="plots/${esc(p.name)}.png">${esc(p.name)}.png</a> · <a href="plots/${esc(p.name)}.svg">svg</a></figcaption></figure>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>physlite analysis: ${esc(s.analysis)}</title>
<style>body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:.25em .6em;text-align:right}td:first-child,th:first-child{text-align:left}.warn{color:#a00}figure{display:inline-block;margin:.5em}</style>
</head><body>
<h1>physlite analysis: ${esc(s.analysis)}</h1>
${s.complete ? '<p>All inputs were analysed.</p>' : `<p class="warn"><strong>Incomplete:</strong> ${s.failed.length} input(s) failed; the results below do not include them.</p><ul class="warn">${failed}</ul>`}
<p>${num(s.events)} events from ${s.inputs.filter((i) => i.size > 0).length} file(s); read ${num(s.io.bytesRead)} of ${num(s.io.bytesTotal)} bytes (${(100 * s.io.fractionRead).toFixed(1)}%)${s.seconds ? ` in ${s.seconds.toFixed(2)} s (${num(Math.round(s.eventsPerSecond ?? 0))} events/s)` : ''}.</p>
<h2>Cutflow</h2>
<table><tr><th>step</th><th>events</th><th>weighted events</th><th>relative</th></tr>
${rows}
</table>
<h2>Normalisation</h2>
${n.nominal ? `<p>Sum of weights of the sample (complete AllExecutedEvents of the highest cycle, ${esc(n.nominal.stream)} cycle ${n.nominal.cycle}, added over ${n.nominal.files} file(s)): <strong>${num(n.nominal.sumOfEventWeights)}</strong> (${num(n.nominal.nAcceptedEvents)} events).</p>` : '<p>No CutBookkeeper metadata in the inputs: no sum of weights to normalise to.</p>'}
${bk ? `<table><tr><th>container</th><th>bookkeeper</th><th>stream</th><th>cycle</th><th>files</th><th>events</th><th>sum of weights</th><th>sum of weights&sup2;</th></tr>\n${bk}\n</table>` : ''}
<h2>Parameters</h2>
<pre>${esc(JSON.stringify(s.params, null, 2))}</pre>
${notes ? `<h2>Notes</h2><ul>${notes}</ul>` : ''}
<h2>Plots</h2>
${figures}
</body></html>
`;
}
