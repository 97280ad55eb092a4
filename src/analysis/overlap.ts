/**
 * Overlap removal between selected electrons, muons and jets, in the order of ATLAS
 * AssociationUtils' OverlapRemovalTool:
 *   1. electron-muon: remove the electron that shares its ID track with a muon (when the track-link
 *      columns are given; otherwise the step is skipped and the result says so);
 *   2. electron-jet: remove the jet within dR 0.2 of an electron, then the electron within dR 0.4
 *      (or the sliding cone min(0.4, 0.04 + 10 GeV / pT)) of a remaining jet;
 *   3. muon-jet: remove the jet within dR 0.2 of a muon unless the jet has at least 3 tracks (when
 *      the track count is given), then the muon within dR 0.4 (or sliding cone) of a remaining jet.
 * A pair overlaps when dR^2 <= cone^2 (float64). dR uses rapidity by default, pseudorapidity on
 * request. Inputs are collections with their selection masks (objects outside the mask take no
 * part); the result is a keep-mask per object.
 */
import type { Collection, NumArray } from './collection.ts';
import { deltaPhi, rapidity } from './kinematics.ts';

export interface OverlapObjects {
  coll: Collection;
  pt: NumArray;
  eta: NumArray;
  phi: NumArray;
  /** Mass per object, a constant, or null (rapidity then needs a mass: pseudorapidity is used). */
  m: NumArray | number | null;
  /** The selected objects (1) that take part; others are ignored and stay 0 in the result. */
  mask?: Uint8Array;
}

export interface OverlapOptions {
  /** dR from rapidity (default) or pseudorapidity. */
  useRapidity?: boolean;
  slidingCone?: boolean;
  /**
   * Track identity per electron and per muon for the electron-muon step: two numbers per object
   * (container key, index) that are equal when both use the same ID track.
   */
  electronTrack?: { key: Uint32Array; index: Uint32Array };
  muonTrack?: { key: Uint32Array; index: Uint32Array };
  /** Tracks per jet (NumTrkPt500 of the primary vertex) for the muon-jet step. */
  jetTracks?: NumArray;
  /** Update the given masks in place and return them (the caller's own scratch), not copies. */
  inPlace?: boolean;
}

export interface OverlapResult {
  electrons: Uint8Array;
  muons: Uint8Array;
  jets: Uint8Array;
  /** The steps that ran, and those skipped with why. */
  steps: { step: string; applied: boolean; reason?: string }[];
}

const JET_CONE2 = 0.2 * 0.2;
const LEPTON_CONE = 0.4;

let rapidities = new Float64Array(1024);

export function removeOverlaps(el: OverlapObjects, mu: OverlapObjects, jet: OverlapObjects, o: OverlapOptions = {}): OverlapResult {
  const useY = o.useRapidity ?? true;
  const keepOf = (x: OverlapObjects): Uint8Array => (x.mask ? (o.inPlace ? x.mask : x.mask.slice()) : new Uint8Array(x.pt.length).fill(1));
  const keepE = keepOf(el);
  const keepM = keepOf(mu);
  const keepJ = keepOf(jet);
  // Rapidities are computed only where a lepton and a jet meet in an event (NaN = not yet), in
  // one buffer kept from call to call (a call runs to the end and keeps none of it).
  const ne = el.pt.length;
  const nm = mu.pt.length;
  const nj = jet.pt.length;
  if (rapidities.length < ne + nm + nj) rapidities = new Float64Array(Math.max(ne + nm + nj, rapidities.length * 2));
  const ye = rapidities.subarray(0, ne).fill(NaN);
  const ym = rapidities.subarray(ne, ne + nm).fill(NaN);
  const yj = rapidities.subarray(ne + nm, ne + nm + nj).fill(NaN);
  const steps: OverlapResult['steps'] = [];
  const events = el.coll.events;

  // 1. electron-muon, shared ID track.
  if (o.electronTrack && o.muonTrack) {
    const et = o.electronTrack;
    const mt = o.muonTrack;
    for (let i = 0; i < events; i++) {
      for (let e = el.coll.offsets[i]!; e < el.coll.offsets[i + 1]!; e++) {
        if (!keepE[e]) continue;
        for (let m = mu.coll.offsets[i]!; m < mu.coll.offsets[i + 1]!; m++) {
          if (keepM[m] && et.key[e] === mt.key[m] && et.index[e] === mt.index[m]) {
            keepE[e] = 0;
            break;
          }
        }
      }
    }
    steps.push({ step: 'electron-muon (shared ID track)', applied: true });
  } else {
    steps.push({ step: 'electron-muon (shared ID track)', applied: false, reason: 'skipped: track-link columns (trackParticleLinks, originalTrackParticle, inDetTrackParticleLink) absent' });
  }

  // 2. electron-jet: jets near electrons go, then electrons near the remaining jets.
  leptonJet(events, side(el, ye, keepE, useY), side(jet, yj, keepJ, useY), undefined, o.slidingCone ?? false);
  steps.push({ step: 'electron-jet (jet dR<0.2, electron dR<0.4)', applied: true });
  // 3. muon-jet, the same with the track-count exception.
  leptonJet(events, side(mu, ym, keepM, useY), side(jet, yj, keepJ, useY), o.jetTracks, o.slidingCone ?? false);
  steps.push({
    step: 'muon-jet (jet dR<0.2 unless >=3 tracks, muon dR<0.4)',
    applied: true,
    ...(o.jetTracks ? {} : { reason: 'jet track counts absent: every jet within dR 0.2 of a muon is removed' }),
  });
  return { electrons: keepE, muons: keepM, jets: keepJ, steps };
}

