/**
 * "L4": ROOT's LZ4 block format. The payload is an 8-byte big-endian XXH64 (seed 0) of the
 * compressed bytes, then one raw LZ4 block. The checksum is verified before decoding.
 * Decoding uses lz4-napi (prebuilt N-API), which wants a 4-byte little-endian size prefix.
 */
import xxhash from 'xxhash-wasm';
import { uncompressSync } from 'lz4-napi';
import { registerCodec } from './registry.ts';

const { h64Raw } = await xxhash();

export class Lz4ChecksumError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Lz4ChecksumError';
  }
}

export function decompressRootLz4(payload: Uint8Array, outSize: number): Uint8Array {
  if (payload.length < 8) throw new Lz4ChecksumError(`LZ4 block of ${payload.length} bytes has no room for its checksum`);
  const view = new DataView(payload.buffer, payload.byteOffset, 8);
  const stored = view.getBigUint64(0);
  const block = payload.subarray(8);
  const actual = h64Raw(block, 0n);
  if (stored !== actual) {
    throw new Lz4ChecksumError(`LZ4 checksum mismatch: stored ${stored.toString(16)}, computed ${actual.toString(16)}`);
  }
  const framed = Buffer.allocUnsafe(block.length + 4);
  framed.writeUInt32LE(outSize, 0);
  framed.set(block, 4);
  return uncompressSync(framed);
}

registerCodec({ magic: 'L4', algorithm: 'LZ4', decompress: decompressRootLz4 });
