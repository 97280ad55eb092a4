/**
 * One input (or a share of its row groups) through an analysis: resolve the analysis's logical
 * columns to the file's columns (first accepted name present; a missing required column is an
 * InputError naming the column and the file), stream the projected batches and call `process` on
 * each. Returns a partial result for merging.
 * A file with several replicas (Rucio) is read from the first; when reading it fails (open or
 * column data, not the analysis code), the whole task is run again from the next, so no partial
 * result of a failed replica is kept.
 */
import { InputError, PhysliteError, UsageError } from '../errors.ts';
import { redactUrl } from '../root/source/url.ts';
import { type Analysis, normalizeRequest } from './api.ts';
import { Events } from './events.ts';
import { openInput } from './input.ts';
import type { OpenOptions } from '../root/source/open.ts';
import { Output } from './output.ts';
import { AnalysisResult } from './result.ts';

export interface Task {
  /** The file, by its first replica. */
  file: string;
  /** All replicas, best first (the first is `file`), when there are several. */
  replicas?: string[];
  part?: { index: number; count: number };
}

export async function runTask(a: Analysis<Record<string, unknown>>, params: Record<string, unknown>, task: Task, open: OpenOptions = {}): Promise<AnalysisResult> {
  const replicas = task.replicas?.length ? task.replicas : [task.file];
  // The analysis's own declarations, once: an error in them is not the file's.
  const histograms = a.histograms(params);
  const wanted = Object.entries(a.columns(params)).map(([name, r]) => [name, normalizeRequest(r)] as const);
  let earlier = '';
  for (const [i, replica] of replicas.entries()) {
    try {
      const result = await runReplica(a, params, histograms, wanted, task, replica, open);
      if (i > 0) result.summary.inputs.forEach((r) => Object.assign(r, { file: redactUrl(task.file), replica: redactUrl(replica) }));
      return result;
    } catch (err) {
      const readSide = !(err instanceof UsageError) && !notRetried.has(err as object);
      if (!readSide || i === replicas.length - 1) {
        if (i > 0 && err instanceof PhysliteError) err.message += ` (replica ${i + 1} of ${replicas.length}; earlier: ${earlier})`;
        throw err;
      }
      earlier += `${earlier ? '; ' : ''}${redactUrl(replica)}: ${err instanceof PhysliteError ? err.message : String((err as Error)?.message ?? err)}`;
    }
  }
  throw new Error('unreachable: no replica');
}

/** Errors another replica would repeat (the analysis code failed, a column is missing): not retried. */
const notRetried = new WeakSet<object>();

async function runReplica(
  a: Analysis<Record<string, unknown>>,
  params: Record<string, unknown>,
  histograms: ReturnType<Analysis<Record<string, unknown>>['histograms']>,
  wanted: (readonly [string, ReturnType<typeof normalizeRequest>])[],
  task: Task,
  file: string,
  open: OpenOptions,
): Promise<AnalysisResult> {
  const out = new Output(histograms, a.cutflow ?? []);
  const input = await openInput(file, open);
  try {
    const logical: string[] = [];
    const physical: string[] = [];
    for (const [name, req] of wanted) {
      const found = req.names.find((n) => input.columnNames.has(n));
      if (found) {
        logical.push(name);
        physical.push(found);
      } else if (!req.optional) {
        const missing = new InputError(`column ${req.names.join(' or ')} (for ${name}) is missing`, { file: input.name });
        notRetried.add(missing);
        throw missing;
      }
    }
    let events = 0;
    for await (const batch of input.batches(physical, task.part, { memory: a.reuseColumnMemory === true })) {
      const data = new Map(logical.map((l, i) => [l, batch.columns.get(physical[i]!)!]));
      try {
        a.process(new Events(input.name, batch.rows, data), out, params);
      } catch (err) {
        const failure = err instanceof PhysliteError ? err.withContext({ file: input.name, entry: events }) : new InputError(`analysis ${a.name} failed: ${(err as Error).message}`, { file: input.name, entry: events }, { cause: err });
        notRetried.add(failure);
        throw failure;
      }
      events += batch.rows;
    }
    const result = AnalysisResult.empty(a.name, params, out.histograms, []);
    const s = result.summary;
    s.cutflow = out.cutflow;
    s.events = events;
    s.notes = [...out.notes, ...input.notes];
    // Bookkeeping describes the whole file: count it once, with the share that holds part 0.
    if (!task.part || task.part.index === 0) result.addBookkeeping(input.bookkeeping);
    s.inputs.push({ file: input.name, kind: input.kind, entries: events, bytesRead: input.counters.bytes, requests: input.counters.requests, size: !task.part || task.part.index === 0 ? input.size : 0 });
    s.io = { bytesRead: input.counters.bytes, bytesTotal: !task.part || task.part.index === 0 ? input.size : 0, fractionRead: 0, requests: input.counters.requests };
    return result;
  } finally {
    await input.close();
  }
}
