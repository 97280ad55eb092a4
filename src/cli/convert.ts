/**
 * `physlite convert INPUT... --out DIR|gs://bucket/prefix`: ROOT files (local, https://, davs://,
 * gs://, Rucio lists and metalinks) to one Parquet file each, on a pool of worker processes; an
 * output becomes visible only when complete and verified (renamed, or uploaded and checked), an
 * existing output is skipped (`--force` redoes it), every input gets a line in this run's ledger
 * (_ledger/ of the output), one bad input never stops the run, and a run in which every input has
 * its output writes `_manifest.json` last.
 * `physlite convert --plan plan.json [--shard I]`: one shard of a plan (index from --shard or the
 * engine's variables) with the plan's inputs, destination and options; its ledgers are
 * `_ledger/shard-NNNN-*`, and when all its inputs have their outputs it writes
 * `_shards/shard-NNNN.json` (the dataset manifest is `physlite finalize`'s).
 * Exit code: 0 all converted, 2 some inputs permanently bad, 3 transient failures left.
 */
import { EXIT, UsageError } from '../errors.ts';
import { expandInputs } from '../convert/inputs.ts';
import { writeManifest } from '../convert/manifest.ts';
import { CONVERT_OPTIONS, conversionSettings, explicitOptions, mergePlanOptions, resolved, withOptions } from '../convert/options.ts';
import { dataOptions, runConversion, type RunOutcome } from '../convert/run.ts';
import { planHash, readPlan, shardIndex, shardLedgerPrefix, shardManifest } from '../scale/plan.ts';
import { registerCommand, type CommandContext } from './command.ts';

async function convertShard(args: Record<string, unknown>, ctx: CommandContext): Promise<RunOutcome & { shard: number }> {
  if (((args.inputs as string[] | undefined) ?? []).length > 0) throw new UsageError('with --plan the inputs are the plan\'s: give no inputs');
  const explicit = explicitOptions(args, CONVERT_OPTIONS);
  const plan = await readPlan(String(args.plan), { endpoint: explicit['gcs-endpoint'] as string | undefined });
  if (plan.kind !== 'convert') throw new UsageError(`${String(args.plan)} is an ${plan.kind} plan: run it with physlite analyze --plan`);
  if (args.out !== undefined && String(args.out) !== plan.destination) throw new UsageError(`--out ${String(args.out)} conflicts with the plan, which writes to ${plan.destination}`);
  const index = shardIndex(plan, args.shard);
  const settings = conversionSettings(resolved(mergePlanOptions(plan.options, explicit, CONVERT_OPTIONS), CONVERT_OPTIONS));
  const shard = plan.shards[index]!;
  const hash = planHash(plan);
  ctx.log.info(`shard ${index} of ${plan.shards.length}: ${shard.inputs.length} input(s), ${shard.bytes} bytes, to ${plan.destination}`);
  const outcome = await runConversion(shard.inputs, plan.destination, settings, ctx.log, {
    force: Boolean(args.force),
    resume: Boolean(args.resume),
    // An engine retries a shard that exited 3: its transient failures must be tried again.
    retryTransient: true,
    ledgerPrefix: shardLedgerPrefix(index),
    ledgerStart: { plan: hash, shard: index, inputs: shard.inputs.length },
    staleWhenWriting: ['_manifest.json', shardManifest(index)],
    complete: async (store, entries) => {
      await writeManifest(store, entries, dataOptions(settings), shardManifest(index), { plan: hash, shard: index, shards: plan.shards.length });
      return store.where(shardManifest(index));
    },
  });
  return { ...outcome, shard: index };
}

registerCommand({
  name: 'convert [inputs..]',
  describe: 'Convert ROOT files (PHYSLITE) to column-split Parquet, one Parquet file per input',
  builder: (y) =>
    withOptions(
      y
        .positional('inputs', { type: 'string', array: true, describe: 'Files, directories, globs, URLs (https, davs, gs), @list.txt (rucio list-file-replicas --pfns output too)' })
        .option('out', { type: 'string', describe: 'Output directory, or gs://bucket/prefix (required without --plan)' })
        .option('plan', { type: 'string', describe: 'Run one shard of a plan (physlite plan): path or gs:// URL' })
        .option('shard', { type: 'number', describe: 'With --plan: the shard index (default: JOB_COMPLETION_INDEX, BATCH_TASK_INDEX or CLOUD_RUN_TASK_INDEX)' })
        .option('force', { type: 'boolean', default: false, describe: 'Convert again inputs whose output exists' })
        .option('resume', { type: 'boolean', default: false, describe: 'Also retry inputs that earlier runs (their ledgers) recorded as failed' }),
      CONVERT_OPTIONS,
    )
      .example('$0 convert data/*.root --out parquet/', 'one Parquet file per input')
      .example('$0 convert data/ --out parquet-analysis/ --preset analysis', 'only the branches the analysis reads')
      .example('$0 convert @replicas.txt --out gs://bucket/physlite/', 'rucio list-file-replicas --pfns output to Cloud Storage')
      .example('$0 convert --plan gs://bucket/plan.json --shard 7', 'shard 7 of a plan (physlite plan)'),
  async run(args, ctx) {
    if (args.plan !== undefined) {
      const o = await convertShard(args, ctx);
      ctx.out(`shard ${o.shard}: ${summaryLine(o)}${o.completed ? `; shard complete: ${o.completed}` : ''}`);
      return o.exitCode;
    }
    if (args.shard !== undefined) throw new UsageError('--shard needs --plan');
    if (args.out === undefined) throw new UsageError('--out is required (or --plan)');
    const settings = conversionSettings(resolved(explicitOptions(args, CONVERT_OPTIONS), CONVERT_OPTIONS));
    const inputs = await expandInputs(((args.inputs as string[] | undefined) ?? []).map(String), { metalinks: settings.metalinks, prefs: settings.prefs, gcs: settings.remote.store!.gcs });
    if (inputs.length === 0) throw new UsageError('no ROOT input found');
    const o = await runConversion(inputs, String(args.out), settings, ctx.log, {
      force: Boolean(args.force),
      resume: Boolean(args.resume),
      staleWhenWriting: ['_manifest.json'],
      complete: async (store, entries) => {
        await writeManifest(store, entries, dataOptions(settings));
        return store.where('_manifest.json');
      },
    });
    ctx.out(`${summaryLine(o)}${o.completed ? `; dataset complete: ${o.completed}` : ''}`);
    return o.exitCode;
  },
});

function summaryLine(o: RunOutcome): string {
  return `${o.converted} converted, ${o.skipped} skipped (output exists), ${o.skippedFailed ? `${o.skippedFailed} skipped (failed before; --resume), ` : ''}${o.failedPermanent + o.failedTransient - o.skippedFailed} failed; ledger ${o.ledger}`;
}
