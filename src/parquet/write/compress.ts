/**
 * Page compression: ZSTD through node:zlib's native zstd with one reused context
 * (src/codec/zstd.ts), SNAPPY through snappyjs (pure JS), or none. Each call compresses one page
 * body; the result may be a view the caller writes at once (it is overwritten by the next call).
 */
import snappy from 'snappyjs';
import { zstdCompress } from '../../codec/zstd.ts';
import { Codec } from './format.ts';

export type CompressionName = 'ZSTD' | 'SNAPPY' | 'UNCOMPRESSED';

export interface Compressor {
  codec: number;
  compress(body: Uint8Array): Uint8Array;
}

export function compressor(name: CompressionName, zstdLevel: number): Compressor {
  switch (name) {
    case 'ZSTD':
      // The whole page in one call: zstd sizes its tables to the page (as a pledged size would).
      return { codec: Codec.ZSTD, compress: (body) => zstdCompress(body, zstdLevel) };
    case 'SNAPPY':
      return { codec: Codec.SNAPPY, compress: (body) => snappy.compress(body) };
    case 'UNCOMPRESSED':
      return { codec: Codec.UNCOMPRESSED, compress: (body) => body };
  }
}
