/**
 * Histograms with any number of axes and two storages (boost-histogram's split of axes and
 * storage): `int` counts (kept in float64, exact up to 2^53 entries per bin) and `weighted` (sum of
 * weights and sum of squared weights per bin). Every axis has under- and overflow bins, so no fill
 * is ever lost. Fills run over typed arrays. Adding histograms is exact for counts in any order;
 * weighted sums are float64 additions (order changes them at the 1e-16 relative level).
 * Serialization is the UHI JSON form (`uhi_schema: 1`), readable by Python's hist/uhi.
 */
import { UsageError } from '../errors.ts';
import { Axis, type AxisSpec, type UhiAxis } from './axis.ts';
import { KERNEL_RANGE } from './kernel-range.ts';

export type StorageType = 'int' | 'weighted';

export interface HistogramSpec {
  axes: AxisSpec[];
  storage?: StorageType;
  /** Plot title; UHI metadata `label`. */
  label?: string;
  /** Plot hints kept in the metadata: log scales, units. */
  plot?: { logx?: boolean; logy?: boolean };
}

export interface UhiHistogram {
  uhi_schema: 1;
  writer_info?: Record<string, Record<string, unknown>>;
  axes: UhiAxis[];
  /** Values (and variances) nested one array level per axis, flow bins included. */
  storage: { type: 'int'; values: Nested } | { type: 'weighted'; values: Nested; variances: Nested };
  metadata?: Record<string, unknown>;
}

export type Nested = number[] | Nested[];

const INTEGER_TABLE = 64;

export const WRITER_INFO = { physlite: { version: '0.1.0' } };

export class Histogram {
  readonly axes: Axis[];
  readonly storage: StorageType;
  readonly label: string | undefined;
  readonly plot: { logx?: boolean; logy?: boolean };
  /** Sum of weights (counts for `int`), flow bins included, first axis varying slowest. */
  readonly values: Float64Array;
  /** Sum of squared weights (`weighted` only). */
  readonly variances: Float64Array | undefined;
  private readonly strides: number[];
  /** Bins of the values 0 .. INTEGER_TABLE - 1 (fillIntegers), made on first use. */
  private integerBins: Int32Array | undefined;

  constructor(spec: HistogramSpec) {
    if (spec.axes.length === 0) throw new UsageError('a histogram needs at least one axis');
    this.axes = spec.axes.map((a) => new Axis(a));
    this.storage = spec.storage ?? 'weighted';
    this.label = spec.label;
    this.plot = { ...(spec.plot ?? {}) };
    let size = 1;
    this.strides = new Array<number>(this.axes.length);
    for (let d = this.axes.length - 1; d >= 0; d--) {
      this.strides[d] = size;
      size *= this.axes[d]!.bins + 2;
    }
    this.values = new Float64Array(size);
    this.variances = this.storage === 'weighted' ? new Float64Array(size) : undefined;
  }

  spec(): HistogramSpec {
    const s: HistogramSpec = { axes: this.axes.map((a) => a.spec), storage: this.storage, plot: { ...this.plot } };
    if (this.label !== undefined) s.label = this.label;
    return s;
  }

  /**
   * Fill with one value per axis per entry (`coords[d][i]`), optionally weighted, over entries
   * [0, n). An `int` histogram refuses weights other than 1 would silently lose them.
   */
  fill(coords: readonly ArrayLike<number>[], weights?: ArrayLike<number>, n = coords[0]?.length ?? 0): void {
    if (coords.length !== this.axes.length) throw new UsageError(`a ${this.axes.length}-axis histogram filled with ${coords.length} coordinates`);
    if (weights && this.storage === 'int') throw new UsageError('an int histogram takes no weights: use the weighted storage');
    const v = this.values;
    const w2 = this.variances;
    if (this.axes.length === 1) {
      const axis = this.axes[0]!;
      const x = coords[0]!;
      if (!weights) {
        for (let i = 0; i < n; i++) v[axis.index(x[i]!)]!++;
        if (w2) for (let i = 0; i < n; i++) w2[axis.index(x[i]!)]!++;
        return;
      }
      for (let s = 0; s < n; s += CHUNK) fillWeighted(axis, x, weights, v, w2!, s, Math.min(n, s + CHUNK));
      return;
    }
    for (let i = 0; i < n; i++) {
      let b = 0;
      for (let d = 0; d < this.axes.length; d++) b += this.axes[d]!.index(coords[d]![i]!) * this.strides[d]!;
      const w = weights ? weights[i]! : 1;
      v[b]! += w;
      if (w2) w2[b]! += w * w;
    }
  }

  /**
   * Fill a one-axis histogram with whole numbers (multiplicities), as fill does with the same
   * values (the same bins, the same sums in the same order), over entries [0, n). Values 0 to 63
   * find their bin in a table the axis filled once (so its edges decide, as in fill), others
   * through the axis: most fills of a multiplicity then cost a table lookup.
   */
  fillIntegers(x: Int32Array, weights?: ArrayLike<number>, n = x.length): void {
    if (this.axes.length !== 1) throw new UsageError(`fillIntegers fills one-axis histograms, not ${this.axes.length}-axis ones`);
    if (weights && this.storage === 'int') throw new UsageError('an int histogram takes no weights: use the weighted storage');
    const axis = this.axes[0]!;
    const table = (this.integerBins ??= Int32Array.from({ length: INTEGER_TABLE }, (_, k) => axis.index(k)));
    for (let s = 0; s < n; s += CHUNK) fillTable(axis, table, x, weights, this.values, this.variances, s, Math.min(n, s + CHUNK));
  }

