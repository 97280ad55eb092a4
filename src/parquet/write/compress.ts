/**
 * Page compression: ZSTD through node:zlib (native, Node 24), SNAPPY through snappyjs (pure JS),
 * or none. Each call compresses one page body; the result may be a view the caller writes at once.
 */
import { constants, zstdCompressSync } from 'node:zlib';
import snappy from 'snappyjs';
import { Codec } from './format.ts';

export type CompressionName = 'ZSTD' | 'SNAPPY' | 'UNCOMPRESSED';

export interface Compressor {
  codec: number;
  compress(body: Uint8Array): Uint8Array;
}

export function compressor(name: CompressionName, zstdLevel: number): Compressor {
  switch (name) {
    case 'ZSTD': {
      const options = { params: { [constants.ZSTD_c_compressionLevel]: zstdLevel } };
      return { codec: Codec.ZSTD, compress: (body) => zstdCompressSync(body, options) };
    }
    case 'SNAPPY':
      return { codec: Codec.SNAPPY, compress: (body) => snappy.compress(body) };
    case 'UNCOMPRESSED':
      return { codec: Codec.UNCOMPRESSED, compress: (body) => body };
  }
}
