/**
 * The built-in PHYSLITE analysis, written with the public API (api.ts). Object selection, overlap
 * removal in the ATLAS order, then: the dimuon mass spectrum of the leading opposite-charge pair on
 * log-log axes from 0.25 to 150 GeV (omega/rho, phi, J/psi, psi(2S), Upsilon, Z), the dielectron
 * mass, the masses of all opposite-charge same-flavour pairs, leading lepton and muon pT, object
 * multiplicities and missing ET. Energies in the files are MeV; parameters and axes are GeV.
 * Release-21 and release-22+ column names are both accepted (see `columns`).
 */
import { DataType } from 'apache-arrow';
import { defineAnalysis } from './api.ts';
import { type Collection, type NumArray, collection } from './collection.ts';
import type { Histogram } from './histogram.ts';
import type { Output } from './output.ts';
import type { Events } from './events.ts';
import { type FourMomenta, pairMassOf, transverseMomenta } from './kinematics.ts';
import { removeOverlaps } from './overlap.ts';
import { KERNEL_RANGE } from './kernel-range.ts';

export const MUON_MASS = 105.658; // MeV
const GEV = 1000;

export interface BuiltinParams {
  electronPt: number;
  electronEta: number;
  electronCrackVeto: boolean;
  /** LH working point flag: VeryLoose, Loose, LooseBL, Medium, Tight. */
  electronId: string;
  muonPt: number;
  muonEta: number;
  /** Highest accepted `quality` value: 0 Tight, 1 Medium, 2 Loose, 3 VeryLoose. */
  muonQuality: number;
  jetPt: number;
  jetEta: number;
  /** JVT applies to jets with pT below this (GeV) and |eta| below jvtEta. */
  jvtPtMax: number;
  jvtEta: number;
  /** Release-21 `Jvt` score cut where `NNJvtPass` is absent. */
  jvtScore: number;
  overlapRemoval: boolean;
  slidingCone: boolean;
  /** dR from rapidity (true) or pseudorapidity. */
  useRapidity: boolean;
}

const AUX = (c: string, m: string): string[] => [`${c}AuxDyn_${m}`, `${c}Aux_${m}`];

/**
 * Cutflow: the muon and electron channels are counted from all events, each step of a channel
 * after the one before it; step names carry their channel (`mumu:`, `ee:`) so reports compute
 * efficiencies within a channel.
 */
export const CUTFLOW = ['all events', 'mumu: >= 2 selected muons', 'mumu: leading pair opposite charge', 'ee: >= 2 selected electrons', 'ee: leading pair opposite charge'] as const;

