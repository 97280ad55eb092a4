/**
 * Page decompression by Parquet codec id (a registry, not a switch in the page reader):
 * UNCOMPRESSED, SNAPPY (hyparquet's snappyUncompress, pure JS), GZIP and ZSTD (node:zlib, native;
 * zstd through one reused context, src/codec/zstd.ts),
 * LZ4_RAW (lz4-napi, prebuilt). The result must have exactly the page's uncompressed size.
 * Unknown codecs (LZO, BROTLI, the Hadoop-framed LZ4) are not here: `codecSupported` says so
 * before any page is read.
 */
import { gunzipSync } from 'node:zlib';
import { snappyUncompress } from 'hyparquet';
import { uncompressSync as lz4Uncompress } from 'lz4-napi';
import { DecompressionError } from '../../errors.ts';
import { zstdDecompress } from '../../codec/zstd.ts';

/** `into`, when given, may receive the output (a codec that cannot use it allocates). */
type Decompress = (input: Uint8Array, size: number, into?: Uint8Array) => Uint8Array;

export const CODEC_NAMES = ['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'LZO', 'BROTLI', 'LZ4', 'ZSTD', 'LZ4_RAW'];

const codecs = new Map<number, Decompress>([
  [0, (input) => input],
  [
    1,
    (input, size, into) => {
      const out = into ?? new Uint8Array(size);
      snappyUncompress(input, out);
      return out;
    },
  ],
  [2, (input, size) => gunzipSync(input, { maxOutputLength: Math.max(1, size) })],
  [6, zstdDecompress],
  [
    7,
    (input, size) => {
      const framed = Buffer.allocUnsafe(input.length + 4);
      framed.writeUInt32LE(size, 0);
      framed.set(input, 4);
      return lz4Uncompress(framed);
    },
  ],
]);

export function codecSupported(codec: number): boolean {
  return codecs.has(codec);
}

/**
 * The page's uncompressed bytes. With `into`, the codec may write them there (zstd does): the
 * result is then only valid until `into` is used again, for callers that copy what they keep.
 */
export function decompressPage(codec: number, input: Uint8Array, size: number, into?: Uint8Array): Uint8Array {
  const f = codecs.get(codec);
  if (!f) throw new DecompressionError(`Parquet codec ${CODEC_NAMES[codec] ?? codec} is not supported`);
  let out: Uint8Array;
  try {
    out = f(input, size, into);
  } catch (err) {
    throw new DecompressionError(`${CODEC_NAMES[codec]} page does not decompress: ${(err as Error).message}`, {}, { cause: err });
  }
  if (out.length !== size) throw new DecompressionError(`${CODEC_NAMES[codec]} page decompressed to ${out.length} bytes, its header says ${size}`);
  return out;
}
