/**
 * Analysis inputs: a Parquet file written by `physlite convert`, or a ROOT file read through the
 * reader, local or remote (https://, davs://, gs://: any byte source of the registry, with its
 * retries, credentials and counters), both behind one interface that yields column batches (Arrow Data by column name) for
 * only the columns asked for. Parquet is read by the project's own projected reader
 * (src/parquet/read: only the footer and the chunks of the asked columns, one batch per row group
 * or per run of small row groups, the next batch's bytes fetched while the current one is analysed); a file using something
 * that reader does not decode (an encoding such as DELTA_BINARY_PACKED, a codec such as BROTLI,
 * a type such as INT96) is read with parquet-wasm instead, through a SourceBlob, with a note. ROOT
 * files (the TTree CollectionTree or the RNTuple EventData) are read cluster by cluster with the
 * columns and names the conversion would write.
 * Either way memory is about one row group / cluster of the projected columns.
 */
import { type Data, type RecordBatch, tableFromIPC } from 'apache-arrow';
import type * as pq from 'parquet-wasm/node';
import { InputError, PhysliteError, TransientError } from '../errors.ts';
import { openSource, type OpenOptions } from '../root/source/open.ts';
import type { ByteSource } from '../root/source/source.ts';
import { RootFile } from '../root/file.ts';
import { defaultTable, openTable, type TableReader } from '../root/table.ts';
import { readMetadata, type CutBookkeeper } from '../root/metadata.ts';
import { columnName } from '../parquet/naming.ts';
import { acquireArena, acquireFetchBuffers, releaseArena, releaseFetchBuffers } from '../parquet/read/arena.ts';
import { ParquetReader } from '../parquet/read/reader.ts';
import type { FileSchema } from '../parquet/read/schema.ts';
import { SourceBlob } from './source-blob.ts';

export interface ColumnBatch {
  rows: number;
  columns: Map<string, Data>;
}

export interface AnalysisInput {
  readonly name: string;
  readonly kind: 'parquet' | 'root';
  readonly size: number;
  readonly entries: number;
  /** Columns the file has (Parquet names). */
  readonly columnNames: ReadonlySet<string>;
  /** Bookkeeping for normalisation (CutBookkeepers), when the file has it. */
  readonly bookkeeping: CutBookkeeper[];
  /** What the reader of the results must know about this input (e.g. unreadable bookkeeping). */
  readonly notes: string[];
  /** Row groups (Parquet) or clusters (ROOT). */
  readonly parts: number;
  /**
   * Batches of the columns, optionally only of the row groups / clusters i with i % part.count === part.index.
   * `reuse.memory`: the consumer keeps no column array of a batch once it asks for the next one (or
   * stops), so the reader may decode the next batch into the same memory (Parquet does; the
   * analysis API's `reuseColumnMemory`).
   */
  batches(columns: readonly string[], part?: { index: number; count: number }, reuse?: { memory: boolean }): AsyncIterable<ColumnBatch>;
  readonly counters: { requests: number; bytes: number };
  close(): Promise<void>;
}

export async function openInput(path: string, o: OpenOptions = {}): Promise<AnalysisInput> {
  const source = await openSource(path, o);
  try {
    const magic = await source.read(0, Math.min(4, source.size));
    const text = String.fromCharCode(...magic);
    if (text === 'PAR1') return await ParquetInput.open(source);
    if (text === 'root') return await RootInput.open(source);
    throw new InputError(`neither Parquet nor ROOT (first bytes ${JSON.stringify(text)})`, { file: path });
  } catch (err) {
    await source.close();
    throw err instanceof PhysliteError ? err : new InputError(`cannot open: ${(err as Error).message}`, { file: path });
  }
}

/** The CutBookkeepers the conversion stores in the `physlite` key-value entry (none when absent). */
function parquetBookkeeping(info: string | undefined, file: string): CutBookkeeper[] {
  if (!info) return [];
  try {
    const parsed = JSON.parse(info) as { bookkeeping?: { cutBookkeepers?: CutBookkeeper[] } };
    return parsed.bookkeeping?.cutBookkeepers ?? [];
  } catch {
    throw new InputError('the physlite key-value metadata is not JSON', { file });
  }
}

/**
 * Small row groups (a fully converted file's are ~1,000 events) are read together as one batch up
 * to these limits: each batch costs the analysis and the reader a fixed setup, which 1,000-event
 * batches paid 30 times per 30,000 events. The limits bound the batch's memory (the projected
 * columns of the batch and the prefetched bytes of the next).
 */
export const BATCH = { rows: 65536, bytes: 64 * 1024 * 1024 };

/** The column names of a Parquet schema, once per schema (the files of a dataset share theirs). */
const namesBySchema = new WeakMap<FileSchema, ReadonlySet<string>>();
function columnNamesOf(schema: FileSchema): ReadonlySet<string> {
  let names = namesBySchema.get(schema);
  if (!names) namesBySchema.set(schema, (names = new Set(schema.fields.keys())));
  return names;
}

