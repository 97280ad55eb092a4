/**
 * Four-vector arithmetic in float64 over columnar objects (pt, eta, phi, mass; MeV as in the
 * files): rapidity, wrapped delta-phi, delta-R squared, pair invariant masses, and a cosine-sine
 * kernel for sums over many objects. Functions take flat arrays and absolute object indices so the
 * hot loops touch typed arrays only.
 */

import type { NumArray } from './collection.ts';
import { KERNEL_RANGE } from './kernel-range.ts';

const TWO_PI = 2 * Math.PI;

/** phi1 - phi2 wrapped into [-pi, pi). */
export function deltaPhi(phi1: number, phi2: number): number {
  let d = phi1 - phi2;
  if (d >= Math.PI || d < -Math.PI) d -= TWO_PI * Math.floor((d + Math.PI) / TWO_PI);
  return d;
}

/** Rapidity y = 0.5 ln((E + pz) / (E - pz)) of a particle with transverse momentum, pseudorapidity, mass. */
export function rapidity(pt: number, eta: number, m: number): number {
  const pz = pt * Math.sinh(eta);
  const e = Math.sqrt(pt * pt + pz * pz + m * m);
  return 0.5 * Math.log((e + pz) / (e - pz));
}

export function deltaR2(y1: number, phi1: number, y2: number, phi2: number): number {
  const dy = y1 - y2;
  const dp = deltaPhi(phi1, phi2);
  return dy * dy + dp * dp;
}

/** Invariant mass of two objects given (pt, eta, phi, m) each, in float64. */
export function pairMass(pt1: number, eta1: number, phi1: number, m1: number, pt2: number, eta2: number, phi2: number, m2: number): number {
  const px1 = pt1 * Math.cos(phi1);
  const py1 = pt1 * Math.sin(phi1);
  const pz1 = pt1 * Math.sinh(eta1);
  const e1 = Math.sqrt(px1 * px1 + py1 * py1 + pz1 * pz1 + m1 * m1);
  const px2 = pt2 * Math.cos(phi2);
  const py2 = pt2 * Math.sin(phi2);
  const pz2 = pt2 * Math.sinh(eta2);
  const e2 = Math.sqrt(px2 * px2 + py2 * py2 + pz2 * pz2 + m2 * m2);
  const e = e1 + e2;
  const px = px1 + px2;
  const py = py1 + py2;
  const pz = pz1 + pz2;
  const m2sum = e * e - px * px - py * py - pz * pz;
  return m2sum > 0 ? Math.sqrt(m2sum) : 0;
}

/** Cartesian four-momenta (px, py, pz, E; float64) of the objects of a collection. */
export interface FourMomenta {
  px: Float64Array;
  py: Float64Array;
  pz: Float64Array;
  e: Float64Array;
}

/**
 * The four-momenta of the objects whose mask entry is set (others 0), each component by the
 * same expressions as pairMass, so sums built from them equal pairMass's to the last bit. Computed
 * once per batch: pair masses and the missing-ET sum then take no trigonometry per use. `into`,
 * when given, receives them (arrays of at least the mask's length; a caller's reused scratch).
 * `longitudinal`, when given, limits pz and E to the objects whose entry is set there too (the
 * others get px and py only, pz = E = 0): a caller forming pair masses only in events with two
 * objects spares the sinh and the square root of the rest.
 */
export function fourMomenta(pt: NumArray, eta: NumArray, phi: NumArray, m: NumArray | number, mask: Uint8Array, into?: FourMomenta, longitudinal?: Uint8Array): FourMomenta {
  const n = mask.length;
  const out = into ? { px: into.px.subarray(0, n), py: into.py.subarray(0, n), pz: into.pz.subarray(0, n), e: into.e.subarray(0, n) } : { px: new Float64Array(n), py: new Float64Array(n), pz: new Float64Array(n), e: new Float64Array(n) };
  const { px, py, pz, e } = out;
  for (let j = 0; j < n; j++) {
    if (!mask[j]) {
      px[j] = py[j] = pz[j] = e[j] = 0;
      continue;
    }
    const p = pt[j]!;
    const f = phi[j]!;
    const mj = typeof m === 'number' ? m : m[j]!;
    const x = p * Math.cos(f);
    const y = p * Math.sin(f);
    px[j] = x;
    py[j] = y;
    if (longitudinal && !longitudinal[j]) {
      pz[j] = e[j] = 0;
      continue;
    }
    const z = p * Math.sinh(eta[j]!);
    pz[j] = z;
    e[j] = Math.sqrt(x * x + y * y + z * z + mj * mj);
  }
  return out;
}

/** Invariant mass of objects a and b from their four-momenta (as pairMass computes it). */
export function pairMassOf(p: FourMomenta, a: number, b: number): number {
  const e = p.e[a]! + p.e[b]!;
  const px = p.px[a]! + p.px[b]!;
  const py = p.py[a]! + p.py[b]!;
  const pz = p.pz[a]! + p.pz[b]!;
  const m2sum = e * e - px * px - py * py - pz * pz;
  return m2sum > 0 ? Math.sqrt(m2sum) : 0;
}

