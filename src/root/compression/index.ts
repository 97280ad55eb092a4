/**
 * ROOT compressed buffers: a sequence of blocks, each a 9-byte header (2-byte magic, method
 * byte, 3-byte little-endian compressed size, 3-byte little-endian uncompressed size) and its
 * payload, until the expected size is reached (ROOT splits large buffers into several blocks).
 * A buffer whose stored size equals its uncompressed size is stored raw. Errors name the block
 * offset; the caller adds file, branch and basket.
 */
import { DecompressionError, type ErrorContext } from '../../errors.ts';
import { codecFor } from './registry.ts';
import './zlib.ts';
import './zstd.ts';
import './lz4.ts';
import './xz.ts';

export { registerCodec, codecFor, registeredMagics } from './registry.ts';
export { zstdImplementation } from './zstd.ts';

const HEADER = 9;

/** ROOT's algorithm names by fCompress / 100 (0 is the historical default, ZLIB). */
export const ALGORITHM_BY_SETTING: Record<number, string> = { 0: 'ZLIB', 1: 'ZLIB', 2: 'LZMA', 3: 'OLD', 4: 'LZ4', 5: 'ZSTD' };

export function describeSetting(setting: number): { setting: number; algorithm: string; level: number } {
  const level = setting % 100;
  const algorithm = level === 0 ? 'NONE' : (ALGORITHM_BY_SETTING[Math.floor(setting / 100)] ?? `UNKNOWN(${Math.floor(setting / 100)})`);
  return { setting, algorithm, level };
}

/**
 * Decompress `src` into exactly `outSize` bytes. `base` is the file offset of src[0], used in
 * error messages. Returns `src` itself when the buffer is stored raw. With `take`, the output
 * goes into `take(outSize)` (a buffer the caller reuses) where the codecs allow.
 */
export async function decompressBuffer(src: Uint8Array, outSize: number, context: ErrorContext = {}, base = 0, take?: (n: number) => Uint8Array): Promise<Uint8Array> {
  if (src.length === outSize) return src;
  let out: Uint8Array | undefined = take?.(outSize);
  let inPos = 0;
  let outPos = 0;
  while (outPos < outSize) {
    const at = base + inPos;
    if (inPos + HEADER > src.length) {
      throw new DecompressionError(`compressed data ends after ${outPos} of ${outSize} bytes`, { ...context, offset: at });
    }
    const magic = String.fromCharCode(src[inPos]!, src[inPos + 1]!);
    const csize = src[inPos + 3]! | (src[inPos + 4]! << 8) | (src[inPos + 5]! << 16);
    const usize = src[inPos + 6]! | (src[inPos + 7]! << 8) | (src[inPos + 8]! << 16);
    const codec = codecFor(magic);
    if (!codec) {
      const hex = (b: number): string => b.toString(16).padStart(2, '0');
      const shown = /^[\x20-\x7e]{2}$/.test(magic) ? `"${magic}"` : `0x${hex(src[inPos]!)}${hex(src[inPos + 1]!)}`;
      throw new DecompressionError(`unknown compression block magic ${shown}`, { ...context, offset: at });
    }
    const method = src[inPos + 2]!;
    if (codec.methods && !codec.methods.includes(method)) {
      throw new DecompressionError(`${codec.algorithm} block has method ${method}, expected ${codec.methods.join(' or ')}`, { ...context, offset: at });
    }
    if (inPos + HEADER + csize > src.length || outPos + usize > outSize || usize === 0) {
      throw new DecompressionError(
        `${codec.algorithm} block header claims ${csize} -> ${usize} bytes, which does not fit the buffer (${src.length - inPos - HEADER} bytes left in, ${outSize - outPos} out)`,
        { ...context, offset: at },
      );
    }
    const payload = src.subarray(inPos + HEADER, inPos + HEADER + csize);
    let block: Uint8Array;
    try {
      block = await codec.decompress(payload, usize, out?.subarray(outPos, outPos + usize));
    } catch (err) {
      throw new DecompressionError(`${codec.algorithm} block does not decompress: ${(err as Error).message}`, { ...context, offset: at }, { cause: err });
    }
    if (block.length !== usize) {
      throw new DecompressionError(`${codec.algorithm} block gave ${block.length} bytes, header says ${usize}`, { ...context, offset: at });
    }
    inPos += HEADER + csize;
    if (outPos === 0 && usize === outSize && inPos === src.length) return block;
    out ??= new Uint8Array(outSize);
    if (block.buffer !== out.buffer || block.byteOffset !== out.byteOffset + outPos) out.set(block, outPos);
    outPos += usize;
  }
  if (inPos !== src.length) {
    throw new DecompressionError(`${src.length - inPos} bytes follow the last compressed block`, { ...context, offset: base + inPos });
  }
  return out ?? new Uint8Array(0);
}