export default defineAnalysis<BuiltinParams>({
  name: 'physlite-builtin',
  description: 'electrons, muons, jets with overlap removal; dimuon and dielectron spectra, lepton pT, jet multiplicity, MET',
  params: {
    electronPt: 7,
    electronEta: 2.47,
    electronCrackVeto: true,
    electronId: 'Medium',
    muonPt: 3,
    muonEta: 2.5,
    muonQuality: 1,
    jetPt: 20,
    jetEta: 4.5,
    jvtPtMax: 60,
    jvtEta: 2.4,
    jvtScore: 0.2,
    overlapRemoval: true,
    slidingCone: false,
    useRapidity: true,
  },
  columns: (p) => ({
    // The derived scalar first: the full weight vector is the largest column of a PHYSLITE file.
    weight: { names: ['nominalMcEventWeight', ...AUX('EventInfo', 'mcEventWeights')], optional: true },
    el_pt: AUX('AnalysisElectrons', 'pt'),
    el_eta: AUX('AnalysisElectrons', 'eta'),
    el_phi: AUX('AnalysisElectrons', 'phi'),
    el_m: { names: AUX('AnalysisElectrons', 'm'), optional: true },
    el_charge: AUX('AnalysisElectrons', 'charge'),
    el_id: AUX('AnalysisElectrons', `DFCommonElectronsLH${p.electronId}`),
    el_tracks: { names: AUX('AnalysisElectrons', 'trackParticleLinks'), optional: true },
    gsf_original: { names: AUX('GSFTrackParticles', 'originalTrackParticle'), optional: true },
    mu_pt: AUX('AnalysisMuons', 'pt'),
    mu_eta: AUX('AnalysisMuons', 'eta'),
    mu_phi: AUX('AnalysisMuons', 'phi'),
    mu_charge: AUX('AnalysisMuons', 'charge'),
    mu_quality: AUX('AnalysisMuons', 'quality'),
    mu_idtrack: { names: AUX('AnalysisMuons', 'inDetTrackParticleLink'), optional: true },
    jet_pt: AUX('AnalysisJets', 'pt'),
    jet_eta: AUX('AnalysisJets', 'eta'),
    jet_phi: AUX('AnalysisJets', 'phi'),
    jet_m: AUX('AnalysisJets', 'm'),
    jet_jvtpass: { names: AUX('AnalysisJets', 'NNJvtPass'), optional: true },
    jet_jvt: { names: AUX('AnalysisJets', 'Jvt'), optional: true },
    // The conversion's derived per-jet count (a tenth of the bytes) before the full per-vertex column.
    jet_ntrk: { names: ['AnalysisJets_NumTrkPt500PV', ...AUX('AnalysisJets', 'NumTrkPt500')], optional: true },
    met_mpx: { names: AUX('MET_Core_AnalysisMET', 'mpx'), optional: true },
    met_mpy: { names: AUX('MET_Core_AnalysisMET', 'mpy'), optional: true },
    met_name: { names: AUX('MET_Core_AnalysisMET', 'name'), optional: true },
  }),
  histograms: () => ({
    mumu_mass: {
      axes: [{ type: 'log', bins: 600, lower: 0.25, upper: 150, label: 'm_{#mu#mu} [GeV]' }],
      label: 'Dimuon mass, leading opposite-charge pair',
      plot: { logx: true, logy: true },
    },
    ee_mass: {
      axes: [{ type: 'log', bins: 300, lower: 1, upper: 150, label: 'm_{ee} [GeV]' }],
      label: 'Dielectron mass, leading opposite-charge pair',
      plot: { logx: true, logy: true },
    },
    mumu_mass_all: {
      axes: [{ type: 'log', bins: 600, lower: 0.25, upper: 150, label: 'm_{#mu#mu} [GeV]' }],
      label: 'Dimuon mass, all opposite-charge pairs',
      plot: { logx: true, logy: true },
    },
    ee_mass_all: {
      axes: [{ type: 'log', bins: 300, lower: 1, upper: 150, label: 'm_{ee} [GeV]' }],
      label: 'Dielectron mass, all opposite-charge pairs',
      plot: { logx: true, logy: true },
    },
    lead_lepton_pt: { axes: [{ type: 'log', bins: 60, lower: 1, upper: 1000, label: 'leading lepton p_{T} [GeV]' }], label: 'Leading lepton pT', plot: { logx: true, logy: true } },
    lead_muon_pt: { axes: [{ type: 'regular', bins: 100, lower: 0, upper: 200, label: 'leading muon p_{T} [GeV]' }], label: 'Leading muon pT', plot: { logy: true } },
    n_jets: { axes: [{ type: 'regular', bins: 16, lower: -0.5, upper: 15.5, label: 'selected jets' }], label: 'Jet multiplicity', plot: { logy: true } },
    n_muons: { axes: [{ type: 'regular', bins: 8, lower: -0.5, upper: 7.5, label: 'selected muons' }], label: 'Muon multiplicity', plot: { logy: true } },
    n_electrons: { axes: [{ type: 'regular', bins: 8, lower: -0.5, upper: 7.5, label: 'selected electrons' }], label: 'Electron multiplicity', plot: { logy: true } },
    met: {
      axes: [{ type: 'regular', bins: 60, lower: 0, upper: 300, label: 'E_{T}^{miss} [GeV]' }],
      label: 'Missing ET: selected objects + PVSoftTrkCore soft term',
      plot: { logy: true },
    },
  }),
  cutflow: CUTFLOW,
  process(ev, out, p) {
    const n = ev.rows;
    const w = eventWeights(ev, out);
    out.cut('all events', null, w, n);

    // Objects as flat columns; selection and overlap removal are masks over them (no copies).
    const el = jaggedCollection(ev, 'el_pt', { pt: 'el_pt', eta: 'el_eta', phi: 'el_phi', charge: 'el_charge', id: 'el_id' }, ev.has('el_m') ? { m: 'el_m' } : {});
    const mu = jaggedCollection(ev, 'mu_pt', { pt: 'mu_pt', eta: 'mu_eta', phi: 'mu_phi', charge: 'mu_charge', quality: 'mu_quality' });
    const jvt: Record<string, string> = ev.has('jet_jvtpass') ? { jvtpass: 'jet_jvtpass' } : ev.has('jet_jvt') ? { jvtscore: 'jet_jvt' } : {};
    if (!jvt.jvtpass && !jvt.jvtscore) out.note('no JVT column (NNJvtPass or Jvt): jets selected without JVT');
    const jet = jaggedCollection(ev, 'jet_pt', { pt: 'jet_pt', eta: 'jet_eta', phi: 'jet_phi', m: 'jet_m' }, jvt);
    let keepE = electronMask(el, p);
    let keepM = muonMask(mu, p);
    let keepJ = jetMask(jet, p);
    const eMass = el.fields.m ?? 0.511;

    if (p.overlapRemoval) {
      const tracks = trackIdentities(ev, el, mu, keepM);
      const obj = (c: Collection, m: NumArray | number, mask: Uint8Array) => ({ coll: c, pt: c.fields.pt!, eta: c.fields.eta!, phi: c.fields.phi!, m, mask });
      const r = removeOverlaps(obj(el, eMass, keepE), obj(mu, MUON_MASS, keepM), obj(jet, jet.fields.m!, keepJ), {
        useRapidity: p.useRapidity,
        slidingCone: p.slidingCone,
        inPlace: true,
        ...(tracks ? { electronTrack: tracks.electron, muonTrack: tracks.muon } : {}),
        ...(ev.has('jet_ntrk') ? { jetTracks: primaryVertexTracks(ev, jet) } : {}),
      });
      for (const s of r.steps) if (!s.applied || s.reason) out.note(`overlap removal, ${s.step}: ${s.reason ?? 'not applied'}`);
      keepE = r.electrons;
      keepM = r.muons;
      keepJ = r.jets;
    }

    // Missing ET: minus the vector sum of the selected objects, plus the track soft term. The sums
    // start from the soft term; metPass subtracts the objects (electrons, muons, jets, each in
    // the order of the objects).
    const metColumns = ev.has('met_mpx') && ev.has('met_mpy') && ev.has('met_name');
    const mx = f64('mx', n);
    const my = f64('my', n);
    const hasMet = u8('hasMet', n);
    if (metColumns) softTerm(ev.findString('met_name', 'PVSoftTrkCore'), ev.jagged('met_mpx').values, ev.jagged('met_mpy').values, mx, my, hasMet);

    // Each lepton flavour in one pass over its events: multiplicity, leading pair, pair masses,
    // leading pT.
    const le = leptonPass(el, keepE, massArray('el', el, eMass), w, 'el');
    fillPairs(out, le, w, 'ee_mass', 'ee_mass_all', CUTFLOW[3], CUTFLOW[4]);
    const lm = leptonPass(mu, keepM, massArray('mu', mu, MUON_MASS), w, 'mu');
    fillPairs(out, lm, w, 'mumu_mass', 'mumu_mass_all', CUTFLOW[1], CUTFLOW[2]);
    out.hist('n_electrons').fillIntegers(le.counts, w);
    out.hist('n_muons').fillIntegers(lm.counts, w);
    leadingPts(lm.leadPt, le.leadPt, w, out.hist('lead_muon_pt'), out.hist('lead_lepton_pt'));

    out.hist('n_jets').fillIntegers(metColumns ? metPass(el, keepE, mu, keepM, jet, keepJ, mx, my) : jetCounts(jet, keepJ), w);
    if (metColumns) fillMet(out.hist('met'), mx, my, w, hasMet);
    else out.note('missing ET not filled: MET_Core_AnalysisMET mpx/mpy/name columns absent');
  },
  reuseColumnMemory: true,
});

