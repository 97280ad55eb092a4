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
import { KERNEL_RANGE } from './kernel-range.ts';

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

export function removeOverlaps(el: OverlapObjects, mu: OverlapObjects, jet: OverlapObjects, o: OverlapOptions = {}): OverlapResult {
  const useY = o.useRapidity ?? true;
  const keepOf = (x: OverlapObjects): Uint8Array => (x.mask ? (o.inPlace ? x.mask : x.mask.slice()) : new Uint8Array(x.pt.length).fill(1));
  const keepE = keepOf(el);
  const keepM = keepOf(mu);
  const keepJ = keepOf(jet);
  const E = side(el, keepE, useY);
  const M = side(mu, keepM, useY);
  const J = side(jet, keepJ, useY);
  const steps: OverlapResult['steps'] = [];
  const events = el.coll.events;
  const tracks = o.jetTracks;
  const sliding = o.slidingCone ?? false;
  const et = o.electronTrack;
  const mt = o.muonTrack;
  // Every step compares objects of one event only, so the steps run event by event (all three
  // for an event, in their order, before the next): each event's objects are read once, and an
  // event without selected leptons costs a few comparisons. In calls of EVENT_CHUNK events (see
  // kernel-range.ts; half the usual range: an event holds several objects).
  const run: Run = { E, M, J, tracks, sliding, et, mt };
  for (let s = 0; s < events; s += EVENT_CHUNK) overlapEvents(run, s, Math.min(events, s + EVENT_CHUNK));

  if (et && mt) steps.push({ step: 'electron-muon (shared ID track)', applied: true });
  else steps.push({ step: 'electron-muon (shared ID track)', applied: false, reason: 'skipped: track-link columns (trackParticleLinks, originalTrackParticle, inDetTrackParticleLink) absent' });
  steps.push({ step: 'electron-jet (jet dR<0.2, electron dR<0.4)', applied: true });
  steps.push({
    step: 'muon-jet (jet dR<0.2 unless >=3 tracks, muon dR<0.4)',
    applied: true,
    ...(tracks ? {} : { reason: 'jet track counts absent: every jet within dR 0.2 of a muon is removed' }),
  });
  return { electrons: keepE, muons: keepM, jets: keepJ, steps };
}

const EVENT_CHUNK = KERNEL_RANGE / 2;

/** What the event loop works with. */
interface Run {
  E: Side;
  M: Side;
  J: Side;
  tracks: NumArray | undefined;
  sliding: boolean;
  et: { key: Uint32Array; index: Uint32Array } | undefined;
  mt: { key: Uint32Array; index: Uint32Array } | undefined;
}

function overlapEvents(r: Run, i0: number, i1: number): void {
  const { E, M, J, tracks, sliding, et, mt } = r;
  const eo = E.offsets;
  const mo = M.offsets;
  const jo = J.offsets;
  const keepE = E.keep;
  const keepM = M.keep;
  for (let i = i0; i < i1; i++) {
    const e0 = eo[i]!;
    const e1 = eo[i + 1]!;
    const m0 = mo[i]!;
    const m1 = mo[i + 1]!;
    // 1. electron-muon, shared ID track.
    if (et && mt && m1 > m0) {
      for (let e = e0; e < e1; e++) {
        if (!keepE[e]) continue;
        for (let m = m0; m < m1; m++) {
          if (keepM[m] && et.key[e] === mt.key[m] && et.index[e] === mt.index[m]) {
            keepE[e] = 0;
            break;
          }
        }
      }
    }
    const j0 = jo[i]!;
    const j1 = jo[i + 1]!;
    if (j0 === j1) continue;
    // 2. electron-jet: jets near electrons go, then electrons near the remaining jets.
    const nE = gather(E, e0, e1, sliding, 0);
    if (nE) leptonJet(E, 0, nE, J, j0, j1, undefined);
    // 3. muon-jet, the same with the track-count exception.
    if (m1 > m0) {
      const nM = gather(M, m0, m1, sliding, nE);
      if (nM) leptonJet(M, nE, nE + nM, J, j0, j1, tracks);
    }
  }
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
  keep: Uint8Array;
}

function side(x: OverlapObjects, keep: Uint8Array, useY: boolean): Side {
  const m = x.m;
  return { offsets: x.coll.offsets, pt: x.pt, eta: x.eta, phi: x.phi, m: typeof m === 'number' || m === null ? null : m, mass: typeof m === 'number' ? m : 0, useEta: !useY || m === null, keep };
}

