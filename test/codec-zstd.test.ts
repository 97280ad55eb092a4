/**
 * src/codec/zstd.ts: compression through one reused native context gives zstdCompressSync's bytes
 * (with the pledged size) frame after frame, at any level, and round-trips through the reused
 * decompression context; decompression errors (corrupt, truncated, short, long frames) in between
 * never poison the next call in either direction; without node:zlib's internals the public
 * functions give the same results.
 */
import zlib, { constants, zstdCompressSync } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { wholeFrames, zstdBound, zstdCompress, zstdDecompress } from '../src/codec/zstd.ts';

const oneShot = (data: Uint8Array, level: number): Buffer => zstdCompressSync(data, { params: { [constants.ZSTD_c_compressionLevel]: level }, pledgedSrcSize: data.length });

// Compressible data too: random bytes alone would only exercise zstd's raw blocks.
const page = fc.oneof(
  fc.uint8Array({ maxLength: 6000 }),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 3000 })).map(([unit, n]) => {
    const out = new Uint8Array(unit.length * n);
    for (let i = 0; i < n; i++) out.set(unit, i * unit.length);
    return out;
  }),
);

describe('zstd through reused contexts', () => {
  it('compresses as zstdCompressSync does and round-trips, with decompression errors in between', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(page, fc.constantFrom(1, 3, 5, 9), fc.constantFrom('good', 'corrupt', 'truncated', 'short', 'long')), { maxLength: 10 }), (pages) => {
        for (const [data, level, how] of pages) {
          const frame = zstdCompress(data, level).slice();
          expect(frame.length).toBeLessThanOrEqual(zstdBound(data.length) + 64);
          expect(Buffer.from(frame).equals(oneShot(data, level))).toBe(true);
          expect(Buffer.from(zstdDecompress(frame, data.length)).equals(Buffer.from(data))).toBe(true);
          if (how === 'good' || data.length < 16) continue;
          if (how === 'corrupt') frame.fill(0x5a, 4, Math.min(frame.length, 12));
          const input = how === 'truncated' ? frame.subarray(0, frame.length - 3) : frame;
          const size = how === 'short' ? data.length + 1 : how === 'long' ? data.length - 1 : data.length;
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

  it('whole frames are told from cut ones by their headers (property)', () => {
    const withChecksum = (data: Uint8Array): Buffer => zstdCompressSync(data, { params: { [constants.ZSTD_c_checksumFlag]: 1 } });
    const skippable = (n: number): Buffer => Buffer.concat([Buffer.from([0x5a, 0x2a, 0x4d, 0x18]), Buffer.from(Uint32Array.of(n).buffer), Buffer.alloc(n)]);
    fc.assert(
      fc.property(fc.array(fc.tuple(page, fc.constantFrom('plain', 'checksum', 'skippable')), { minLength: 1, maxLength: 3 }), fc.nat(), (parts, cut) => {
        const each = parts.map(([data, kind]) => (kind === 'plain' ? oneShot(data, 3) : kind === 'checksum' ? withChecksum(data) : skippable(data.length % 50)));
        const frames = Buffer.concat(each);
        const ends = new Set(each.map((_, i) => each.slice(0, i).reduce((n, f) => n + f.length, 0)));
        expect(wholeFrames(frames)).toBe(true);
        const c = cut % frames.length;
        expect(wholeFrames(frames.subarray(0, c))).toBe(ends.has(c));
      }),
      { numRuns: 300 },
    );
  });

  it('a frame cut inside its checksum leaves nothing behind for the next frame', () => {
    const data = new Uint8Array(5000).map((_, i) => (i * 13) % 7);
    const next = new Uint8Array(3000).map((_, i) => (i * 5) % 11);
    const frame = zstdCompressSync(data, { params: { [constants.ZSTD_c_checksumFlag]: 1 } });
    for (let cut = 1; cut <= 4; cut++) {
      try {
        zstdDecompress(frame.subarray(0, frame.length - cut), data.length);
      } catch {
        // refused or accepted: either way the next frame must decode on its own
      }
      expect(Buffer.from(zstdDecompress(oneShot(next, 3), next.length)).equals(Buffer.from(next))).toBe(true);
    }
  });

  it('rejects a frame that decodes to more bytes than asked, even when the input is used up', () => {
    const data = new Uint8Array(100_000).fill(7);
    const frame = zstdCompressSync(data);
    for (const size of [1, 1000, 99_999]) expect(() => zstdDecompress(frame, size)).toThrow(/more than/);
    expect(Buffer.from(zstdDecompress(frame, data.length)).equals(Buffer.from(data))).toBe(true);
  });

  it('returns a view that the next compression overwrites (the caller writes it at once)', () => {
    const a = new Uint8Array(5000).fill(1);
    const b = new Uint8Array(5000).fill(2);
    const first = zstdCompress(a, 3);
    const copy = first.slice();
    zstdCompress(b, 3);
    expect(Buffer.from(copy).equals(oneShot(a, 3))).toBe(true);
    expect(Buffer.from(first).equals(Buffer.from(copy))).toBe(false);
  });

  it('refuses a checksummed frame whose checksum is cut off or wrong, though every byte is there', () => {
    const data = new Uint8Array(5000).map((_, i) => (i * 7) % 251);
    const frame = zstdCompressSync(data, { params: { [constants.ZSTD_c_checksumFlag]: 1 } });
    expect(Buffer.from(zstdDecompress(frame, data.length)).equals(Buffer.from(data))).toBe(true);
    expect(() => zstdDecompress(frame.subarray(0, frame.length - 4), data.length)).toThrow();
    const wrong = Uint8Array.from(frame);
    wrong[wrong.length - 1]! ^= 1;
    expect(() => zstdDecompress(wrong, data.length)).toThrow(/checksum/);
    // The context is usable again after both failures.
    expect(Buffer.from(zstdDecompress(frame, data.length)).equals(Buffer.from(data))).toBe(true);
  });
});

describe('without node:zlib internals', () => {
  afterEach(() => {
    vi.doUnmock('node:zlib');
    vi.resetModules();
  });

  it('falls back to the public one-shot functions with the same results', async () => {
    vi.resetModules();
    const noInternals = { ...zlib, createZstdCompress: () => ({}), createZstdDecompress: () => ({}) };
    vi.doMock('node:zlib', () => ({ default: noInternals, ...noInternals }));
    const fallback = await import('../src/codec/zstd.ts');
    const data = new Uint8Array(20_000).map((_, i) => (i * 7) % 251);
    const frame = fallback.zstdCompress(data, 3);
    expect(Buffer.from(frame).equals(oneShot(data, 3))).toBe(true);
    expect(Buffer.from(fallback.zstdDecompress(frame, data.length)).equals(Buffer.from(data))).toBe(true);
    expect(fallback.zstdPath()).toBe('node:zlib one-shot');
    expect(() => fallback.zstdDecompress(frame.subarray(0, frame.length - 5), data.length)).toThrow();
  });
});