/**
 * Per-batch working arrays by name (selection masks, four-momenta, track identities, histogram
 * inputs), reused from batch to batch and file to file (a batch is processed to the end before
 * the next, and none of these outlives it): large typed arrays allocated per batch made the
 * garbage collector a tenth of the analysis's time. f64 and u8 zero them; the others are
 * written in full by their users.
 */
const scratch = new Map<string, Float64Array | Uint8Array | Uint32Array | Int32Array>();

/** Objects (or events) per call of a loop kernel (see kernel-range.ts). */
const CHUNK = KERNEL_RANGE;

function reused<T extends Float64Array | Uint8Array | Uint32Array | Int32Array>(make: new (n: number) => T, name: string, n: number): T {
  let a = scratch.get(name) as T | undefined;
  if (!a || a.length < n) scratch.set(name, (a = new make(Math.max(n, (a?.length ?? 0) * 2))));
  return a.subarray(0, n) as T;
}

function f64(name: string, n: number): Float64Array {
  return reused(Float64Array, name, n).fill(0);
}

function u8(name: string, n: number): Uint8Array {
  return reused(Uint8Array, name, n).fill(0);
}

/** A mass per object (the column, or the constant in a reused array): one element type per use site, so the pass stays monomorphic. */
function massArray(name: string, c: Collection, m: NumArray | number): NumArray {
  if (typeof m !== 'number') return m;
  return reused(Float64Array, `${name}.m`, c.offsets[c.events]!).fill(m);
}

/** The soft term per event (`soft`: its item index, -1 when the event has none): the starting missing-ET sums. */
function softTerm(soft: Int32Array, mpx: NumArray, mpy: NumArray, mx: Float64Array, my: Float64Array, hasMet: Uint8Array): void {
  for (let s = 0; s < soft.length; s += CHUNK) softTermRange(soft, mpx, mpy, mx, my, hasMet, s, Math.min(soft.length, s + CHUNK));
}

function softTermRange(soft: Int32Array, mpx: NumArray, mpy: NumArray, mx: Float64Array, my: Float64Array, hasMet: Uint8Array, i0: number, i1: number): void {
  for (let i = i0; i < i1; i++) {
    const k = soft[i]!;
    if (k < 0) continue;
    mx[i] = mpx[k]!;
    my[i] = mpy[k]!;
    hasMet[i] = 1;
  }
}

/** What a lepton pass leaves: per event, indices of the events passing each cutflow step, and pair masses with their weights. */
interface Leptons {
  /** Selected objects per event. */
  counts: Int32Array;
  /** pT of the leading selected object per event (GeV), -1 without one. */
  leadPt: Float64Array;
  /** Events with two selected objects, and those whose leading two have opposite charges. */
  two: Int32Array;
  nTwo: number;
  os: Int32Array;
  nOs: number;
  /** Mass of the leading pair of the `os` events, in their order. */
  osMass: Float64Array;
  /** Every opposite-charge pair: mass and its event's weight, `nPairs` of them. */
  pairMass: Float64Array;
  pairWeight: Float64Array;
  nPairs: number;
}

