/** The conversion's derived columns (src/convert/derived.ts) computed independently, over plain values. */
export function expectedDerived(column: string, source: unknown[]): unknown[] {
  if (column === 'nominalMcEventWeight') return source.map((w) => Math.fround((w as number[])[0] ?? 0));
  if (column === 'AnalysisJets_NumTrkPt500PV') return source.map((jets) => (jets as number[][]).map((v) => v[0] ?? -1));
  throw new Error(`no expectation for derived column ${column}`);
}

