/** "ZL": a zlib stream (deflate with its 2-byte header and Adler-32), through node:zlib. */
import { inflateSync } from 'node:zlib';
import { registerCodec } from './registry.ts';

registerCodec({
  magic: 'ZL',
  algorithm: 'ZLIB',
  methods: [8],
  // maxOutputLength: a corrupt block must not inflate to more than its header promises.
  decompress: (payload, outSize) => inflateSync(payload, { maxOutputLength: Math.max(1, outSize) }),
});
