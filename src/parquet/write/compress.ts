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
      const params = { [constants.ZSTD_c_compressionLevel]: zstdLevel };
      // The size pledged up front lets zstd size its tables to the page (a third less time per call
      // on small pages, measured), and an output chunk as large as the worst case of the page saves
      // allocating the default 128 kB for every call (most pages are a few kB).
      return { codec: Codec.ZSTD, compress: (body) => zstdCompressSync(body, { params, pledgedSrcSize: body.length, chunkSize: Math.max(64, body.length + (body.length >> 8) + 64) }) };
    }
    case 'SNAPPY':
      return { codec: Codec.SNAPPY, compress: (body) => snappy.compress(body) };
    case 'UNCOMPRESSED':
      return { codec: Codec.UNCOMPRESSED, compress: (body) => body };
  }
}
