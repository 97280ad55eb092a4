/**
 * convertFile: one ROOT file's tree to one Parquet file, row group by row group (whole ROOT clusters
 * combined up to a target, layout.ts), each written in passes over a few columns at a time, so
 * memory stays about one pass (PASS_BYTES of decoded columns) whatever the row-group size.
 * The tree is a TTree or an RNTuple, read through the table seam (src/root/table.ts).
 * Columns: every branch with values, named by the column rule (parquet/naming.ts), typed as the
 * reader's Arrow types; left out, with the reason recorded in the file: DataVector interface
 * branches ("redundant": the element counts are the list lengths of the Aux columns), members of
 * split collections (they are the fields of their collection's column) and records without values.
 * Derived columns (derived.ts): `nominalMcEventWeight`, `AnalysisJets_NumTrkPt500PV`.
 * The output is written to a temporary file and verified there (rows, and per leaf column the number
 * of values and empty-list entries, against the Parquet footer); the output store then publishes it
 * (renamed into a directory, or uploaded and checked on Cloud Storage). The input is a path or any
 * ByteSource (then owned and closed here), named by its identity (never a URL's query string).
 */
import { basename } from 'node:path';
import { Data, DataType, Field, type FixedSizeList, List, makeData, Schema, Struct } from 'apache-arrow';
import { InputError } from '../errors.ts';
import { RootFile } from '../root/file.ts';
import { ChunkPool } from '../root/interpret/builders.ts';
import { readMetadata } from '../root/metadata.ts';
import { defaultTable, openTable } from '../root/table.ts';
import { columnNames } from '../parquet/naming.ts';
import { branchFilter, type Selection } from './select.ts';
import { ParquetFileWriter } from '../parquet/write/file-writer.ts';
import { PASS_BYTES, clusterRuns, passRanges, rowGroupRanges } from './layout.ts';
import { derivedField, derivedFor } from './derived.ts';
import { readFooterSummary } from '../parquet/footer.ts';
import type { ByteSource } from '../root/source/source.ts';
import { ReadAheadSource } from '../root/source/read-ahead.ts';
import { openStore, type OutputStore } from '../storage/store.ts';
import '../storage/local.ts';

export const CONVERTER_VERSION = '0.1.0';
export { NOMINAL_WEIGHT } from './derived.ts';

export interface ConvertOptions {
  tree?: string;
  /** The output location: a directory, or any store's URL (gs://bucket/prefix). */
  outDir: string;
  /** Replace an existing output. */
  force?: boolean;
  compression?: 'ZSTD' | 'SNAPPY' | 'UNCOMPRESSED';
  /** Target uncompressed bytes of a row group (whole clusters are combined up to it). */
  rowGroupBytes?: number;
  /** Or a row count per row group (takes precedence over rowGroupBytes). */
  rowGroupRows?: number;
  /** Decoded bytes read and written per pass over a row group's columns (layout.ts PASS_BYTES). */
  passBytes?: number;
  /** Fetch a remote input's next read during the current one (default true; benchmarks turn it off). */
  readAhead?: boolean;
  /** Which branches to convert (all with values by default). */
  selection?: Selection;
}

export interface ConvertResult {
  input: string;
  output: string;
  entries: number;
  columns: number;
  leftOut: { branch: string; reason: string }[];
  bytesIn: number;
  bytesOut: number;
  /** The tree's uncompressed basket bytes (fTotBytes): the payload the conversion decoded. */
  uncompressedBytes: number;
  /** CRC32C of the output (base64, as GCS reports it). */
  crc32c?: string;
  /** The output was already there, identical (written by another attempt). */
  alreadyThere?: boolean;
}

/** Where the input comes from and where the output goes, when not a local path and directory. */
export interface ConvertIO {
  /** The input's identity (path, URL without query string, or Rucio scope:name): names the output and is recorded in it. */
  identity?: string;
  store?: OutputStore;
}

