/** Issue 7: the conversion's layout plan: row groups of whole clusters, passes, pieces. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clusterRuns, passRanges, rowGroupRanges } from '../src/convert/layout.ts';

/** Clusters as consecutive ranges from a list of sizes. */
const clustersOf = (sizes: number[]): [number, number][] => {
  let at = 0;
  return sizes.map((n) => [at, (at += n)] as [number, number]);
};

/** The ranges cover [start, stop) in order, without gaps or overlaps, none empty. */
const covers = (ranges: [number, number][], start: number, stop: number): boolean =>
  ranges.every(([a, b], i) => a < b && a === (i === 0 ? start : ranges[i - 1]![1])) && (ranges.length === 0 ? start === stop : ranges[ranges.length - 1]![1] === stop);

describe('rowGroupRanges', () => {
  it('combines whole clusters up to the byte target, one cluster at least', () => {
    const clusters = clustersOf([100, 100, 100, 50, 300]);
    expect(rowGroupRanges(clusters, 650, 1000, { bytes: 250_000 })).toEqual([[0, 200], [200, 350], [350, 650]]);
    expect(rowGroupRanges(clusters, 650, 1000, { bytes: 1 })).toEqual(clusters);
    expect(rowGroupRanges(clusters, 650, 1000, { bytes: 1e9 })).toEqual([[0, 650]]);
  });
  it('an exact row count cuts anywhere; no entries, no row groups', () => {
    expect(rowGroupRanges(clustersOf([100, 100]), 200, 10, { rows: 75 })).toEqual([[0, 75], [75, 150], [150, 200]]);
    expect(rowGroupRanges([], 0, 10, { bytes: 1 })).toEqual([]);
  });
  it('property: cover the entries; every group within the target or a single cluster; group ends are cluster ends', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 30 }), fc.integer({ min: 1, max: 200 }), (sizes, target) => {
        const clusters = clustersOf(sizes);
        const entries = clusters.length ? clusters[clusters.length - 1]![1] : 0;
        const groups = rowGroupRanges(clusters, entries, 1, { bytes: target });
        const ends = new Set(clusters.map(([, b]) => b));
        return covers(groups, 0, entries) && groups.every(([a, b]) => ends.has(b) && (b - a <= target || clusters.some(([x, y]) => x === a && y === b)));
      }),
    );
  });
});

describe('passRanges and clusterRuns', () => {
  it('consecutive columns up to the pass size; a larger column alone', () => {
    expect(passRanges([1, 2, 3, 10, 1, 1], 10, 40)).toEqual([[0, 2], [2, 3], [3, 4], [4, 6]]);
    expect(passRanges([], 10, 40)).toEqual([]);
  });
  it('pieces: clusters cut to the range, combined up to the pass size', () => {
    const clusters = clustersOf([100, 100, 100, 100]);
    expect(clusterRuns(clusters, 50, 350, 1, 140)).toEqual([[50, 100], [100, 200], [200, 300], [300, 350]]);
    expect(clusterRuns(clusters, 50, 350, 1, 150)).toEqual([[50, 200], [200, 350]]);
    expect(clusterRuns(clusters, 0, 400, 10, 150)).toEqual(clusters);
  });
  it('property: passes cover the columns, each within the budget or a single column', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { maxLength: 40 }), fc.integer({ min: 1, max: 1000 }), (bytes, budget) => {
        const passes = passRanges(bytes, 3, budget);
        const sum = (a: number, b: number): number => bytes.slice(a, b).reduce((n, x) => n + x * 3, 0);
        return covers(passes, 0, bytes.length) && passes.every(([a, b]) => b - a === 1 || sum(a, b) <= budget);
      }),
    );
  });
});
