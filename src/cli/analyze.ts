/**
 * `physlite analyze INPUT... --out DIR`: the built-in analysis (or `--analysis ./my.ts`) over
 * Parquet files from `physlite convert`, or over ROOT files directly, reading only the columns the
 * analysis declares. Writes histograms.json (UHI), summary.json, plots/ and report.html.
 * `physlite analyze --plan plan.json [--shard I]`: one shard of an analysis plan, its partial results
 * under the destination's `_shards/` (src/scale/analyze-shard.ts); `physlite finalize` merges them.
 * Exit code: 0 all inputs analysed; 2 some inputs permanently bad; 3 transient failures (the
 * results of the others are written either way and say they are incomplete).
 */
import { resolve } from 'node:path';
import { EXIT, UsageError } from '../errors.ts';
import { expandInputs, isRootOrParquet, isRootOrParquetName } from '../convert/inputs.ts';
import { runAnalysis } from '../analysis/run.ts';
import { writeResults } from '../analysis/report.ts';
import type { Summary } from '../analysis/result.ts';
import { registerCommand, type CommandContext } from './command.ts';
import { redactUrl } from '../root/source/url.ts';
import type { FetchMode } from '../root/source/open.ts';
import { ANALYSIS_OPTIONS } from '../analysis/options.ts';
import { explicitOptions, mergePlanOptions, resolved, withOptions } from '../convert/options.ts';
import { storeFor } from '../convert/convert-input.ts';
import { readPlan, shardIndex } from '../scale/plan.ts';
import { analyzeShard } from '../scale/analyze-shard.ts';

async function analyzePlanShard(args: Record<string, unknown>, ctx: CommandContext): Promise<number> {
  if (((args.inputs as string[] | undefined) ?? []).length > 0) throw new UsageError("with --plan the inputs are the plan's: give no inputs");
  const plan = await readPlan(String(args.plan));
  if (plan.kind !== 'analysis') throw new UsageError(`${String(args.plan)} is a ${plan.kind} plan: run it with physlite convert --plan`);
  if (args.out !== undefined && String(args.out) !== plan.destination) throw new UsageError(`--out ${String(args.out)} conflicts with the plan, which writes to ${plan.destination}`);
  const index = shardIndex(plan, args.shard);
  const o = resolved(mergePlanOptions(plan.options, explicitOptions(args, ANALYSIS_OPTIONS), ANALYSIS_OPTIONS), ANALYSIS_OPTIONS);
  const workers = Number(o.workers);
  if (!Number.isSafeInteger(workers) || workers < 1) throw new UsageError(`--workers must be a whole number >= 1, got ${String(o.workers)}`);
  const { result, exitCode } = await analyzeShard(plan, index, storeFor(plan.destination), { workers, log: ctx.log });
  const s = result.summary;
  ctx.out(`shard ${index}: ${s.events} events from ${s.inputs.length} part(s) of ${plan.shards[index]!.inputs.length} file(s), ${s.failed.length} failed; ${exitCode === EXIT.ok ? 'shard complete' : 'shard NOT complete'}`);
  return exitCode;
}

/** Exit code of an analysis summary: transient failures first (a retry may complete the result). */
export function summaryExitCode(s: Summary): number {
  if (s.failed.some((f) => f.exitCode === EXIT.transient)) return EXIT.transient;
  if (s.failed.length) return EXIT.permanent;
  return EXIT.ok;
}