/** Table steps per turn: angles reduce to |r| <= pi / GRID around a multiple of 2 pi / GRID. */
const GRID = 256;
const TWO_PI_LO = 2.4492935982947064e-16; // 2 pi - (2 * Math.PI)
/** 2 pi / GRID in two parts: STEP_HI has 31 significant bits (q * STEP_HI is exact for |q| < 2^22), STEP_HI + STEP_LO within 1e-30 of it. */
const STEP_HI = (() => {
  const f = Float64Array.of(TWO_PI / GRID);
  new Uint32Array(f.buffer)[0]! &= 0xffc00000;
  return f[0]!;
})();
const STEP_LO = TWO_PI / GRID - STEP_HI + TWO_PI_LO / GRID;
const INV_STEP = GRID / TWO_PI;
/** 1.5 x 2^52: (t + ROUND) - ROUND is t rounded to an integer, without Math.round's checks. */
const ROUND = 6755399441055744;
/** Beyond this the reduction is not used (Math.cos and Math.sin take over); |q| stays below 2^22. */
const TRIG_LIMIT = 1e5;
// Taylor coefficients of sin r and cos r - 1 on |r| <= pi / 256: the first omitted terms, r^9/9! and
// r^10/10!, are below 1e-22 of r and 1e-25.
const S1 = -1 / 6;
const S2 = 1 / 120;
const S3 = -1 / 5040;
const C1 = -1 / 2;
const C2 = 1 / 24;
const C3 = -1 / 720;
const C4 = 1 / 40320;

/**
 * cos and sin of k 2 pi / GRID, each in two parts (the double nearest, then the rest: 106 bits in
 * all), per k: cos, sin, cos rest, sin rest. Formed once from Taylor series in 128-bit fixed point
 * (BigInt), not from Math.cos and Math.sin, whose last bit may be off: the kernel's only rounding
 * is then its own, about half a unit in the last place.
 */
const TABLE = (() => {
  const BITS = 128n;
  const ONE = 1n << BITS;
  // pi to 62 decimals, scaled.
  const PI = (314159265358979323846264338327950288419716939937510582097494459n << BITS) / 10n ** 62n;
  const t = new Float64Array(4 * GRID);
  const toParts = (v: bigint, at: number) => {
    const hi = Number(v) / 2 ** 128;
    // Zeros (sin 0, cos pi/2 ...) are exactly 0; elsewhere |hi| > 2^-8, so hi 2^128 is whole.
    if (Math.abs(hi) < 1e-30) return;
    t[at] = hi;
    t[at + 2] = Number(v - BigInt(hi * 2 ** 128)) / 2 ** 128;
  };
  for (let k = 0; k < GRID; k++) {
    const g = (2n * PI * BigInt(k)) / BigInt(GRID);
    const g2 = (g * g) >> BITS;
    let s = g;
    let c = ONE;
    let ts = g;
    let tc = ONE;
    for (let n = 1n; ts !== 0n || tc !== 0n; n++) {
      ts = -((ts * g2) >> BITS) / (2n * n * (2n * n + 1n));
      tc = -((tc * g2) >> BITS) / ((2n * n - 1n) * (2n * n));
      s += ts;
      c += tc;
    }
    toParts(c, 4 * k);
    toParts(s, 4 * k + 1);
  }
  return t;
})();

/**
 * px[i] = pt[i] cos(phi[i]) and py[i] = pt[i] sin(phi[i]) for i in [0, n), for sums over many
 * objects (missing ET): phi = q 2 pi / GRID + r with |r| <= pi / GRID, then cos and sin by the
 * angle sum from the table's (exact to 106 bits) and short series in r, one shared reduction, no
 * branches (angles come in no predictable order); in a loop of jets' angles about 0.6 of the time
 * of the quadrant reduction with degree-15 and -16 polynomials it replaced, itself a third of
 * Math.cos plus Math.sin. Not bit-identical to them: cos and sin are each within 2^-52 (2.2e-16) of Math's
 * (measured: at most 1.1e-16, one unit in the last place of a value between 1/2 and 1;
 * test/overlap.test.ts checks the bound), far below the rounding of a sum of momenta. Beyond
 * |phi| = 1e5, and for non-finite phi, Math.cos and Math.sin.
 */
export function transverseMomenta(pt: Float64Array, phi: Float64Array, n: number, px: Float64Array, py: Float64Array): void {
  // In ranges (see kernel-range.ts).
  for (let s = 0; s < n; s += KERNEL_RANGE) transverseRange(pt, phi, px, py, s, Math.min(n, s + KERNEL_RANGE));
}

function transverseRange(pt: Float64Array, phi: Float64Array, px: Float64Array, py: Float64Array, i0: number, i1: number): void {
  const T = TABLE;
  for (let i = i0; i < i1; i++) {
    const x = phi[i]!;
    const p = pt[i]!;
    if (!(Math.abs(x) <= TRIG_LIMIT)) {
      px[i] = p * Math.cos(x);
      py[i] = p * Math.sin(x);
      continue;
    }
    const q = x * INV_STEP + ROUND - ROUND;
    const r = x - q * STEP_HI - q * STEP_LO;
    const z = r * r;
    const sr = r + r * z * (S1 + z * (S2 + z * S3));
    const cm = z * (C1 + z * (C2 + z * (C3 + z * C4)));
    const k = (q & (GRID - 1)) << 2;
    const cg = T[k]!;
    const sg = T[k + 1]!;
    // cos(g + r) = cos g + (cos g (cos r - 1) - sin g sin r), the small parts summed first.
    px[i] = p * (cg + (T[k + 2]! + (cg * cm - sg * sr)));
    py[i] = p * (sg + (T[k + 3]! + (sg * cm + cg * sr)));
  }
}
