/**
 * Issue 7: histogram axes and storage. Properties (fast-check): every value lands in the bin whose
 * edges contain it, flow bins catch the rest (NaN in the overflow); merging in any order gives
 * identical counts and weighted sums within 1e-12 relative; the UHI JSON form round-trips and has
 * the fields the UHI schema requires.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Axis } from '../src/analysis/axis.ts';
import { Histogram } from '../src/analysis/histogram.ts';
import { Output } from '../src/analysis/output.ts';

function binOf(edges: Float64Array, x: number): number {
  if (Number.isNaN(x)) return edges.length; // overflow
  if (x < edges[0]!) return 0;
  for (let i = 0; i < edges.length - 1; i++) if (x >= edges[i]! && x < edges[i + 1]!) return i + 1;
  return edges.length;
}

describe('axes', () => {
  it('regular, log and variable axes put each value in the bin whose edges contain it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: -1e3, max: 1e3, noNaN: true }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.array(fc.double({ min: -2e3, max: 2e3 }), { maxLength: 50 }),
        (bins, lower, width, xs) => {
          const axes = [
            new Axis({ type: 'regular', bins, lower, upper: lower + width }),
            new Axis({ type: 'log', bins, lower: width, upper: width * 1000 }),
            new Axis({ type: 'variable', edges: [lower, lower + width / 3, lower + width] }),
          ];
          for (const a of axes) for (const x of [...xs, lower, lower + width, width, width * 1000, NaN, -Infinity, Infinity]) expect(a.index(x)).toBe(binOf(a.edges, x));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('issue 7 regression: a value just under an outer edge is in the last bin, not the overflow (the scale rounded it past)', () => {
    const lower = 5.684341886080803e-14;
    const width = 965.9802842153688;
    const a = new Axis({ type: 'regular', bins: 1, lower, upper: lower + width });
    expect(width).toBeLessThan(a.edges[1]!);
    expect(a.index(width)).toBe(1);
    expect(a.index(a.edges[1]!)).toBe(2);
    expect(a.index(lower)).toBe(1);
    expect(a.index(-0)).toBe(0);
    const log = new Axis({ type: 'log', bins: 7, lower: 0.3, upper: 0.7 });
    expect(log.index(0.7 - 2 ** -53)).toBe(7);
    expect(log.index(0.3)).toBe(1);
    expect(log.index(0)).toBe(0);
    expect(log.index(NaN)).toBe(8);
  });

  it('keeps the outer edges exactly as given and refuses bad axes', () => {
    const a = new Axis({ type: 'log', bins: 600, lower: 0.25, upper: 150 });
    expect(a.edges[0]).toBe(0.25);
    expect(a.edges[600]).toBe(150);
    expect(a.index(0)).toBe(0);
    expect(a.index(-1)).toBe(0);
    expect(() => new Axis({ type: 'regular', bins: 0, lower: 0, upper: 1 })).toThrow(/bins/);
    expect(() => new Axis({ type: 'log', bins: 5, lower: 0, upper: 1 })).toThrow(/lower > 0/);
    expect(() => new Axis({ type: 'variable', edges: [0, 2, 1] })).toThrow(/increasing/);
  });
});

describe('histograms', () => {
  const spec = { axes: [{ type: 'regular' as const, bins: 20, lower: 0, upper: 10 }] };

  it('merging in any order gives identical counts and weighted sums within 1e-12', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.tuple(fc.double({ min: -2, max: 12, noNaN: true }), fc.double({ min: -5, max: 5, noNaN: true })), { maxLength: 40 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 1000 }),
        (chunks, seed) => {
          const parts = chunks.map((c) => {
            const hi = new Histogram({ ...spec, storage: 'int' });
            const hw = new Histogram(spec);
            hi.fill([c.map(([x]) => x)]);
            hw.fill([c.map(([x]) => x)], c.map(([, w]) => w));
            return { hi, hw };
          });
          const order = parts.map((_, i) => i);
          for (let i = order.length - 1; i > 0; i--) {
            const j = (seed * (i + 7)) % (i + 1);
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
          const a = { hi: new Histogram({ ...spec, storage: 'int' }), hw: new Histogram(spec) };
          const b = { hi: new Histogram({ ...spec, storage: 'int' }), hw: new Histogram(spec) };
          for (const p of parts) {
            a.hi.add(p.hi);
            a.hw.add(p.hw);
          }
          for (const i of order) {
            b.hi.add(parts[i]!.hi);
            b.hw.add(parts[i]!.hw);
          }
          expect([...b.hi.values]).toEqual([...a.hi.values]);
          const scale = chunks.flat().reduce((s, [, w]) => s + Math.abs(w), 0) || 1;
          for (let i = 0; i < a.hw.values.length; i++) {
            expect(Math.abs(b.hw.values[i]! - a.hw.values[i]!)).toBeLessThanOrEqual(1e-12 * scale);
            expect(Math.abs(b.hw.variances![i]! - a.hw.variances![i]!)).toBeLessThanOrEqual(1e-12 * scale * 5);
          }
          expect(a.hi.sum()).toBe(chunks.flat().length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('fillIntegers fills what fill fills with the same values: the same bins, bit-identical sums', () => {
    const axis = fc.oneof(
      fc.record({ type: fc.constant('regular' as const), bins: fc.integer({ min: 1, max: 70 }), lower: fc.constantFrom(-0.5, 0, 0.5, -3, 1e-9), upper: fc.constantFrom(7.5, 15.5, 63.5, 64, 100) }),
      fc.record({ type: fc.constant('log' as const), bins: fc.integer({ min: 1, max: 30 }), lower: fc.constantFrom(0.5, 1, 2), upper: fc.constantFrom(64, 100, 1000) }),
      fc.record({ type: fc.constant('variable' as const), edges: fc.uniqueArray(fc.integer({ min: -5, max: 80 }), { minLength: 2, maxLength: 12 }).map((e) => e.sort((a, b) => a - b)) }),
    );
    fc.assert(
      fc.property(axis, fc.array(fc.tuple(fc.integer({ min: -100, max: 200 }), fc.double({ min: -5, max: 5, noNaN: true })), { maxLength: 60 }), (a, entries) => {
        const x = Int32Array.from(entries.map(([k]) => k));
        const w = Float64Array.from(entries.map(([, v]) => v));
        for (const storage of ['int', 'weighted'] as const) {
          const byFill = new Histogram({ axes: [a], storage });
          const byInts = new Histogram({ axes: [a], storage });
          byFill.fill([x], storage === 'int' ? undefined : w);
          byInts.fillIntegers(x, storage === 'int' ? undefined : w);
          expect([...byInts.values]).toEqual([...byFill.values]);
          if (storage === 'weighted') expect([...byInts.variances!]).toEqual([...byFill.variances!]);
        }
        // A count below the array's length fills only the first entries.
        const part = new Histogram({ axes: [a] });
        const head = new Histogram({ axes: [a] });
        part.fillIntegers(x, w, entries.length >> 1);
        head.fill([x.subarray(0, entries.length >> 1)], w.subarray(0, entries.length >> 1));
        expect([...part.values]).toEqual([...head.values]);
      }),
      { numRuns: 300 },
    );
    expect(() => new Histogram({ axes: [spec.axes[0]!, spec.axes[0]!] }).fillIntegers(Int32Array.of(1))).toThrow(/one-axis/);
    expect(() => new Histogram({ ...spec, storage: 'int' }).fillIntegers(Int32Array.of(1), [2])).toThrow(/no weights/);
  });

  it('Output.cutEvents over the listed events counts and sums what cut() does with the same mask, across batches', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.tuple(fc.boolean(), fc.double({ min: -5, max: 5, noNaN: true })), { maxLength: 3000 }), { minLength: 1, maxLength: 3 }), (batches) => {
        const byMask = new Output({}, ['s']);
        const byList = new Output({}, ['s']);
        for (const b of batches) {
          const w = Float64Array.from(b.map(([, x]) => x));
          const pass = Uint8Array.from(b.map(([p]) => (p ? 1 : 0)));
          const listed = Int32Array.from(b.flatMap(([p], i) => (p ? [i] : [])));
          byMask.cut('s', pass, w, b.length);
          byList.cutEvents('s', listed, listed.length, w);
        }
        expect(byList.cutflow).toEqual(byMask.cutflow);
      }),
      { numRuns: 100 },
    );
    expect(() => new Output({}, ['s']).cutEvents('t', new Int32Array(0), 0, [])).toThrow(/not declared/);
  });

  it('counts under- and overflow, weights and squared weights', () => {
    const h = new Histogram(spec);
    h.fill([[-1, 0, 9.99, 10, NaN, 5]], [1, 2, 3, 4, 5, 0.5]);
    expect([...h.values.slice(0, 2)]).toEqual([1, 2]);
    expect(h.values[20]).toBe(3);
    expect(h.values[21]).toBe(9);
    expect(h.values[11]).toBe(0.5);
    expect(h.variances![21]).toBe(16 + 25);
    expect(h.sum()).toBe(15.5);
    const c = new Histogram({ ...spec, storage: 'int' });
    expect(() => c.fill([[1]], [2])).toThrow(/no weights/);
    expect(() => h.add(c)).toThrow(/cannot add/);
    expect(() => h.add(new Histogram({ axes: [{ type: 'regular', bins: 21, lower: 0, upper: 10 }] }))).toThrow(/binnings/);
  });

  it('serializes to UHI JSON with the required fields and reads it back', () => {
    const h = new Histogram({ axes: [{ type: 'log', bins: 4, lower: 1, upper: 16, label: 'm [GeV]' }], label: 'mass', plot: { logx: true } });
    h.fill([[1, 2, 3, 20]], [1, 1, 2, 1]);
    const u = h.toUhi();
    expect(u.uhi_schema).toBe(1);
    expect(u.axes[0]).toMatchObject({ type: 'variable', underflow: true, overflow: true, circular: false, metadata: { transform: 'log', label: 'm [GeV]' } });
    expect(u.axes[0]!.edges).toHaveLength(5);
    expect(u.storage.type).toBe('weighted');
    expect(u.storage.values).toHaveLength(6);
    // The schema allows only scalar metadata values (histogram and axes).
    for (const meta of [u.metadata!, ...u.axes.map((a) => a.metadata ?? {})]) for (const v of Object.values(meta)) expect(['string', 'number', 'boolean']).toContain(typeof v);
    expect(u.metadata).toMatchObject({ label: 'mass', plot_logx: true });
    const back = Histogram.fromUhi(JSON.parse(JSON.stringify(u)));
    expect(back.plot).toEqual({ logx: true });
    expect([...back.values]).toEqual([...h.values]);
    expect([...back.variances!]).toEqual([...h.variances!]);
    expect(back.axes[0]!.spec.type).toBe('log');
    const r = new Histogram({ axes: [{ type: 'regular', bins: 3, lower: 0, upper: 3 }], storage: 'int' });
    expect(r.toUhi().axes[0]).toEqual({ type: 'regular', lower: 0, upper: 3, bins: 3, underflow: true, overflow: true, circular: false, metadata: {} });
    expect(r.toUhi().storage).toEqual({ type: 'int', values: [0, 0, 0, 0, 0] });
  });

  it('fills two-axis histograms', () => {
    const h = new Histogram({ axes: [{ type: 'regular', bins: 2, lower: 0, upper: 2 }, { type: 'variable', edges: [0, 1, 10] }], storage: 'int' });
    h.fill([
      [0.5, 1.5, 5],
      [0.5, 5, 0.5],
    ]);
    // (bin 1, bin 1), (bin 2, bin 2), (overflow, bin 1): strides 4 and 1.
    expect(h.values[1 * 4 + 1]).toBe(1);
    expect(h.values[2 * 4 + 2]).toBe(1);
    expect(h.values[3 * 4 + 1]).toBe(1);
    // UHI nests the values one array level per axis, flow bins included.
    const u = h.toUhi();
    expect(u.storage.values).toHaveLength(4);
    expect((u.storage.values as number[][])[3]).toEqual([0, 1, 0, 0]);
    expect([...Histogram.fromUhi(JSON.parse(JSON.stringify(u))).values]).toEqual([...h.values]);
    expect(() => Histogram.fromUhi({ ...u, storage: { type: 'int', values: [...h.values] } })).toThrow(/nest/);
  });
});
