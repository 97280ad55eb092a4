/**
 * "ZS": one zstd frame. node:zlib's zstd (Node >= 22.15, about 10x faster) when present,
 * else the pure-JS fzstd.
 */
import * as zlib from 'node:zlib';
import { decompress as fzstdDecompress } from 'fzstd';
import { registerCodec } from './registry.ts';

type ZstdSync = (buf: Uint8Array, options?: { maxOutputLength?: number }) => Uint8Array;
const nativeZstd = (zlib as unknown as { zstdDecompressSync?: ZstdSync }).zstdDecompressSync;

export const zstdImplementation = nativeZstd ? 'node:zlib' : 'fzstd';

registerCodec({
  magic: 'ZS',
  algorithm: 'ZSTD',
  decompress: nativeZstd ? (payload, outSize) => nativeZstd(payload, { maxOutputLength: Math.max(1, outSize) }) : (payload, outSize) => fzstdDecompress(payload, new Uint8Array(outSize)),
});
