/**
 * What an analysis fills: its histograms, its cutflow (events and weighted events after each step),
 * and notes (things the reader of the results must know, such as a step that could not run on
 * some files). One Output per worker; outputs merge by adding (see result.ts).
 */
import { UsageError } from '../errors.ts';
import { Histogram, type HistogramSpec } from './histogram.ts';
import { KERNEL_RANGE } from './kernel-range.ts';

export class Output {
  readonly histograms: Map<string, Histogram>;
  readonly cutflow: { step: string; events: number; weighted: number; weighted2: number }[];
  readonly notes = new Set<string>();

  constructor(histograms: Record<string, HistogramSpec>, cutflow: readonly string[] = []) {
    this.histograms = new Map(Object.entries(histograms).map(([k, s]) => [k, new Histogram(s)]));
    this.cutflow = cutflow.map((step) => ({ step, events: 0, weighted: 0, weighted2: 0 }));
  }

  hist(name: string): Histogram {
    const h = this.histograms.get(name);
    if (!h) throw new UsageError(`histogram ${name} was not declared by the analysis`);
    return h;
  }

  /**
   * Count the events passing a cutflow step (`pass` null: all `n` events). The weights are added
   * to the running sums one event at a time, so the sums depend only on the order of the events,
   * not on how they were cut into batches (row groups read one by one or together).
   */
  cut(step: string, pass: Uint8Array | null, weights: ArrayLike<number>, n = weights.length): void {
    const row = this.cutflow.find((c) => c.step === step);
    if (!row) throw new UsageError(`cutflow step ${step} was not declared by the analysis`);
    // In ranges (see sumRange).
    for (let s = 0; s < n; s += CHUNK) sumRange(row, pass, weights, s, Math.min(n, s + CHUNK));
  }

  /**
   * cut() for the events listed by index (ascending, `count` of them): the same counts and the
   * same sums, added in the same order, without a pass over the events that fail (most of them,
   * for a channel's later steps).
   */
  cutEvents(step: string, events: Int32Array, count: number, weights: ArrayLike<number>): void {
    const row = this.cutflow.find((c) => c.step === step);
    if (!row) throw new UsageError(`cutflow step ${step} was not declared by the analysis`);
    for (let s = 0; s < count; s += CHUNK) sumListed(row, events, weights, s, Math.min(count, s + CHUNK));
  }

  note(text: string): void {
    this.notes.add(text);
  }
}

type Row = { events: number; weighted: number; weighted2: number };

/** Events per call of the kernels below (see kernel-range.ts). */
const CHUNK = KERNEL_RANGE;

/** Events [i0, i1) passing (`pass` null: all) into the row's running sums, one at a time in order. */
function sumRange(row: Row, pass: Uint8Array | null, weights: ArrayLike<number>, i0: number, i1: number): void {
  let events = 0;
  let w = row.weighted;
  let w2 = row.weighted2;
  for (let i = i0; i < i1; i++) {
    if (pass && !pass[i]) continue;
    events++;
    const x = weights[i]!;
    w += x;
    w2 += x * x;
  }
  row.events += events;
  row.weighted = w;
  row.weighted2 = w2;
}

/** The listed events [t0, t1) of `events` into the row's running sums, one at a time in order. */
function sumListed(row: Row, events: Int32Array, weights: ArrayLike<number>, t0: number, t1: number): void {
  let w = row.weighted;
  let w2 = row.weighted2;
  for (let t = t0; t < t1; t++) {
    const x = weights[events[t]!]!;
    w += x;
    w2 += x * x;
  }
  row.events += t1 - t0;
  row.weighted = w;
  row.weighted2 = w2;
}