  /** Add `other` bin by bin; the binnings and storages must match. */
  add(other: Histogram): this {
    if (other.storage !== this.storage) throw new UsageError(`cannot add a ${other.storage} histogram to a ${this.storage} one`);
    if (other.axes.length !== this.axes.length || other.axes.some((a, i) => !a.sameBinning(this.axes[i]!))) throw new UsageError('cannot add histograms with different binnings');
    for (let i = 0; i < this.values.length; i++) this.values[i]! += other.values[i]!;
    if (this.variances) for (let i = 0; i < this.variances.length; i++) this.variances[i]! += other.variances![i]!;
    return this;
  }

  /** Sum over all bins, flow included. */
  sum(flow = true): number {
    if (flow || this.axes.length !== 1) {
      let s = 0;
      for (const x of this.values) s += x;
      return s;
    }
    let s = 0;
    for (let i = 1; i <= this.axes[0]!.bins; i++) s += this.values[i]!;
    return s;
  }

  toUhi(): UhiHistogram {
    const metadata: Record<string, unknown> = {};
    if (this.label !== undefined) metadata.label = this.label;
    // UHI metadata values are scalars: plot hints as flat keys.
    if (this.plot.logx) metadata.plot_logx = true;
    if (this.plot.logy) metadata.plot_logy = true;
    const shape = this.axes.map((a) => a.bins + 2);
    const storage: UhiHistogram['storage'] =
      this.storage === 'int'
        ? { type: 'int', values: nest(this.values, shape) }
        : { type: 'weighted', values: nest(this.values, shape), variances: nest(this.variances!, shape) };
    return { uhi_schema: 1, writer_info: WRITER_INFO, axes: this.axes.map((a) => a.toUhi()), storage, metadata };
  }

  static fromUhi(u: UhiHistogram, where = 'histogram'): Histogram {
    if (u?.uhi_schema !== 1) throw new UsageError(`${where} is not a UHI histogram (uhi_schema 1)`);
    const st = u.storage?.type;
    if (st !== 'int' && st !== 'weighted' && st !== 'double') throw new UsageError(`${where}: storage ${String(st)} is not supported (int, double, weighted)`);
    const axes = u.axes.map((a) => Axis.fromUhi(a));
    const meta = u.metadata ?? {};
    const spec: HistogramSpec = { axes: axes.map((a) => a.spec), storage: st === 'int' ? 'int' : 'weighted' };
    if (typeof meta.label === 'string') spec.label = meta.label;
    if (meta.plot_logx === true || meta.plot_logy === true) spec.plot = { ...(meta.plot_logx === true ? { logx: true } : {}), ...(meta.plot_logy === true ? { logy: true } : {}) };
    const h = new Histogram(spec);
    const values = flatten(u.storage.values, axes.length);
    if (values.length !== h.values.length) throw new UsageError(`${where}: ${values.length} values for ${h.values.length} bins (flow included)`);
    h.values.set(values);
    // A `double` storage (another writer's) has no variances: read as weighted with Poisson ones.
    if (h.variances) h.variances.set(st === 'weighted' ? flatten((u.storage as { variances: Nested }).variances, axes.length) : values);
    return h;
  }
}

/** Entries per call of the fill kernels below (see kernel-range.ts). */
const CHUNK = KERNEL_RANGE;

function fillWeighted(axis: Axis, x: ArrayLike<number>, weights: ArrayLike<number>, v: Float64Array, w2: Float64Array, i0: number, i1: number): void {
  for (let i = i0; i < i1; i++) {
    const b = axis.index(x[i]!);
    const w = weights[i]!;
    v[b]! += w;
    w2[b]! += w * w;
  }
}

function fillTable(axis: Axis, table: Int32Array, x: Int32Array, weights: ArrayLike<number> | undefined, v: Float64Array, w2: Float64Array | undefined, i0: number, i1: number): void {
  for (let i = i0; i < i1; i++) {
    const k = x[i]!;
    const b = k >>> 0 < INTEGER_TABLE ? table[k]! : axis.index(k);
    if (!weights) {
      v[b]!++;
      if (w2) w2[b]!++;
      continue;
    }
    const w = weights[i]!;
    v[b]! += w;
    w2![b]! += w * w;
  }
}

/** Row-major values as nested arrays, one level per axis (the UHI JSON layout). */
function nest(flat: Float64Array, shape: readonly number[]): Nested {
  if (shape.length === 1) return [...flat];
  const stride = flat.length / shape[0]!;
  return Array.from({ length: shape[0]! }, (_, i) => nest(flat.subarray(i * stride, (i + 1) * stride), shape.slice(1)));
}

function flatten(v: Nested, depth: number): number[] {
  if (depth <= 1) {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) throw new UsageError('histogram values nest deeper than the histogram has axes');
    return v as number[];
  }
  if (!Array.isArray(v)) throw new UsageError('histogram values nest less deeply than the histogram has axes');
  return (v as Nested[]).flatMap((x) => flatten(x, depth - 1));
}
