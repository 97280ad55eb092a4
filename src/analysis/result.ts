/**
 * Analysis results and how they merge. A result holds the histograms (UHI JSON on disk, in
 * `histograms.json`, readable by Python's hist/uhi), and a summary (`summary.json`): the cutflow,
 * the normalisation (CutBookkeeper sums added over every input file), the inputs read with bytes
 * read versus their size, the inputs that failed, and notes. Results from files, workers or shards
 * merge by adding; counts are exact in any order.
 */
import { UsageError } from '../errors.ts';
import type { CutBookkeeper } from '../root/metadata.ts';
import { Histogram, type UhiHistogram } from './histogram.ts';

export interface InputRecord {
  file: string;
  /** The replica read, when it was not the first (the first failed; redacted). */
  replica?: string;
  kind: 'parquet' | 'root';
  entries: number;
  bytesRead: number;
  requests: number;
  size: number;
}

export interface FailedInput {
  file: string;
  error: string;
  exitCode: number;
}

export interface BookkeeperSum {
  /** CutBookkeepers (complete) or IncompleteCutBookkeepers (jobs that did not finish). */
  container: string;
  name: string;
  stream: string;
  cycle: number;
  files: number;
  nAcceptedEvents: number;
  sumOfEventWeights: number;
  sumOfEventWeightsSquared: number;
}

export interface Summary {
  analysis: string;
  params: Record<string, unknown>;
  complete: boolean;
  events: number;
  cutflow: { step: string; events: number; weighted: number; weighted2: number }[];
  normalisation: {
    /** Files that carried bookkeeping, of all inputs read. */
    filesWithBookkeeping: number;
    /**
     * The complete AllExecutedEvents bookkeeper of the highest cycle (StreamAOD preferred): the
     * events, and sum of weights, that the derivation read, skimmed-away events included.
     */
    nominal: BookkeeperSum | null;
    bookkeepers: BookkeeperSum[];
  };
  io: { bytesRead: number; bytesTotal: number; fractionRead: number; requests: number };
  inputs: InputRecord[];
  failed: FailedInput[];
  notes: string[];
  seconds?: number;
  eventsPerSecond?: number;
}

export class AnalysisResult {
  histograms: Map<string, Histogram>;
  summary: Summary;

  constructor(histograms: Map<string, Histogram>, summary: Summary) {
    this.histograms = histograms;
    this.summary = summary;
  }

  static empty(analysis: string, params: Record<string, unknown>, histograms: Map<string, Histogram>, cutflow: readonly string[]): AnalysisResult {
    return new AnalysisResult(histograms, {
      analysis,
      params,
      complete: true,
      events: 0,
      cutflow: cutflow.map((step) => ({ step, events: 0, weighted: 0, weighted2: 0 })),
      normalisation: { filesWithBookkeeping: 0, nominal: null, bookkeepers: [] },
      io: { bytesRead: 0, bytesTotal: 0, fractionRead: 0, requests: 0 },
      inputs: [],
      failed: [],
      notes: [],
    });
  }

  /** Add `other` into this result (same analysis and histogram binnings). */
  add(other: AnalysisResult): this {
    const a = this.summary;
    const b = other.summary;
    if (a.analysis !== b.analysis) throw new UsageError(`cannot merge results of ${a.analysis} and ${b.analysis}`);
    if (JSON.stringify(a.params) !== JSON.stringify(b.params)) {
      throw new UsageError(`cannot merge results of ${a.analysis} run with different parameters: ${JSON.stringify(a.params)} and ${JSON.stringify(b.params)}`);
    }
    for (const [name, h] of other.histograms) {
      const mine = this.histograms.get(name);
      if (mine) mine.add(h);
      else this.histograms.set(name, Histogram.fromUhi(h.toUhi()));
    }
    for (const row of b.cutflow) {
      const mine = a.cutflow.find((c) => c.step === row.step);
      if (mine) {
        mine.events += row.events;
        mine.weighted += row.weighted;
        mine.weighted2 += row.weighted2;
      } else a.cutflow.push({ ...row });
    }
    a.events += b.events;
    a.complete &&= b.complete;
    a.inputs.push(...b.inputs);
    a.failed.push(...b.failed);
    for (const n of b.notes) if (!a.notes.includes(n)) a.notes.push(n);
    a.normalisation.filesWithBookkeeping += b.normalisation.filesWithBookkeeping;
    for (const k of b.normalisation.bookkeepers) addBookkeeper(a.normalisation.bookkeepers, k);
    a.normalisation.nominal = nominal(a.normalisation.bookkeepers);
    a.io.bytesRead += b.io.bytesRead;
    a.io.bytesTotal += b.io.bytesTotal;
    a.io.requests += b.io.requests;
    a.io.fractionRead = a.io.bytesTotal ? a.io.bytesRead / a.io.bytesTotal : 0;
    return this;
  }

  /** Record one input file's bookkeeping. */
  addBookkeeping(list: readonly CutBookkeeper[]): void {
    if (list.length === 0) return;
    this.summary.normalisation.filesWithBookkeeping++;
    for (const k of list) {
      addBookkeeper(this.summary.normalisation.bookkeepers, {
        container: k.container,
        name: k.name,
        stream: k.stream,
        cycle: k.cycle,
        files: 1,
        nAcceptedEvents: Number(k.nAcceptedEvents),
        sumOfEventWeights: k.sumOfEventWeights,
        sumOfEventWeightsSquared: k.sumOfEventWeightsSquared,
      });
    }
    this.summary.normalisation.nominal = nominal(this.summary.normalisation.bookkeepers);
  }

  histogramsJson(): Record<string, UhiHistogram> {
    const out: Record<string, UhiHistogram> = {};
    for (const [k, h] of [...this.histograms].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) out[k] = h.toUhi();
    return out;
  }

  /** For passing between workers: histograms as UHI, the summary as is. */
  toJSON(): { histograms: Record<string, UhiHistogram>; summary: Summary } {
    return { histograms: this.histogramsJson(), summary: this.summary };
  }

  static fromJSON(j: { histograms: Record<string, UhiHistogram>; summary: Summary }, where = 'result'): AnalysisResult {
    const h = new Map(Object.entries(j.histograms).map(([k, u]) => [k, Histogram.fromUhi(u, `${where}: ${k}`)]));
    return new AnalysisResult(h, structuredClone(j.summary));
  }
}

function addBookkeeper(list: BookkeeperSum[], k: BookkeeperSum): void {
  const mine = list.find((x) => x.container === k.container && x.name === k.name && x.stream === k.stream && x.cycle === k.cycle);
  if (!mine) {
    const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    list.push({ ...k });
    list.sort((x, y) => cmp(x.container, y.container) || x.cycle - y.cycle || cmp(x.name, y.name) || cmp(x.stream, y.stream));
    return;
  }
  mine.files += k.files;
  mine.nAcceptedEvents += k.nAcceptedEvents;
  mine.sumOfEventWeights += k.sumOfEventWeights;
  mine.sumOfEventWeightsSquared += k.sumOfEventWeightsSquared;
}

function nominal(list: readonly BookkeeperSum[]): BookkeeperSum | null {
  const all = list.filter((k) => k.name === 'AllExecutedEvents' && !k.container.startsWith('Incomplete'));
  const aod = all.filter((k) => k.stream === 'StreamAOD');
  const pool = aod.length ? aod : all;
  if (pool.length === 0) return null;
  return pool.reduce((best, k) => (k.cycle > best.cycle ? k : best));
}
