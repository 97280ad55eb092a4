/**
 * Issue 7: the projected reader's zstd page decompression through one reused native context
 * equals node:zlib's one-shot decompression frame after frame, and after corrupt, truncated or
 * mis-sized frames (each an error) the next good frame still decodes.
 */
import { zstdCompressSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zstdDecompress } from '../src/parquet/read/zstd.ts';

describe('zstd pages through one context', () => {
  it('decodes frame after frame as zlib does, errors in between included', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 5000 }), fc.constantFrom('good', 'corrupt', 'truncated', 'short', 'long')), { maxLength: 12 }), (pages) => {
        for (const [data, how] of pages) {
          const frame = zstdCompressSync(data);
          if (how === 'good') {
            expect(Buffer.from(zstdDecompress(frame, data.length)).equals(Buffer.from(data))).toBe(true);
            continue;
          }
          if (data.length < 16) continue; // an empty output cannot tell a bad frame from a good one
          if (how === 'corrupt') frame.fill(0x5a, 4, Math.min(frame.length, 12));
          const input = how === 'truncated' ? frame.subarray(0, frame.length - 3) : frame;
          const size = how === 'short' ? data.length + 1 : how === 'long' ? data.length - 1 : data.length;
          if (size < 0) continue;
          let ok: boolean;
          try {
            ok = Buffer.from(zstdDecompress(input, size)).equals(Buffer.from(data));
          } catch {
            ok = false;
          }
          expect(ok).toBe(false);
        }
      }),
      { numRuns: 60 },
    );
  });
});