const pairScratch = { mass: new Float64Array(1024), weight: new Float64Array(1024) };

/**
 * One lepton flavour, event by event: the selected objects' count, the leading two (by descending
 * pT, ties keep the earlier object first), and, in events with two, their four-momenta (with
 * Math's trigonometry: pair masses stay those of pairMass to the bit), the leading pair's mass
 * when of opposite charge and the masses of all opposite-charge pairs. Events with fewer than two
 * take no trigonometry at all (their px and py are formed for missing ET by metPass). Every value is formed by the expressions used before this
 * was one pass (fourMomenta's, pairMassOf's, leadingTwo's), and everything is collected in event
 * order, so histograms and the cutflow get the same numbers added in the same order; but the
 * events are walked once instead of a dozen times, and the events without objects (most, for
 * muons) cost one comparison.
 */
function leptonPass(c: Collection, keep: Uint8Array, mass: NumArray, w: Float64Array, name: string): Leptons {
  const events = c.events;
  const total = c.offsets[events]!;
  const a: LeptonArrays = {
    keep,
    mass,
    w,
    p4: { px: reused(Float64Array, `${name}.px`, total), py: reused(Float64Array, `${name}.py`, total), pz: reused(Float64Array, `${name}.pz`, total), e: reused(Float64Array, `${name}.e`, total) },
    counts: reused(Int32Array, `${name}.n`, events),
    leadPt: reused(Float64Array, `${name}.leadPt`, events),
    two: reused(Int32Array, `${name}.two`, events),
    os: reused(Int32Array, `${name}.os`, events),
    osMass: reused(Float64Array, `${name}.osMass`, events),
  };
  const n = passCounts;
  n.two = n.os = n.pairs = 0;
  for (let s = 0; s < events; s += CHUNK) leptonRange(c, a, n, s, Math.min(events, s + CHUNK));
  return { counts: a.counts, leadPt: a.leadPt, two: a.two, nTwo: n.two, os: a.os, nOs: n.os, osMass: a.osMass, pairMass: pairScratch.mass, pairWeight: pairScratch.weight, nPairs: n.pairs };
}

/** The arrays a lepton pass reads and writes. */
interface LeptonArrays {
  keep: Uint8Array;
  mass: NumArray;
  w: Float64Array;
  p4: FourMomenta;
  counts: Int32Array;
  leadPt: Float64Array;
  two: Int32Array;
  os: Int32Array;
  osMass: Float64Array;
}

/** Running counts of a lepton pass (events with two, with an opposite-charge leading pair, pairs). */
const passCounts = { two: 0, os: 0, pairs: 0 };

function leptonRange(c: Collection, arr: LeptonArrays, n: { two: number; os: number; pairs: number }, i0: number, i1: number): void {
  const o = c.offsets;
  const { pt, eta, phi, charge } = c.fields as Record<string, NumArray>;
  const { keep, mass, w, p4, counts, leadPt, two, os, osMass } = arr;
  const { px, py, pz, e } = p4;
  let nTwo = n.two;
  let nOs = n.os;
  let nPairs = n.pairs;
  for (let i = i0; i < i1; i++) {
    const j0 = o[i]!;
    const j1 = o[i + 1]!;
    let k = 0;
    let a = -1;
    let b = -1;
    let pa = 0;
    let pb = 0;
    for (let j = j0; j < j1; j++) {
      if (!keep[j]) continue;
      k++;
      const p = pt![j]!;
      // Strictly greater: an equal pT later in the event ranks after the earlier one.
      if (a < 0 || p > pa) {
        b = a;
        pb = pa;
        a = j;
        pa = p;
      } else if (b < 0 || p > pb) {
        b = j;
        pb = p;
      }
    }
    counts[i] = k;
    leadPt[i] = a >= 0 ? pt![a]! / GEV : -1;
    if (k < 2) continue;
    for (let j = j0; j < j1; j++) {
      if (!keep[j]) continue;
      const p = pt![j]!;
      const f = phi![j]!;
      const cx = p * Math.cos(f);
      const cy = p * Math.sin(f);
      px[j] = cx;
      py[j] = cy;
      const mj = mass[j]!;
      const z = pt![j]! * Math.sinh(eta![j]!);
      pz[j] = z;
      e[j] = Math.sqrt(cx * cx + cy * cy + z * z + mj * mj);
    }
    two[nTwo++] = i;
    if (!(charge![a]! * charge![b]! >= 0)) {
      os[nOs] = i;
      osMass[nOs++] = pairMassOf(p4, a, b) / GEV;
    }
    if (pairScratch.mass.length < nPairs + (k * (k - 1)) / 2) {
      const size = 2 * (nPairs + (k * (k - 1)) / 2);
      const m2 = new Float64Array(size);
      const w2 = new Float64Array(size);
      m2.set(pairScratch.mass.subarray(0, nPairs));
      w2.set(pairScratch.weight.subarray(0, nPairs));
      pairScratch.mass = m2;
      pairScratch.weight = w2;
    }
    const pm = pairScratch.mass;
    const pw = pairScratch.weight;
    for (let u = j0; u < j1; u++) {
      if (!keep[u]) continue;
      for (let v = u + 1; v < j1; v++) {
        if (!keep[v] || charge![u]! * charge![v]! >= 0) continue;
        pm[nPairs] = pairMassOf(p4, u, v) / GEV;
        pw[nPairs++] = w[i]!;
      }
    }
  }
  n.two = nTwo;
  n.os = nOs;
  n.pairs = nPairs;
}

