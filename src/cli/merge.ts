/**
 * `physlite merge INPUT... --out DIR`: add analysis results from files, workers or shards. An input
 * is a results directory (histograms.json and summary.json) or a UHI histograms JSON file. With
 * summaries for every input, cutflows, normalisation, inputs and failures are merged too;
 * otherwise only the histograms. Integer counts come out identical in any order.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EXIT, InputError, UsageError } from '../errors.ts';
import { AnalysisResult, type Summary } from '../analysis/result.ts';
import { Histogram, type UhiHistogram } from '../analysis/histogram.ts';
import { writeResults } from '../analysis/report.ts';
import { registerCommand } from './command.ts';
import { summaryExitCode } from './analyze.ts';

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new InputError(`cannot read: ${err.code ?? err.message}`, { file: path });
  });
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`not JSON: ${(err as Error).message}`, { file: path });
  }
}

/** One input as histograms plus, when present, its summary. */
export async function loadResult(input: string): Promise<LoadedResult> {
  const st = await stat(input).catch(() => null);
  if (!st) throw new InputError('no such file or directory', { file: input });
  if (st.isDirectory()) {
    const histograms = (await readJson(join(input, 'histograms.json'))) as Record<string, UhiHistogram>;
    const summary = await stat(join(input, 'summary.json')).then(
      () => readJson(join(input, 'summary.json')) as Promise<Summary>,
      () => null,
    );
    return { histograms, summary };
  }
  const json = (await readJson(input)) as Record<string, UhiHistogram>;
  return { histograms: 'uhi_schema' in json ? { histogram: json as unknown as UhiHistogram } : json, summary: null };
}

export type LoadedResult = { histograms: Record<string, UhiHistogram>; summary: Summary | null };

/** Add results in the order given; `load` reads one input (default: a local directory or UHI file; finalize reads from the output store). */
export async function mergeResults(inputs: readonly string[], load: (input: string) => Promise<LoadedResult> = loadResult): Promise<AnalysisResult | Map<string, Histogram>> {
  const loaded: ({ input: string } & LoadedResult)[] = [];
  for (const i of inputs) loaded.push({ input: i, ...(await load(i)) });
  if (loaded.every((l) => l.summary)) {
    let total: AnalysisResult | null = null;
    for (const l of loaded) {
      const r = AnalysisResult.fromJSON({ histograms: l.histograms, summary: l.summary! }, l.input);
      total = total ? total.add(r) : r;
    }
    return total!;
  }
  const out = new Map<string, Histogram>();
  for (const l of loaded) {
    for (const [name, u] of Object.entries(l.histograms)) {
      const h = Histogram.fromUhi(u, `${l.input}: ${name}`);
      const mine = out.get(name);
      if (mine) mine.add(h);
      else out.set(name, h);
    }
  }
  return out;
}

registerCommand({
  name: 'merge <inputs..>',
  describe: 'Add analysis results (result directories or UHI histogram files) from files, workers or shards',
  builder: (y) =>
    y
      .positional('inputs', { type: 'string', array: true, describe: 'Result directories (histograms.json + summary.json) or UHI JSON files' })
      .option('out', { type: 'string', demandOption: true, describe: 'Output directory' })
      .option('plots', { type: 'boolean', default: true, describe: 'Write plots and report.html (needs summaries; --no-plots to skip)' }),
  run: async (args, ctx) => {
    const inputs = args.inputs as string[];
    if (inputs.length === 0) throw new UsageError('merge needs at least one input');
    const merged = await mergeResults(inputs);
    const out = resolve(args.out as string);
    if (merged instanceof AnalysisResult) {
      const w = await writeResults(merged, out, { plots: args.plots as boolean });
      ctx.out(`merged ${inputs.length} result(s): ${merged.summary.events} events; ${w.report ?? w.summary}`);
      return summaryExitCode(merged.summary);
    }
    const r = new AnalysisResult(merged, AnalysisResult.empty('histograms', {}, merged, []).summary);
    const w = await writeResults(r, out, { plots: false });
    ctx.out(`merged ${inputs.length} histogram file(s): ${w.histograms}`);
    return EXIT.ok;
  },
});