/** Parquet through the project's reader; the parquet-wasm path only for what that reader cannot decode. */
class ParquetInput implements AnalysisInput {
  readonly kind = 'parquet';
  readonly name: string;
  readonly size: number;
  readonly entries: number;
  readonly columnNames: ReadonlySet<string>;
  readonly bookkeeping: CutBookkeeper[];
  readonly counters: { requests: number; bytes: number };
  readonly parts: number;
  readonly notes: string[] = [];
  private readonly reader: ParquetReader;
  private fallback: WasmParquetInput | null = null;

  private constructor(reader: ParquetReader) {
    this.reader = reader;
    const source = reader.source;
    this.name = source.name;
    this.size = source.size;
    this.counters = source.counters;
    this.entries = reader.rows;
    this.parts = reader.rowGroups;
    this.columnNames = columnNamesOf(reader.schema);
    this.bookkeeping = parquetBookkeeping(reader.keyValue('physlite'), this.name);
  }

  static async open(source: ByteSource): Promise<ParquetInput> {
    return new ParquetInput(await ParquetReader.open(source));
  }

  async *batches(columns: readonly string[], part?: { index: number; count: number }, reuse?: { memory: boolean }): AsyncIterable<ColumnBatch> {
    for (const c of columns) if (!this.columnNames.has(c)) throw new InputError(`column ${c} is missing`, { file: this.name });
    if (this.entries === 0) return;
    const why = this.reader.unsupported(columns);
    if (why) {
      if (!this.fallback) this.notes.push(`${this.name} read with parquet-wasm (slower): the projected reader does not decode ${why}`);
      this.fallback ??= await WasmParquetInput.open(this.reader.source);
      yield* this.fallback.batches(columns, part);
      return;
    }
    const groups = [...Array(this.parts).keys()].filter((i) => !part || i % part.count === part.index);
    const runs = this.reader.runs(groups, columns, BATCH);
    // Batch k + 1 is decoded only when the consumer asks for it, after it is done with batch k:
    // with `reuse`, its arrays take batch k's memory (held by this generator until it ends).
    const arena = reuse?.memory ? acquireArena() : undefined;
    // Compressed bytes are dead once decoded (decoders copy what they keep): two buffers in turn.
    const fetched = acquireFetchBuffers();
    const into = (n: number): Uint8Array => fetched.take(n);
    try {
      // The next batch's bytes are requested before the current one is decoded and analysed.
      let next = runs.length ? this.reader.fetch(runs[0]!, columns, into) : null;
      for (let k = 0; k < runs.length; k++) {
        const bytes = await next!;
        next = k + 1 < runs.length ? this.reader.fetch(runs[k + 1]!, columns, into) : null;
        // A prefetch whose batch is never taken (the consumer stopped) must not surface as unhandled.
        next?.catch(() => {});
        let rows = 0;
        for (const g of runs[k]!) rows += this.reader.meta.rowGroups[g]!.rows;
        yield { rows, columns: this.reader.decode(bytes, arena) };
      }
    } finally {
      if (arena) releaseArena(arena);
      releaseFetchBuffers(fetched);
    }
  }

  async close(): Promise<void> {
    this.fallback?.closeFile();
    this.reader.release();
    await this.reader.source.close();
  }
}

/** parquet-wasm over a SourceBlob: the fallback for files the projected reader does not decode. */
class WasmParquetInput implements AnalysisInput {
  readonly kind = 'parquet';
  readonly name: string;
  readonly size: number;
  readonly entries: number;
  readonly columnNames: ReadonlySet<string>;
  readonly bookkeeping: CutBookkeeper[];
  readonly counters: { requests: number; bytes: number };
  private readonly file: pq.ParquetFile;
  private readonly source: ByteSource;
  private readonly rowGroupRows: number;
  readonly parts: number;
  readonly notes: string[] = [];

  private constructor(source: ByteSource, file: pq.ParquetFile) {
    this.source = source;
    this.name = source.name;
    this.size = source.size;
    this.counters = source.counters;
    this.file = file;
    const meta = file.metadata();
    const fm = meta.fileMetadata();
    this.entries = Number(fm.numRows());
    let max = 1;
    for (let i = 0; i < meta.numRowGroups(); i++) max = Math.max(max, Number(meta.rowGroup(i).numRows()));
    this.rowGroupRows = max;
    this.parts = meta.numRowGroups();
    const schema = tableFromIPC(file.schema().intoIPCStream()).schema;
    this.columnNames = new Set(schema.fields.map((f) => f.name));
    this.bookkeeping = parquetBookkeeping((fm.keyValueMetadata() as Map<string, string>).get('physlite'), this.name);
  }

