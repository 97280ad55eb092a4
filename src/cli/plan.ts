/**
 * `physlite plan INPUT... --shards N --out-plan plan.json --out DEST [options]`: split a dataset
 * into N shards for batch and grid engines (src/scale/plan.ts). ROOT inputs make a conversion plan
 * (convert options recorded); Parquet inputs, or `--analysis`/`--param`, make an analysis plan.
 * Every input's size is found first (listing, metalink, stat, or one `bytes=0-0` request); an input
 * whose size cannot be had fails the plan, which is then not written.
 */
import pLimit from 'p-limit';
import { EXIT, PhysliteError, UsageError, exitCodeOf } from '../errors.ts';
import { ANALYSIS_OPTIONS } from '../analysis/options.ts';
import { analysisDigest, loadAnalysis, resolveParams } from '../analysis/load.ts';
import { expandInputs, inputSize, isParquet, isRoot, isRootOrParquet, isRootOrParquetName } from '../convert/inputs.ts';
import { CONVERT_OPTIONS, conversionSettings, explicitOptions, planOptions, resolved, withOptions } from '../convert/options.ts';
import { schemeOf } from '../root/source/url.ts';
import { makePlan, planHash, writePlan, type PlanKind } from '../scale/plan.ts';
import { registerCommand } from './command.ts';

const looksParquet = async (url: string): Promise<boolean> => (schemeOf(url) === 'file' ? isParquet(url) : /\.parquet$/i.test(url.replace(/[?#].*$/, '')));

registerCommand({
  name: 'plan [inputs..]',
  describe: 'Split a dataset into shards for batch and grid engines (a conversion plan, or an analysis plan over Parquet)',
  builder: (y) =>
    withOptions(
      withOptions(
        y
          .positional('inputs', { type: 'string', array: true, describe: 'As for convert (ROOT) or analyze (Parquet): files, directories, globs, URLs, @list.txt' })
          .option('shards', { type: 'number', demandOption: true, describe: 'Number of shards (the engine\'s task count)' })
          .option('out-plan', { type: 'string', demandOption: true, describe: 'Where the plan goes: a path or gs:// URL' })
          .option('out', { type: 'string', demandOption: true, describe: 'The destination every shard writes to: a directory or gs://bucket/prefix' }),
        CONVERT_OPTIONS,
      ),
      { analysis: ANALYSIS_OPTIONS.analysis!, param: ANALYSIS_OPTIONS.param! },
    )
      .example('$0 plan gs://bucket/physlite/ --shards 100 --out-plan gs://bucket/plans/run1.json --out gs://bucket/parquet/run1 --preset analysis', 'a conversion in 100 tasks')
      .example('$0 plan gs://bucket/parquet/run1/ --shards 20 --out-plan plan-ana.json --out gs://bucket/ana/run1 --param muonPt=5', 'an analysis in 20 tasks'),
  async run(args, ctx) {
    const convertGiven = explicitOptions(args, CONVERT_OPTIONS);
    const analysisGiven = explicitOptions(args, { analysis: ANALYSIS_OPTIONS.analysis!, param: ANALYSIS_OPTIONS.param! });
    const settings = conversionSettings(resolved(convertGiven, CONVERT_OPTIONS));
    const gcs = settings.remote.store!.gcs;
    const specs = await expandInputs(((args.inputs as string[] | undefined) ?? []).map(String), { metalinks: settings.metalinks, prefs: settings.prefs, gcs, accept: isRootOrParquet, acceptName: isRootOrParquetName });
    if (specs.length === 0) throw new UsageError('no ROOT or Parquet input found');
    const parquet = await Promise.all(specs.map((s) => (s.replicas[0] ? looksParquet(s.replicas[0]) : false)));
    let kind: PlanKind;
    if (Object.keys(analysisGiven).length > 0 || parquet.every(Boolean)) kind = 'analysis';
    else if (parquet.some(Boolean)) throw new UsageError(`the inputs mix Parquet (${specs[parquet.indexOf(true)]!.id}) and ROOT (${specs[parquet.indexOf(false)]!.id}): a conversion plan takes ROOT, an analysis plan Parquet (or ROOT with --analysis)`);
    else kind = 'convert';
    let options: Record<string, unknown>;
    if (kind === 'analysis') {
      const unused = Object.keys(convertGiven).filter((k) => !['gcs-endpoint', 'gcs-retries', 'workers', 'prefer-scheme', 'prefer-rse', 'metalink'].includes(k));
      if (unused.length) throw new UsageError(`--${unused[0]} is a conversion option; this is an analysis plan (Parquet inputs or --analysis)`);
      // A wrong analysis or parameter is found now, not in every task.
      const a = await loadAnalysis(String(analysisGiven.analysis ?? 'builtin'));
      resolveParams(a, (analysisGiven.param as string[] | undefined) ?? []);
      options = planOptions({ ...analysisGiven, ...(convertGiven.workers ? { workers: convertGiven.workers } : {}) }, ANALYSIS_OPTIONS);
      const digest = await analysisDigest(String(options.analysis));
      if (digest) options.analysisSha256 = digest;
    } else {
      for (const s of specs) if (s.replicas[0] && schemeOf(s.replicas[0]) === 'file' && !(await isRoot(s.replicas[0]))) throw new UsageError(`${s.id} is not a ROOT file`);
      options = planOptions(convertGiven, CONVERT_OPTIONS);
    }
    const probes = pLimit(16);
    const sizes = await Promise.all(specs.map((s) => probes(() => inputSize(s, settings.remote.open).catch((err: unknown) => err as Error))));
    const bad = sizes.map((x, i) => ({ x, spec: specs[i]! })).filter((e): e is { x: Error; spec: (typeof specs)[number] } => e.x instanceof Error);
    if (bad.length) {
      for (const { x, spec } of bad) ctx.log.error(`cannot size ${spec.id}: ${x instanceof PhysliteError ? x.describe() : x.message}`);
      const transient = bad.some((b) => exitCodeOf(b.x) === EXIT.transient);
      ctx.out(`no plan written: ${bad.length} input(s) could not be sized`);
      return transient ? EXIT.transient : EXIT.permanent;
    }
    const plan = makePlan(kind, specs, sizes as number[], Number(args.shards), String(args.out), options);
    await writePlan(String(args['out-plan']), plan, gcs);
    const loads = plan.shards.map((s) => s.bytes);
    const empty = plan.shards.filter((s) => s.inputs.length === 0).length;
    if (empty) ctx.log.warn(`${empty} shard(s) have no input (more shards than inputs)`);
    ctx.out(
      `${kind} plan ${planHash(plan)}: ${plan.files} input(s), ${plan.bytes} bytes in ${plan.shards.length} shard(s) ` +
        `(${Math.min(...loads)}-${Math.max(...loads)} bytes each) to ${plan.destination}; written to ${String(args['out-plan'])}`,
    );
    return EXIT.ok;
  },
});
