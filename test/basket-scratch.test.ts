/**
 * Issue 5 (conversion speed): the TTree reader decompresses a branch's baskets into reused memory
 * (BasketScratch through decompressBuffer's `take`). Every codec, single and multi-block buffers,
 * gives the same bytes as decompressing into new arrays, and pieces handed out before a release
 * stay intact while later ones are taken (and the buffer grows).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compressBuffer, parseCompression } from '../src/root/compression/compress.ts';
import { decompressBuffer } from '../src/root/compression/index.ts';
import { BasketScratch } from '../src/root/tree/basket-scratch.ts';

// Repetitive data, so each block shrinks and keeps its block header (a raw block has none).
const part = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.integer({ min: 64, max: 40_000 }), fc.constantFrom('zstd:3', 'zlib:6', 'lz4:4'))
  .map(([unit, n, algorithm]) => {
    const data = new Uint8Array(unit.length * n);
    for (let i = 0; i < n; i++) data.set(unit, i * unit.length);
    return { data, packed: compressBuffer(data, parseCompression(algorithm)) };
  })
  .filter((p) => p.packed.length !== p.data.length);

const concat = (arrays: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
};

describe('baskets decompressed into reused memory', () => {
  it('equal the bytes decompressed into new arrays; earlier pieces survive until released', async () => {
    const scratch = new BasketScratch();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.array(part, { minLength: 1, maxLength: 3 }), fc.boolean()), { minLength: 1, maxLength: 6 }), async (buffers) => {
        const kept: [Uint8Array, Uint8Array][] = [];
        for (const [parts, release] of buffers) {
          const expected = concat(parts.map((p) => p.data));
          const src = concat(parts.map((p) => p.packed));
          const got = await decompressBuffer(src, expected.length, {}, 0, scratch.take);
          expect(Buffer.from(got).equals(Buffer.from(expected))).toBe(true);
          expect(Buffer.from(await decompressBuffer(src, expected.length)).equals(Buffer.from(expected))).toBe(true);
          kept.push([got, expected]);
          for (const [piece, bytes] of kept) expect(Buffer.from(piece).equals(Buffer.from(bytes))).toBe(true);
          if (release) {
            scratch.release();
            kept.length = 0;
          }
        }
        scratch.release();
      }),
      { numRuns: 40 },
    );
  });

  it('a corrupt block is still an error naming its offset', async () => {
    const data = new Uint8Array(50_000).map((_, i) => i % 7);
    const src = compressBuffer(data, parseCompression('zstd:3'));
    src.fill(0x5a, 20, 40);
    await expect(decompressBuffer(src, data.length, { file: 'f.root' }, 1000, new BasketScratch().take)).rejects.toThrow(/ZSTD block does not decompress/);
  });
});