/** A lepton pass's cutflow steps and pair-mass histograms (the pair arrays are reused by the next pass: filled first). */
function fillPairs(out: Output, l: Leptons, w: Float64Array, leading: string, all: string, stepTwo: string, stepOs: string): void {
  out.cutEvents(stepTwo, l.two, l.nTwo, w);
  out.cutEvents(stepOs, l.os, l.nOs, w);
  const ws = reused(Float64Array, 'osWeight', l.nOs);
  for (let t = 0; t < l.nOs; t++) ws[t] = w[l.os[t]!]!;
  out.hist(leading).fill([l.osMass], ws, l.nOs);
  out.hist(all).fill([l.pairMass], l.pairWeight, l.nPairs);
}

/** Leading muon pT (events with a selected muon) and leading lepton pT (the larger of the two flavours'), in event order. */
function leadingPts(mu: Float64Array, el: Float64Array, w: Float64Array, hMu: Histogram, hLep: Histogram): void {
  const n = w.length;
  const muX = reused(Float64Array, 'leadMuX', n);
  const muW = reused(Float64Array, 'leadMuW', n);
  const lepX = reused(Float64Array, 'leadLepX', n);
  const lepW = reused(Float64Array, 'leadLepW', n);
  const k = leadCounts;
  k.mu = k.lep = 0;
  for (let s = 0; s < n; s += CHUNK) leadingRange(mu, el, w, muX, muW, lepX, lepW, k, s, Math.min(n, s + CHUNK));
  hMu.fill([muX], muW, k.mu);
  hLep.fill([lepX], lepW, k.lep);
}

const leadCounts = { mu: 0, lep: 0 };

function leadingRange(mu: Float64Array, el: Float64Array, w: Float64Array, muX: Float64Array, muW: Float64Array, lepX: Float64Array, lepW: Float64Array, k: { mu: number; lep: number }, i0: number, i1: number): void {
  let km = k.mu;
  let kl = k.lep;
  for (let i = i0; i < i1; i++) {
    const a = mu[i]!;
    const b = el[i]!;
    if (a >= 0) {
      muX[km] = a;
      muW[km++] = w[i]!;
    }
    if (a >= 0 || b >= 0) {
      lepX[kl] = Math.max(a, b);
      lepW[kl++] = w[i]!;
    }
  }
  k.mu = km;
  k.lep = kl;
}

/** Missing ET (GeV) of the events with a soft term, in event order. */
function fillMet(h: Histogram, mx: Float64Array, my: Float64Array, w: Float64Array, hasMet: Uint8Array): void {
  const n = w.length;
  const xs = reused(Float64Array, 'metX', n);
  const ws = reused(Float64Array, 'metW', n);
  let k = 0;
  for (let s = 0; s < n; s += CHUNK) k = metRange(mx, my, w, hasMet, xs, ws, k, s, Math.min(n, s + CHUNK));
  h.fill([xs], ws, k);
}

/** Branch-free compaction from entry k on: every entry is written, the count moves on only for masked ones. */
function metRange(mx: Float64Array, my: Float64Array, w: Float64Array, hasMet: Uint8Array, xs: Float64Array, ws: Float64Array, k: number, i0: number, i1: number): number {
  for (let i = i0; i < i1; i++) {
    xs[k] = Math.sqrt(mx[i]! * mx[i]! + my[i]! * my[i]!) / GEV;
    ws[k] = w[i]!;
    k += +(hasMet[i]! !== 0);
  }
  return k;
}

/** The selected jets' number per event (for n_jets), without missing ET. */
function jetCounts(c: Collection, keep: Uint8Array): Int32Array {
  const nj = reused(Int32Array, 'nJets', c.events);
  for (let s = 0; s < c.events; s += CHUNK) countRange(c.offsets, keep, nj, s, Math.min(c.events, s + CHUNK));
  return nj;
}

function countRange(o: Int32Array, keep: Uint8Array, nj: Int32Array, i0: number, i1: number): void {
  for (let i = i0; i < i1; i++) {
    let k = 0;
    for (let j = o[i]!, end = o[i + 1]!; j < end; j++) k += keep[j]!;
    nj[i] = k;
  }
}

