/**
 * One input (or a share of its row groups) through an analysis: resolve the analysis's logical
 * columns to the file's columns (first accepted name present; a missing required column is an
 * InputError naming the column and the file), stream the projected batches and call `process` on
 * each. Returns a partial result for merging.
 */
import { InputError, PhysliteError } from '../errors.ts';
import { type Analysis, normalizeRequest } from './api.ts';
import { Events } from './events.ts';
import { openInput } from './input.ts';
import type { OpenOptions } from '../root/source/open.ts';
import { Output } from './output.ts';
import { AnalysisResult } from './result.ts';

export interface Task {
  file: string;
  part?: { index: number; count: number };
}

export async function runTask(a: Analysis<Record<string, unknown>>, params: Record<string, unknown>, task: Task, open: OpenOptions = {}): Promise<AnalysisResult> {
  const out = new Output(a.histograms(params), a.cutflow ?? []);
  const input = await openInput(task.file, open);
  try {
    const wanted = Object.entries(a.columns(params)).map(([name, r]) => [name, normalizeRequest(r)] as const);
    const logical: string[] = [];
    const physical: string[] = [];
    for (const [name, req] of wanted) {
      const found = req.names.find((n) => input.columnNames.has(n));
      if (found) {
        logical.push(name);
        physical.push(found);
      } else if (!req.optional) {
        throw new InputError(`column ${req.names.join(' or ')} (for ${name}) is missing`, { file: input.name });
      }
    }
    let events = 0;
    for await (const batch of input.batches(physical, task.part)) {
      const data = new Map(logical.map((l, i) => [l, batch.columns.get(physical[i]!)!]));
      try {
        a.process(new Events(input.name, batch.rows, data), out, params);
      } catch (err) {
        if (err instanceof PhysliteError) throw err.withContext({ file: input.name, entry: events });
        throw new InputError(`analysis ${a.name} failed: ${(err as Error).message}`, { file: input.name, entry: events }, { cause: err });
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
