/**
 * How a conversion lays out its Parquet output, planned before any basket is read:
 * - row groups as entry ranges: whole ROOT clusters combined up to a byte target (estimated from
 *   the uncompressed ROOT payload of the columns written), or an exact row count;
 * - per row group, passes: runs of consecutive columns read and written together, each about
 *   `passBytes` of decoded data. A conversion holds one pass at a time, so the row-group size
 *   (what an analysis of the output gains from) does not set the conversion's memory.
 */

export interface RowGroupTarget {
  /** Target estimated bytes of a row group (whole clusters are combined up to it). */
  bytes?: number;
  /** Or an exact row count per row group (takes precedence). */
  rows?: number;
}

/** The default row-group target; see README "Row groups". */
export const DEFAULT_ROW_GROUP_BYTES = 512 * 2 ** 20;
/** Decoded bytes a pass aims at: the memory a conversion holds besides its code and buffers. */
export const PASS_BYTES = 64 * 2 ** 20;

/**
 * Row groups as [start, stop) entry ranges over `entries`. By bytes: consecutive clusters while
 * the group stays within the target (at least one cluster each), so a group never splits a cluster.
 */
export function rowGroupRanges(clusters: readonly [number, number][], entries: number, bytesPerEntry: number, target: RowGroupTarget): [number, number][] {
  const out: [number, number][] = [];
  if (target.rows !== undefined) {
    const n = Math.max(1, target.rows);
    for (let at = 0; at < entries; at += n) out.push([at, Math.min(entries, at + n)]);
    return out;
  }
  return clusterRuns(clusters, 0, entries, bytesPerEntry, target.bytes ?? DEFAULT_ROW_GROUP_BYTES);
}

/**
 * Passes over the columns of a row group of `rows` rows, as [first, end) column index ranges in
 * order: consecutive columns while their estimated bytes stay within `passBytes` (at least one
 * column each). `bytesPerEntry[i]` is column i's estimated decoded bytes per entry.
 */
export function passRanges(bytesPerEntry: readonly number[], rows: number, passBytes = PASS_BYTES): [number, number][] {
  const out: [number, number][] = [];
  let bytes = 0;
  for (let i = 0; i < bytesPerEntry.length; i++) {
    const b = bytesPerEntry[i]! * rows;
    const last = out[out.length - 1];
    if (last && bytes + b <= passBytes) {
      last[1] = i + 1;
      bytes += b;
    } else {
      out.push([i, i + 1]);
      bytes = b;
    }
  }
  return out;
}

/**
 * Runs of whole clusters over [start, stop) (the clusters overlapping it, cut to it), consecutive
 * ones combined while a run's estimated bytes stay within `limit` (at least one cluster each):
 * a file's row groups, and the pieces in which a column too large for a pass is read.
 */
export function clusterRuns(clusters: readonly [number, number][], start: number, stop: number, bytesPerEntry: number, limit: number): [number, number][] {
  const out: [number, number][] = [];
  for (const [a0, b0] of clusters) {
    const a = Math.max(a0, start);
    const b = Math.min(b0, stop);
    if (a >= b) continue;
    const last = out[out.length - 1];
    if (last && (b - last[0]) * bytesPerEntry <= limit) last[1] = b;
    else out.push([a, b]);
  }
  return out;
}
