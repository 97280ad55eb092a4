/**
 * Histogram axes (boost-histogram's model): an axis maps a value to a bin index in
 * [0, bins + 2) where 0 is the underflow, 1..bins the bins and bins + 1 the overflow (NaN goes to
 * the overflow, as in boost-histogram). Axes are plain descriptions that serialize to the UHI axis
 * forms: regular, variable, and logarithmic (written as a variable axis with its edges, since UHI
 * has no log axis, with `metadata.transform = "log"` so a reader can restore it).
 */
import { UsageError } from '../errors.ts';

export interface AxisLabels {
  /** Short name (UHI metadata `name`). */
  name?: string;
  /** Axis title for plots (UHI metadata `label`), in ROOT TLatex if it has markup. */
  label?: string;
}

export type AxisSpec =
  | ({ type: 'regular'; bins: number; lower: number; upper: number } & AxisLabels)
  | ({ type: 'variable'; edges: readonly number[] } & AxisLabels)
  | ({ type: 'log'; bins: number; lower: number; upper: number } & AxisLabels);

export interface UhiAxis {
  type: 'regular' | 'variable';
  lower?: number;
  upper?: number;
  bins?: number;
  edges?: number[];
  underflow: boolean;
  overflow: boolean;
  circular: boolean;
  metadata?: Record<string, unknown>;
}

export class Axis {
  readonly spec: AxisSpec;
  readonly bins: number;
  /** Bin edges, bins + 1 of them. */
  readonly edges: Float64Array;
  private readonly lower: number;
  private readonly upper: number;
  private readonly scale: number;
  private readonly log: boolean;
  private readonly regular: boolean;

  constructor(spec: AxisSpec) {
    this.spec = spec;
    if (spec.type === 'variable') {
      const e = spec.edges;
      if (e.length < 2 || e.some((x, i) => !Number.isFinite(x) || (i > 0 && x <= e[i - 1]!))) {
        throw new UsageError(`a variable axis needs at least 2 finite, strictly increasing edges`);
      }
      this.edges = Float64Array.from(e);
      this.bins = e.length - 1;
      this.regular = false;
      this.log = false;
      this.lower = e[0]!;
      this.upper = e[e.length - 1]!;
      this.scale = 0;
    } else {
      if (!Number.isSafeInteger(spec.bins) || spec.bins < 1) throw new UsageError(`an axis needs a whole number of bins >= 1, got ${spec.bins}`);
      if (!(spec.upper > spec.lower) || !Number.isFinite(spec.lower) || !Number.isFinite(spec.upper)) throw new UsageError(`an axis needs lower < upper, got ${spec.lower}..${spec.upper}`);
      if (spec.type === 'log' && !(spec.lower > 0)) throw new UsageError(`a log axis needs lower > 0, got ${spec.lower}`);
      this.bins = spec.bins;
      this.regular = true;
      this.log = spec.type === 'log';
      this.lower = this.log ? Math.log(spec.lower) : spec.lower;
      this.upper = this.log ? Math.log(spec.upper) : spec.upper;
      this.scale = this.bins / (this.upper - this.lower);
      this.edges = new Float64Array(this.bins + 1);
      for (let i = 0; i <= this.bins; i++) {
        const x = this.lower + (i * (this.upper - this.lower)) / this.bins;
        this.edges[i] = this.log ? Math.exp(x) : x;
      }
      // The outer edges exactly as given (exp(log(x)) may differ from x in the last bit).
      this.edges[0] = spec.lower;
      this.edges[this.bins] = spec.upper;
    }
  }

  /** The storage index of `x`: 0 underflow, 1..bins, bins + 1 overflow (and NaN). */
  index(x: number): number {
    const e = this.edges;
    if (!(x >= e[0]!)) return x < e[0]! ? 0 : this.bins + 1;
    if (x >= e[this.bins]!) return this.bins + 1;
    if (this.regular) {
      // The estimate from the scale may be off where rounding meets an edge (also at the outer
      // edges, kept exactly as given): the edges decide, so a value lands in the bin whose edges
      // contain it (issue 7: a value just under the upper edge went to the overflow).
      const t = this.log ? Math.log(x) : x;
      let i = Math.floor((t - this.lower) * this.scale);
      if (!(i >= 0)) i = 0;
      else if (i >= this.bins) i = this.bins - 1;
      while (x < e[i]!) i--;
      while (x >= e[i + 1]!) i++;
      return i + 1;
    }
    let lo = 0;
    let hi = this.bins;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (x >= e[mid]!) lo = mid;
      else hi = mid;
    }
    return lo + 1;
  }

  toUhi(): UhiAxis {
    const metadata: Record<string, unknown> = {};
    if (this.spec.name !== undefined) metadata.name = this.spec.name;
    if (this.spec.label !== undefined) metadata.label = this.spec.label;
    const flow = { underflow: true, overflow: true, circular: false };
    if (this.spec.type === 'regular') return { type: 'regular', lower: this.spec.lower, upper: this.spec.upper, bins: this.bins, ...flow, metadata };
    if (this.spec.type === 'log') metadata.transform = 'log';
    return { type: 'variable', edges: [...this.edges], ...flow, metadata };
  }

  static fromUhi(u: UhiAxis): Axis {
    const labels: AxisLabels = {};
    if (typeof u.metadata?.name === 'string') labels.name = u.metadata.name;
    if (typeof u.metadata?.label === 'string') labels.label = u.metadata.label;
    if (!u.underflow || !u.overflow || u.circular) throw new UsageError(`only axes with under- and overflow bins and not circular are supported`);
    if (u.type === 'regular') return new Axis({ type: 'regular', bins: u.bins!, lower: u.lower!, upper: u.upper!, ...labels });
    if (u.type === 'variable') {
      const e = u.edges!;
      if (u.metadata?.transform === 'log') return new Axis({ type: 'log', bins: e.length - 1, lower: e[0]!, upper: e[e.length - 1]!, ...labels });
      return new Axis({ type: 'variable', edges: e, ...labels });
    }
    throw new UsageError(`unsupported UHI axis type ${String((u as { type: unknown }).type)}`);
  }

  /** Same binning (labels aside), so histograms over both can be added. */
  sameBinning(o: Axis): boolean {
    return this.bins === o.bins && this.spec.type === o.spec.type && this.edges.every((x, i) => x === o.edges[i]);
  }
}
