/**
 * "ZS": one zstd frame. node:zlib's native zstd (Node >= 22.15, about 10x faster) through one
 * reused context (src/codec/zstd.ts) when present, else the pure-JS fzstd.
 */
import * as zlib from 'node:zlib';
import { decompress as fzstdDecompress } from 'fzstd';
import { zstdDecompress } from '../../codec/zstd.ts';
import { registerCodec } from './registry.ts';

const native = typeof (zlib as { zstdDecompressSync?: unknown }).zstdDecompressSync === 'function';

export const zstdImplementation = native ? 'node:zlib' : 'fzstd';

registerCodec({
  magic: 'ZS',
  algorithm: 'ZSTD',
  decompress: native ? (payload, outSize, into) => zstdDecompress(payload, outSize, into) : (payload, outSize) => fzstdDecompress(payload, new Uint8Array(outSize)),
});