registerCommand({
  name: 'analyze [inputs..]',
  describe: 'Run an analysis over Parquet (or ROOT) files: histograms (UHI JSON), plots, report',
  builder: (y) =>
    withOptions(y, ANALYSIS_OPTIONS)
      .positional('inputs', { type: 'string', array: true, describe: 'Parquet or ROOT files, directories, globs, URLs (https, davs, gs) or @list.txt' })
      .option('out', { type: 'string', describe: 'Output directory for histograms.json, summary.json, plots/, report.html [default: out/analysis]' })
      .option('plan', { type: 'string', describe: 'Run one shard of an analysis plan (physlite plan over Parquet)' })
      .option('shard', { type: 'number', describe: 'With --plan: the shard index (default: JOB_COMPLETION_INDEX, BATCH_TASK_INDEX or CLOUD_RUN_TASK_INDEX)' })
      .option('plots', { type: 'boolean', default: true, describe: 'Write SVG/PNG plots and report.html (--no-plots to skip)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print summary.json to stdout' })
      .option('fetch', { choices: ['ranges', 'memory', 'disk'] as const, default: 'ranges', describe: 'Remote inputs: read ranges, or download whole first' })
      .option('requests', { type: 'number', default: 4, describe: 'Requests in flight per remote input' })
      .option('gcs-endpoint', { type: 'string', describe: 'Another GCS endpoint (STORAGE_EMULATOR_HOST is honoured too)' }),
  run: async (args, ctx) => {
    if (args.plan !== undefined) return analyzePlanShard(args, ctx);
    if (args.shard !== undefined) throw new UsageError('--shard needs --plan');
    if (((args.inputs as string[] | undefined) ?? []).length === 0) throw new UsageError('name the inputs (or --plan)');
    args = { ...args, ...resolved(explicitOptions(args, ANALYSIS_OPTIONS), ANALYSIS_OPTIONS), out: args.out ?? 'out/analysis' };
    const workers = Number(args.workers);
    if (!Number.isSafeInteger(workers) || workers < 1) throw new UsageError(`--workers must be a whole number >= 1, got ${String(args.workers)}`);
    const gcs = args['gcs-endpoint'] ? { endpoint: args['gcs-endpoint'] as string } : undefined;
    const specs = await expandInputs(args.inputs as string[], { accept: isRootOrParquet, acceptName: isRootOrParquetName, ...(gcs ? { gcs } : {}) });
    if (specs.length === 0) throw new UsageError('no Parquet or ROOT files among the inputs');
    // A Rucio file is read from its first replica; the others are read in turn when that fails.
    const readable = specs.filter((spec) => spec.replicas.length > 0);
    const inputs = readable.map((spec) => spec.replicas[0]!);
    const replicas = new Map(readable.map((spec) => [spec.replicas[0]!, spec.replicas]));
    // On a terminal one progress line; otherwise a log line per input (JSON with --log-format json).
    const tty = Boolean(process.stderr.isTTY) && ctx.log.format === 'text';
    const t0 = performance.now();
    let done = 0;
    let events = 0;
    // Events by file, so a file whose share failed drops out of the progress figure: the result
    // keeps none of a file's shares once one of them failed.
    const byFile = new Map<string, number>();
    const failedFiles = new Set<string>();
    const result = await runAnalysis(inputs, {
      analysis: args.analysis as string,
      params: (args.param as string[] | undefined) ?? [],
      workers,
      open: { fetch: args.fetch as FetchMode, concurrency: Number(args.requests), ...(gcs ? { gcs } : {}) },
      replicas,
      onTask: (task, outcome) => {
        done++;
        const file = redactUrl(task.file);
        if (outcome instanceof Error) {
          events -= byFile.get(task.file) ?? 0;
          byFile.delete(task.file);
          failedFiles.add(task.file);
          if (tty) process.stderr.write('\n');
          ctx.log.warn(`failed: ${'describe' in outcome ? (outcome as { describe(): string }).describe() : outcome.message}`, { file });
        } else {
          if (!failedFiles.has(task.file)) {
            events += outcome.summary.events;
            byFile.set(task.file, (byFile.get(task.file) ?? 0) + outcome.summary.events);
          }
          const part = task.part ? `${task.part.index + 1}/${task.part.count}` : undefined;
          if (tty) process.stderr.write(`\ranalyze: ${done} task(s) done, ${events} events, ${Math.round(events / ((performance.now() - t0) / 1000))} events/s   `);
          else ctx.log.info(`analysed ${file}`, { part, events: outcome.summary.events, bytesRead: outcome.summary.io.bytesRead });
        }
      },
    });
    if (tty) process.stderr.write('\n');
    for (const spec of specs.filter((x) => x.replicas.length === 0)) {
      const error = `no replica that physlite can read${spec.skipped?.length ? `: ${spec.skipped.join('; ')}` : ''}`;
      ctx.log.warn(`failed: ${error}`, { file: spec.id });
      result.summary.failed.push({ file: spec.id, error, exitCode: EXIT.permanent });
      result.summary.complete = false;
    }
    const written = await writeResults(result, resolve(args.out as string), { plots: args.plots as boolean });
    const s = result.summary;
    if (args.json) ctx.out(JSON.stringify(s, null, 2));
    else {
      ctx.out(
        `${s.events} events from ${specs.length - s.failed.length} of ${specs.length} file(s) in ${s.seconds!.toFixed(2)} s (${Math.round(s.eventsPerSecond!)} events/s); ` +
          `read ${(s.io.bytesRead / 1e6).toFixed(1)} of ${(s.io.bytesTotal / 1e6).toFixed(1)} MB (${(100 * s.io.fractionRead).toFixed(1)}%)`,
      );
      if (!s.complete) ctx.out(`INCOMPLETE: ${s.failed.length} input(s) failed: ${s.failed.map((f) => f.file).join(', ')}`);
      ctx.out(`results: ${written.report ?? written.summary} (histograms ${written.histograms})`);
    }
    return summaryExitCode(s);
  },
});
