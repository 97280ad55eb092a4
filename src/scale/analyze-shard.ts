/**
 * One shard of an analysis plan: the plan's analysis and parameters over the shard's inputs, its
 * partial results (histograms.json, summary.json: what `physlite merge` adds) written under the
 * destination's `_shards/shard-NNNN/`, one ledger record per input, and, only when every input was
 * analysed, the done marker `_shards/shard-NNNN.json` last. A rerun replaces the partial results
 * whole (they are a function of the inputs: the same inputs give the same counts). A custom
 * analysis module must be the one the plan pinned (its SHA-256).
 */
import { EXIT, UsageError } from '../errors.ts';
import { analysisDigest } from '../analysis/load.ts';
import type { Logger } from '../log.ts';
import { runAnalysis } from '../analysis/run.ts';
import type { AnalysisResult } from '../analysis/result.ts';
import { redactUrl } from '../root/source/url.ts';
import { RunLedger } from '../storage/ledger.ts';
import type { OutputStore } from '../storage/store.ts';
import { planHash, shardLedgerPrefix, shardManifest, shardResults, type Plan } from './plan.ts';

export async function analyzeShard(plan: Plan, index: number, store: OutputStore, o: { workers: number; log: Logger }): Promise<{ result: AnalysisResult; exitCode: number }> {
  const shard = plan.shards[index]!;
  const hash = planHash(plan);
  const module = String(plan.options.analysis ?? 'builtin');
  if (plan.options.analysisSha256 !== undefined && (await analysisDigest(module)) !== plan.options.analysisSha256) {
    throw new UsageError(`analysis module ${module} is not the one the plan was made with (its SHA-256 differs): every shard must run the same analysis`);
  }
  await store.prepare();
  const ledger = new RunLedger(store, 10_000, shardLedgerPrefix(index));
  await ledger.begin({ plan: hash, shard: index, inputs: shard.inputs.length });
  await store.remove(shardManifest(index));
  const files = shard.inputs.map((x) => x.replicas[0]!);
  const result = await runAnalysis(files, {
    replicas: new Map(shard.inputs.map((x) => [x.replicas[0]!, x.replicas])),
    analysis: String(plan.options.analysis ?? 'builtin'),
    params: (plan.options.param as string[] | undefined) ?? [],
    workers: o.workers,
    onTask: (task, outcome) => {
      if (outcome instanceof Error) o.log.warn(`failed: ${'describe' in outcome ? (outcome as { describe(): string }).describe() : outcome.message}`, { file: redactUrl(task.file) });
    },
  });
  const s = result.summary;
  const read = new Map<string, number>();
  for (const r of s.inputs) read.set(r.file, (read.get(r.file) ?? 0) + r.bytesRead);
  const failed = new Map(s.failed.map((f) => [f.file, f]));
  const time = new Date().toISOString();
  for (const x of shard.inputs) {
    const key = redactUrl(x.replicas[0]!);
    const f = failed.get(key);
    if (f) await ledger.record({ time, input: x.id, status: 'failed', error: f.error, transient: f.exitCode === EXIT.transient });
    else await ledger.record({ time, input: x.id, status: 'done', bytesRead: read.get(key) ?? 0 });
  }
  const dir = shardResults(index);
  const json = result.toJSON();
  await store.writeText(`${dir}histograms.json`, JSON.stringify(json.histograms, null, 1) + '\n');
  await store.writeText(`${dir}summary.json`, JSON.stringify(json.summary, null, 2) + '\n');
  const exitCode = s.failed.some((f) => f.exitCode === EXIT.transient) ? EXIT.transient : s.failed.length ? EXIT.permanent : EXIT.ok;
  if (exitCode === EXIT.ok) {
    const marker = { plan: hash, shard: index, shards: plan.shards.length, complete: true, analysis: s.analysis, params: s.params, events: s.events, bytesRead: s.io.bytesRead, inputs: shard.inputs.map((x) => x.id), results: dir };
    await store.writeText(shardManifest(index), JSON.stringify(marker, null, 1) + '\n');
  }
  await ledger.finish({ exitCode, events: s.events, failed: s.failed.length });
  return { result, exitCode };
}
