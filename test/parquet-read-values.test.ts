/**
 * Issue 7, the projected reader's BYTE_STREAM_SPLIT decoder (src/parquet/read/values.ts), four
 * values at a time through unaligned 32-bit reads: for any values of FLOAT, DOUBLE, INT32 and
 * INT64, any page offset (streams at any alignment), any number of values taken from the streams
 * and any values already in the buffer, the decoded values are the bytes of the values split into
 * streams (property test against a byte-by-byte reference).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PhysicalType } from '../src/parquet/read/metadata.ts';
import { sameBytes } from '../src/parquet/read/pages.ts';
import { Values } from '../src/parquet/read/values.ts';

/** The values' little-endian bytes, split into `size` streams after `lead` bytes. */
function split(bytes: Uint8Array, size: number, lead: number): Uint8Array {
  const n = bytes.length / size;
  const page = new Uint8Array(lead + bytes.length);
  for (let k = 0; k < n; k++) for (let b = 0; b < size; b++) page[lead + b * n + k] = bytes[k * size + b]!;
  return page;
}

describe('BYTE_STREAM_SPLIT decoding', () => {
  for (const [name, physical, size] of [
    ['FLOAT', PhysicalType.FLOAT, 4],
    ['DOUBLE', PhysicalType.DOUBLE, 8],
    ['INT32', PhysicalType.INT32, 4],
    ['INT64', PhysicalType.INT64, 8],
  ] as const) {
    it(`${name}: any values, offsets and counts decode to the values' bytes`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 40 * size }),
          fc.nat(7),
          fc.nat(9),
          fc.nat(),
          (raw, lead, before, cut) => {
            const total = Math.floor(raw.length / size);
            const bytes = raw.subarray(0, total * size);
            const count = total === 0 ? 0 : total - (cut % (Math.min(total, 5) + 1));
            const page = split(bytes, size, lead);
            const v = new Values(physical, before + count);
            // Values already in the buffer stay, the page's follow them.
            const first = new Uint8Array(before * size).fill(0xa5);
            v.plain(first, 0, first.length, before);
            v.byteStreamSplit(page, lead, page.length, count);
            expect(v.n).toBe(before + count);
            const got = new Uint8Array(v.data.buffer, v.data.byteOffset, (before + count) * size);
            expect([...got.subarray(0, before * size)]).toEqual([...first]);
            expect([...got.subarray(before * size)]).toEqual([...bytes.subarray(0, count * size)]);
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});

/** PLAIN byte arrays: each value's 4-byte little-endian length, then its bytes, after `lead` bytes; `tail` bytes follow. */
function plainBytes(values: Uint8Array[], lead: number, tail: number): Uint8Array {
  let n = lead + tail;
  for (const v of values) n += 4 + v.length;
  const page = new Uint8Array(n).fill(0x5a);
  let p = lead;
  for (const v of values) {
    new DataView(page.buffer).setUint32(p, v.length, true);
    page.set(v, p + 4);
    p += 4 + v.length;
  }
  return page;
}

describe('PLAIN byte array decoding (issue 7: one pass, short values four bytes at a time)', () => {
  it('any values (short, long, empty), pages, offsets and buffer sizes decode to the values and their offsets', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.uint8Array({ maxLength: 70 }), { maxLength: 30 }), { minLength: 1, maxLength: 4 }),
        fc.nat(7),
        fc.nat(40),
        fc.option(fc.nat(400), { nil: undefined }),
        (pages, lead, tail, bytes) => {
          const all = pages.flat();
          const v = new Values(PhysicalType.BYTE_ARRAY, all.length, undefined, undefined, bytes);
          for (const values of pages) {
            const page = plainBytes(values, lead, tail);
            // The page's values end where its bytes do, or `tail` bytes before (both are read).
            v.plain(page, lead, page.length - (tail & 1 ? tail : 0), values.length);
          }
          expect(v.n).toBe(all.length);
          const o = v.offsets!;
          let at = 0;
          all.forEach((x, k) => {
            expect(o[k]).toBe(at);
            expect([...(v.data as Uint8Array).subarray(at, at + x.length)]).toEqual([...x]);
            at += x.length;
          });
          expect(o[all.length]).toBe(at);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a length past the end of the values is refused', () => {
    const page = plainBytes([new Uint8Array([1, 2, 3]), new Uint8Array(10).fill(7)], 2, 0);
    const v = new Values(PhysicalType.BYTE_ARRAY, 2);
    expect(() => v.plain(page, 2, page.length - 1, 2)).toThrow(/run past the end/);
    const w = new Values(PhysicalType.BYTE_ARRAY, 3);
    expect(() => w.plain(page, 2, page.length, 3)).toThrow(/run past the end/);
  });
});

describe('sameBytes (levels compared to share decoded levels and list offsets)', () => {
  it('says whether the first n bytes are equal, at any offsets and lengths', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(5), fc.nat(5), fc.nat(70), fc.option(fc.nat(63), { nil: undefined }), (x, ia, ib, n0, flip) => {
        const n = Math.min(n0, x.length);
        const a = new Uint8Array(ia + x.length);
        a.set(x, ia);
        const b = new Uint8Array(ib + x.length + 3);
        b.set(x, ib);
        if (flip !== undefined && x.length > 0) b[ib + (flip % x.length)] ^= 1;
        const va = a.subarray(ia);
        const vb = b.subarray(ib);
        let same = true;
        for (let k = 0; k < n; k++) if (va[k] !== vb[k]) same = false;
        expect(sameBytes(va, vb, n)).toBe(same);
      }),
      { numRuns: 500 },
    );
  });
});
