/**
 * A custom analysis (the README's example, and bench:analyze's comparison with DuckDB): the mass of
 * the two leading muons when they have opposite charge, from four columns, on log-log axes.
 * Run it with: physlite analyze PARQUET... --analysis scripts/analyses/dimuon-mass.ts
 */
import { defineAnalysis, pairMass } from '../../src/index.ts';

export default defineAnalysis({
  name: 'dimuon-mass',
  params: { muonMass: 105.658 },
  columns: () => ({
    pt: 'AnalysisMuonsAuxDyn_pt',
    eta: 'AnalysisMuonsAuxDyn_eta',
    phi: 'AnalysisMuonsAuxDyn_phi',
    charge: 'AnalysisMuonsAuxDyn_charge',
  }),
  histograms: () => ({
    mass: { axes: [{ type: 'log', bins: 600, lower: 0.25, upper: 150, label: 'm_{#mu#mu} [GeV]' }], storage: 'int', plot: { logx: true, logy: true } },
  }),
  process(events, out, p) {
    const { offsets, values: pt } = events.jagged('pt');
    const eta = events.jagged('eta').values;
    const phi = events.jagged('phi').values;
    const q = events.jagged('charge').values;
    const masses = new Float64Array(events.rows);
    let n = 0;
    for (let i = 0; i < events.rows; i++) {
      const a0 = offsets[i]!;
      const a1 = offsets[i + 1]!;
      if (a1 - a0 < 2) continue;
      // The two highest-pT muons (first one wins a tie).
      let l = a0;
      let s = -1;
      for (let j = a0 + 1; j < a1; j++) {
        if (pt[j]! > pt[l]!) {
          s = l;
          l = j;
        } else if (s < 0 || pt[j]! > pt[s]!) s = j;
      }
      if (q[l]! * q[s]! >= 0) continue;
      masses[n++] = pairMass(pt[l]!, eta[l]!, phi[l]!, p.muonMass, pt[s]!, eta[s]!, phi[s]!, p.muonMass) / 1000;
    }
    out.hist('mass').fill([masses], undefined, n);
  },
});