/**
 * One side of a lepton-jet step as plain fields, so the pair loops below read typed arrays and
 * numbers only (no closures, no lookups through the caller's objects per pair).
 */
interface Side {
  offsets: Int32Array;
  pt: NumArray;
  eta: NumArray;
  phi: NumArray;
  /** Mass per object, or null with the constant in `mass`. */
  m: NumArray | null;
  mass: number;
  /** Pseudorapidity instead of rapidity (requested, or no mass). */
  useEta: boolean;
  /** Rapidity cache, NaN = not yet computed. */
  y: Float64Array;
  keep: Uint8Array;
}

function side(x: OverlapObjects, y: Float64Array, keep: Uint8Array, useY: boolean): Side {
  const m = x.m;
  return { offsets: x.coll.offsets, pt: x.pt, eta: x.eta, phi: x.phi, m: typeof m === 'number' || m === null ? null : m, mass: typeof m === 'number' ? m : 0, useEta: !useY || m === null, y, keep };
}

/** The object's rapidity (or pseudorapidity), computed on first use. */
function yOf(s: Side, j: number): number {
  let v = s.y[j]!;
  if (v !== v) v = s.y[j] = s.useEta ? s.eta[j]! : rapidity(s.pt[j]!, s.eta[j]!, s.m === null ? s.mass : s.m[j]!);
  return v;
}

/**
 * An upper bound on |eta - y| of an object: y = asinh(r sinh(eta)) with r = pt / mT, and asinh's
 * slope 1/sqrt(1 + z^2) between r sinh(eta) and sinh(eta) is at most 1/(r |sinh(eta)|), so
 * |eta - y| <= (1 - r) / r = mT/pt - 1 <= m^2 / (2 pt^2). NaN or Infinity when it says nothing
 * (pt not positive, |eta| 6 or more, where the float64 rapidity itself is less exact than the
 * margin below): the caller then computes the rapidities.
 */
function etaToY(s: Side, j: number): number {
  const pt = s.pt[j]!;
  const m = s.m === null ? s.mass : s.m[j]!;
  return pt > 0 && Math.abs(s.eta[j]!) < 6 ? (m * m) / (2 * pt * pt) : NaN;
}

/** Far beyond the float64 rounding of rapidities of |eta| < 6 (relative 1e-16 x sinh(6)^2 ~ 1e-11). */
const Y_MARGIN = 1e-7;
/** Far beyond the rounding of a sum of two squares below 1. */
const SUM_MARGIN = 1e-12;

