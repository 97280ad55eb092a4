/**
 * runAnalysis: an analysis over many inputs, on a pool of worker threads (or in this thread with
 * one worker). Tasks are files, or shares of a file's row groups when there are fewer files than
 * workers. Partial results are merged in task order (a small reorder buffer), so the same inputs
 * and worker count give bit-identical results, and any worker count gives identical counts. An
 * input that fails is recorded (with its exit code: 2 permanent, 3 transient) and the others go on.
 */
import { Worker } from 'node:worker_threads';
import { exitCodeOf, PhysliteError, TransientError } from '../errors.ts';
import type { Analysis } from './api.ts';
import { loadAnalysis, resolveParams } from './load.ts';
import { Output } from './output.ts';
import { AnalysisResult } from './result.ts';
import { runTask, type Task } from './run-file.ts';
import { openInput } from './input.ts';
import type { OpenOptions } from '../root/source/open.ts';
import { redactUrl } from '../root/source/url.ts';

export interface RunOptions {
  /** Built-in name or module path. */
  analysis?: string;
  params?: readonly string[];
  workers?: number;
  /** How inputs are opened (remote fetch mode, GCS endpoint, requests in flight). */
  open?: OpenOptions;
  /** Per input (by its first replica), all its replicas best first: read in turn when reading one fails. */
  replicas?: ReadonlyMap<string, string[]>;
  onTask?: (task: Task, outcome: AnalysisResult | Error) => void;
}

/** What a worker thread is started with. */
export interface WorkerSetup {
  analysis: string;
  params: readonly string[];
  open: OpenOptions;
}

export interface WorkerError {
  name: string;
  message: string;
  exitCode: number;
  describe: string;
}

const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

export async function runAnalysis(inputs: readonly string[], o: RunOptions = {}): Promise<AnalysisResult> {
  const t0 = performance.now();
  const analysis = await loadAnalysis(o.analysis);
  const params = resolveParams(analysis, o.params);
  const workers = Math.max(1, o.workers ?? 1);
  const open = o.open ?? {};
  const tasks = await planTasks(inputs, workers, open, o.replicas);
  const total = empty(analysis, params);

  // Merge in task order: results that finish early wait in `pending`. The shares of one file are
  // consecutive tasks and are merged together once all have finished: if any failed, none is kept,
  // so a rerun of the failed file never counts events twice.
  const pending = new Map<number, AnalysisResult | Error>();
  let nextMerge = 0;
  let shares: { task: Task; outcome: AnalysisResult | Error }[] = [];
  const flush = (): void => {
    const error = shares.find((x) => x.outcome instanceof Error)?.outcome as Error | undefined;
    const file = shares[0]?.task.file;
    if (file !== undefined && error) {
      total.summary.failed.push({ file: redactUrl(file), error: error instanceof PhysliteError ? error.describe() : error.message, exitCode: exitCodeOf(error) });
      total.summary.complete = false;
    } else for (const x of shares) total.add(x.outcome as AnalysisResult);
    shares = [];
  };
  const settle = (i: number, outcome: AnalysisResult | Error): void => {
    o.onTask?.(tasks[i]!, outcome);
    pending.set(i, outcome);
    while (pending.has(nextMerge)) {
      const task = tasks[nextMerge]!;
      const r = pending.get(nextMerge)!;
      pending.delete(nextMerge);
      nextMerge++;
      if (shares.length && shares[0]!.task.file !== task.file) flush();
      shares.push({ task, outcome: r });
    }
  };

  if (workers === 1 || tasks.length <= 1) {
    for (let i = 0; i < tasks.length; i++) settle(i, await runTask(analysis, params, tasks[i]!, open).catch((e: unknown) => asError(e)));
  } else {
    await runOnThreads(tasks, Math.min(workers, tasks.length), { analysis: o.analysis ?? 'builtin', params: o.params ?? [], open }, settle);
  }
  flush();
  const seconds = (performance.now() - t0) / 1000;
  total.summary.seconds = seconds;
  total.summary.eventsPerSecond = seconds > 0 ? total.summary.events / seconds : 0;
  return total;
}

function empty(a: Analysis<Record<string, unknown>>, params: Record<string, unknown>): AnalysisResult {
  const out = new Output(a.histograms(params), a.cutflow ?? []);
  return AnalysisResult.empty(a.name, params, out.histograms, a.cutflow ?? []);
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** One task per file; with fewer files than workers, files are shared out by row group. */
async function planTasks(inputs: readonly string[], workers: number, open: OpenOptions, replicas?: ReadonlyMap<string, string[]>): Promise<Task[]> {
  const more = (file: string): { replicas?: string[] } => {
    const r = replicas?.get(file);
    return r && r.length > 1 ? { replicas: r } : {};
  };
  if (inputs.length >= workers) return inputs.map((file) => ({ file, ...more(file) }));
  const tasks: Task[] = [];
  const share = Math.ceil(workers / inputs.length);
  for (const file of inputs) {
    const parts = await openInput(file, open)
      .then(async (i) => {
        const n = i.parts;
        await i.close();
        return n;
      })
      .catch(() => 1); // the task itself will report why the file cannot be read
    const count = Math.max(1, Math.min(share, parts));
    for (let index = 0; index < count; index++) tasks.push(count === 1 ? { file, ...more(file) } : { file, ...more(file), part: { index, count } });
  }
  return tasks;
}

async function runOnThreads(tasks: readonly Task[], n: number, setup: WorkerSetup, settle: (i: number, r: AnalysisResult | Error) => void): Promise<void> {
  let next = 0;
  const one = async (): Promise<void> => {
    const spawn = (): Worker => new Worker(workerUrl, { workerData: setup });
    let worker = spawn();
    try {
      while (next < tasks.length) {
        const i = next++;
        let crashed = false;
        const outcome = await new Promise<AnalysisResult | Error>((resolve) => {
          const onMessage = (m: { ok: boolean; result?: ReturnType<AnalysisResult['toJSON']>; error?: WorkerError }): void => {
            cleanup();
            if (m.ok) resolve(AnalysisResult.fromJSON(m.result!));
            else resolve(remoteError(m.error!));
          };
          const onError = (err: Error): void => {
            cleanup();
            crashed = true;
            resolve(err);
          };
          const onExit = (code: number): void => {
            cleanup();
            crashed = true;
            resolve(new TransientError(`analysis worker exited with code ${code}`, { file: tasks[i]!.file }));
          };
          const cleanup = (): void => {
            worker.off('message', onMessage);
            worker.off('error', onError);
            worker.off('exit', onExit);
          };
          worker.on('message', onMessage);
          worker.on('error', onError);
          worker.on('exit', onExit);
          worker.postMessage(tasks[i]);
        });
        settle(i, outcome);
        if (crashed) {
          await worker.terminate();
          worker = spawn();
        }
      }
    } finally {
      await worker.terminate();
    }
  };
  await Promise.all(Array.from({ length: n }, one));
}

class RemoteError extends PhysliteError {
  override readonly exitCode: number;
  private readonly text: string;
  constructor(e: WorkerError) {
    super(e.message);
    this.name = e.name;
    this.exitCode = e.exitCode;
    this.text = e.describe;
  }
  override describe(): string {
    return this.text;
  }
}

function remoteError(e: WorkerError): Error {
  return new RemoteError(e);
}
