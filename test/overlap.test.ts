/**
 * Issue 7: selections, delta-R, overlap removal and pair masses on small hand-built tables with
 * known answers: empty events, events with one object, objects exactly at the cone edge (built from
 * exactly representable differences: phi 0.2 - 0 is the double 0.2, so dR^2 equals cone^2).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeData, Field, Float32, Float64, Int8, List, Struct, Uint8, Uint32, Utf8, type Data, type DataType } from 'apache-arrow';
import { collection, counts, leading, leadingTwo, select } from '../src/analysis/collection.ts';
import { deltaPhi, deltaR2, fourMomenta, pairMass, pairMassOf, rapidity, transverseMomenta } from '../src/analysis/kinematics.ts';
import { removeOverlaps, type OverlapObjects } from '../src/analysis/overlap.ts';
import { Events } from '../src/analysis/events.ts';
import { Output } from '../src/analysis/output.ts';
import builtin, { MUON_MASS } from '../src/analysis/builtin.ts';

const next = (x: number): number => {
  const b = new Float64Array([x]);
  const u = new BigUint64Array(b.buffer);
  u[0]! += 1n;
  return b[0]!;
};

function objects(offsets: number[], pt: number[], eta: number[], phi: number[], mask?: number[]): OverlapObjects {
  const c = collection(Int32Array.from(offsets), { pt: Float64Array.from(pt), eta: Float64Array.from(eta), phi: Float64Array.from(phi) });
  return { coll: c, pt: c.fields.pt!, eta: c.fields.eta!, phi: c.fields.phi!, m: null, ...(mask ? { mask: Uint8Array.from(mask) } : {}) };
}

describe('kinematics', () => {
  it('wraps delta-phi into [-pi, pi) and computes dR^2, rapidity and pair masses', () => {
    expect(deltaPhi(3, -3)).toBeCloseTo(6 - 2 * Math.PI, 15);
    expect(deltaPhi(-3, 3)).toBeCloseTo(2 * Math.PI - 6, 15);
    expect(deltaPhi(Math.PI, 0)).toBe(-Math.PI);
    expect(deltaR2(1, 0.2, 1, 0)).toBe(0.2 * 0.2);
    expect(rapidity(10, 0, 5)).toBe(0);
    expect(rapidity(10, 1, 0)).toBeCloseTo(1, 12); // massless: y = eta
    // Back-to-back muons of 45.5938 GeV at eta 0: m = 2 sqrt(p^2 + m_mu^2).
    const p = 45593.8;
    expect(pairMass(p, 0, 0, MUON_MASS, p, 0, Math.PI, MUON_MASS)).toBeCloseTo(2 * Math.sqrt(p * p + MUON_MASS * MUON_MASS), 6);
  });
});

describe('transverseMomenta (cos and sin kernel for missing-ET sums)', () => {
  // The stated bound: cos and sin each within 2^-52 of Math.cos and Math.sin (absolute), so
  // pt cos(phi) within |pt| 2^-52 of pt Math.cos(phi), plus the rounding of the two products
  // (|pt| 2^-53 each): |pt| 2^-51 in all.
  const check = (phi: number[], pt: number[]) => {
    const n = phi.length;
    const px = new Float64Array(n);
    const py = new Float64Array(n);
    transverseMomenta(Float64Array.from(pt), Float64Array.from(phi), n, px, py);
    for (let i = 0; i < n; i++) {
      const x = phi[i]!;
      const p = pt[i]!;
      if (!Number.isFinite(x)) {
        expect(px[i]).toBeNaN();
        expect(py[i]).toBeNaN();
        continue;
      }
      const tol = Math.abs(p) * 2 ** -51;
      expect(Math.abs(px[i]! - p * Math.cos(x)), `cos ${x}`).toBeLessThanOrEqual(tol);
      expect(Math.abs(py[i]! - p * Math.sin(x)), `sin ${x}`).toBeLessThanOrEqual(tol);
    }
  };
  it('is within 2^-52 of Math.cos and Math.sin for float32 and float64 angles, and at the quadrant edges', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: Math.fround(-3.2), max: Math.fround(3.2), noNaN: true }), { minLength: 1, maxLength: 50 }), (phi) => check(phi, phi.map(() => 1))),
      { numRuns: 2000 },
    );
    fc.assert(fc.property(fc.array(fc.double({ min: -1e5, max: 1e5, noNaN: true }), { minLength: 1, maxLength: 50 }), (phi) => check(phi, phi.map(() => 1))), { numRuns: 1000 });
    const edges: number[] = [0, -0, 1e-300, -1e-20, 1e5, -1e5, 1.5e5, 1e300, Infinity, -Infinity, NaN];
    for (let k = -8; k <= 8; k++) for (const d of [0, 1e-16, -1e-16, 1e-9]) edges.push((k * Math.PI) / 4 + d, Math.fround((k * Math.PI) / 4 + d));
    // The table's steps (2 pi / 256) and the points halfway between, where the reduction switches step.
    for (let k = -300; k <= 300; k += 7) for (const d of [0, 1e-16, -1e-16, Math.PI / 256]) edges.push((k * 2 * Math.PI) / 256 + d, Math.fround((k * 2 * Math.PI) / 256 + d));
    check(edges, edges.map((_, i) => (i % 3 === 0 ? 1 : 45593.75 * i)));
  });
});

describe('collections', () => {
  it('counts, selects and finds leading objects, with empty events and ties', () => {
    const c = collection(Int32Array.from([0, 0, 1, 4]), { pt: Float32Array.from([5, 3, 7, 7]) });
    expect([...counts(c)]).toEqual([0, 1, 3]);
    expect([...leading(c, c.fields.pt!)]).toEqual([-1, 0, 2]);
    expect([...leading(c, c.fields.pt!, 1)]).toEqual([-1, -1, 3]);
    expect([...leading(c, c.fields.pt!, 2)]).toEqual([-1, -1, 1]);
    const mask = Uint8Array.from([1, 1, 0, 1]);
    expect([...counts(c, mask)]).toEqual([0, 1, 2]);
    expect([...leading(c, c.fields.pt!, 0, mask)]).toEqual([-1, 0, 3]);
    const s = select(c, mask);
    expect([...s.offsets]).toEqual([0, 0, 1, 3]);
    expect([...s.fields.pt!]).toEqual([5, 3, 7]);
    // A slice whose offsets start above zero is rebased.
    const sl = collection(Int32Array.from([2, 3, 5]), { pt: Float32Array.from([9, 9, 1, 2, 3]) });
    expect([...sl.offsets]).toEqual([0, 1, 3]);
    expect([...sl.fields.pt!]).toEqual([1, 2, 3]);
  });
});

describe('batch helpers equal their per-pair forms', () => {
  // Few distinct pT values, so ties are common.
  const events = fc.array(fc.array(fc.record({ pt: fc.constantFrom(1, 2, 3, 5), keep: fc.boolean() }), { maxLength: 6 }), { maxLength: 20 });
  it('leadingTwo picks what leading(rank 0) and leading(rank 1) pick, ties included', () => {
    fc.assert(
      fc.property(events, (evs) => {
        const offsets = Int32Array.from([0, ...evs.map((_, i) => evs.slice(0, i + 1).flat().length)]);
        const flat = evs.flat();
        const c = collection(offsets, { pt: Float32Array.from(flat.map((o) => o.pt)) });
        const mask = Uint8Array.from(flat.map((o) => (o.keep ? 1 : 0)));
        const two = leadingTwo(c, c.fields.pt!, mask);
        expect([...two.first]).toEqual([...leading(c, c.fields.pt!, 0, mask)]);
        expect([...two.second]).toEqual([...leading(c, c.fields.pt!, 1, mask)]);
      }),
    );
  });
  it('findString finds the first item equal to the text, as a plain search does (names of 0 to 9 bytes)', () => {
    const name = fc.string({ unit: fc.constantFrom('a', 'b', 'é'), maxLength: 9 });
    fc.assert(
      fc.property(fc.array(fc.array(name, { maxLength: 5 }), { maxLength: 12 }), name, (rows, text) => {
        const ev = new Events('t', rows.length, new Map([['s', stringList(rows)]]));
        let base = 0;
        const want = rows.map((r) => {
          const k = r.indexOf(text);
          const at = k < 0 ? -1 : base + k;
          base += r.length;
          return at;
        });
        expect([...ev.findString('s', text)]).toEqual(want);
      }),
    );
  });

  it('pairMassOf over fourMomenta equals pairMass to the last bit', () => {
    const obj = fc.record({ pt: fc.float({ min: 1, max: 1e6, noNaN: true }), eta: fc.float({ min: -4, max: 4, noNaN: true }), phi: fc.float({ min: Math.fround(-3.14), max: Math.fround(3.14), noNaN: true }) });
    fc.assert(
      fc.property(obj, obj, (a, b) => {
        const f = (k: 'pt' | 'eta' | 'phi') => Float32Array.of(a[k], b[k]);
        const p4 = fourMomenta(f('pt'), f('eta'), f('phi'), MUON_MASS, Uint8Array.of(1, 1));
        const [x, y] = [f('pt'), f('eta')];
        const phi = f('phi');
        expect(pairMassOf(p4, 0, 1)).toBe(pairMass(x[0]!, y[0]!, phi[0]!, MUON_MASS, x[1]!, y[1]!, phi[1]!, MUON_MASS));
        // Into reused arrays holding old values, pz and E limited to the second object: the same
        // px and py, the same pz and E of the second, zeros elsewhere (and outside the mask).
        const into = { px: new Float64Array(3).fill(7), py: new Float64Array(3).fill(7), pz: new Float64Array(3).fill(7), e: new Float64Array(3).fill(7) };
        const part = fourMomenta(f('pt'), f('eta'), f('phi'), MUON_MASS, Uint8Array.of(1, 1), into, Uint8Array.of(0, 1));
        expect([...part.px, ...part.py]).toEqual([...p4.px, ...p4.py]);
        expect([...part.pz, ...part.e]).toEqual([0, p4.pz[1], 0, p4.e[1]]);
        const masked = fourMomenta(f('pt'), f('eta'), f('phi'), MUON_MASS, Uint8Array.of(0, 1), into);
        expect([masked.px[0], masked.py[0], masked.pz[0], masked.e[0]]).toEqual([0, 0, 0, 0]);
      }),
    );
  });
});

describe('overlap removal', () => {
  const none = objects([0, 0], [], [], []);

  it('removes the jet within dR 0.2 of an electron, then the electron within 0.4 of a remaining jet (cone edge inclusive)', () => {
    // Event 0: jet exactly at dR 0.2 of the electron: the jet goes, the electron stays.
    // Event 1: jet just beyond 0.2 (phi next double after 0.2) but within 0.4: the electron goes.
    // Event 2: jet exactly at dR 0.4: the electron goes (dR^2 <= cone^2).
    // Event 3: jet just beyond 0.4: both stay. Event 4: empty. Event 5: a lone jet stays.
    const el = objects([0, 1, 2, 3, 4, 4, 4], [20e3, 20e3, 20e3, 20e3], [1, 1, 1, 1], [0, 0, 0, 0]);
    const jets = objects([0, 1, 2, 3, 4, 4, 5], [30e3, 30e3, 30e3, 30e3, 30e3], [1, 1, 1, 1, 0], [0.2, next(0.2), 0.4, next(0.4), 1]);
    const r = removeOverlaps(el, { ...none, coll: collection(Int32Array.from([0, 0, 0, 0, 0, 0, 0]), {}) }, jets, { useRapidity: false });
    expect([...r.jets]).toEqual([0, 1, 1, 1, 1]);
    expect([...r.electrons]).toEqual([1, 0, 0, 1]);
  });

  it('keeps a jet with >= 3 tracks near a muon and removes the muon instead', () => {
    const mu = objects([0, 1, 2], [20e3, 20e3], [0.5, 0.5], [1, 1]);
    const jets = objects([0, 1, 2], [40e3, 40e3], [0.5, 0.5], [1.1, 1.1]);
    const empty = objects([0, 0, 0], [], [], []);
    const r = removeOverlaps(empty, mu, jets, { useRapidity: false, jetTracks: Int32Array.from([2, 5]) });
    expect([...r.jets]).toEqual([0, 1]); // 2 tracks: removed; 5 tracks: kept
    expect([...r.muons]).toEqual([1, 0]); // the kept jet is within 0.4: the muon goes
    expect(r.steps.find((s) => s.step.startsWith('electron-muon'))).toMatchObject({ applied: false });
  });

  it('removes the electron sharing its ID track with a muon, and ignores objects outside the selection masks', () => {
    const el = objects([0, 2], [10e3, 10e3], [0, 2], [0, 2]);
    const mu = objects([0, 1], [10e3], [-1], [-2]);
    const jets = objects([0, 1], [25e3], [0], [0.1], [0]); // not selected: removes nothing
    const r = removeOverlaps(el, mu, jets, {
      electronTrack: { key: Uint32Array.from([7, 7]), index: Uint32Array.from([3, 4]) },
      muonTrack: { key: Uint32Array.from([7]), index: Uint32Array.from([4]) },
    });
    expect([...r.electrons]).toEqual([1, 0]);
    expect([...r.jets]).toEqual([0]);
  });

  it('uses rapidity by default: a massive jet at the same eta is farther in y', () => {
    const el = objects([0, 1], [20e3], [2], [0]);
    const jet: OverlapObjects = { ...objects([0, 1], [20e3], [2], [0.3]), m: Float64Array.from([30e3]) };
    const mu = objects([0, 0], [], [], []);
    // eta: dR = 0.3 (the electron goes); rapidity: the jet's y is well below 2, dR > 0.4.
    expect([...removeOverlaps({ ...el, m: 0.511 }, mu, jet, { useRapidity: false }).electrons]).toEqual([0]);
    expect([...removeOverlaps({ ...el, m: 0.511 }, mu, jet).electrons]).toEqual([1]);
  });

  it('issue 7: deciding pairs from pseudorapidity bounds gives what the rapidities give, at and near the cone edges', () => {
    // Jets placed at eta and phi offsets around 0.2 and 0.4 from the leptons, with masses from
    // none to above their pT: the rapidity differences straddle the cones. The reference takes
    // deltaR2 of the rapidities for every pair, in the order of the overlap removal.
    const offset = fc.constantFrom(0, 0.05, 0.1, 0.15, 0.19, 0.1999999, 0.2, 0.2000001, 0.21, 0.3, 0.39, 0.3999999, 0.4, 0.4000001, 0.41, 0.5, -0.2, -0.4, -0.3999999);
    const jetArb = fc.record({ dEta: offset, dPhi: offset, pt: fc.constantFrom(0, 5e3, 20e3, 25e3, 100e3), m: fc.constantFrom(0, 100, 1e3, 5e3, 20e3, 60e3) });
    const lepArb = fc.record({ eta: fc.constantFrom(0, 0.7, -1.3, 2.4, 5.5, 6.5), phi: fc.constantFrom(0, 1, 3.1, -3.1), pt: fc.constantFrom(5e3, 20e3, 200e3), m: fc.constantFrom(0.511, 105.658, 5e3), keep: fc.boolean() });
    const eventArb = fc.record({ leps: fc.array(lepArb, { maxLength: 3 }), jets: fc.array(fc.record({ of: fc.nat(2), j: jetArb }), { maxLength: 6 }) });
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 8 }), fc.boolean(), (evs, useMuons) => {
        const lo = [0];
        const jo = [0];
        const L = { pt: [] as number[], eta: [] as number[], phi: [] as number[], m: [] as number[], keep: [] as number[] };
        const J = { pt: [] as number[], eta: [] as number[], phi: [] as number[], m: [] as number[] };
        for (const e of evs) {
          for (const l of e.leps) {
            L.pt.push(l.pt);
            L.eta.push(l.eta);
            L.phi.push(l.phi);
            L.m.push(l.m);
            L.keep.push(l.keep ? 1 : 0);
          }
          for (const { of, j } of e.jets) {
            const l = e.leps[of % Math.max(1, e.leps.length)] ?? { eta: 0, phi: 0 };
            J.pt.push(j.pt);
            J.eta.push(Math.fround(l.eta + j.dEta));
            J.phi.push(Math.fround(deltaPhi(l.phi + j.dPhi, 0)));
            J.m.push(j.m);
          }
          lo.push(L.pt.length);
          jo.push(J.pt.length);
        }
        const f32 = (a: number[]) => Float32Array.from(a);
        const lc = collection(Int32Array.from(lo), { pt: f32(L.pt), eta: f32(L.eta), phi: f32(L.phi), m: f32(L.m) });
        const jc = collection(Int32Array.from(jo), { pt: f32(J.pt), eta: f32(J.eta), phi: f32(J.phi), m: f32(J.m) });
        const empty = { coll: collection(new Int32Array(lo.length), {}), pt: new Float32Array(0), eta: new Float32Array(0), phi: new Float32Array(0), m: null };
        const lep: OverlapObjects = { coll: lc, pt: lc.fields.pt!, eta: lc.fields.eta!, phi: lc.fields.phi!, m: useMuons ? MUON_MASS : lc.fields.m!, mask: Uint8Array.from(L.keep) };
        const jet: OverlapObjects = { coll: jc, pt: jc.fields.pt!, eta: jc.fields.eta!, phi: jc.fields.phi!, m: jc.fields.m! };
        const r = useMuons ? removeOverlaps(empty, lep, jet) : removeOverlaps(lep, empty, jet);
        // Reference: every pair's dR^2 from rapidities.
        const y = (o: OverlapObjects, j: number) => rapidity(o.pt[j]!, o.eta[j]!, typeof o.m === 'number' ? o.m : o.m![j]!);
        const keepL = Uint8Array.from(L.keep);
        const keepJ = new Uint8Array(J.pt.length).fill(1);
        for (let i = 0; i < evs.length; i++) {
          for (let k = jo[i]!; k < jo[i + 1]!; k++) {
            for (let l = lo[i]!; l < lo[i + 1]!; l++) if (keepL[l] && deltaR2(y(lep, l), lep.phi[l]!, y(jet, k), jet.phi[k]!) <= 0.2 * 0.2) keepJ[k] = 0;
          }
          for (let l = lo[i]!; l < lo[i + 1]!; l++) {
            if (!keepL[l]) continue;
            for (let k = jo[i]!; k < jo[i + 1]!; k++) if (keepJ[k] && deltaR2(y(lep, l), lep.phi[l]!, y(jet, k), jet.phi[k]!) <= 0.4 * 0.4) keepL[l] = 0;
          }
        }
        expect([...r.jets]).toEqual([...keepJ]);
        expect([...(useMuons ? r.muons : r.electrons)]).toEqual([...keepL]);
      }),
      { numRuns: 2000 },
    );
  });

  it('issue 7: the branch-free phi screening keeps every pair a cone can hold (sliding cones, negative pT, phis across +-pi, several leptons)', () => {
    // Reference: every pair's dR^2 from pseudorapidities and deltaPhi, in the order of the
    // overlap removal, with the sliding cone min(0.4, 0.04 + 10 GeV / pT) (above 0.5 for a
    // negative pT: then every jet is a candidate).
    const phiArb = fc.oneof(fc.constantFrom(Math.PI, -Math.PI, Math.fround(Math.PI), -Math.fround(Math.PI), 3.1, -3.1, 0, 6, -7), fc.double({ min: -3.2, max: 3.2, noNaN: true }));
    const lepArb = fc.record({ eta: fc.constantFrom(0, 0.3, -1), phi: phiArb, pt: fc.constantFrom(-30e3, -5e3, 1e3, 20e3, 200e3), keep: fc.boolean() });
    const jetArb = fc.record({ eta: fc.constantFrom(0, 0.1, 0.3, -0.9), phi: phiArb, keep: fc.boolean(), tracks: fc.constantFrom(0, 5) });
    const eventArb = fc.record({ leps: fc.array(lepArb, { maxLength: 3 }), jets: fc.array(jetArb, { maxLength: 6 }) });
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 6 }), fc.boolean(), fc.boolean(), (evs, sliding, useMuons) => {
        const lo = [0];
        const jo = [0];
        const L = { pt: [] as number[], eta: [] as number[], phi: [] as number[], keep: [] as number[] };
        const J = { pt: [] as number[], eta: [] as number[], phi: [] as number[], keep: [] as number[], tracks: [] as number[] };
        for (const e of evs) {
          for (const l of e.leps) (L.pt.push(l.pt), L.eta.push(l.eta), L.phi.push(l.phi), L.keep.push(+l.keep));
          for (const j of e.jets) (J.pt.push(30e3), J.eta.push(j.eta), J.phi.push(j.phi), J.keep.push(+j.keep), J.tracks.push(j.tracks));
          lo.push(L.pt.length);
          jo.push(J.pt.length);
        }
        const lep = objects(lo, L.pt, L.eta, L.phi, L.keep);
        const jet = objects(jo, J.pt, J.eta, J.phi, J.keep);
        const empty = objects(new Array(lo.length).fill(0), [], [], []);
        const tracks = Int32Array.from(J.tracks);
        const r = useMuons ? removeOverlaps(empty, lep, jet, { useRapidity: false, slidingCone: sliding, jetTracks: tracks }) : removeOverlaps(lep, empty, jet, { useRapidity: false, slidingCone: sliding });
        const keepL = Uint8Array.from(L.keep);
        const keepJ = Uint8Array.from(J.keep);
        for (let i = 0; i < evs.length; i++) {
          for (let k = jo[i]!; k < jo[i + 1]!; k++) {
            if (!keepJ[k] || (useMuons && tracks[k]! >= 3)) continue;
            for (let l = lo[i]!; l < lo[i + 1]!; l++) if (keepL[l] && deltaR2(L.eta[l]!, L.phi[l]!, J.eta[k]!, J.phi[k]!) <= 0.2 * 0.2) keepJ[k] = 0;
          }
          for (let l = lo[i]!; l < lo[i + 1]!; l++) {
            if (!keepL[l]) continue;
            const c = sliding ? Math.min(0.4, 0.04 + 10000 / L.pt[l]!) : 0.4;
            for (let k = jo[i]!; k < jo[i + 1]!; k++) if (keepJ[k] && deltaR2(L.eta[l]!, L.phi[l]!, J.eta[k]!, J.phi[k]!) <= c * c) keepL[l] = 0;
          }
        }
        expect([...r.jets]).toEqual([...keepJ]);
        expect([...(useMuons ? r.muons : r.electrons)]).toEqual([...keepL]);
      }),
      { numRuns: 3000 },
    );
  });

  it('sliding cone: a high-pT electron is removed only within 0.04 + 10 GeV / pT', () => {
    const el = objects([0, 1], [200e3], [0], [0]);
    const jet = objects([0, 1], [30e3], [0], [0.3]);
    const mu = objects([0, 0], [], [], []);
    expect([...removeOverlaps(el, mu, jet, { useRapidity: false, slidingCone: true }).electrons]).toEqual([1]); // cone 0.09
    expect([...removeOverlaps(el, mu, jet, { useRapidity: false }).electrons]).toEqual([0]);
  });
});

/** An Arrow list column from per-event arrays. */
function listData(type: DataType, rows: number[][]): Data {
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (offsets[i + 1] = offsets[i]! + r.length));
  const flat = rows.flat();
  const ctor = type instanceof Float32 ? Float32Array : type instanceof Float64 ? Float64Array : type instanceof Int8 ? Int8Array : Uint8Array;
  const child = makeData({ type, length: flat.length, nullCount: 0, data: ctor.from(flat) } as never);
  return makeData({ type: new List(new Field('item', type)), length: rows.length, nullCount: 0, valueOffsets: offsets, child });
}

