/**
 * generateDimuon: SIMULATED events written with PHYSLITE branch names and types (energies in MeV,
 * as ATLAS writes them), for the demo and for tests at scale. Not ATLAS data.
 *
 * Each event has one opposite-charge muon pair whose invariant mass follows a falling continuum
 * plus the resonances omega/rho, phi, J/psi, psi(2S), Upsilon(1S, 2S, 3S) and Z at their masses
 * and widths (Breit-Wigner), produced with a pair transverse momentum and rapidity, decayed
 * isotropically and smeared with a detector-like muon momentum resolution (about 0.7%); the
 * mixture is chosen so that every resonance stands clearly above its sidebands. Electrons and jets
 * get plausible kinematics, identification flags and JVT; MET has the PHYSLITE MET_Core terms.
 */
import type { CompressionSetting } from '../compression/compress.ts';
import { UsageError } from '../../errors.ts';
import { gaussian, rng } from './generate-like.ts';
import { RootFileWriter } from './file-writer.ts';
import { TreeBuilder } from './tree-builder.ts';

const MUON_MASS = 105.658; // MeV

/** Resonances: name, mass and width in MeV, share of events. The rest is continuum. */
export const RESONANCES = [
  { name: 'rho/omega', mass: 782.7, width: 8.5, share: 0.08 },
  { name: 'phi', mass: 1019.46, width: 4.25, share: 0.07 },
  { name: 'J/psi', mass: 3096.9, width: 0.093, share: 0.12 },
  { name: 'psi(2S)', mass: 3686.1, width: 0.294, share: 0.04 },
  { name: 'Upsilon(1S)', mass: 9460.3, width: 0.054, share: 0.06 },
  { name: 'Upsilon(2S)', mass: 10023.3, width: 0.032, share: 0.03 },
  { name: 'Upsilon(3S)', mass: 10355.2, width: 0.02, share: 0.035 },
  { name: 'Z', mass: 91187.6, width: 2495.2, share: 0.2 },
] as const;