/** The object's rapidity (or pseudorapidity). */
function yOf(s: Side, j: number): number {
  return s.useEta ? s.eta[j]! : rapidity(s.pt[j]!, s.eta[j]!, s.m === null ? s.mass : s.m[j]!);
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
 * The event being worked on, in slots: its selected leptons of both kinds (electrons first, then
 * muons; index, phi, squared lepton cone, and per jet the pair's delta-phi) and the jets of one
 * lepton-jet step that a lepton may be near (index). A lepton slot caches its object's rapidity
 * (NaN = not yet) and etaToY bound (computed on first use, `lepBounded`): most pairs never need
 * them, and a lepton's rapidity is computed at most once per step. A jet's are computed where
 * used, not cached: a candidate jet meets about one lepton, and its rapidity is needed by one
 * pair in a hundred (caches cleared per screened jet cost more than they saved). One object whose
 * arrays grow (never shrink) with the largest event seen.
 */
const slots = {
  lepIdx: new Int32Array(64),
  lepPhi: new Float64Array(64),
  lepCone2: new Float64Array(64),
  lepDphi: new Float64Array(64),
  lepY: new Float64Array(64),
  lepBound: new Float64Array(64),
  lepBounded: new Uint8Array(64),
  jetIdx: new Int32Array(64),
};

/**
 * dR^2 <= cone2 for the lepton of slot q and the jet of slot c, whose delta-phi `dp` (formed as
 * deltaPhi forms it) alone has not ruled them out; the sum formed as deltaR2 forms it (the same
 * order), the lepton's rapidity computed on first use. First the
 * pseudorapidities with the bounds of etaToY decide a pair certainly outside the cone (dy^2 +
 * dp^2 over cone2 for any rapidities within the bounds) or certainly inside it (under cone2 for
 * any; an electron and its own jet): the answer is the one the rapidities give, at a fraction of
 * their logarithms and sinh. Only pairs near the cone's edge take the rapidities, so dR^2 <=
 * cone^2 is decided as before there. A NaN bound decides nothing (every comparison with it is
 * false).
 */
function near(lep: Side, q: number, jet: Side, c: number, dp: number, cone2: number): boolean {
  const S = slots;
  const l = S.lepIdx[q]!;
  const k = S.jetIdx[c]!;
  let ly = S.lepY[q]!;
  if (!lep.useEta && !jet.useEta) {
    if (!S.lepBounded[q]) {
      S.lepBound[q] = etaToY(lep, l);
      S.lepBounded[q] = 1;
    }
    const deta = Math.abs(lep.eta[l]! - jet.eta[k]!);
    const bound = S.lepBound[q]! + etaToY(jet, k) + Y_MARGIN;
    const lower = deta - bound;
    if (lower > 0 && lower * lower + dp * dp > cone2) return false;
    const upper = deta + bound;
    if (upper * upper + dp * dp <= cone2 - SUM_MARGIN) return true;
  }
  if (ly !== ly) ly = S.lepY[q] = yOf(lep, l);
  const jy = yOf(jet, k);
  const dy = ly - jy;
  return dy * dy + dp * dp <= cone2;
}

/** Gather the selected leptons of [l0, l1) into the lepton slots from slot `at`; returns how many. */
function gather(s: Side, l0: number, l1: number, slidingCone: boolean, at: number): number {
  const S = slots;
  if (S.lepIdx.length < at + l1 - l0) {
    const n = 2 * (at + l1 - l0);
    const grow = <T extends Int32Array | Float64Array | Uint8Array>(a: T, b: T): T => {
      b.set(a.subarray(0, at));
      return b;
    };
    S.lepIdx = grow(S.lepIdx, new Int32Array(n));
    S.lepPhi = grow(S.lepPhi, new Float64Array(n));
    S.lepCone2 = grow(S.lepCone2, new Float64Array(n));
    S.lepY = grow(S.lepY, new Float64Array(n));
    S.lepBound = grow(S.lepBound, new Float64Array(n));
    S.lepBounded = grow(S.lepBounded, new Uint8Array(n));
    S.lepDphi = new Float64Array(n);
  }
  const idx = S.lepIdx;
  const lphi = S.lepPhi;
  const cone2 = S.lepCone2;
  const y = S.lepY;
  const bounded = S.lepBounded;
  const keep = s.keep;
  const phi = s.phi;
  const pt = s.pt;
  let n = at;
  for (let l = l0; l < l1; l++) {
    if (!keep[l]) continue;
    const c = slidingCone ? Math.min(LEPTON_CONE, 0.04 + 10000 / pt[l]!) : LEPTON_CONE;
    idx[n] = l;
    lphi[n] = phi[l]!;
    y[n] = NaN;
    bounded[n] = 0;
    cone2[n++] = c * c;
  }
  return n - at;
}

const TWO_PI = 2 * Math.PI;
/** Delta-phi differences of phis within [-pi, pi] (up to float32 rounding) stay well inside this. */
const WRAP_LIMIT = 3 * Math.PI;
/** Raw phi differences between these are, wrapped, above 0.6: outside every cone of 0.5 or less. */
const FAR_LOW = 0.6;
const FAR_HIGH = TWO_PI - 0.6;

/**
 * One event's lepton-jet step over its selected leptons (slots [q0, q1)) and its jets [j0, j1):
 * jets within dR 0.2 of a lepton go (unless they have >= 3 tracks, when counts are given), then
 * leptons within the lepton cone of a remaining jet.
 *
 * Whether a jet goes depends only on the jet and the leptons (none of which this step removes
 * while jets are removed), and a lepton goes when any remaining jet is within its cone, in
 * whatever order the jets are seen; a jet with no lepton within its cones takes no part at all.
 * So the jets are first screened without branches (selected, and a lepton within 0.6 in raw phi
 * difference: wrapped, every other pair is beyond 0.6, outside the cones of 0.2 and 0.4 and any
 * sliding cone; when a cone is above 0.5, possible only with a negative pT, every selected jet is
 * taken), and the few that pass are then decided, each jet that stays compared with the leptons
 * at once. About half the jets are selected and a lepton is near one in six, in no predictable
 * order: branches on either cost more than the arithmetic.
 * Delta-phi is formed as deltaPhi forms it, without its division: for |d| < 3 pi, deltaPhi's
 * floor((d + pi) / 2 pi) is 1 for d >= pi, -1 for d < -pi and 0 otherwise (rounding is monotonic
 * and 2 pi is the double 2 * PI), so d - 2 pi or d + 2 pi is deltaPhi's value to the bit; beyond
 * 3 pi, deltaPhi itself.
 */
function leptonJet(lep: Side, q0: number, q1: number, jet: Side, j0: number, j1: number, tracks: NumArray | undefined): void {
  const S = slots;
  if (S.jetIdx.length < j1 - j0) {
    const n = 2 * (j1 - j0);
    S.jetIdx = new Int32Array(n);
  }
  const keepL = lep.keep;
  const keepJet = jet.keep;
  const jphi = jet.phi;
  const lidx = S.lepIdx;
  const lphi = S.lepPhi;
  const lc2 = S.lepCone2;
  const ldp = S.lepDphi;
  const cand = S.jetIdx;
  let all = 0;
  for (let q = q0; q < q1; q++) if (!(lc2[q]! <= 0.25)) all = 1;
  let nc = 0;
  if (q1 - q0 === 1 && !all) {
    // One lepton (most events): no inner loop.
    const p = lphi[q0]!;
    for (let k = j0; k < j1; k++) {
      const a = Math.abs(p - jphi[k]!);
      cand[nc] = k;
      nc += (+(a < FAR_LOW) | +(a > FAR_HIGH)) & keepJet[k]!;
    }
  } else {
    for (let k = j0; k < j1; k++) {
      const pj = jphi[k]!;
      let close = all;
      for (let q = q0; q < q1; q++) {
        const a = Math.abs(lphi[q]! - pj);
        close |= +(a < FAR_LOW) | +(a > FAR_HIGH);
      }
      cand[nc] = k;
      nc += close & keepJet[k]!;
    }
  }
  const PI = Math.PI;
  let left = q1 - q0;
  for (let c = 0; c < nc; c++) {
    const k = cand[c]!;
    const pj = jphi[k]!;
    const removable = !tracks || tracks[k]! < 3;
    let gone = false;
    for (let q = q0; q < q1; q++) {
      let dp = lphi[q]! - pj;
      if (dp >= PI || dp < -PI) dp = Math.abs(dp) < WRAP_LIMIT ? (dp > 0 ? dp - TWO_PI : dp + TWO_PI) : deltaPhi(lphi[q]!, pj);
      ldp[q] = dp;
      if (removable && dp * dp <= JET_CONE2 && near(lep, q, jet, c, dp, JET_CONE2)) {
        gone = true;
        break;
      }
    }
    if (gone) {
      keepJet[k] = 0;
      continue;
    }
    if (left === 0) continue;
    for (let q = q0; q < q1; q++) {
      const l = lidx[q]!;
      if (!keepL[l]) continue;
      const dp = ldp[q]!;
      const c2 = lc2[q]!;
      if (dp * dp <= c2 && near(lep, q, jet, c, dp, c2)) {
        keepL[l] = 0;
        left--;
      }
    }
  }
}
