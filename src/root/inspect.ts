/**
 * inspectFile: what a ROOT file holds, as the stable JSON contract of `physlite inspect --json`:
 * the file (path, size, version, compression), every key, and for the highest cycle of each
 * TTree its entries and every branch (type, bytes, baskets, readable or the reason it is not).
 * RNTuples are listed the same way (`kind: "RNTuple"`): their top-level fields as branches, with
 * the bytes of all pages under the field and `baskets` counting those pages.
 */
import { RootFile } from './file.ts';
import { interpret } from './interpret/registry.ts';
import { loadTree } from './tree/load.ts';
import { isAnchorClass } from './rntuple/descriptor.ts';
import { RNTupleReader } from './rntuple/reader.ts';
import { TREE_CLASSES } from './table.ts';

export interface BranchReport {
  name: string;
  typeName: string;
  compressedBytes: number;
  uncompressedBytes: number;
  baskets: number;
  readable: boolean;
  reason?: string;
}

export interface TreeReport {
  name: string;
  cycle: number;
  kind: 'TTree' | 'RNTuple';
  entries: number;
  branches: BranchReport[];
}

export interface InspectReport {
  file: { path: string; size: number; version: number; compression: { setting: number; algorithm: string; level: number } };
  keys: { name: string; cycle: number; className: string }[];
  trees: TreeReport[];
}

export async function inspectFile(path: string): Promise<InspectReport> {
  const file = await RootFile.open(path);
  try {
    return await inspectRootFile(file);
  } finally {
    await file.close();
  }
}

export async function inspectRootFile(file: RootFile): Promise<InspectReport> {
  const all = await file.allKeys();
  const keys = all.map(({ path, key }) => ({ name: path ? `${path}/${key.name}` : key.name, cycle: key.cycle, className: key.className }));
  const highest = new Map<string, { name: string; cycle: number }>();
  for (const k of keys) {
    if (!TREE_CLASSES.has(k.className) && !isAnchorClass(k.className)) continue;
    const prev = highest.get(k.name);
    if (!prev || k.cycle > prev.cycle) highest.set(k.name, k);
  }
  const streamers = await file.streamers();
  const trees: TreeReport[] = [];
  for (const k of keys) {
    if (highest.get(k.name) !== k) continue;
    if (isAnchorClass(k.className)) {
      trees.push(await inspectRNTuple(file, `${k.name};${k.cycle}`));
      continue;
    }
    const tree = await loadTree(file, `${k.name};${k.cycle}`);
    trees.push({
      name: tree.name,
      cycle: tree.cycle,
      kind: 'TTree',
      entries: tree.entries,
      branches: tree.all.map((b) => {
        const r = interpret(b, { streamers });
        const report: BranchReport = {
          name: b.name,
          typeName: b.typeName,
          compressedBytes: b.zipBytes,
          uncompressedBytes: b.totBytes,
          baskets: b.baskets.length,
          readable: r.readable,
        };
        if (!r.readable) report.reason = r.reason;
        return report;
      }),
    });
  }
  return {
    file: { path: file.name, size: file.source.size, version: file.header.version, compression: file.compression() },
    keys,
    trees,
  };
}

async function inspectRNTuple(file: RootFile, name: string): Promise<TreeReport> {
  const reader = await RNTupleReader.open(file, name);
  const nt = reader.ntuple;
  return {
    name: nt.name,
    cycle: nt.cycle,
    kind: 'RNTuple',
    entries: nt.entries,
    branches: nt.topLevel.map((f) => {
      const r = reader.resolve(f);
      const bytes = reader.pageBytes(f);
      const report: BranchReport = {
        name: f.name,
        typeName: f.typeName,
        compressedBytes: bytes.compressed,
        uncompressedBytes: bytes.uncompressed,
        baskets: bytes.pages,
        readable: r.readable,
      };
      if (!r.readable) report.reason = r.reason;
      return report;
    }),
  };
}
