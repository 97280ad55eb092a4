/**
 * `physlite finalize --plan plan.json`: a conversion plan's dataset manifest `_manifest.json`,
 * written last and only when every shard is done; an analysis plan's shards merged into
 * `result/` of the destination (src/scale/finalize.ts).
 * Exit code: 0 complete; 3 shards not done yet (rerun them, then finalize again); 2 a shard has
 * inputs that failed permanently.
 */
import { storeFor } from '../convert/convert-input.ts';
import { readPlan } from '../scale/plan.ts';
import { finalizePlan } from '../scale/finalize.ts';
import { registerCommand } from './command.ts';

registerCommand({
  name: 'finalize',
  describe: 'Finish a plan: the dataset manifest when every shard is done (conversion), or the merged results (analysis)',
  builder: (y) =>
    y
      .option('plan', { type: 'string', demandOption: true, describe: 'The plan (path or gs:// URL)' })
      .option('gcs-endpoint', { type: 'string', describe: 'Another GCS endpoint (STORAGE_EMULATOR_HOST is honoured too)' }),
  run: async (args, ctx) => {
    const gcs = { endpoint: args['gcs-endpoint'] as string | undefined };
    const plan = await readPlan(String(args.plan), gcs);
    const o = await finalizePlan(plan, storeFor(plan.destination, { gcs }));
    for (const e of o.errors.slice(0, 20)) ctx.log.error(`${e.transient ? 'transient' : 'permanent'} failure: ${e.input}: ${e.error}`);
    if (o.missing.length) ctx.log.warn(`missing shard(s): ${o.missing.map((s) => s.index).join(' ')}`);
    ctx.out(o.message);
    return o.exitCode;
  },
});
