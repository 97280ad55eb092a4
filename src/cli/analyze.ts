/**
 * `physlite analyze INPUT... --out DIR`: the built-in analysis (or `--analysis ./my.ts`) over
 * Parquet files from `physlite convert`, or over ROOT files directly, reading only the columns the
 * analysis declares. Writes histograms.json (UHI), summary.json, plots/ and report.html.
 * Exit code: 0 all inputs analysed; 2 some inputs permanently bad; 3 transient failures (the
 * results of the others are written either way and say they are incomplete).
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { EXIT, UsageError } from '../errors.ts';
import { expandInputs, isRootOrParquet } from '../convert/inputs.ts';
import { runAnalysis } from '../analysis/run.ts';
import { writeResults } from '../analysis/report.ts';
import type { Summary } from '../analysis/result.ts';
import { registerCommand } from './command.ts';
import { redactUrl } from '../root/source/url.ts';
import type { FetchMode } from '../root/source/open.ts';

/** Exit code of an analysis summary: transient failures first (a retry may complete the result). */
export function summaryExitCode(s: Summary): number {
  if (s.failed.some((f) => f.exitCode === EXIT.transient)) return EXIT.transient;
  if (s.failed.length) return EXIT.permanent;
  return EXIT.ok;
}

registerCommand({
  name: 'analyze <inputs..>',
  describe: 'Run an analysis over Parquet (or ROOT) files: histograms (UHI JSON), plots, report',
  builder: (y) =>
    y
      .positional('inputs', { type: 'string', array: true, describe: 'Parquet or ROOT files, directories, globs, URLs (https, davs, gs) or @list.txt' })
      .option('out', { type: 'string', default: 'out/analysis', describe: 'Output directory for histograms.json, summary.json, plots/, report.html' })
      .option('analysis', { type: 'string', default: 'builtin', describe: 'builtin, or a .ts/.js module exporting defineAnalysis({...})' })
      .option('param', { type: 'string', array: true, describe: 'Override an analysis parameter: key=value (repeatable), e.g. muonPt=5' })
      .option('workers', { type: 'number', default: availableParallelism(), describe: 'Worker threads over files and row groups' })
      .option('plots', { type: 'boolean', default: true, describe: 'Write SVG/PNG plots and report.html (--no-plots to skip)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print summary.json to stdout' })
      .option('fetch', { choices: ['ranges', 'memory', 'disk'] as const, default: 'ranges', describe: 'Remote inputs: read ranges, or download whole first' })
      .option('requests', { type: 'number', default: 4, describe: 'Requests in flight per remote input' })
      .option('gcs-endpoint', { type: 'string', describe: 'Another GCS endpoint (STORAGE_EMULATOR_HOST is honoured too)' }),
  run: async (args, ctx) => {
    const workers = Number(args.workers);
    if (!Number.isSafeInteger(workers) || workers < 1) throw new UsageError(`--workers must be a whole number >= 1, got ${String(args.workers)}`);
    const gcs = args['gcs-endpoint'] ? { endpoint: args['gcs-endpoint'] as string } : undefined;
    const inputs = (await expandInputs(args.inputs as string[], { accept: isRootOrParquet, acceptName: (n) => n.endsWith('.parquet') || n.includes('.root'), ...(gcs ? { gcs } : {}) })).map((spec) => spec.replicas[0]!);
    if (inputs.length === 0) throw new UsageError('no Parquet or ROOT files among the inputs');
    // On a terminal one progress line; otherwise a log line per input (JSON with --log-format json).
    const tty = Boolean(process.stderr.isTTY) && ctx.log.format === 'text';
    const t0 = performance.now();
    let done = 0;
    let events = 0;
    const result = await runAnalysis(inputs, {
      analysis: args.analysis as string,
      params: (args.param as string[] | undefined) ?? [],
      workers,
      open: { fetch: args.fetch as FetchMode, concurrency: Number(args.requests), ...(gcs ? { gcs } : {}) },
      onTask: (task, outcome) => {
        done++;
        const file = redactUrl(task.file);
        if (outcome instanceof Error) {
          if (tty) process.stderr.write('\n');
          ctx.log.warn(`failed: ${'describe' in outcome ? (outcome as { describe(): string }).describe() : outcome.message}`, { file });
        } else {
          events += outcome.summary.events;
          const part = task.part ? `${task.part.index + 1}/${task.part.count}` : undefined;
          if (tty) process.stderr.write(`\ranalyze: ${done} task(s) done, ${events} events, ${Math.round(events / ((performance.now() - t0) / 1000))} events/s   `);
          else ctx.log.info(`analysed ${file}`, { part, events: outcome.summary.events, bytesRead: outcome.summary.io.bytesRead });
        }
      },
    });
    if (tty) process.stderr.write('\n');
    const written = await writeResults(result, resolve(args.out as string), { plots: args.plots as boolean });
    const s = result.summary;
    if (args.json) ctx.out(JSON.stringify(s, null, 2));
    else {
      ctx.out(
        `${s.events} events from ${inputs.length - s.failed.length} of ${inputs.length} file(s) in ${s.seconds!.toFixed(2)} s (${Math.round(s.eventsPerSecond!)} events/s); ` +
          `read ${(s.io.bytesRead / 1e6).toFixed(1)} of ${(s.io.bytesTotal / 1e6).toFixed(1)} MB (${(100 * s.io.fractionRead).toFixed(1)}%)`,
      );
      if (!s.complete) ctx.out(`INCOMPLETE: ${s.failed.length} input(s) failed: ${s.failed.map((f) => f.file).join(', ')}`);
      ctx.out(`results: ${written.report ?? written.summary} (histograms ${written.histograms})`);
    }
    return summaryExitCode(s);
  },
});