/**
 * Missing ET: the selected electrons', muons' and jets' transverse momenta subtracted from the
 * soft-term sums, per event in that order (electrons, muons, jets, each in the order of the
 * objects); returns the selected jets' number per event (for n_jets). Every selected object's pT
 * and phi are first gathered without branches (about half the jets pass, in no predictable
 * order), then px and py formed in one loop by transverseMomenta: its cos and sin are within
 * 2^-52 of Math.cos and Math.sin, at about a fourth of their cost (the jets' trigonometry was a seventh
 * of the analysis, the leptons' a tenth of what remained). Missing ET moves by at most ~1e-13
 * relative (more than the 1e-16 of one term only where the sum cancels); no histogram count on
 * the bench files or fixtures moved. Pair masses take their own Math.cos and Math.sin (leptonPass).
 */
function metPass(el: Collection, keepE: Uint8Array, mu: Collection, keepM: Uint8Array, jet: Collection, keepJ: Uint8Array, mx: Float64Array, my: Float64Array): Int32Array {
  const events = jet.events;
  const nj = reused(Int32Array, 'nJets', events);
  const nAll = reused(Int32Array, 'nMet', events);
  const total = el.offsets[events]! + mu.offsets[events]! + jet.offsets[events]!;
  // One spare entry: the last object is written before the count decides whether it stays.
  const g: MetGather = {
    el, keepE, mu, keepM, jet, keepJ,
    pt: reused(Float64Array, 'metPt', total + 1),
    phi: reused(Float64Array, 'metPhi', total + 1),
    nj,
    nAll,
  };
  let k = 0;
  for (let s = 0; s < events; s += CHUNK) k = gatherMet(g, k, s, Math.min(events, s + CHUNK));
  const px = reused(Float64Array, 'metPx', k);
  const py = reused(Float64Array, 'metPy', k);
  transverseMomenta(g.pt, g.phi, k, px, py);
  let m = 0;
  for (let s = 0; s < events; s += CHUNK) m = subtractJets(nAll, px, py, mx, my, m, s, Math.min(events, s + CHUNK));
  return nj;
}

/** What gatherMet reads and writes. */
interface MetGather {
  el: Collection;
  keepE: Uint8Array;
  mu: Collection;
  keepM: Uint8Array;
  jet: Collection;
  keepJ: Uint8Array;
  pt: Float64Array;
  phi: Float64Array;
  /** Selected jets per event. */
  nj: Int32Array;
  /** Selected objects of the three kinds per event. */
  nAll: Int32Array;
}

/** The selected objects of events [i0, i1) appended from entry k on (returns the new end). */
function gatherMet(g: MetGather, k: number, i0: number, i1: number): number {
  const { keepE, keepM, keepJ, pt, phi, nj, nAll } = g;
  const eo = g.el.offsets;
  const mo = g.mu.offsets;
  const jo = g.jet.offsets;
  const ept = g.el.fields.pt!;
  const ephi = g.el.fields.phi!;
  const mpt = g.mu.fields.pt!;
  const mphi = g.mu.fields.phi!;
  const jpt = g.jet.fields.pt!;
  const jphi = g.jet.fields.phi!;
  for (let i = i0; i < i1; i++) {
    const start = k;
    for (let j = eo[i]!, end = eo[i + 1]!; j < end; j++) {
      pt[k] = ept[j]!;
      phi[k] = ephi[j]!;
      k += keepE[j]!;
    }
    for (let j = mo[i]!, end = mo[i + 1]!; j < end; j++) {
      pt[k] = mpt[j]!;
      phi[k] = mphi[j]!;
      k += keepM[j]!;
    }
    const jets = k;
    for (let j = jo[i]!, end = jo[i + 1]!; j < end; j++) {
      pt[k] = jpt[j]!;
      phi[k] = jphi[j]!;
      k += keepJ[j]!;
    }
    nj[i] = k - jets;
    nAll[i] = k - start;
  }
  return k;
}

/** Subtract the gathered objects' px and py (from entry m on, `n` per event) from the sums of events [i0, i1); returns the next entry. */
function subtractJets(n: Int32Array, px: Float64Array, py: Float64Array, mx: Float64Array, my: Float64Array, m: number, i0: number, i1: number): number {
  for (let i = i0; i < i1; i++) {
    const end = m + n[i]!;
    if (m === end) continue;
    let x = mx[i]!;
    let y = my[i]!;
    for (; m < end; m++) {
      x -= px[m]!;
      y -= py[m]!;
    }
    mx[i] = x;
    my[i] = y;
  }
  return m;
}

/** Nominal MC weight per event: the derived scalar column, else the first mcEventWeights entry, else 1 (data). */
function eventWeights(ev: Events, out: { note(t: string): void }): Float64Array {
  const w = f64('w', ev.rows);
  if (ev.has('weight') && !DataType.isList(ev.raw('weight').type)) {
    w.set(ev.scalar('weight'));
  } else if (ev.has('weight')) {
    const { offsets, values } = ev.jagged('weight');
    for (let i = 0; i < ev.rows; i++) w[i] = offsets[i + 1]! > offsets[i]! ? values[offsets[i]!]! : 0;
  } else {
    w.fill(1);
    out.note('no MC event weights: events weighted 1 (data)');
  }
  return w;
}

