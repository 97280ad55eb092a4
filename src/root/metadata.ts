/**
 * The analysis metadata of a PHYSLITE file, from its MetaData tree:
 * - every CutBookkeeper (per container: CutBookkeepers, IncompleteCutBookkeepers, the per-weight
 *   CutBookkeepers_weight_N of newer files, ...): name, cycle, input stream, number of accepted
 *   events and the sums of weights and of squared weights before skimming, which simulation
 *   analyses need for normalisation;
 * - the FileMetaData fields (AMI tag, geometry version, conditions tag, beam energy, simulation
 *   flavour, MC process ID, production release, data type, ...), whatever members the file has.
 * Values come from the Aux branches through the ordinary reader, so they are exact (64-bit counts
 * stay bigint).
 */
import { toValues, type JsValue } from '../arrow/values.ts';
import type { RootFile } from './file.ts';
import { TreeReader } from './tree/reader.ts';

export interface CutBookkeeper {
  container: string;
  name: string;
  cycle: number;
  stream: string;
  nAcceptedEvents: bigint;
  sumOfEventWeights: number;
  sumOfEventWeightsSquared: number;
  description?: string;
}

export interface FileMetadata {
  file: string;
  /** The MetaData tree read (`MetaData;2`), or null when the file has none. */
  metadataTree: string | null;
  cutBookkeepers: CutBookkeeper[];
  /** FileMetaData members by name (`amiTag`, `beamEnergy`, ...); null without a FileMetaData. */
  fileMetaData: Record<string, JsValue> | null;
}

const BOOKKEEPER_FIELDS = ['name', 'cycle', 'inputStream', 'nAcceptedEvents', 'sumOfEventWeights', 'sumOfEventWeightsSquared', 'description'] as const;

export async function readMetadata(file: RootFile, treeName = 'MetaData'): Promise<FileMetadata> {
  const keys = (await file.allKeys()).filter(({ path, key }) => !path && key.name === treeName && key.className === 'TTree');
  if (keys.length === 0) return { file: file.name, metadataTree: null, cutBookkeepers: [], fileMetaData: null };
  const key = keys.reduce((a, b) => (b.key.cycle > a.key.cycle ? b : a)).key;
  const reader = await TreeReader.open(file, `${key.name};${key.cycle}`);
  const readable = (name: string): boolean => {
    const b = reader.tree.byName.get(name);
    return !!b && reader.resolve(b).readable;
  };

  // Containers: every `XAux.` with the bookkeeping members.
  const containers = reader.tree.all
    .map((b) => /^(.*)Aux\.sumOfEventWeights$/.exec(b.name)?.[1])
    .filter((c): c is string => !!c && readable(`${c}Aux.name`));
  const names = containers.flatMap((c) => BOOKKEEPER_FIELDS.map((f) => `${c}Aux.${f}`).filter(readable));
  const fmdBranches = reader.tree.all
    .map((b) => b.name)
    .filter((n) => /^FileMetaDataAux(Dyn)?\.[^.:]+$/.test(n) && readable(n));
  const { columns } = await reader.arrays([...names, ...fmdBranches]);
  const entries = reader.tree.entries;

  const cutBookkeepers: CutBookkeeper[] = [];
  for (const c of containers) {
    const col = (f: string): JsValue[] | undefined => {
      const d = columns.get(`${c}Aux.${f}`);
      return d ? toValues(d) : undefined;
    };
    const [name, cycle, stream, nAcc, sumW, sumW2, desc] = BOOKKEEPER_FIELDS.map((f) => col(f));
    for (let e = 0; e < entries; e++) {
      const names = (name?.[e] ?? []) as string[];
      names.forEach((n, i) => {
        const at = <T>(v: JsValue[] | undefined, fallback: T): T => ((v?.[e] as JsValue[] | undefined)?.[i] as T) ?? fallback;
        const bk: CutBookkeeper = {
          container: c,
          name: n,
          cycle: Number(at(cycle, -1)),
          stream: at(stream, ''),
          nAcceptedEvents: BigInt(at<number | bigint>(nAcc, 0)),
          sumOfEventWeights: at(sumW, NaN),
          sumOfEventWeightsSquared: at(sumW2, NaN),
        };
        const d = at<string | undefined>(desc, undefined);
        if (d) bk.description = d;
        cutBookkeepers.push(bk);
      });
    }
  }

  let fileMetaData: Record<string, JsValue> | null = null;
  if (fmdBranches.length > 0 && entries > 0) {
    fileMetaData = {};
    for (const n of fmdBranches) {
      const member = n.slice(n.indexOf('.') + 1);
      fileMetaData[member] = toValues(columns.get(n)!)[0]!;
    }
  }
  return { file: file.name, metadataTree: `${key.name};${key.cycle}`, cutBookkeepers, fileMetaData };
}
