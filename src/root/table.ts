/**
 * Tables: what `dump` and `convert` read, whether the file stores it as a TTree or an RNTuple.
 * A TableReader lists its columns (top-level RNTuple fields, every TTree branch) with their C++
 * type, Arrow type or the reason they cannot be read, and why conversion leaves a readable one
 * out (DataVector element counts, split-collection members, empty records); it reads columns over
 * an entry range into Arrow Data and gives cluster ranges for bounded steps. `openTable` picks the
 * reader from the key's class; `defaultTable` is the table a command reads when none is named.
 */
import { DataType, type Struct } from 'apache-arrow';
import { InputError } from '../errors.ts';
import type { RootFile } from './file.ts';
import type { ChunkPool } from './interpret/builders.ts';
import { DataVectorDecoder } from './interpret/decoders.ts';
import { isAnchorClass } from './rntuple/descriptor.ts';
import { RNTupleReader } from './rntuple/reader.ts';
import { ROLE, type FieldRecord } from './rntuple/schema.ts';
import type { Branch } from './tree/model.ts';
import type { ByteRange } from './source/source.ts';
import { TreeReader, clusters, type ReadResult } from './tree/reader.ts';

export const TREE_CLASSES = new Set(['TTree', 'TNtuple', 'TNtupleD']);

export interface TableColumn {
  name: string;
  typeName: string;
  readable: boolean;
  /** Why the column cannot be read (when not readable). */
  reason?: string;
  /** The Arrow type of its values (when readable). */
  type?: DataType;
  /** Why conversion leaves this readable column out (its values are elsewhere too). */
  leaveOut?: string;
}

export interface TableRange {
  entryStart?: number;
  entryStop?: number;
  chunks?: ChunkPool;
}

export interface TableReader {
  readonly kind: 'TTree' | 'RNTuple';
  readonly name: string;
  readonly entries: number;
  /** Uncompressed payload bytes (baskets or pages) of the whole table. */
  readonly uncompressedBytes: number;
  /** Uncompressed payload bytes of the named columns (with their sub-branches / sub-fields). */
  uncompressedBytesOf(names: readonly string[]): number;
  columns(): TableColumn[];
  /** With `chunks`, a reader that supports it takes the columns' memory from the pool (see ReadResult.release). */
  arrays(names: readonly string[], range?: TableRange): Promise<ReadResult>;
  /** The byte ranges `arrays` would fetch, when the reader can tell in advance (for read-ahead). */
  byteRanges?(names: readonly string[], range: TableRange): ByteRange[];
  clusterRanges(): [number, number][];
}

const REDUNDANT = 'redundant: element counts (the list lengths of the Aux columns)';

function emptyStruct(t: DataType): boolean {
  return DataType.isStruct(t) && (t as Struct).children.length === 0;
}

class TreeTable implements TableReader {
  readonly kind = 'TTree';
  readonly reader: TreeReader;
  constructor(reader: TreeReader) {
    this.reader = reader;
  }
  get name(): string {
    return this.reader.tree.name;
  }
  get entries(): number {
    return this.reader.tree.entries;
  }
  get uncompressedBytes(): number {
    return this.reader.tree.totBytes;
  }
  uncompressedBytesOf(names: readonly string[]): number {
    const counted = new Set<Branch>();
    const add = (b: Branch): void => {
      if (counted.has(b)) return;
      counted.add(b);
      b.children.forEach(add);
    };
    for (const n of names) {
      const b = this.reader.tree.byName.get(n);
      if (b) add(b);
    }
    let total = 0;
    for (const b of counted) total += b.totBytes;
    return total;
  }
  columns(): TableColumn[] {
    const out: TableColumn[] = [];
    const seen = new Set<string>();
    for (const b of this.reader.tree.all) {
      if (seen.has(b.name)) continue;
      seen.add(b.name);
      const r = this.reader.resolve(b);
      if (!r.readable) {
        out.push({ name: b.name, typeName: b.typeName, readable: false, reason: r.reason });
        continue;
      }
      const c: TableColumn = { name: b.name, typeName: b.typeName, readable: true, type: r.interpretation.type };
      if (b.parent?.element?.type === 4) c.leaveOut = `part of ${b.parent.name}`;
      else if (r.interpretation.kind === 'basket' && r.interpretation.decoder instanceof DataVectorDecoder && DataType.isInt(r.interpretation.type)) c.leaveOut = REDUNDANT;
      else if (emptyStruct(r.interpretation.type)) c.leaveOut = 'no values: empty record';
      out.push(c);
    }
    return out;
  }
  arrays(names: readonly string[], range: TableRange = {}): Promise<ReadResult> {
    return this.reader.arrays(names, range);
  }
  byteRanges(names: readonly string[], range: TableRange): ByteRange[] {
    return this.reader.byteRanges(names, range);
  }
  clusterRanges(): [number, number][] {
    return clusters(this.reader.tree);
  }
}