  static async open(source: ByteSource): Promise<WasmParquetInput> {
    let file: pq.ParquetFile;
    try {
      // Loaded only for the files that need it (its WebAssembly takes ~0.1 s to load).
      const { ParquetFile } = await import('parquet-wasm/node');
      file = await ParquetFile.fromFile(new SourceBlob(source));
    } catch (err) {
      throw new InputError(`not a readable Parquet file: ${String((err as Error)?.message ?? err)}`, { file: source.name });
    }
    return new WasmParquetInput(source, file);
  }

  async *batches(columns: readonly string[], part?: { index: number; count: number }): AsyncIterable<ColumnBatch> {
    for (const c of columns) if (!this.columnNames.has(c)) throw new InputError(`column ${c} is missing`, { file: this.name });
    if (this.entries === 0) return;
    const rowGroups = part ? [...Array(this.parts).keys()].filter((i) => i % part.count === part.index) : undefined;
    if (rowGroups?.length === 0) return;
    let stream: ReadableStream;
    try {
      stream = await this.file.stream({ columns: [...columns], batchSize: this.rowGroupRows, ...(rowGroups ? { rowGroups } : {}) });
    } catch (err) {
      throw new InputError(`cannot read columns: ${String((err as Error)?.message ?? err)}`, { file: this.name });
    }
    const reader = stream.getReader();
    try {
      for (;;) {
        let step: Awaited<ReturnType<typeof reader.read>>;
        try {
          step = await reader.read();
        } catch (err) {
          if (err instanceof PhysliteError) throw err;
          throw new InputError(`corrupt column data: ${String((err as Error)?.message ?? err)}`, { file: this.name });
        }
        if (step.done) break;
        const table = tableFromIPC((step.value as pq.RecordBatch).intoIPCStream());
        for (const batch of table.batches as RecordBatch[]) {
          const map = new Map<string, Data>();
          batch.schema.fields.forEach((f, i) => map.set(f.name, batch.data.children[i]!));
          yield { rows: batch.numRows, columns: map };
        }
      }
    } finally {
      reader.releaseLock();
    }
  }

  /** Frees the WebAssembly file; the source belongs to the caller. */
  closeFile(): void {
    this.file.free();
  }

  async close(): Promise<void> {
    this.file.free();
    await this.source.close();
  }
}

class RootInput implements AnalysisInput {
  readonly kind = 'root';
  readonly name: string;
  readonly size: number;
  readonly entries: number;
  readonly columnNames: ReadonlySet<string>;
  readonly bookkeeping: CutBookkeeper[];
  readonly counters: { requests: number; bytes: number };
  readonly parts: number;
  readonly notes: string[] = [];
  private readonly file: RootFile;
  private readonly table: TableReader;
  private readonly branchOf: Map<string, string>;

  private constructor(file: RootFile, table: TableReader, bookkeeping: CutBookkeeper[]) {
    this.file = file;
    this.table = table;
    this.name = file.name;
    this.size = file.source.size;
    this.counters = file.source.counters;
    this.entries = table.entries;
    this.bookkeeping = bookkeeping;
    this.branchOf = new Map();
    for (const c of table.columns()) {
      // The columns the conversion writes, by the same naming rule (TTree branch or RNTuple field).
      if (!c.readable || c.leaveOut) continue;
      this.branchOf.set(columnName(c.name), c.name);
    }
    this.columnNames = new Set(this.branchOf.keys());
    this.parts = table.clusterRanges().length;
  }

  static async open(source: ByteSource): Promise<RootInput> {
    const file = await RootFile.open(source);
    const table = await openTable(file, await defaultTable(file));
    // A file without a MetaData tree has no bookkeeping (normal); one whose bookkeeping cannot be
    // read is analysed with a note, or fails as transient when the read may succeed later.
    let bookkeeping: CutBookkeeper[] = [];
    let note: string | undefined;
    try {
      bookkeeping = (await readMetadata(file)).cutBookkeepers;
    } catch (err) {
      if (err instanceof TransientError) throw err;
      note = `bookkeeping of ${file.name} could not be read (${err instanceof PhysliteError ? err.describe() : (err as Error).message}): its sums of weights are missing from the normalisation`;
    }
    const input = new RootInput(file, table, bookkeeping);
    if (note) input.notes.push(note);
    return input;
  }

  async *batches(columns: readonly string[], part?: { index: number; count: number }): AsyncIterable<ColumnBatch> {
    const branches = columns.map((c) => {
      const b = this.branchOf.get(c);
      if (!b) throw new InputError(`column ${c} is missing`, { file: this.name });
      return b;
    });
    const ranges = this.table.clusterRanges();
    for (let r = 0; r < ranges.length; r++) {
      if (part && r % part.count !== part.index) continue;
      const [start, stop] = ranges[r]!;
      const { columns: data } = await this.table.arrays(branches, { entryStart: start, entryStop: stop });
      const map = new Map<string, Data>();
      columns.forEach((c, i) => map.set(c, data.get(branches[i]!)!));
      yield { rows: stop - start, columns: map };
    }
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}
