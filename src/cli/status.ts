/**
 * `physlite status --plan plan.json [--json]`: per shard done / running / failed / missing, read
 * from the destination itself (outputs, shard manifests, ledgers; src/scale/status.ts).
 * JSON contract (stable): {"shards": [{"index", "state", "inputs", "done", "failed", "bytes"}], "complete": bool}.
 * Exit code 0 whenever the status could be read (the state is in the output, not the code).
 */
import { EXIT } from '../errors.ts';
import { storeFor } from '../convert/convert-input.ts';
import { readPlan } from '../scale/plan.ts';
import { planStatus } from '../scale/status.ts';
import { registerCommand } from './command.ts';

registerCommand({
  name: 'status',
  describe: 'Where a plan stands: each shard done, running, failed or missing, from its destination',
  builder: (y) =>
    y
      .option('plan', { type: 'string', demandOption: true, describe: 'The plan (path or gs:// URL)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print {"shards": [{index, state, inputs, done, failed, bytes}], "complete"}' })
      .option('gcs-endpoint', { type: 'string', describe: 'Another GCS endpoint (STORAGE_EMULATOR_HOST is honoured too)' }),
  run: async (args, ctx) => {
    const gcs = { endpoint: args['gcs-endpoint'] as string | undefined };
    const plan = await readPlan(String(args.plan), gcs);
    const { status } = await planStatus(plan, storeFor(plan.destination, { gcs }));
    if (args.json) {
      // Exactly the contract's fields, in its order.
      const shards = status.shards.map((s) => ({ index: s.index, state: s.state, inputs: s.inputs, done: s.done, failed: s.failed, bytes: s.bytes }));
      ctx.out(JSON.stringify({ shards, complete: status.complete }));
      return EXIT.ok;
    }
    const count = (state: string): number => status.shards.filter((s) => s.state === state).length;
    ctx.out('shard  state    inputs    done  failed           bytes');
    for (const s of status.shards) ctx.out(`${String(s.index).padStart(5)}  ${s.state.padEnd(7)} ${String(s.inputs).padStart(7)} ${String(s.done).padStart(7)} ${String(s.failed).padStart(7)} ${String(s.bytes).padStart(15)}`);
    ctx.out(`${plan.kind} plan to ${plan.destination}: ${count('done')} done, ${count('running')} running, ${count('failed')} failed, ${count('missing')} missing of ${status.shards.length}${status.complete ? '; complete: run physlite finalize' : ''}`);
    return EXIT.ok;
  },
});
