/**
 * A streaming Parquet file writer: row groups are written as they come (column after column, each
 * column chunk's pages appended as they fill), and the footer (FileMetaData) at the end.
 * A row group's columns can come a few at a time (beginRowGroup, writeColumns in schema order,
 * endRowGroup), so its size does not set the caller's memory: pages span the whole row group.
 * Memory: the Arrow data handed in, the page being encoded, and per written column chunk its
 * serialized ColumnChunk (see column-chunk.ts), kept per row group in one buffer.
 * Deterministic: the bytes depend only on the schema, the data and the options.
 */
import type { Data, RecordBatch, Schema } from 'apache-arrow';
import { arrowSchemaBase64 } from './arrow-schema.ts';
import { ColumnChunkWriter, PAGE_BYTES, Scratch } from './column-chunk.ts';
import { compressor, type CompressionName, type Compressor } from './compress.ts';
import { leafLevels } from './levels.ts';
import { LevelRuns } from './rle.ts';
import { writerSchema, type LeafColumn, type WriterSchema } from './schema.ts';
import { FileSink, MemorySink, type PageSink } from './sink.ts';
import { CompactWriter, CT } from './thrift.ts';

export const CREATED_BY = 'physlite parquet writer 1';

export interface FileWriterOptions {
  compression: CompressionName;
  /** ZSTD level (default DEFAULT_ZSTD_LEVEL). */
  zstdLevel?: number;
  /** Key-value metadata, written in this order, followed by ARROW:schema. */
  metadata: Record<string, string>;
  /** BYTE_STREAM_SPLIT for float and double columns (default true). */
  byteStreamSplit?: boolean;
  /** Target uncompressed value bytes of a data page. */
  pageBytes?: number;
}

export const DEFAULT_ZSTD_LEVEL = 3;

interface WrittenRowGroup {
  /** The ColumnChunk structures of its columns, serialized back to back. */
  columns: Uint8Array;
  rows: number;
  uncompressed: number;
  compressed: number;
  fileOffset: number;
}

/** The row group being written: its totals so far and the next leaf and field it expects. */
interface OpenRowGroup {
  rows: number;
  uncompressed: number;
  compressed: number;
  fileOffset: number;
  nextLeaf: number;
  nextField: number;
}

const MAGIC = new TextEncoder().encode('PAR1');

export class ParquetFileWriter {
  private readonly sink: FileSink;
  private readonly schema: Schema;
  private readonly layout: WriterSchema;
  private readonly codec: Compressor;
  private readonly o: FileWriterOptions;
  private readonly groups: WrittenRowGroup[] = [];
  private readonly chunkBytes = new CompactWriter(1 << 16);
  private readonly scratch = new Scratch();
  private readonly runs = new LevelRuns();
  private rows = 0;
  private open: OpenRowGroup | undefined;
  /** Bytes kept for the footer so far (the writer's own accounting; see issue 5). */
  retainedFooterBytes = 0;
  columnChunks = 0;

  constructor(path: string, schema: Schema, o: FileWriterOptions) {
    this.schema = schema;
    this.o = o;
    this.layout = writerSchema(schema, { byteStreamSplit: o.byteStreamSplit ?? true });
    this.codec = compressor(o.compression, o.zstdLevel ?? DEFAULT_ZSTD_LEVEL);
    this.sink = new FileSink(path);
    this.sink.write(MAGIC);
  }

  /** Writes one row group holding `batches` (in order; their schema must be the writer's). */
  writeRowGroup(batches: readonly RecordBatch[]): void {
    const rows = batches.reduce((n, b) => n + b.numRows, 0);
    if (rows === 0) return;
    const kept = batches.filter((b) => b.numRows > 0);
    this.beginRowGroup(rows);
    this.writeColumns(
      0,
      this.schema.fields.map((_, i) => kept.map((b) => b.data.children[i]!)),
    );
    this.endRowGroup();
  }

  /**
   * Opens a row group of `rows` rows, whose columns then come in schema order through one or
   * more writeColumns calls: a caller can hold a few columns of a large row group at a time.
   */
  beginRowGroup(rows: number): void {
    if (this.open) throw new Error('Parquet writer: a row group is open already');
    this.open = { rows, uncompressed: 0, compressed: 0, fileOffset: -1, nextLeaf: 0, nextField: 0 };
    this.chunkBytes.reset();
  }

  /**
   * Writes the column chunks of fields [first, first + columns.length) of the open row group:
   * `columns[i]` holds field `first + i`'s values of every row of the group, in pieces in row order.
   */
  writeColumns(first: number, columns: readonly (readonly Data[])[]): void {
    const g = this.expectField(first);
    const end = first + columns.length;
    if (end > this.schema.fields.length) throw new Error(`Parquet writer: field ${end - 1} is not in the schema`);
    columns.forEach((pieces, i) => {
      const rows = pieces.reduce((n, d) => n + d.length, 0);
      if (rows !== g.rows) throw new Error(`Parquet writer: column ${this.schema.fields[first + i]!.name} has ${rows} rows, its row group ${g.rows}`);
    });
    const leaves = this.layout.leaves;
    for (; g.nextLeaf < leaves.length && leaves[g.nextLeaf]!.column < end; g.nextLeaf++) {
      const leaf = leaves[g.nextLeaf]!;
      const chunk = this.chunkWriter(leaf, this.sink);
      for (const d of columns[leaf.column - first]!) if (d.length > 0) chunk.add(leafLevels(d, leaf));
      this.finishChunk(g, chunk);
    }
    g.nextField = end;
  }

