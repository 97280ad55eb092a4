/**
 * "XZ": one xz stream (ROOT's LZMA setting), decoded by xz-decompress (WebAssembly).
 * jsroot's own decoder fails on blocks above about 64 kB; this one has no such limit.
 */
import xzDecompress from 'xz-decompress';

const { XzReadableStream } = xzDecompress as unknown as { XzReadableStream: typeof import('xz-decompress').XzReadableStream };
import { registerCodec } from './registry.ts';

export async function decompressXz(payload: Uint8Array, outSize: number): Promise<Uint8Array> {
  const input = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(payload);
      controller.close();
    },
  });
  const out = new Uint8Array(outSize);
  let n = 0;
  const reader = new XzReadableStream(input).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (n + value.length > outSize) throw new Error(`xz stream inflates past the expected ${outSize} bytes`);
    out.set(value, n);
    n += value.length;
  }
  return n === outSize ? out : out.subarray(0, n);
}

registerCodec({ magic: 'XZ', algorithm: 'LZMA', decompress: decompressXz });
