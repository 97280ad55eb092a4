/**
 * Derived columns: a few small columns the conversion computes from a branch it converts, because
 * nearly every analysis needs them and reading their source in full is the expensive part.
 * The source column is always written too; a derived column is written only when its source is
 * selected, carries field metadata `derived` saying how it was computed, and is listed in the
 * README. Each entry: the Parquet name, the source column (by its Parquet name, so TTree and
 * RNTuple inputs match), the Arrow type and the computation over one cluster's Arrow data.
 */
import { Data, DataType, Field, Float32, Int32, List, makeData, Type } from 'apache-arrow';

export interface DerivedColumn {
  name: string;
  source: string;
  type: DataType;
  description: string;
  /** Whether the source column's Arrow type is one the computation reads. */
  accepts(type: DataType): boolean;
  compute(source: Data): Data;
}

const isFloatList = (t: DataType): boolean => DataType.isList(t) && DataType.isFloat(t.children[0]!.type);
const isIntListList = (t: DataType): boolean => {
  if (!DataType.isList(t) || !DataType.isList(t.children[0]!.type)) return false;
  const leaf = t.children[0]!.type.children[0]!.type;
  return leaf.typeId === Type.Int && (leaf as Int32).bitWidth === 32 && (leaf as Int32).isSigned;
};

export const NOMINAL_WEIGHT = 'nominalMcEventWeight';

export const DERIVED_COLUMNS: readonly DerivedColumn[] = [
  {
    // The full weight vector (200-320 floats an event) is the largest column of a PHYSLITE file.
    name: NOMINAL_WEIGHT,
    source: 'EventInfoAuxDyn_mcEventWeights',
    type: new Float32(),
    description: 'first entry of EventInfoAuxDyn.mcEventWeights (0 when empty)',
    accepts: isFloatList,
    compute: firstOfEachList,
  },
  {
    // Overlap removal keeps a jet near a muon when it has >= 3 tracks from the primary vertex;
    // NumTrkPt500 holds one count per jet per vertex (about 25 vertices an event), a tenth of
    // the bytes an analysis otherwise needs, for the one count it uses.
    name: 'AnalysisJets_NumTrkPt500PV',
    source: 'AnalysisJetsAuxDyn_NumTrkPt500',
    type: new List(new Field('item', new Int32(), false)),
    description: 'per jet, the first entry of AnalysisJetsAuxDyn.NumTrkPt500 (the primary vertex, first in PrimaryVertices); -1 when the jet has none',
    accepts: isIntListList,
    compute: firstOfEachInnerList,
  },
];

/** Derived columns whose source is among `columns` (Parquet name -> Arrow type) with a type they read, and whose name is free. */
export function derivedFor(columns: ReadonlyMap<string, DataType>): DerivedColumn[] {
  return DERIVED_COLUMNS.filter((d) => {
    const t = columns.get(d.source);
    return t !== undefined && d.accepts(t) && !columns.has(d.name);
  });
}

export function derivedField(d: DerivedColumn): Field {
  return new Field(d.name, d.type, false, new Map([['derived', d.description]]));
}

/**
 * The first value of every entry as float32 (0 when an entry has none). Arrow JS slices a list's
 * `valueOffsets` with the list (they point straight into the unsliced child), so no `offset` is added.
 */
function firstOfEachList(lists: Data): Data {
  const offsets = lists.valueOffsets as Int32Array;
  const values = lists.children[0]!.values as Float32Array | Float64Array;
  const out = new Float32Array(lists.length);
  for (let i = 0; i < lists.length; i++) {
    const s = offsets[i]!;
    out[i] = offsets[i + 1]! > s ? values[s]! : 0;
  }
  return makeData({ type: new Float32(), data: out, length: out.length, nullCount: 0 });
}

/** List<List<int>> -> List<Int32>: per outer element the first inner value, -1 when the inner list is empty. */
function firstOfEachInnerList(lists: Data): Data {
  const outer = lists.valueOffsets as Int32Array;
  const innerData = lists.children[0]!;
  const inner = innerData.valueOffsets as Int32Array;
  const values = innerData.children[0]!.values as Int32Array;
  const first = outer[0]!;
  const last = outer[lists.length]!;
  const out = new Int32Array(last - first);
  for (let j = first; j < last; j++) {
    const s = inner[j]!;
    out[j - first] = inner[j + 1]! > s ? values[s]! : -1;
  }
  const offsets = new Int32Array(lists.length + 1);
  for (let i = 0; i <= lists.length; i++) offsets[i] = outer[i]! - first;
  const child = makeData({ type: new Int32(), data: out, length: out.length, nullCount: 0 });
  return makeData({ type: new List(new Field('item', new Int32(), false)), valueOffsets: offsets, length: lists.length, nullCount: 0, child });
}