function stringList(rows: string[][]): Data {
  const enc = new TextEncoder();
  const flat = rows.flat();
  const so = new Int32Array(flat.length + 1);
  const bytes: number[] = [];
  flat.forEach((s, i) => {
    const b = enc.encode(s);
    bytes.push(...b);
    so[i + 1] = so[i]! + b.length;
  });
  const child = makeData({ type: new Utf8(), length: flat.length, nullCount: 0, valueOffsets: so, data: Uint8Array.from(bytes) });
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (offsets[i + 1] = offsets[i]! + r.length));
  return makeData({ type: new List(new Field('item', new Utf8())), length: rows.length, nullCount: 0, valueOffsets: offsets, child });
}

describe('the built-in analysis on a hand-built batch', () => {
  it('selects, removes overlaps and fills the dimuon mass, multiplicities, cutflow and MET', () => {
    const f32 = new Float32();
    const p = 45593.75; // exactly representable in float32
    // Event 0: empty. Event 1: one muon. Event 2: a Z-like opposite-charge pair at eta 0, back to back,
    // plus a failing muon (quality 3) and a jet at dR 0.1 of the first muon (removed: no track counts).
    // Event 3: same-charge pair (no mass), one jet far away.
    const cols: Record<string, Data> = {
      mu_pt: listData(f32, [[], [10e3], [p, p, 50e3], [20e3, 15e3]]),
      mu_eta: listData(f32, [[], [0.1], [0, 0, 0], [0.5, -0.5]]),
      mu_phi: listData(f32, [[], [1], [0, Math.fround(Math.PI), 1], [0, 2]]),
      mu_charge: listData(f32, [[], [1], [1, -1, 1], [1, 1]]),
      mu_quality: listData(new Uint8(), [[], [1], [1, 0, 3], [1, 1]]),
      el_pt: listData(f32, [[], [], [], []]),
      el_eta: listData(f32, [[], [], [], []]),
      el_phi: listData(f32, [[], [], [], []]),
      el_charge: listData(f32, [[], [], [], []]),
      el_id: listData(new Int8(), [[], [], [], []]),
      jet_pt: listData(f32, [[], [], [30e3], [100e3]]),
      jet_eta: listData(f32, [[], [], [0], [2]]),
      jet_phi: listData(f32, [[], [], [0.1], [-2]]),
      jet_m: listData(f32, [[], [], [5e3], [10e3]]),
      met_mpx: listData(f32, [[0, 0], [0, 1000], [0, 0], [5, 0]]),
      met_mpy: listData(f32, [[0, 0], [0, 0], [0, 0], [0, 0]]),
      met_name: stringList([
        ['SoftClusCore', 'PVSoftTrkCore'],
        ['SoftClusCore', 'PVSoftTrkCore'],
        ['SoftClusCore', 'PVSoftTrkCore'],
        ['PVSoftTrkCore', 'SoftClusCore'],
      ]),
    };
    const params = { ...builtin.params };
    const out = new Output(builtin.histograms(params), builtin.cutflow);
    builtin.process(new Events('hand-built', 4, new Map(Object.entries(cols))), out, params);
    const cut = Object.fromEntries(out.cutflow.map((c) => [c.step, c.events]));
    expect(cut).toMatchObject({ 'all events': 4, 'mumu: >= 2 selected muons': 2, 'mumu: leading pair opposite charge': 1 });
    const mass = out.hist('mumu_mass');
    expect(mass.sum()).toBe(1);
    const expected = pairMass(p, 0, 0, MUON_MASS, p, 0, Math.fround(Math.PI), MUON_MASS) / 1000;
    expect(mass.values[mass.axes[0]!.index(expected)]).toBe(1);
    expect([...out.hist('n_muons').values.slice(1, 4)]).toEqual([1, 1, 2]);
    // The jet of event 2 is within 0.2 of a muon: removed; event 3's jet stays.
    expect([...out.hist('n_jets').values.slice(1, 3)]).toEqual([3, 1]);
    // MET of event 1: soft term 1000 MeV in x minus the muon's px.
    const met = out.hist('met');
    const m1 = Math.hypot(1000 - 10e3 * Math.cos(Math.fround(1)), -10e3 * Math.sin(Math.fround(1))) / 1000;
    expect(met.values[met.axes[0]!.index(m1)]).toBeGreaterThanOrEqual(1);
    expect(met.sum()).toBe(4);
    expect([...out.notes].join(' ')).toMatch(/no MC event weights/);
  });
});

