/**
 * Decompression worker: receives batches of ROOT compressed buffers, answers with their
 * decompressed bytes (transferred, not copied) or the error of each failed item.
 */
import { isMarkedAsUntransferable, parentPort } from 'node:worker_threads';
import { decompressBuffer } from './index.ts';
import { DecompressionError } from '../../errors.ts';

export interface BatchItem {
  src: Uint8Array;
  outSize: number;
  /** File offset of src[0], for error offsets. */
  base: number;
}

export type ItemResult = { ok: true; out: Uint8Array } | { ok: false; message: string; offset?: number };

if (!parentPort) throw new Error('the decompression worker must run in a worker thread');
const port = parentPort;

port.on('message', async (msg: { id: number; items: BatchItem[] }) => {
  const results: ItemResult[] = [];
  const transfer: ArrayBuffer[] = [];
  for (const item of msg.items) {
    try {
      let out = await decompressBuffer(item.src, item.outSize, {}, item.base);
      // Only a buffer that owns its whole ArrayBuffer, and that Node allows to move (zlib's
      // outputs it does not), can be transferred; anything else is copied once.
      if (out.byteOffset !== 0 || out.byteLength !== out.buffer.byteLength || out.buffer === item.src.buffer || isMarkedAsUntransferable(out.buffer)) {
        out = new Uint8Array(out);
      }
      results.push({ ok: true, out });
      transfer.push(out.buffer as ArrayBuffer);
    } catch (err) {
      const offset = err instanceof DecompressionError ? err.context.offset : undefined;
      results.push({ ok: false, message: (err as Error).message, offset });
    }
  }
  port.postMessage({ id: msg.id, results }, transfer);
});
