/**
 * Analysis worker thread: loads the analysis once, then runs each task it is sent and answers with
 * the partial result (histograms as UHI JSON) or the error (name, one-line description, exit code).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { exitCodeOf, PhysliteError } from '../errors.ts';
import { loadAnalysis, resolveParams } from './load.ts';
import { runTask, type Task } from './run-file.ts';
import type { WorkerSetup } from './run.ts';

const { analysis: spec, params: pairs, open } = workerData as WorkerSetup;
const analysis = await loadAnalysis(spec);
const params = resolveParams(analysis, pairs);

parentPort!.on('message', (task: Task) => {
  runTask(analysis, params, task, open).then(
    (r) => parentPort!.postMessage({ ok: true, result: r.toJSON() }),
    (err: unknown) => {
      const e = err as Error;
      parentPort!.postMessage({
        ok: false,
        error: { name: e?.name ?? 'Error', message: e?.message ?? String(err), exitCode: exitCodeOf(err), describe: err instanceof PhysliteError ? err.describe() : (e?.message ?? String(err)) },
      });
    },
  );
});