/**
 * dR^2 <= cone2 for a pair whose delta-phi `dp` (formed as deltaPhi forms it) alone has not ruled
 * it out, the sum formed as deltaR2 forms it (the same order); rapidities computed on first use.
 * Before two rapidities are computed, their pseudorapidities with the bound of etaToY decide a
 * pair certainly outside the cone (dy^2 + dp^2 over cone2 for any rapidities within the bounds)
 * or certainly inside it (under cone2 for any; an electron and its own jet): the answer is the one
 * the rapidities give, at a fraction of their logarithms and sinh. Only pairs near the cone's
 * edge take the rapidities, so dR^2 <= cone^2 is decided as before there.
 */
function near(lep: Side, l: number, jet: Side, k: number, dp: number, cone2: number): boolean {
  if (!lep.useEta && !jet.useEta && (lep.y[l] !== lep.y[l] || jet.y[k] !== jet.y[k])) {
    const deta = Math.abs(lep.eta[l]! - jet.eta[k]!);
    const bound = etaToY(lep, l) + etaToY(jet, k) + Y_MARGIN;
    const lower = deta - bound;
    if (lower > 0 && lower * lower + dp * dp > cone2) return false;
    const upper = deta + bound;
    if (upper * upper + dp * dp <= cone2 - SUM_MARGIN) return true;
  }
  const dy = yOf(lep, l) - yOf(jet, k);
  return dy * dy + dp * dp <= cone2;
}

/** The event's selected leptons (index and phi), gathered once per event: most events have none or few. */
let keptIdx = new Int32Array(64);
let keptPhi = new Float64Array(64);

/**
 * Jets within dR 0.2 of a selected lepton go (unless they have >= 3 tracks, when counts are
 * given), then leptons within the lepton cone of a remaining jet.
 */
function leptonJet(events: number, lep: Side, jet: Side, tracks: NumArray | undefined, slidingCone: boolean): void {
  const lo = lep.offsets;
  const jo = jet.offsets;
  const keepL = lep.keep;
  const keepJet = jet.keep;
  const lpt = lep.pt;
  const lphi = lep.phi;
  const jphi = jet.phi;
  const PI = Math.PI;
  // Delta-phi alone rules most pairs out before any rapidity is computed; it is formed from the
  // float64 values of the phis as deltaPhi forms it (wrapped only when outside [-pi, pi)).
  for (let i = 0; i < events; i++) {
    const l0 = lo[i]!;
    const l1 = lo[i + 1]!;
    const j0 = jo[i]!;
    const j1 = jo[i + 1]!;
    if (l0 === l1 || j0 === j1) continue;
    if (keptIdx.length < l1 - l0) {
      keptIdx = new Int32Array(2 * (l1 - l0));
      keptPhi = new Float64Array(2 * (l1 - l0));
    }
    const kept = keptIdx;
    const kphi = keptPhi;
    let nk = 0;
    for (let l = l0; l < l1; l++) {
      if (!keepL[l]) continue;
      kept[nk] = l;
      kphi[nk++] = lphi[l]!;
    }
    if (nk === 0) continue;
    for (let k = j0; k < j1; k++) {
      if (!keepJet[k] || (tracks && tracks[k]! >= 3)) continue;
      const pj = jphi[k]!;
      for (let q = 0; q < nk; q++) {
        let dp = kphi[q]! - pj;
        if (dp >= PI || dp < -PI) dp = deltaPhi(kphi[q]!, pj);
        if (dp * dp <= JET_CONE2 && near(lep, kept[q]!, jet, k, dp, JET_CONE2)) {
          keepJet[k] = 0;
          break;
        }
      }
    }
    for (let q = 0; q < nk; q++) {
      const l = kept[q]!;
      const c = slidingCone ? Math.min(LEPTON_CONE, 0.04 + 10000 / lpt[l]!) : LEPTON_CONE;
      const c2 = c * c;
      const pl = kphi[q]!;
      for (let k = j0; k < j1; k++) {
        if (!keepJet[k]) continue;
        let dp = pl - jphi[k]!;
        if (dp >= PI || dp < -PI) dp = deltaPhi(pl, jphi[k]!);
        if (dp * dp <= c2 && near(lep, l, jet, k, dp, c2)) {
          keepL[l] = 0;
          break;
        }
      }
    }
  }
}