export interface GenerateDimuonOptions {
  events: number;
  out: string;
  compression: CompressionSetting;
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

interface Vec {
  px: number;
  py: number;
  pz: number;
  e: number;
}

export async function generateDimuon(o: GenerateDimuonOptions): Promise<{ events: number; bytes: number; seconds: number }> {
  if (!Number.isSafeInteger(o.events) || o.events < 0) throw new UsageError(`--events must be a whole number >= 0, got ${o.events}`);
  const t0 = performance.now();
  const rand = rng(o.seed ?? 42);
  const gauss = gaussian(rand);
  const expo = (mean: number): number => -mean * Math.log(1 - rand());
  const poisson = (mean: number): number => {
    let k = 0;
    let p = Math.exp(-mean);
    let s = p;
    const u = rand();
    while (u > s && k < 50) {
      k++;
      p *= mean / k;
      s += p;
    }
    return k;
  };

  /** The pair mass: a resonance (Breit-Wigner, truncated) or the continuum (falling as 1/m^2.5). */
  const pairMass = (): number => {
    let u = rand();
    for (const r of RESONANCES) {
      if (u < r.share) {
        for (;;) {
          const m = r.mass + (r.width / 2) * Math.tan(Math.PI * (rand() - 0.5));
          if (m > 2 * MUON_MASS + 1 && Math.abs(m - r.mass) < 20 * r.width + 50) return m;
        }
      }
      u -= r.share;
    }
    // Continuum from 0.3 to 150 GeV: inverse-CDF sampling of m^-2.5.
    const a = 300;
    const b = 150000;
    const k = -1.5;
    const lo = a ** k;
    const hi = b ** k;
    return (lo + rand() * (hi - lo)) ** (1 / k);
  };

  const boost = (p: Vec, bx: number, by: number, bz: number): Vec => {
    const b2 = bx * bx + by * by + bz * bz;
    if (b2 === 0) return p;
    const g = 1 / Math.sqrt(1 - b2);
    const bp = bx * p.px + by * p.py + bz * p.pz;
    const g2 = (g - 1) / b2;
    return { px: p.px + g2 * bp * bx + g * bx * p.e, py: p.py + g2 * bp * by + g * by * p.e, pz: p.pz + g2 * bp * bz + g * bz * p.e, e: g * (p.e + bp) };
  };

  const kin = (v: Vec): { pt: number; eta: number; phi: number } => {
    const pt = Math.hypot(v.px, v.py);
    const p = Math.hypot(pt, v.pz);
    return { pt, eta: 0.5 * Math.log((p + v.pz) / Math.max(p - v.pz, 1e-9)), phi: Math.atan2(v.py, v.px) };
  };

  const file = await RootFileWriter.create(o.out, o.compression, 'simulated dimuon events (physlite)');
  const tree = new TreeBuilder(file, 'CollectionTree', 'simulated PHYSLITE-like events (not ATLAS data)');
  try {
    tree.addColumn('EventInfoAuxDyn.runNumber', { kind: 'scalar', prim: 'u32' });
    tree.addColumn('EventInfoAuxDyn.eventNumber', { kind: 'scalar', prim: 'u64' });
    tree.addColumn('EventInfoAuxDyn.mcChannelNumber', { kind: 'scalar', prim: 'u32' });
    tree.addColumn('EventInfoAuxDyn.averageInteractionsPerCrossing', { kind: 'scalar', prim: 'f32' });
    tree.addColumn('EventInfoAuxDyn.mcEventWeights', { kind: 'vector', prim: 'f32' });
    for (const v of ['pt', 'eta', 'phi', 'charge', 'ptvarcone30', 'topoetcone20']) tree.addColumn(`AnalysisMuonsAuxDyn.${v}`, { kind: 'vector', prim: 'f32' });
    tree.addColumn('AnalysisMuonsAuxDyn.quality', { kind: 'vector', prim: 'u8' });
    tree.addColumn('AnalysisMuonsAuxDyn.muonType', { kind: 'vector', prim: 'u16' });
    tree.addColumn('AnalysisMuonsAuxDyn.DFCommonMuonPassPreselection', { kind: 'vector', prim: 'i8' });
    tree.addColumn('AnalysisMuonsAuxDyn.DFCommonMuonPassIDCuts', { kind: 'vector', prim: 'i8' });
    for (const v of ['pt', 'eta', 'phi', 'm', 'charge']) tree.addColumn(`AnalysisElectronsAuxDyn.${v}`, { kind: 'vector', prim: 'f32' });
    tree.addColumn('AnalysisElectronsAuxDyn.DFCommonElectronsLHMedium', { kind: 'vector', prim: 'i8' });
    tree.addColumn('AnalysisElectronsAuxDyn.DFCommonElectronsLHTight', { kind: 'vector', prim: 'i8' });
    for (const v of ['pt', 'eta', 'phi', 'm']) tree.addColumn(`AnalysisJetsAuxDyn.${v}`, { kind: 'vector', prim: 'f32' });
    tree.addColumn('AnalysisJetsAuxDyn.NNJvtPass', { kind: 'vector', prim: 'i8' });
    for (const v of ['mpx', 'mpy', 'sumet']) tree.addColumn(`MET_Core_AnalysisMETAuxDyn.${v}`, { kind: 'vector', prim: 'f32' });
    tree.addColumn('MET_Core_AnalysisMETAuxDyn.name', { kind: 'strings' });

    const base = BigInt(o.seed ?? 42) * 1_000_000_000n;
    for (let i = 0; i < o.events; i++) {
      // The muon pair.
      const m = pairMass();
      const ptPair = 8000 + expo(15000);
      const y = (rand() * 2 - 1) * 2.4;
      const phiPair = (rand() * 2 - 1) * Math.PI;
      const mt = Math.hypot(m, ptPair);
      const pair: Vec = { px: ptPair * Math.cos(phiPair), py: ptPair * Math.sin(phiPair), pz: mt * Math.sinh(y), e: mt * Math.cosh(y) };
      const pStar = Math.sqrt(Math.max(0, (m * m) / 4 - MUON_MASS * MUON_MASS));
      const cosT = rand() * 2 - 1;
      const sinT = Math.sqrt(1 - cosT * cosT);
      const phiStar = (rand() * 2 - 1) * Math.PI;
      const eStar = m / 2;
      const d = { px: pStar * sinT * Math.cos(phiStar), py: pStar * sinT * Math.sin(phiStar), pz: pStar * cosT };
      const bx = pair.px / pair.e;
      const by = pair.py / pair.e;
      const bz = pair.pz / pair.e;
      const mu = [boost({ ...d, e: eStar }, bx, by, bz), boost({ px: -d.px, py: -d.py, pz: -d.pz, e: eStar }, bx, by, bz)].map(kin);
      // Detector resolution: sigma(pT)/pT = 0.7% (+ 0.005% per GeV), angles nearly exact.
      for (const k of mu) {
        k.pt *= 1 + gauss() * (0.007 + 5e-8 * k.pt);
        k.eta += gauss() * 0.0005;
        k.phi += gauss() * 0.0005;
      }
      const q = rand() < 0.5 ? 1 : -1;
      // Electrons and jets.
      const ne = poisson(0.3);
      const electrons = Array.from({ length: ne }, () => ({ pt: 7000 + expo(20000), eta: (rand() * 2 - 1) * 2.47, phi: (rand() * 2 - 1) * Math.PI, q: rand() < 0.5 ? 1 : -1 }));
      const nj = poisson(2.5);
      const jets = Array.from({ length: nj }, () => ({ pt: 20000 + expo(35000), eta: (rand() * 2 - 1) * 4.5, phi: (rand() * 2 - 1) * Math.PI, m: 3000 + expo(5000) }));
      jets.sort((a, b) => b.pt - a.pt);
      const mpx = gauss() * 12000;
      const mpy = gauss() * 12000;
      await tree.fill({
        'EventInfoAuxDyn.runNumber': 410000 + Math.floor(i / 100000),
        'EventInfoAuxDyn.eventNumber': base + BigInt(i),
        'EventInfoAuxDyn.mcChannelNumber': 999001,
        'EventInfoAuxDyn.averageInteractionsPerCrossing': 20 + expo(15),
        'EventInfoAuxDyn.mcEventWeights': [1 + 0.1 * gauss(), 1 + 0.05 * gauss()],
        'AnalysisMuonsAuxDyn.pt': mu.map((k) => k.pt),
        'AnalysisMuonsAuxDyn.eta': mu.map((k) => k.eta),
        'AnalysisMuonsAuxDyn.phi': mu.map((k) => k.phi),
        'AnalysisMuonsAuxDyn.charge': [q, -q],
        'AnalysisMuonsAuxDyn.ptvarcone30': mu.map(() => expo(800)),
        'AnalysisMuonsAuxDyn.topoetcone20': mu.map(() => gauss() * 1500),
        'AnalysisMuonsAuxDyn.quality': mu.map(() => (rand() < 0.85 ? 1 : rand() < 0.6 ? 0 : 2)),
        'AnalysisMuonsAuxDyn.muonType': mu.map(() => 0),
        'AnalysisMuonsAuxDyn.DFCommonMuonPassPreselection': mu.map(() => (rand() < 0.95 ? 1 : 0)),
        'AnalysisMuonsAuxDyn.DFCommonMuonPassIDCuts': mu.map(() => (rand() < 0.97 ? 1 : 0)),
        'AnalysisElectronsAuxDyn.pt': electrons.map((e) => e.pt),
        'AnalysisElectronsAuxDyn.eta': electrons.map((e) => e.eta),
        'AnalysisElectronsAuxDyn.phi': electrons.map((e) => e.phi),
        'AnalysisElectronsAuxDyn.m': electrons.map(() => 0.511),
        'AnalysisElectronsAuxDyn.charge': electrons.map((e) => e.q),
        'AnalysisElectronsAuxDyn.DFCommonElectronsLHMedium': electrons.map(() => (rand() < 0.8 ? 1 : 0)),
        'AnalysisElectronsAuxDyn.DFCommonElectronsLHTight': electrons.map(() => (rand() < 0.6 ? 1 : 0)),
        'AnalysisJetsAuxDyn.pt': jets.map((j) => j.pt),
        'AnalysisJetsAuxDyn.eta': jets.map((j) => j.eta),
        'AnalysisJetsAuxDyn.phi': jets.map((j) => j.phi),
        'AnalysisJetsAuxDyn.m': jets.map((j) => j.m),
        'AnalysisJetsAuxDyn.NNJvtPass': jets.map((j) => (j.pt > 60000 || rand() < 0.9 ? 1 : 0)),
        'MET_Core_AnalysisMETAuxDyn.mpx': [mpx * 0.6, mpx * 0.4],
        'MET_Core_AnalysisMETAuxDyn.mpy': [mpy * 0.6, mpy * 0.4],
        'MET_Core_AnalysisMETAuxDyn.sumet': [100000 + expo(50000), 20000 + expo(20000)],
        'MET_Core_AnalysisMETAuxDyn.name': ['SoftClusCore', 'PVSoftTrkCore'],
      });
      if ((i + 1) % 1000 === 0 || i + 1 === o.events) o.onProgress?.(i + 1, o.events);
    }
    await tree.close();
    return { events: o.events, bytes: file.bytesWritten, seconds: (performance.now() - t0) / 1000 };
  } catch (err) {
    await file.abort();
    throw err;
  }
}