class RNTupleTable implements TableReader {
  readonly kind = 'RNTuple';
  readonly reader: RNTupleReader;
  constructor(reader: RNTupleReader) {
    this.reader = reader;
  }
  get name(): string {
    return this.reader.ntuple.name;
  }
  get entries(): number {
    return this.reader.entries;
  }
  get uncompressedBytes(): number {
    return this.reader.pageBytes().uncompressed;
  }
  uncompressedBytesOf(names: readonly string[]): number {
    let total = 0;
    for (const n of new Set(names)) {
      const f = this.reader.fieldNamed(n);
      if (f) total += this.reader.pageBytes(f).uncompressed;
    }
    return total;
  }
  /** Top-level fields; split aux-store records (`XAux:`) as their member columns, as a TTree has them. */
  columns(): TableColumn[] {
    const column = (name: string, f: FieldRecord): TableColumn => {
      const r = this.reader.resolve(f);
      if (!r.readable) return { name, typeName: f.typeName, readable: false, reason: r.reason };
      const c: TableColumn = { name, typeName: f.typeName, readable: true, type: r.plan.type };
      if (r.plan.kind === 'count' && f.role === ROLE.collection) c.leaveOut = REDUNDANT;
      else if (emptyStruct(r.plan.type)) c.leaveOut = 'no values: empty record';
      return c;
    };
    return this.reader.ntuple.topLevel.flatMap((f) => {
      const top = column(f.name, f);
      const members = this.reader.splitMembers(f);
      if (!top.readable || members.length === 0) return [top];
      top.leaveOut = 'no values: split object; its members are separate columns';
      return [top, ...members.map((m) => column(m.name, m.field))];
    });
  }
  arrays(names: readonly string[], range: TableRange = {}): Promise<ReadResult> {
    // Memory from a chunk pool is not supported here: the result has no `release`.
    return this.reader.arrays(names, { entryStart: range.entryStart, entryStop: range.entryStop });
  }
  clusterRanges(): [number, number][] {
    return this.reader.clusterRanges();
  }
}

/** Open the TTree or RNTuple `name` ("name" or "name;cycle"; without a cycle the highest). */
export async function openTable(file: RootFile, name: string): Promise<TableReader> {
  const key = await file.findKey(name, (cls) => TREE_CLASSES.has(cls) || isAnchorClass(cls));
  const full = `${key.name};${key.cycle}`;
  if (isAnchorClass(key.className)) return new RNTupleTable(await RNTupleReader.open(file, full));
  return new TreeTable(await TreeReader.open(file, full));
}

/**
 * The table a command reads when none is named: CollectionTree, else the RNTuple EventData (an
 * RNTuple PHYSLITE file also holds MetaData TTrees), else the file's only TTree or RNTuple.
 */
export async function defaultTable(file: RootFile): Promise<string> {
  const top = (await file.allKeys()).filter((k) => !k.path);
  const trees = [...new Set(top.filter((k) => TREE_CLASSES.has(k.key.className)).map((k) => k.key.name))];
  const ntuples = [...new Set(top.filter((k) => isAnchorClass(k.key.className)).map((k) => k.key.name))];
  if (trees.includes('CollectionTree')) return 'CollectionTree';
  if (ntuples.includes('EventData')) return 'EventData';
  const all = [...trees, ...ntuples];
  if (all.length === 1) return all[0]!;
  throw new InputError(`no CollectionTree or EventData and ${all.length} trees (${all.join(', ')}): choose one with --tree`, { file: file.name });
}