/** ElementLinks (m_persKey, m_persIndex) as Arrow structs, and lists of them per event. */
const LINK = new Struct([new Field('m_persKey', new Uint32()), new Field('m_persIndex', new Uint32())]);
function links(items: [number, number][]): Data {
  const col = (k: 0 | 1) => makeData({ type: new Uint32(), length: items.length, nullCount: 0, data: Uint32Array.from(items.map((x) => x[k])) });
  return makeData({ type: LINK, length: items.length, nullCount: 0, children: [col(0), col(1)] });
}
function listOf(child: Data, sizes: number[]): Data {
  const offsets = new Int32Array(sizes.length + 1);
  sizes.forEach((n, i) => (offsets[i + 1] = offsets[i]! + n));
  return makeData({ type: new List(new Field('item', child.type)), length: sizes.length, nullCount: 0, valueOffsets: offsets, child });
}

describe('issue 7: electron-muon overlap removal in the built-in analysis (shared ID track)', () => {
  it('removes the electron sharing its track with a selected muon only', () => {
    // Event 0: the electron's first GSF track's original track is the selected muon's ID track: removed.
    // Event 1: the same, but the muon is not selected (quality 3): kept. Event 2: other track: kept.
    // Event 3: no muon at all: kept.
    const f32 = new Float32();
    const cols: Record<string, Data> = {
      el_pt: listData(f32, [[20e3], [20e3], [20e3], [20e3]]),
      el_eta: listData(f32, [[1], [1], [1], [1]]),
      el_phi: listData(f32, [[0], [0], [0], [0]]),
      el_charge: listData(f32, [[1], [1], [1], [1]]),
      el_id: listData(new Int8(), [[1], [1], [1], [1]]),
      // Per electron, its GSF track links (index into the event's GSF tracks); per GSF track, its original track.
      el_tracks: listOf(listOf(links([[9, 0], [9, 1], [9, 0], [9, 1]]), [1, 1, 1, 1]), [1, 1, 1, 1]),
      gsf_original: listOf(links([[7, 3], [7, 3], [5, 0], [7, 4], [7, 3], [7, 3]]), [1, 2, 2, 1]),
      mu_pt: listData(f32, [[10e3], [10e3], [10e3], []]),
      mu_eta: listData(f32, [[-1], [-1], [-1], []]),
      mu_phi: listData(f32, [[2], [2], [2], []]),
      mu_charge: listData(f32, [[-1], [-1], [-1], []]),
      mu_quality: listData(new Uint8(), [[1], [3], [1], []]),
      mu_idtrack: listOf(links([[7, 3], [7, 3], [7, 3]]), [1, 1, 1, 0]),
      jet_pt: listData(f32, [[], [], [], []]),
      jet_eta: listData(f32, [[], [], [], []]),
      jet_phi: listData(f32, [[], [], [], []]),
      jet_m: listData(f32, [[], [], [], []]),
    };
    const params = { ...builtin.params };
    const out = new Output(builtin.histograms(params), builtin.cutflow);
    builtin.process(new Events('hand-built', 4, new Map(Object.entries(cols))), out, params);
    // Event 0 has no electron left; events 1-3 one each.
    expect([...out.hist('n_electrons').values.slice(1, 3)]).toEqual([1, 3]);
    expect([...out.notes].join(' ')).not.toMatch(/electron-muon/);
  });
});