function jaggedCollection(ev: Events, by: string, fields: Record<string, string>, extra: Record<string, string> = {}): Collection {
  const offsets = ev.jagged(by).offsets;
  const out: Record<string, NumArray> = {};
  for (const [k, col] of Object.entries({ ...fields, ...extra })) out[k] = ev.jagged(col).values;
  return collection(offsets, out);
}

function electronMask(c: Collection, p: BuiltinParams): Uint8Array {
  const { pt, eta, id } = c.fields as Record<string, NumArray>;
  const keep = reused(Uint8Array, 'keepE', pt!.length);
  // Parameters as locals: a lookup on the params object per object costs more than the cut.
  const ptMin = p.electronPt * GEV;
  const etaMax = p.electronEta;
  const inCrack = p.electronCrackVeto ? 1 : 0;
  for (let s = 0; s < keep.length; s += CHUNK) electronCuts(pt!, eta!, id!, keep, s, Math.min(keep.length, s + CHUNK), ptMin, etaMax, inCrack);
  return keep;
}

/** Branch-free, as in jetCutsFlag. */
function electronCuts(pt: NumArray, eta: NumArray, id: NumArray, keep: Uint8Array, j0: number, j1: number, ptMin: number, etaMax: number, inCrack: number): void {
  for (let j = j0; j < j1; j++) {
    const a = Math.abs(eta[j]!);
    keep[j] = +(pt[j]! > ptMin) & +(a < etaMax) & (+(a <= 1.37) | +(a >= 1.52) | (inCrack ^ 1)) & +(id[j]! !== 0);
  }
}

function muonMask(c: Collection, p: BuiltinParams): Uint8Array {
  const { pt, eta, quality } = c.fields as Record<string, NumArray>;
  const keep = reused(Uint8Array, 'keepM', pt!.length);
  const ptMin = p.muonPt * GEV;
  const etaMax = p.muonEta;
  const qMax = p.muonQuality;
  for (let s = 0; s < keep.length; s += CHUNK) muonCuts(pt!, eta!, quality!, keep, s, Math.min(keep.length, s + CHUNK), ptMin, etaMax, qMax);
  return keep;
}

function muonCuts(pt: NumArray, eta: NumArray, quality: NumArray, keep: Uint8Array, j0: number, j1: number, ptMin: number, etaMax: number, qMax: number): void {
  for (let j = j0; j < j1; j++) keep[j] = pt[j]! > ptMin && Math.abs(eta[j]!) < etaMax && quality[j]! <= qMax ? 1 : 0;
}

function jetMask(c: Collection, p: BuiltinParams): Uint8Array {
  const { pt, eta, jvtpass: pass, jvtscore: score } = c.fields as Record<string, NumArray | undefined>;
  const keep = reused(Uint8Array, 'keepJ', pt!.length);
  const ptMin = p.jetPt * GEV;
  const etaMax = p.jetEta;
  const jvtEta = p.jvtEta;
  const n = keep.length;
  if (score && !pass) {
    for (let s = 0; s < n; s += CHUNK) jetCutsScore(pt!, eta!, score, keep, s, Math.min(n, s + CHUNK), ptMin, etaMax, p.jvtPtMax * GEV, jvtEta, p.jvtScore);
    return keep;
  }
  // Without a JVT column, a JVT region no jet is in (pT >= -Infinity): the kinematic cuts alone.
  const jvtPtMax = pass ? p.jvtPtMax * GEV : -Infinity;
  for (let s = 0; s < n; s += CHUNK) jetCutsFlag(pt!, eta!, pass ?? pt!, keep, s, Math.min(n, s + CHUNK), ptMin, etaMax, jvtPtMax, jvtEta);
  return keep;
}

/**
 * Without branches on the cuts (each as 0/1, combined with & and |): about half the jets pass
 * the pT cut, in no predictable order, and mispredicted branches cost more than the arithmetic.
 * A jet passes the kinematic cuts and, inside the JVT region (pT below jvtPtMax, |eta| below
 * jvtEta), the JVT cut: NNJvtPass set here, Jvt above jvtScore in jetCutsScore.
 */
function jetCutsFlag(pt: NumArray, eta: NumArray, pass: NumArray, keep: Uint8Array, j0: number, j1: number, ptMin: number, etaMax: number, jvtPtMax: number, jvtEta: number): void {
  for (let j = j0; j < j1; j++) {
    const ptj = pt[j]!;
    const a = Math.abs(eta[j]!);
    keep[j] = +(ptj > ptMin) & +(a < etaMax) & (+(ptj >= jvtPtMax) | +!(a < jvtEta) | +(pass[j]! !== 0));
  }
}

function jetCutsScore(pt: NumArray, eta: NumArray, score: NumArray, keep: Uint8Array, j0: number, j1: number, ptMin: number, etaMax: number, jvtPtMax: number, jvtEta: number, jvtScore: number): void {
  for (let j = j0; j < j1; j++) {
    const ptj = pt[j]!;
    const a = Math.abs(eta[j]!);
    keep[j] = +(ptj > ptMin) & +(a < etaMax) & (+(ptj >= jvtPtMax) | +!(a < jvtEta) | +(score[j]! > jvtScore));
  }
}