  /**
   * Field `field` of the open row group given piece by piece (whole rows, in order), for a column
   * too large to hold at once: a piece may be released once add() returns (the page being filled
   * is cut there). The first leaf's pages go to the file as they fill; a struct's other leaves keep
   * their compressed pages in memory until end(), as a column chunk's pages must be contiguous.
   */
  columnInPieces(field: number): { add(piece: Data): void; end(): void } {
    const g = this.expectField(field);
    const leaves = this.layout.leaves.filter((l) => l.column === field);
    const sinks = leaves.map((_, i) => (i === 0 ? this.sink : new MemorySink()));
    const chunks = leaves.map((leaf, i) => this.chunkWriter(leaf, sinks[i]!));
    let rows = 0;
    return {
      add: (piece) => {
        rows += piece.length;
        if (piece.length === 0) return;
        leaves.forEach((leaf, i) => {
          chunks[i]!.add(leafLevels(piece, leaf));
          chunks[i]!.cut();
        });
      },
      end: () => {
        if (rows !== g.rows) throw new Error(`Parquet writer: column ${this.schema.fields[field]!.name} has ${rows} rows, its row group ${g.rows}`);
        chunks.forEach((chunk, i) => {
          const memory = sinks[i];
          if (memory instanceof MemorySink) {
            chunk.relocate(this.sink.offset);
            memory.drainTo(this.sink);
          }
          this.finishChunk(g, chunk);
        });
        g.nextLeaf += leaves.length;
        g.nextField = field + 1;
      },
    };
  }

  /** The open row group, when `field` is the next one it expects (columns go in schema order). */
  private expectField(field: number): OpenRowGroup {
    const g = this.open;
    if (!g) throw new Error('Parquet writer: no row group is open');
    if (field !== g.nextField) throw new Error(`Parquet writer: field ${field} written after field ${g.nextField - 1} (columns go in schema order)`);
    return g;
  }

  private chunkWriter(leaf: LeafColumn, sink: PageSink): ColumnChunkWriter {
    return new ColumnChunkWriter(leaf, this.codec, sink, this.scratch, this.o.pageBytes ?? PAGE_BYTES, this.runs);
  }

  private finishChunk(g: OpenRowGroup, chunk: ColumnChunkWriter): void {
    chunk.finish(this.chunkBytes);
    if (g.fileOffset < 0) g.fileOffset = chunk.firstPage;
    g.uncompressed += chunk.uncompressed;
    g.compressed += chunk.compressed;
  }

  /** Closes the open row group; every field must have been written. */
  endRowGroup(): void {
    const g = this.open;
    if (!g) throw new Error('Parquet writer: no row group is open');
    if (g.nextField !== this.schema.fields.length) throw new Error(`Parquet writer: row group closed with ${this.schema.fields.length - g.nextField} fields unwritten`);
    this.open = undefined;
    const columns = this.chunkBytes.copy();
    this.groups.push({ columns, rows: g.rows, uncompressed: g.uncompressed, compressed: g.compressed, fileOffset: g.fileOffset });
    this.retainedFooterBytes += columns.length;
    this.columnChunks += this.layout.leaves.length;
    this.rows += g.rows;
  }

  /** Writes the footer and closes the file; returns the file's size. */
  close(): number {
    if (this.open) throw new Error('Parquet writer: closed with a row group open');
    const sink = this.sink;
    const start = sink.offset;
    const w = new CompactWriter(1 << 16);
    // Parts go to the sink as they are made: the row groups' column bytes are never copied together.
    const drain = (): void => {
      sink.write(w.view());
      w.rewind();
    };
    w.structBegin();
    w.i32(1, 1);
    w.fieldHeader(2, CT.LIST);
    w.listHeader(this.layout.elementCount, CT.STRUCT);
    w.raw(this.layout.elements);
    w.i64(3, this.rows);
    w.fieldHeader(4, CT.LIST);
    w.listHeader(this.groups.length, CT.STRUCT);
    this.groups.forEach((g, i) => {
      w.structBegin();
      w.fieldHeader(1, CT.LIST);
      w.listHeader(this.layout.leaves.length, CT.STRUCT);
      drain();
      sink.write(g.columns);
      w.i64(2, g.uncompressed);
      w.i64(3, g.rows);
      w.i64(5, g.fileOffset);
      w.i64(6, g.compressed);
      if (i < 32768) w.i16(7, i);
      w.structEnd();
      if (w.length > 1 << 15) drain();
    });
    const kv: [string, string][] = [...Object.entries(this.o.metadata), ['ARROW:schema', arrowSchemaBase64(this.schema)]];
    w.fieldHeader(5, CT.LIST);
    w.listHeader(kv.length, CT.STRUCT);
    for (const [k, v] of kv) {
      w.structBegin();
      w.str(1, k);
      w.str(2, v);
      w.structEnd();
    }
    w.str(6, CREATED_BY);
    // Column orders: every leaf sorts by its type's order, so readers trust min_value/max_value.
    w.fieldHeader(7, CT.LIST);
    w.listHeader(this.layout.leaves.length, CT.STRUCT);
    for (let i = 0; i < this.layout.leaves.length; i++) {
      w.structBegin();
      w.struct(1, () => undefined);
      w.structEnd();
      if (w.length > 1 << 15) drain();
    }
    w.structEnd();
    drain();
    const length = sink.offset - start;
    const tail = new Uint8Array(8);
    new DataView(tail.buffer).setUint32(0, length, true);
    tail.set(MAGIC, 4);
    sink.write(tail);
    sink.finish();
    return sink.offset;
  }

  /** Closes the file without a footer (after a failure). */
  abort(): void {
    this.sink.close();
  }
}
