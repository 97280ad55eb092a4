/**
 * Tests' Parquet writing of a stream of Arrow record batches with the project's streaming writer
 * (src/parquet/write/): batches are gathered until a row group of `rowGroupRows` rows is full, then
 * written whole (conversion writes row groups in passes instead: src/convert/convert-file.ts).
 */
import type { RecordBatch } from 'apache-arrow';
import { ParquetFileWriter } from '../../src/parquet/write/file-writer.ts';

export interface ParquetWriteOptions {
  compression: 'ZSTD' | 'SNAPPY' | 'UNCOMPRESSED';
  rowGroupRows: number;
  metadata: Record<string, string>;
  /** ZSTD level (the writer's default when absent). */
  zstdLevel?: number;
  /** Called after each row group with the number of rows written so far (their batches are done with). */
  onRowsWritten?: (rows: number) => void;
}

/** Writes the batches to `path`; returns the file's size. An error from the batches fails the write. */
export async function writeParquet(path: string, batches: AsyncIterable<RecordBatch>, o: ParquetWriteOptions): Promise<number> {
  const target = Math.max(1, o.rowGroupRows);
  let writer: ParquetFileWriter | undefined;
  let group: RecordBatch[] = [];
  let rows = 0;
  let written = 0;
  const flush = (): void => {
    writer!.writeRowGroup(group);
    written += rows;
    group = [];
    rows = 0;
    o.onRowsWritten?.(written);
  };
  try {
    for await (const batch of batches) {
      writer ??= new ParquetFileWriter(path, batch.schema, { compression: o.compression, metadata: o.metadata, zstdLevel: o.zstdLevel });
      for (let at = 0; at < batch.numRows; ) {
        const take = Math.min(batch.numRows - at, target - rows);
        group.push(take === batch.numRows ? batch : batch.slice(at, at + take));
        at += take;
        rows += take;
        if (rows === target) flush();
      }
    }
    if (!writer) throw new Error(`Parquet writer: no record batch for ${path} (the schema comes from the first one)`);
    flush();
    const size = writer.close();
    writer = undefined;
    return size;
  } finally {
    writer?.abort();
  }
}