/**
 * NumTrkPt500 of the first (primary) vertex per jet, -1 when the jet has none: the conversion's
 * derived List<Int32> column as it is, or computed from the full List<List<Int32>> column.
 */
function primaryVertexTracks(ev: Events, jet: Collection): Int32Array {
  const d = ev.raw('jet_ntrk');
  const outer = d.valueOffsets as Int32Array;
  const base = outer[0]!;
  const n = jet.offsets[jet.events]!;
  const child = d.children[0]!;
  if (!DataType.isList(child.type)) return (child.values as Int32Array).subarray(base, base + n);
  const inner = child.valueOffsets as Int32Array;
  const values = child.children[0]!.values as Int32Array;
  const out = new Int32Array(n).fill(-1);
  for (let j = 0; j < out.length; j++) {
    const k = base + j;
    if (k < outer[ev.rows]! && inner[k + 1]! > inner[k]!) out[j] = values[inner[k]!]!;
  }
  return out;
}

/**
 * Per selected-or-not electron and muon, the identity of its ID track: the muon's
 * inDetTrackParticleLink, and for the electron the originalTrackParticle of its first GSF track
 * (for the electrons of events with a selected muon: the others are never compared).
 * Null when a column is missing (overlap removal then notes the skipped step). Unmatched links get sentinels that never compare equal.
 */
function trackIdentities(ev: Events, el: Collection, mu: Collection, keepM: Uint8Array) {
  if (!ev.has('el_tracks') || !ev.has('gsf_original') || !ev.has('mu_idtrack')) return null;
  const et = ev.jaggedJaggedStruct('el_tracks');
  const gsf = ev.jaggedStruct('gsf_original');
  const mt = ev.jaggedStruct('mu_idtrack');
  const nE = el.offsets[el.events]!;
  const nM = mu.offsets[mu.events]!;
  const eKey = reused(Uint32Array, 'eKey', nE).fill(0xffffffff);
  const eIdx = reused(Uint32Array, 'eIdx', nE).fill(0xfffffffe);
  const mKey = reused(Uint32Array, 'mKey', nM).fill(0xffffffff);
  const mIdx = reused(Uint32Array, 'mIdx', nM).fill(0xfffffffd);
  const links: TrackLinks = { el, mu, keepM, et, gsf, mt, eKey, eIdx, mKey, mIdx };
  for (let s = 0; s < ev.rows; s += CHUNK) trackRange(links, s, Math.min(ev.rows, s + CHUNK));
  return { electron: { key: eKey, index: eIdx }, muon: { key: mKey, index: mIdx } };
}

interface TrackLinks {
  el: Collection;
  mu: Collection;
  keepM: Uint8Array;
  et: { outer: Int32Array; inner: Int32Array; values: Record<string, NumArray> };
  gsf: { offsets: Int32Array; values: Record<string, NumArray> };
  mt: { offsets: Int32Array; values: Record<string, NumArray> };
  eKey: Uint32Array;
  eIdx: Uint32Array;
  mKey: Uint32Array;
  mIdx: Uint32Array;
}

/** trackIdentities for events [i0, i1). */
function trackRange(t: TrackLinks, i0: number, i1: number): void {
  const { el, mu, keepM, et, gsf, mt, eKey, eIdx, mKey, mIdx } = t;
  const gKey = gsf.values.m_persKey!;
  const gIdx = gsf.values.m_persIndex!;
  const eLinkIdx = et.values.m_persIndex!;
  const mtKey = mt.values.m_persKey!;
  const mtIdx = mt.values.m_persIndex!;
  for (let i = i0; i < i1; i++) {
    for (let m = 0; m < mu.offsets[i + 1]! - mu.offsets[i]!; m++) {
      const k = mt.offsets[i]! + m;
      mKey[mu.offsets[i]! + m] = mtKey[k]!;
      mIdx[mu.offsets[i]! + m] = mtIdx[k]!;
    }
    // Electrons are compared only with the selected muons of their event: without one, their
    // identities are never looked at (most events; muons are few).
    let selected = 0;
    for (let m = mu.offsets[i]!; m < mu.offsets[i + 1]!; m++) selected |= keepM[m]!;
    if (!selected) continue;
    const g0 = gsf.offsets[i]!;
    const g1 = gsf.offsets[i + 1]!;
    for (let e = 0; e < el.offsets[i + 1]! - el.offsets[i]!; e++) {
      const outerIdx = et.outer[i]! + e;
      const first = et.inner[outerIdx]!;
      if (et.inner[outerIdx + 1]! <= first) continue;
      const gi = g0 + eLinkIdx[first]!;
      if (gi >= g1) continue;
      eKey[el.offsets[i]! + e] = gKey[gi]!;
      eIdx[el.offsets[i]! + e] = gIdx[gi]!;
    }
  }
}
