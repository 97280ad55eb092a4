/** Issue 5: the conversion's derived columns (src/convert/derived.ts), on whole and sliced Arrow data. */
import { Bool, Field, Float32, Int32, List, makeData, type Data } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { toValues } from '../src/arrow/values.ts';
import { DERIVED_COLUMNS } from '../src/convert/derived.ts';
import { expectedDerived } from './helpers/derived.ts';

const list = (child: Data, offsets: number[]): Data =>
  makeData({ type: new List(new Field('item', child.type, false)), valueOffsets: Int32Array.from(offsets), length: offsets.length - 1, nullCount: 0, child });

const weights = list(makeData({ type: new Float32(), data: Float32Array.from([1, 2, 3, 4, 5, 6]), length: 6, nullCount: 0 }), [0, 2, 3, 3, 5, 6]);
// Five events of jets with per-vertex counts: [[7,8],[9]], [], [[]], [[1],[2,3]], [[4]].
const counts = list(list(makeData({ type: new Int32(), data: Int32Array.from([7, 8, 9, 1, 2, 3, 4]), length: 7, nullCount: 0 }), [0, 2, 3, 3, 4, 6, 7]), [0, 2, 2, 3, 5, 6]);

describe.each(DERIVED_COLUMNS.map((d) => [d.name, d] as const))('%s', (name, d) => {
  const source = name === 'nominalMcEventWeight' ? weights : counts;
  it('equals an independent computation, also on a slice of the batch', () => {
    expect(d.accepts(source.type)).toBe(true);
    expect(toValues(d.compute(source))).toEqual(expectedDerived(name, toValues(source)));
    const part = source.slice(2, 3);
    expect(toValues(d.compute(part))).toEqual(expectedDerived(name, toValues(part)));
    expect(toValues(d.compute(part)).length).toBe(3);
  });
});

describe('toValues on sliced Arrow data (which the derived-column checks rely on)', () => {
  it('indexes sliced lists from 0 and sliced booleans by bit offset', () => {
    expect(toValues(weights.slice(2, 3))).toEqual([[], [4, 5], [6]]);
    expect(toValues(counts.slice(3, 2))).toEqual([[[1], [2, 3]], [[4]]]);
    const bits = makeData({ type: new Bool(), data: Uint8Array.from([0b10110010]), length: 8, nullCount: 0 });
    expect(toValues(bits.slice(4, 4))).toEqual([true, true, false, true]);
  });
});
