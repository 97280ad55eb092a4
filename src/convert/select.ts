/**
 * Branch selection for conversion: `--include` / `--exclude` globs over branch names (`*` any
 * characters, `?` one), and presets: checked-in lists of globs by name. The `analysis` preset holds
 * every branch the built-in analysis reads (electrons, muons, jets with b-tagging, photons, taus,
 * MET, EventInfo), for both release-21 and release-22+ names: about 10% of a PHYSLITE file's bytes.
 */
import { UsageError } from '../errors.ts';

export const PRESETS: Readonly<Record<string, readonly string[]>> = {
  analysis: [
    'EventInfoAux.runNumber',
    'EventInfoAux.eventNumber',
    'EventInfoAux.lumiBlock',
    'EventInfoAux.actualInteractionsPerCrossing',
    'EventInfoAux.averageInteractionsPerCrossing',
    'EventInfoAuxDyn.runNumber',
    'EventInfoAuxDyn.eventNumber',
    'EventInfoAuxDyn.lumiBlock',
    'EventInfoAuxDyn.mcChannelNumber',
    'EventInfoAuxDyn.RandomRunNumber',
    'EventInfoAuxDyn.actualInteractionsPerCrossing',
    'EventInfoAuxDyn.averageInteractionsPerCrossing',
    'EventInfoAuxDyn.PileupWeight_NOSYS',
    'EventInfoAuxDyn.mcEventWeights',
    'AnalysisElectronsAuxDyn.pt',
    'AnalysisElectronsAuxDyn.eta',
    'AnalysisElectronsAuxDyn.phi',
    'AnalysisElectronsAuxDyn.m',
    'AnalysisElectronsAuxDyn.charge',
    'AnalysisElectronsAuxDyn.DFCommonElectronsLH*',
    'AnalysisElectronsAuxDyn.topoetcone20',
    'AnalysisElectronsAuxDyn.ptvarcone*',
    'AnalysisElectronsAuxDyn.ptcone20*',
    'AnalysisElectronsAuxDyn.neflowisol20',
    // Track links for the electron-muon overlap removal (shared ID track).
    'AnalysisElectronsAuxDyn.trackParticleLinks',
    'GSFTrackParticlesAuxDyn.originalTrackParticle',
    'AnalysisMuonsAuxDyn.inDetTrackParticleLink',
    'AnalysisMuonsAuxDyn.pt',
    'AnalysisMuonsAuxDyn.eta',
    'AnalysisMuonsAuxDyn.phi',
    'AnalysisMuonsAuxDyn.charge',
    'AnalysisMuonsAuxDyn.quality',
    'AnalysisMuonsAuxDyn.muonType',
    'AnalysisMuonsAuxDyn.DFCommonGoodMuon',
    'AnalysisMuonsAuxDyn.DFCommonMuonPass*',
    'AnalysisMuonsAuxDyn.ptcone20',
    'AnalysisMuonsAuxDyn.ptvarcone30*',
    'AnalysisMuonsAuxDyn.topoetcone20',
    'AnalysisMuonsAuxDyn.neflowisol20',
    'AnalysisJetsAuxDyn.pt',
    'AnalysisJetsAuxDyn.eta',
    'AnalysisJetsAuxDyn.phi',
    'AnalysisJetsAuxDyn.m',
    'AnalysisJetsAuxDyn.Jvt',
    'AnalysisJetsAuxDyn.JvtRpt',
    'AnalysisJetsAuxDyn.NNJvtPass',
    'AnalysisJetsAuxDyn.DFCommonJets_fJvt',
    'AnalysisJetsAuxDyn.HadronConeExclTruthLabelID',
    'AnalysisJetsAuxDyn.NumTrkPt500',
    'AnalysisJetsAuxDyn.btaggingLink',
    'BTagging_AntiKt4EMPFlow*AuxDyn.DL1*_p?',
    'BTagging_AntiKt4EMPFlow*AuxDyn.GN2*_p?',
    'AnalysisPhotonsAuxDyn.pt',
    'AnalysisPhotonsAuxDyn.eta',
    'AnalysisPhotonsAuxDyn.phi',
    'AnalysisPhotonsAuxDyn.m',
    'AnalysisPhotonsAuxDyn.ptcone20',
    'AnalysisPhotonsAuxDyn.topoetcone20',
    'AnalysisPhotonsAuxDyn.topoetcone40',
    'AnalysisPhotonsAuxDyn.DFCommonPhotons*',
    'AnalysisTauJetsAuxDyn.pt',
    'AnalysisTauJetsAuxDyn.eta',
    'AnalysisTauJetsAuxDyn.phi',
    'AnalysisTauJetsAuxDyn.m',
    'AnalysisTauJetsAuxDyn.charge',
    'AnalysisTauJetsAuxDyn.RNNJetScoreSigTrans',
    'AnalysisTauJetsAuxDyn.JetDeepSet*',
    'AnalysisTauJetsAuxDyn.isTauFlags',
    'AnalysisTauJetsAuxDyn.PanTau_DecayMode',
    'MET_Core_AnalysisMETAuxDyn.mpx',
    'MET_Core_AnalysisMETAuxDyn.mpy',
    'MET_Core_AnalysisMETAuxDyn.sumet',
    'MET_Core_AnalysisMETAuxDyn.name',
    'MET_Core_AnalysisMETAuxDyn.source',
  ],
};

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export interface Selection {
  include?: readonly string[];
  exclude?: readonly string[];
  preset?: string;
}

/** A predicate over branch names (members of a selected split collection follow their parent). */
export function branchFilter(s: Selection): (name: string) => boolean {
  let include = [...(s.include ?? [])];
  if (s.preset !== undefined) {
    const preset = PRESETS[s.preset];
    if (!preset) throw new UsageError(`unknown preset "${s.preset}"; presets: ${Object.keys(PRESETS).join(', ')}`);
    include = include.concat(preset);
  }
  const inc = include.map(globToRegExp);
  const exc = (s.exclude ?? []).map(globToRegExp);
  // An RNTuple field (`AnalysisMuonsAuxDyn:pt`) also matches the globs written for TTree names.
  const any = (res: RegExp[], name: string): boolean => res.some((r) => r.test(name) || r.test(name.replace(/:/g, '.')));
  return (name) => (inc.length === 0 || any(inc, name)) && !any(exc, name);
}