/** A deterministic output name from the input's identity (its file name, or Rucio name, and size). */
export function outputName(input: string, size: number): string {
  const base = basename(input.replace(/[?#].*$/, '')).replace(/\.root(\.\d+)?$/, '').replace(/[^A-Za-z0-9._-]/g, '_');
  return `${base}.${size}.parquet`;
}

export async function convertFile(input: string | ByteSource, o: ConvertOptions, io: ConvertIO = {}): Promise<ConvertResult> {
  const identity = io.identity ?? (typeof input === 'string' ? input : input.name);
  const store = io.store ?? openStore(o.outDir);
  // A store made here (library use) is prepared here: the directory exists, stale temporaries go.
  if (!io.store) await store.prepare();
  // A remote input (no synchronous reads) fetches each read's baskets while the one before is
  // decoded: a conversion's reads are planned before any is made.
  const fetchAhead = typeof input !== 'string' && !input.readSync && o.readAhead !== false;
  const ahead = input instanceof ReadAheadSource ? input : fetchAhead ? new ReadAheadSource(input) : undefined;
  // A source handed in is this function's to close, also when it is not a ROOT file.
  const file = await RootFile.open(ahead ?? input).catch(async (err: unknown) => {
    if (typeof input !== 'string') await input.close().catch(() => undefined);
    throw err;
  });
  try {
    const treeName = o.tree ?? (await defaultTable(file));
    const table = await openTable(file, treeName);
    const leftOut: { branch: string; reason: string }[] = [];
    const selected: string[] = [];
    const wanted = branchFilter(o.selection ?? {});
    const byName = new Map(table.columns().map((c) => [c.name, c]));
    for (const c of byName.values()) {
      if (!wanted(c.name)) continue; // not selected: not a conversion loss, so not listed
      if (!c.readable) leftOut.push({ branch: c.name, reason: c.reason! });
      else if (c.leaveOut) leftOut.push({ branch: c.name, reason: c.leaveOut });
      else selected.push(c.name);
    }
    // Parquet cannot store a struct without fields: drop such records inside other types too.
    const pruned = new Map<string, DataType>();
    for (const b of [...selected]) {
      const dropped: string[] = [];
      const type = pruneType(byName.get(b)!.type!, b, dropped);
      for (const d of dropped) leftOut.push({ branch: d, reason: 'no values: empty record inside a column' });
      if (!type) selected.splice(selected.indexOf(b), 1);
      else pruned.set(b, type);
    }
    const names = columnNames(selected, file.name);
    // Derived columns find their source by Parquet name: `EventInfoAuxDyn.mcEventWeights` (TTree)
    // and `EventInfoAuxDyn:mcEventWeights` (RNTuple) alike.
    const branchOfColumn = new Map(selected.map((b) => [names.get(b)!, b]));
    const derived = derivedFor(new Map(selected.map((b) => [names.get(b)!, pruned.get(b)!])));
    const fields = selected.map((b) => {
      const type = pruned.get(b)!;
      return new Field(names.get(b)!, type, false, new Map([['root.branch', b], ['root.type', byName.get(b)!.typeName]]));
    });
    for (const d of derived) fields.push(derivedField(d));
    const schema = new Schema(fields);

    // The row-group target counts the columns written: a selection (--preset analysis holds about a
    // tenth of the bytes) gets row groups of proportionally more events, not the full tree's.
    const perEntry = (names: readonly string[]): number => table.uncompressedBytesOf(names) / Math.max(1, table.entries);
    const clusters = table.clusterRanges();
    const groups = rowGroupRanges(clusters, table.entries, perEntry(selected), { bytes: o.rowGroupBytes, rows: o.rowGroupRows });
    const rowGroupRows = o.rowGroupRows ?? Math.max(1, ...groups.map(([a, z]) => z - a));
    // Derived columns (last in the schema) cost what reading their source costs.
    const sourceOf = (i: number): string => (i < selected.length ? selected[i]! : branchOfColumn.get(derived[i - selected.length]!.source)!);
    const columnBytes = fields.map((_, i) => perEntry([sourceOf(i)]));
    const passBytes = o.passBytes ?? PASS_BYTES;

    // What the written file must hold, per leaf column: rows, and the number of Parquet level
    // entries (values plus one per empty list), counted from the Arrow data as it goes out.
    const expectedLevels = new Map<string, number>();
    const count = (data: Data, path: string): void => {
      for (const [leaf, n] of leafLevels(data, path)) expectedLevels.set(leaf, (expectedLevels.get(leaf) ?? 0) + n);
    };

    // Field i's values from a read holding its source branch.
    const columnOf = (i: number, columns: Map<string, Data>): Data => {
      const data = i < selected.length ? pruneData(columns.get(selected[i]!)!, pruned.get(selected[i]!)!) : derived[i - selected.length]!.compute(columns.get(sourceOf(i))!);
      count(data, fields[i]!.name);
      return data;
    };
    // Each read's columns take their memory from a pool and give it back once written, so the
    // next read reuses it (see ChunkPool). Passes differ in size, so free buffers that do not fit
    // pile up: the pool keeps one pass's worth (measured on the 2 GB file: 438 MiB peak against
    // 493 MiB keeping two passes' worth and 537 MiB keeping 256 MiB, at about the same speed).
    const chunks = new ChunkPool(passBytes);
    const read = async (branches: string[], start: number, stop: number, use: (columns: Map<string, Data>) => void | Promise<void>): Promise<void> => {
      const { columns, release } = await table.arrays(branches, { entryStart: start, entryStop: stop, chunks });
      try {
        await use(columns);
      } finally {
        release?.();
      }
    };
    // The reads, planned first: per row group, its passes, a large column's pieces one read each.
    const steps: Step[] = [];
    groups.forEach(([start, stop], group) => {
      for (const [first, end] of passRanges(columnBytes, stop - start, passBytes)) {
        if (end - first === 1 && columnBytes[first]! * (stop - start) > passBytes) {
          // One column larger than a pass: read and written a few clusters at a time.
          for (const [a, z] of clusterRuns(clusters, start, stop, columnBytes[first]!, passBytes)) steps.push({ group, first, end, start: a, stop: z, piece: true });
        } else steps.push({ group, first, end, start, stop, piece: false });
      }
    });
    const branchesOf = (s: Step): string[] => [...new Set(Array.from({ length: s.end - s.first }, (_, k) => sourceOf(s.first + k)))];
    const write = async (writer: ParquetFileWriter): Promise<void> => {
      let column: ReturnType<ParquetFileWriter['columnInPieces']> | undefined;
      for (let k = 0; k < steps.length; k++) {
        const s = steps[k]!;
        const next = steps[k + 1];
        const [start, stop] = groups[s.group]!;
        if (k === 0 || steps[k - 1]!.group !== s.group) writer.beginRowGroup(stop - start);
        // A remote input fetches the next read's baskets while this one is decoded and written.
        if (next && ahead && table.byteRanges) ahead.prefetch(table.byteRanges(branchesOf(next), { entryStart: next.start, entryStop: next.stop }));
        if (s.piece) {
          column ??= writer.columnInPieces(s.first);
          await read(branchesOf(s), s.start, s.stop, (columns) => column!.add(columnOf(s.first, columns)));
          if (!next || !next.piece || next.first !== s.first || next.group !== s.group) {
            column.end();
            column = undefined;
          }
        } else {
          await read(branchesOf(s), s.start, s.stop, async (columns) => {
            for (let i = s.first; i < s.end; i++) {
              writer.writeColumns(i, [[columnOf(i, columns)]]);
              // Encoding a pass takes hundreds of milliseconds of this thread: between columns the
              // read-ahead's responses are taken in and its next requests sent (measured with 150 ms
              // per answer: without this, prefetching hid almost none of the latency).
              if (ahead) await new Promise(setImmediate);
            }
          });
        }
        if (!next || next.group !== s.group) writer.endRowGroup();
      }
    };

    const bookkeeping = await readMetadata(file).catch(() => null);
    const size = file.source.size;
    const name = outputName(identity, size);
    const output = store.where(name);
    // One key-value entry holding a JSON document (one key to look up; its layout is the same as
    // in files written before the project had its own Parquet writer).
    const info: Record<string, unknown> = {
      converter: CONVERTER_VERSION,
      source: identity,
      sourceSize: size,
      tree: treeName,
      entries: table.entries,
      options: { compression: o.compression ?? 'ZSTD', rowGroupRows, selection: o.selection ?? {} },
      columnRule: "the branch name with '.' and ':' replaced by '_'",
      leftOut,
    };
    if (bookkeeping?.metadataTree) info.bookkeeping = bookkeeping;
    const metadata: Record<string, string> = { physlite: JSON.stringify(info, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) };
    // The store publishes the output only after it was written and verified here.
    const stored = await store.put(
      name,
      async (tmp) => {
        const writer = new ParquetFileWriter(tmp, schema, { compression: o.compression ?? 'ZSTD', metadata });
        try {
          await write(writer);
          writer.close();
        } catch (err) {
          writer.abort();
          throw err;
        }
        await verify(tmp, table.entries, output, expectedLevels);
      },
      { force: o.force, metadata: { 'physlite-source': identity, 'physlite-source-size': String(size), 'physlite-entries': String(table.entries) } },
    );
    return {
      input: identity,
      output: stored.location,
      entries: table.entries,
      columns: fields.length,
      leftOut,
      bytesIn: size,
      bytesOut: stored.size,
      uncompressedBytes: table.uncompressedBytes,
      crc32c: stored.crc32c,
      alreadyThere: stored.alreadyThere,
    };
  } finally {
    await file.close();
  }
}

/** The type without struct fields that hold nothing (recursively); null when nothing is left. */
function pruneType(t: DataType, path: string, dropped: string[]): DataType | null {
  if (DataType.isStruct(t)) {
    const kept = (t as Struct).children
      .map((f) => {
        const inner = pruneType(f.type, `${path}.${f.name}`, dropped);
        return inner ? new Field(f.name, inner, f.nullable, f.metadata) : null;
      })
      .filter((f): f is Field => f !== null);
    if (kept.length === 0) {
      dropped.push(path);
      return null;
    }
    return kept.length === (t as Struct).children.length && kept.every((f, i) => f.type === (t as Struct).children[i]!.type) ? t : new Struct(kept);
  }
  if (DataType.isList(t)) {
    const child = (t as List).children[0]!;
    const inner = pruneType(child.type, path, dropped);
    if (!inner) return null;
    return inner === child.type ? t : new List(new Field(child.name, inner, child.nullable));
  }
  return t;
}

/** The data of `d` restricted to the pruned type `t` (same buffers, fewer children). */
function pruneData(d: Data, t: DataType): Data {
  if (d.type === t) return d;
  if (DataType.isStruct(t)) {
    const fields = (d.type as Struct).children.map((f) => f.name);
    const children = (t as Struct).children.map((f) => pruneData(d.children[fields.indexOf(f.name)]!, f.type));
    return makeData({ type: t as Struct, length: d.length, offset: d.offset, nullCount: 0, children });
  }
  if (DataType.isList(t)) {
    return makeData({ type: t as List, length: d.length, offset: d.offset, nullCount: 0, valueOffsets: d.valueOffsets as Int32Array, child: pruneData(d.children[0]!, (t as List).children[0]!.type) });
  }
  return d;
}

/**
 * Level entries per Parquet leaf column of `d` (path `a.b.c` as Parquet names them): a value each,
 * and one for every empty list, since an empty list is stored as a level entry without a value.
 * Counted here from the Arrow data on their own (not with the writer's level code), so that
 * verification checks the writer.
 */
export function leafLevels(d: Data, path: string): [string, number][] {
  const out: [string, number][] = [];
  const walk = (data: Data, at: string, lists: ListLevel[]): void => {
    if (DataType.isStruct(data.type)) {
      (data.type as Struct).children.forEach((f, i) => walk(data.children[i]!, `${at}.${f.name}`, lists));
      return;
    }
    if (DataType.isList(data.type) || DataType.isFixedSizeList(data.type)) {
      const level: ListLevel = DataType.isList(data.type) ? { offsets: data.valueOffsets as Int32Array, size: 0 } : { offsets: null, size: (data.type as FixedSizeList).listSize };
      walk(data.children[0]!, `${at}.list.${data.type.children[0]!.name}`, [...lists, level]);
      return;
    }
    out.push([at, levelsOf(d.length, lists)]);
  };
  walk(d, path, []);
  return out;
}

/** A list level: its value offsets, or the size of a fixed-size list. */
interface ListLevel {
  offsets: Int32Array | null;
  size: number;
}

/**
 * Entries at the innermost level: each empty list at any depth counts once, values count once each.
 * Without nulls the lists of one depth are one contiguous range, [offsets[lo], offsets[hi]) below.
 */
function levelsOf(rows: number, lists: ListLevel[]): number {
  let lo = 0;
  let hi = rows;
  let empty = 0;
  for (const { offsets, size } of lists) {
    if (offsets) {
      for (let i = lo; i < hi; i++) if (offsets[i + 1] === offsets[i]) empty++;
      [lo, hi] = [offsets[lo]!, offsets[hi]!];
    } else {
      if (size === 0) empty += hi - lo;
      [lo, hi] = [lo * size, hi * size];
    }
  }
  return empty + hi - lo;
}

/** The written file must hold one row per entry and, per leaf column, the level entries sent to it. */
async function verify(path: string, entries: number, output: string, expected: Map<string, number>): Promise<void> {
  // Only the footer is read, and only the counts in it (see parquet/footer.ts).
  const footer = await readFooterSummary(path).catch((err: unknown) => {
    throw new InputError(`Parquet output is unreadable: ${(err as Error).message}`, { file: output });
  });
  if (footer.rows !== entries) throw new InputError(`Parquet output has ${footer.rows} rows for ${entries} entries`, { file: output });
  for (const [column, n] of expected) {
    const got = footer.columnValues.get(column);
    if (got !== n) throw new InputError(`Parquet column ${column} holds ${got ?? 'no'} values, ${n} were written`, { file: output });
  }
}

/** One read of a conversion: fields [first, end) of row group `group`, over entries [start, stop). */
interface Step {
  group: number;
  first: number;
  end: number;
  start: number;
  stop: number;
  /** A piece of one column too large for a pass (the column's pieces are consecutive steps). */
  piece: boolean;
}
