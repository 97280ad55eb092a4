/**
 * A streaming Parquet file writer: row groups are written as they come (column after column, each
 * column chunk's pages appended as they fill), and the footer (FileMetaData) at the end.
 * Memory: the caller's row group of Arrow data, the page being encoded, and per written column
 * chunk its serialized ColumnChunk (see column-chunk.ts), kept per row group in one buffer.
 * Deterministic: the bytes depend only on the schema, the data and the options.
 */
import type { RecordBatch, Schema } from 'apache-arrow';
import { arrowSchemaBase64 } from './arrow-schema.ts';
import { ColumnChunkWriter, PAGE_BYTES, Scratch } from './column-chunk.ts';
import { compressor, type CompressionName, type Compressor } from './compress.ts';
import { leafLevels } from './levels.ts';
import { LevelRuns } from './rle.ts';
import { writerSchema, type WriterSchema } from './schema.ts';
import { FileSink } from './sink.ts';
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
    const out = this.chunkBytes;
    out.reset();
    let uncompressed = 0;
    let compressed = 0;
    let fileOffset = -1;
    for (const leaf of this.layout.leaves) {
      const chunk = new ColumnChunkWriter(leaf, this.codec, this.sink, this.scratch, this.o.pageBytes ?? PAGE_BYTES, this.runs);
      for (const b of batches) if (b.numRows > 0) chunk.add(leafLevels(b.data.children[leaf.column]!, leaf));
      chunk.finish(out);
      if (fileOffset < 0) fileOffset = chunk.firstPage;
      uncompressed += chunk.uncompressed;
      compressed += chunk.compressed;
    }
    const columns = out.copy();
    this.groups.push({ columns, rows, uncompressed, compressed, fileOffset });
    this.retainedFooterBytes += columns.length;
    this.columnChunks += this.layout.leaves.length;
    this.rows += rows;
  }

  /** Writes the footer and closes the file; returns the file's size. */
  close(): number {
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
