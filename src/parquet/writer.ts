/**
 * Parquet writing through parquet-wasm's streaming writer: Arrow record batches go in one at a
 * time (pulled, so only the batch being encoded is in memory), Parquet bytes come out and are
 * appended to a file. Row groups are cut every `rowGroupRows` rows, which callers choose as a
 * multiple of the ROOT cluster size so row groups follow clusters.
 */
import { open } from 'node:fs/promises';
import type { RecordBatch } from 'apache-arrow';
import * as pq from 'parquet-wasm/node';
import { IpcBatchEncoder } from './ipc.ts';

export interface ParquetWriteOptions {
  compression: 'ZSTD' | 'SNAPPY' | 'UNCOMPRESSED';
  rowGroupRows: number;
  metadata: Record<string, string>;
  /** Columns (by name) of strings: the only ones with dictionary encoding (see below). */
  stringColumns: string[];
}

/**
 * Batches larger than this go to the encoder in slices, so a large --row-group does not mean an
 * IPC copy of that size. Each slice is a separate IPC stream whose schema parquet-wasm decodes
 * again, which cost more than the copy saved at 8 MiB; with 64 MiB (the default row-group target)
 * a cluster goes whole (measured: less CPU, the same peak memory).
 */
const SLICE_BYTES = 64 << 20;

const CODECS = { ZSTD: pq.Compression.ZSTD, SNAPPY: pq.Compression.SNAPPY, UNCOMPRESSED: pq.Compression.UNCOMPRESSED } as const;

export async function writeParquet(path: string, batches: AsyncIterable<RecordBatch>, o: ParquetWriteOptions): Promise<number> {
  let builder = new pq.WriterPropertiesBuilder()
    .setCompression(CODECS[o.compression])
    .setMaxRowGroupSize(Math.max(1, o.rowGroupRows))
    .setStatisticsEnabled(pq.EnabledStatistics.Chunk)
    .setCreatedBy('physlite')
    // Dictionary encoding off except for strings: for physics values it rarely pays and trying it
    // cost 40% of the conversion time and a third of its memory (measured on PHYSLITE-like data).
    .setDictionaryEnabled(false)
    .setKeyValueMetadata(new Map(Object.entries(o.metadata)));
  for (const c of o.stringColumns) builder = builder.setColumnDictionaryEnabled(c, true);
  const props = builder.build();

  const iterator = slices(batches)[Symbol.asyncIterator]();
  // An error while producing a batch (a corrupt basket or page) must fail the write with that
  // error: the encoder would otherwise just see a shorter stream and write a valid, short file.
  let failure: { error: unknown } | undefined;
  let encoder: IpcBatchEncoder | undefined;
  const input = new ReadableStream({
    async pull(controller) {
      let next: IteratorResult<RecordBatch>;
      try {
        next = await iterator.next();
      } catch (error) {
        failure = { error };
        controller.error(error);
        return;
      }
      if (next.done) {
        controller.close();
        return;
      }
      // apache-arrow -> IPC -> parquet-wasm's own Arrow (its record batches live in wasm memory).
      encoder ??= new IpcBatchEncoder(next.value.schema);
      const table = pq.Table.fromIPCStream(encoder.encode(next.value));
      // The table's batches are handed on (each moves into the encoder); the table itself is freed
      // now, or it would keep their wasm memory alive until a garbage collection finalises it.
      try {
        for (const b of table.recordBatches()) controller.enqueue(b);
      } finally {
        table.free();
      }
    },
  });
  const output = await pq.transformParquetStream(input, props).catch((err: unknown) => Promise.reject(failure ? failure.error : err));
  const handle = await open(path, 'w');
  let bytes = 0;
  try {
    const reader = output.getReader();
    for (;;) {
      const { done, value } = await reader.read().catch((err: unknown) => Promise.reject(failure ? failure.error : err));
      if (done) break;
      await handle.write(value as Uint8Array);
      bytes += (value as Uint8Array).length;
    }
    if (failure) throw failure.error;
    await handle.sync();
  } finally {
    await handle.close();
  }
  return bytes;
}

/** Each batch in zero-copy slices of about SLICE_BYTES (row groups are still cut by row count). */
async function* slices(batches: AsyncIterable<RecordBatch>): AsyncGenerator<RecordBatch> {
  for await (const batch of batches) {
    const rows = batch.numRows;
    const bytes = batch.data.children.reduce((n, c) => n + c.byteLength, 0);
    const step = rows === 0 ? 1 : Math.max(1, Math.floor((SLICE_BYTES * rows) / Math.max(1, bytes)));
    if (rows <= step) {
      yield batch;
      continue;
    }
    for (let at = 0; at < rows; at += step) yield batch.slice(at, Math.min(rows, at + step));
  }
}
