/**
 * Finishing a plan. A conversion plan is complete when every shard's manifest (naming this plan) is
 * there and every object they list is there with its size: then the dataset manifest
 * `_manifest.json` is written, last, listing every object; otherwise nothing is written and the
 * missing shards are reported. An analysis plan's done shards are merged (`mergeResults`, reading
 * the partial results from the destination) into `result/` (histograms, summary, plots, report)
 * with `result/merged.json` listing the shards merged and those missing; with shards missing the
 * result says it is incomplete.
 * Exit code: 0 complete; 3 shards missing that a (re)run can still complete ("not yet"); 2 when a
 * missing shard has inputs that failed permanently (no rerun helps: fix the inputs, or re-plan).
 */
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { EXIT } from '../errors.ts';
import { writeResults } from '../analysis/report.ts';
import { AnalysisResult, type Summary } from '../analysis/result.ts';
import type { UhiHistogram } from '../analysis/histogram.ts';
import { mergeResults } from '../cli/merge.ts';
import { writeManifest, type ManifestEntry } from '../convert/manifest.ts';
import { LocalStore } from '../storage/local.ts';
import type { OutputStore } from '../storage/store.ts';
import { planHash, shardResults, type Plan } from './plan.ts';
import { planStatus, type ShardDetail, type ShardStatus } from './status.ts';

export interface FinalizeOutcome {
  exitCode: number;
  missing: ShardStatus[];
  /** Failed inputs of the missing shards. */
  errors: ShardDetail['errors'];
  written?: string;
  message: string;
}

const CONTENT_TYPES: Record<string, string> = { json: 'application/json', svg: 'image/svg+xml', png: 'image/png', html: 'text/html' };

function notDone(shards: ShardStatus[], details: ShardDetail[]): Pick<FinalizeOutcome, 'missing' | 'errors' | 'exitCode'> {
  const missing = shards.filter((s) => s.state !== 'done');
  const errors = missing.flatMap((s) => details[s.index]!.errors);
  const permanent = missing.some((s) => details[s.index]!.permanent > 0);
  return { missing, errors, exitCode: missing.length === 0 ? EXIT.ok : permanent ? EXIT.permanent : EXIT.transient };
}

const describeMissing = (missing: ShardStatus[]): string => missing.map((s) => `${s.index} (${s.state}, ${s.done}/${s.inputs} inputs)`).join(', ');

export async function finalizePlan(plan: Plan, store: OutputStore): Promise<FinalizeOutcome> {
  return plan.kind === 'convert' ? finalizeConversion(plan, store) : finalizeAnalysis(plan, store);
}

async function finalizeConversion(plan: Plan, store: OutputStore): Promise<FinalizeOutcome> {
  const { status, details } = await planStatus(plan, store);
  const verdict = notDone(status.shards, details);
  if (verdict.missing.length) {
    return { ...verdict, message: `not complete: ${verdict.missing.length} of ${plan.shards.length} shard(s) not done: ${describeMissing(verdict.missing)}; no dataset manifest written` };
  }
  // Every shard says it is done: its objects must still be there, as listed.
  const sizes = new Map((await store.listSized('')).map((x) => [x.name, x.size]));
  const objects: ManifestEntry[] = [];
  const gone: string[] = [];
  let options: unknown;
  for (const d of details) {
    const m = d.manifest!;
    options ??= m.options;
    for (const e of m.objects as ManifestEntry[]) {
      if (sizes.get(e.object) !== e.size) gone.push(`${e.object} (shard ${String(m.shard)})`);
      objects.push(e);
    }
  }
  if (gone.length) {
    return { ...verdict, exitCode: EXIT.transient, message: `not complete: ${gone.length} object(s) listed by shard manifests are missing or changed: ${gone.slice(0, 5).join(', ')}${gone.length > 5 ? ', ...' : ''}; rerun their shards with --force` };
  }
  await writeManifest(store, objects, options as Record<string, unknown>, '_manifest.json', { plan: planHash(plan), shards: plan.shards.length });
  const entries = objects.reduce((n, e) => n + e.entries, 0);
  return { ...verdict, written: store.where('_manifest.json'), message: `dataset complete: ${objects.length} objects, ${entries} entries from ${plan.shards.length} shard(s); ${store.where('_manifest.json')}` };
}

async function finalizeAnalysis(plan: Plan, store: OutputStore): Promise<FinalizeOutcome> {
  const { status, details } = await planStatus(plan, store);
  const verdict = notDone(status.shards, details);
  const merged = status.shards.filter((s) => s.state === 'done');
  if (merged.length === 0) return { ...verdict, message: `nothing to merge: no shard is done (${describeMissing(verdict.missing)})` };
  const load = async (dir: string): Promise<{ histograms: Record<string, UhiHistogram>; summary: Summary }> => ({
    histograms: JSON.parse(await store.readText(`${dir}histograms.json`)) as Record<string, UhiHistogram>,
    summary: JSON.parse(await store.readText(`${dir}summary.json`)) as Summary,
  });
  const result = (await mergeResults(merged.map((s) => shardResults(s.index)), load)) as AnalysisResult;
  if (verdict.missing.length) {
    result.summary.complete = false;
    result.summary.notes.push(`${verdict.missing.length} of ${plan.shards.length} shard(s) not merged (not done): ${describeMissing(verdict.missing)}`);
  }
  const list = {
    plan: planHash(plan),
    complete: verdict.missing.length === 0,
    merged: merged.map((s) => ({ shard: s.index, inputs: plan.shards[s.index]!.inputs.map((x) => x.id) })),
    missing: verdict.missing.map((s) => ({ shard: s.index, state: s.state, inputs: plan.shards[s.index]!.inputs.map((x) => x.id), failed: details[s.index]!.errors })),
  };
  const written = await publishResults(result, store, list);
  const what = `merged ${merged.length} of ${plan.shards.length} shard(s), ${result.summary.events} events`;
  return { ...verdict, written, message: verdict.missing.length ? `INCOMPLETE: ${what}; missing: ${describeMissing(verdict.missing)}; ${written}` : `${what}; ${written}` };
}

/** Results (with plots and report) into the destination's `result/`: in place for a directory, else written locally and uploaded. */
async function publishResults(result: AnalysisResult, store: OutputStore, list: unknown): Promise<string> {
  const listText = JSON.stringify(list, null, 1) + '\n';
  if (store instanceof LocalStore) {
    const w = await writeResults(result, store.where('result'));
    await store.writeText('result/merged.json', listText);
    return w.report!;
  }
  const dir = await mkdtemp(join(tmpdir(), 'physlite-finalize-'));
  try {
    await writeResults(result, dir);
    const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    for (const file of files) {
      const name = `result/${relative(dir, file)}`;
      await store.put(name, (tmp) => copyFile(file, tmp), { force: true, contentType: CONTENT_TYPES[file.split('.').pop()!] });
    }
    await store.writeText('result/merged.json', listText);
    return store.where('result/report.html');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
