/**
 * The public analysis API. An analysis is a module that declares the columns it needs (logical
 * names, each with the file column names it accepts in order of preference, so one analysis runs
 * on release-21 and release-22+ files), its histograms, its cutflow steps, and a `process`
 * function over columnar event batches. The built-in analysis is written with this API; a custom
 * one is a .ts/.js file whose default export is `defineAnalysis({...})`.
 */
import type { HistogramSpec } from './histogram.ts';
import type { Events } from './events.ts';
import type { Output } from './output.ts';

export interface ColumnRequest {
  /** File column names accepted, first found wins (e.g. release-22+ name, then release-21 name). */
  names: readonly string[];
  /** An optional column may be absent; the analysis checks `events.has(name)`. */
  optional?: boolean;
}

export interface Analysis<P extends object = Record<string, unknown>> {
  name: string;
  description?: string;
  /** Default parameters; `--param key=value` overrides them. */
  params: P;
  columns(params: P): Record<string, ColumnRequest | string | readonly string[]>;
  histograms(params: P): Record<string, HistogramSpec>;
  /** Cutflow step names, in order. */
  cutflow?: readonly string[];
  process(events: Events, out: Output, params: P): void;
  /**
   * Opt-in, default off: `process` keeps no column array (nor a view of one) after it returns. The
   * column arrays given to process() are then valid only until it returns; the reader reuses their
   * memory for the next batch, which spares the garbage collector a few MB per batch. An analysis
   * that stores arrays (or Arrow data) across calls must leave this off.
   */
  reuseColumnMemory?: boolean;
}

export function defineAnalysis<P extends object>(a: Analysis<P>): Analysis<P> {
  return a;
}

/** A column request in its full form. */
export function normalizeRequest(r: ColumnRequest | string | readonly string[]): ColumnRequest {
  if (typeof r === 'string') return { names: [r] };
  if (Array.isArray(r)) return { names: r as readonly string[] };
  return r as ColumnRequest;
}
