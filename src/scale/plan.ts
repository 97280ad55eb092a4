/**
 * Plans: a dataset split into N shards once, so that batch and grid engines can run the shards as
 * independent tasks and all of them produce one consistent dataset. A plan is a JSON document that
 * records the inputs (identity, replicas, size), the destination, the options and the converter
 * version; it holds no time, so the same inputs and options give the same bytes (and hash).
 * Inputs are split by size, largest first onto the lightest shard (ties: fewer files, lower index):
 * deterministic, and within 4/3 of the best balance. A plan is read from a path or any source URL
 * (gs://, https://) and written to a path or any store (gs://). A shard's index comes from
 * `--shard`, or from the engine's variables (Kubernetes, Cloud Batch, Cloud Run).
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PhysliteError, UsageError } from '../errors.ts';
import { CONVERTER_VERSION } from '../convert/convert-file.ts';
import type { InputSpec } from '../convert/replicas.ts';
import type { GcsOptions } from '../gcs/client.ts';
import { openSource } from '../root/source/open.ts';
import { isUrl } from '../root/source/url.ts';
import { openStore } from '../storage/store.ts';
import '../storage/local.ts';
import '../storage/gcs.ts';

export type PlanKind = 'convert' | 'analysis';

export interface PlannedInput {
  id: string;
  replicas: string[];
  size: number;
  adler32?: string;
}

export interface Shard {
  index: number;
  bytes: number;
  inputs: PlannedInput[];
}

export interface Plan {
  physlite: 'plan';
  planVersion: 1;
  kind: PlanKind;
  converter: string;
  destination: string;
  options: Record<string, unknown>;
  files: number;
  bytes: number;
  shards: Shard[];
}

/** Split sized inputs into `n` shards: largest first onto the lightest shard; inputs keep their order within a shard. */
export function balance(inputs: readonly PlannedInput[], n: number): Shard[] {
  const shards: Shard[] = Array.from({ length: n }, (_, index) => ({ index, bytes: 0, inputs: [] }));
  const order = inputs.map((x, i) => ({ x, i })).sort((a, b) => b.x.size - a.x.size || (a.x.id < b.x.id ? -1 : a.x.id > b.x.id ? 1 : 0));
  const position = new Map<PlannedInput, number>();
  for (const { x, i } of order) {
    let best = shards[0]!;
    for (const s of shards) if (s.bytes < best.bytes || (s.bytes === best.bytes && s.inputs.length < best.inputs.length)) best = s;
    best.inputs.push(x);
    best.bytes += x.size;
    position.set(x, i);
  }
  for (const s of shards) s.inputs.sort((a, b) => position.get(a)! - position.get(b)!);
  return shards;
}

export function makePlan(kind: PlanKind, inputs: readonly InputSpec[], sizes: readonly number[], n: number, destination: string, options: Record<string, unknown>): Plan {
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--shards must be a whole number >= 1, got ${n}`);
  const planned = inputs.map((spec, i): PlannedInput => ({ id: spec.id, replicas: spec.replicas, size: sizes[i]!, ...(spec.adler32 ? { adler32: spec.adler32 } : {}) }));
  return {
    physlite: 'plan',
    planVersion: 1,
    kind,
    converter: CONVERTER_VERSION,
    destination,
    options,
    files: planned.length,
    bytes: planned.reduce((a, x) => a + x.size, 0),
    shards: balance(planned, n),
  };
}

export const planText = (plan: Plan): string => JSON.stringify(plan, null, 1) + '\n';

/** A short fingerprint of a plan: shard manifests carry it, so a manifest of another plan never counts. */
export function planHash(plan: Plan): string {
  return createHash('sha256').update(JSON.stringify(plan)).digest('hex').slice(0, 16);
}

export async function writePlan(location: string, plan: Plan, gcs?: GcsOptions): Promise<void> {
  const text = planText(plan);
  if (isUrl(location)) {
    const cut = location.lastIndexOf('/');
    await openStore(location.slice(0, cut), { gcs }).writeText(location.slice(cut + 1), text);
    return;
  }
  await mkdir(dirname(location), { recursive: true });
  await writeFile(`${location}.tmp-${process.pid}`, text);
  await rename(`${location}.tmp-${process.pid}`, location);
}

export async function readPlan(location: string, gcs?: GcsOptions): Promise<Plan> {
  let text: string;
  try {
    const source = await openSource(location, { gcs });
    try {
      text = new TextDecoder().decode(await source.read(0, source.size));
    } finally {
      await source.close();
    }
  } catch (err) {
    // A plan that is not there is a wrong argument; a transient read failure stays transient.
    if (err instanceof PhysliteError && err.exitCode !== 2) throw err;
    throw new UsageError(`cannot read plan ${location}: ${(err as Error).message}`);
  }
  let plan: Plan;
  try {
    plan = JSON.parse(text) as Plan;
  } catch (err) {
    throw new UsageError(`plan ${location} is not JSON: ${(err as Error).message}`);
  }
  if (plan?.physlite !== 'plan' || plan.planVersion !== 1 || !Array.isArray(plan.shards)) throw new UsageError(`${location} is not a physlite plan (version 1)`);
  if (plan.kind === 'convert' && plan.converter !== CONVERTER_VERSION) {
    throw new UsageError(`plan ${location} was made for converter ${plan.converter}; this is ${CONVERTER_VERSION}: every shard of a dataset must run the same converter`);
  }
  return plan;
}

export const shardName = (i: number): string => `shard-${String(i).padStart(4, '0')}`;
/** A shard's manifest (conversion) or done marker (analysis), written last by the shard. */
export const shardManifest = (i: number): string => `_shards/${shardName(i)}.json`;
/** Where an analysis shard's partial results go. */
export const shardResults = (i: number): string => `_shards/${shardName(i)}/`;
export const shardLedgerPrefix = (i: number): string => `${shardName(i)}-`;

/** The engines' variables: index and (where the engine gives it) count of the task. */
export const ENGINE_VARIABLES = [
  { engine: 'Kubernetes Indexed Job', index: 'JOB_COMPLETION_INDEX', count: undefined },
  { engine: 'Cloud Batch', index: 'BATCH_TASK_INDEX', count: 'BATCH_TASK_COUNT' },
  { engine: 'Cloud Run job', index: 'CLOUD_RUN_TASK_INDEX', count: 'CLOUD_RUN_TASK_COUNT' },
] as const;

/** Which shard to run: `--shard`, else the engine's task index; a count that disagrees with the plan is a usage error. */
export function shardIndex(plan: Plan, shard: unknown, env: NodeJS.ProcessEnv = process.env): number {
  const n = plan.shards.length;
  const check = (i: number, where: string): number => {
    if (!Number.isSafeInteger(i) || i < 0 || i >= n) throw new UsageError(`${where} must be a shard index from 0 to ${n - 1} (the plan has ${n} shards)`);
    return i;
  };
  if (shard !== undefined) return check(Number(shard), `--shard ${String(shard)}`);
  for (const v of ENGINE_VARIABLES) {
    const index = env[v.index];
    if (index === undefined || index === '') continue;
    const count = v.count ? env[v.count] : undefined;
    if (count !== undefined && count !== '' && Number(count) !== n) {
      throw new UsageError(`${v.count}=${count} (${v.engine}) disagrees with the plan's ${n} shards: the job's task count must equal --shards of the plan`);
    }
    return check(/^\d+$/.test(index) ? Number(index) : NaN, `${v.index}=${index} (${v.engine})`);
  }
  throw new UsageError(`name the shard: --shard I, or run under an engine that sets ${ENGINE_VARIABLES.map((v) => v.index).join(', ')}`);
}
