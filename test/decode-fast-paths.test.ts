/**
 * Issue 5 (conversion speed): vector<vector<number>>, vector<ElementLink> and
 * vector<vector<ElementLink>> baskets are decoded by fast paths straight into the builders' typed
 * arrays. They must give every value bit for bit (NaN payloads, 64-bit integers) with the right
 * list offsets, for any entry range, and on damaged entries the same result or the same error as
 * the entry-by-entry content readers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Data } from 'apache-arrow';
import { W } from './helpers/bytes.ts';
import { stl } from './helpers/decoders.ts';
import { toValues } from '../src/arrow/values.ts';
import { DeserializationError } from '../src/errors.ts';
import type { DecodeArgs, StlObjectDecoder } from '../src/root/interpret/decoders.ts';
import type { Builder } from '../src/root/interpret/builders.ts';
import type { Basket } from '../src/root/tree/basket.ts';

const TYPES = [
  { type: 'vector<vector<float> >', width: 4 },
  { type: 'vector<vector<double> >', width: 8 },
  { type: 'vector<vector<short> >', width: 2 },
  { type: 'vector<vector<unsigned char> >', width: 1 },
  { type: 'vector<vector<Long64_t> >', width: 8 },
] as const;


function basketOf(data: Uint8Array, offsets: Int32Array): Basket {
  const n = offsets.length - 1;
  return {
    location: { index: 0, entryStart: 0, entryStop: n, seek: 1000, bytes: data.length + 100 },
    header: { keylen: 100, objlen: data.length, nbytes: data.length + 100, nevbuf: n, nevbufSize: 0, last: data.length + 100 },
    data,
    view: new DataView(data.buffer, data.byteOffset, data.byteLength),
    offsets,
  };
}

/** Entries as the values' big-endian bytes, grouped in inner vectors; version 0 adds a checksum. */
const entries = (width: number) =>
  fc.array(fc.tuple(fc.constantFrom(0, 6, 9), fc.array(fc.array(fc.uint8Array({ minLength: width, maxLength: width }), { maxLength: 6 }), { maxLength: 5 })), { maxLength: 8 });

function encode(list: [number, Uint8Array[][]][]): { data: Uint8Array; offsets: Int32Array } {
  const w = new W();
  const offsets = new Int32Array(list.length + 1);
  list.forEach(([version, vectors], i) => {
    offsets[i] = w.bytes.length;
    w.rec(
      version,
      (b) => {
        b.u32(vectors.length);
        for (const v of vectors) {
          b.u32(v.length);
          for (const value of v) for (const byte of value) b.u8(byte);
        }
      },
      version === 0 ? 0x12345678 : undefined,
    );
  });
  offsets[list.length] = w.bytes.length;
  return { data: w.data(), offsets };
}

/** The fast path's (or the content readers') outcome: what `extract` makes of the data, or the error. */
function decodeWith<T>(decoder: StlObjectDecoder, basket: Basket, lo: number, hi: number, generic: boolean, extract: (d: Data) => T): T | { error: string } {
  const b = decoder.newBuilder(16);
  const args: DecodeArgs = { basket, lo, hi, context: { file: 'test.root', branch: 'b' } };
  try {
    if (generic) (decoder as unknown as { decodeObjects(a: DecodeArgs, b: Builder): void }).decodeObjects(args, b);
    else decoder.decode(args, b);
  } catch (err) {
    if (!(err instanceof DeserializationError)) throw err;
    return { error: `${err.message} ${JSON.stringify(err.context)}` };
  }
  return extract(b.finish());
}

/** Offsets of both list levels and the values' bytes. */
function run(decoder: StlObjectDecoder, basket: Basket, lo: number, hi: number, generic: boolean): unknown {
  return decodeWith(decoder, basket, lo, hi, generic, (d) => {
    const inner = d.children[0]!;
    const values = inner.children[0]!.values as ArrayLike<number> & { buffer: ArrayBuffer; byteOffset: number; byteLength: number };
    return {
      outer: [...d.valueOffsets.subarray(0, d.length + 1)],
      inner: [...inner.valueOffsets.subarray(0, inner.length + 1)],
      values: [...new Uint8Array(values.buffer, values.byteOffset, values.byteLength)],
    };
  });
}

describe('vector<vector<number>> fast path', () => {
  for (const { type, width } of TYPES) {
    it(`${type}: every value's bits and the offsets, any entry range`, () => {
      const decoder = stl(type);
      fc.assert(
        fc.property(entries(width), fc.nat(), fc.nat(), (list, a, b) => {
          const { data, offsets } = encode(list);
          const n = list.length;
          const lo = n ? a % (n + 1) : 0;
          const hi = lo + (n - lo ? b % (n - lo + 1) : 0);
          const got = run(decoder, basketOf(data, offsets), lo, hi, false);
          const chosen = list.slice(lo, hi).map(([, v]) => v);
          const outer = [0];
          const inner = [0];
          const values: number[] = [];
          for (const vectors of chosen) {
            for (const v of vectors) {
              for (const value of v) values.push(...[...value].reverse()); // big-endian in, little-endian out
              inner.push(inner.at(-1)! + v.length);
            }
            outer.push(outer.at(-1)! + vectors.length);
          }
          expect(got).toEqual({ outer, inner, values });
        }),
        { numRuns: 80 },
      );
    });
  }

  it('an inner size one too small: the bytes left over are an error, as in the content readers', () => {
    const decoder = stl('vector<vector<float> >');
    const { data, offsets } = encode([[9, [[new Uint8Array(4), new Uint8Array(4)]]]]);
    data[13] = 1; // the inner vector's size, 2 -> 1
    const got = run(decoder, basketOf(data, offsets), 0, 1, false);
    expect(got).toEqual({ error: expect.stringContaining('4 bytes left undecoded') });
    expect(got).toEqual(run(decoder, basketOf(data, offsets), 0, 1, true));
  });

  it('damaged entries: the same result or the same error as the content readers', () => {
    const decoder = stl('vector<vector<float> >');
    // Damage near an entry's start hits headers and sizes (small bytes: counts off by a little).
    const damages = fc.array(fc.tuple(fc.nat(), fc.nat({ max: 24 }), fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 3 }))), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(entries(4), damages, (list, damage) => {
        const { data, offsets } = encode(list);
        if (data.length === 0) return;
        for (const [entry, at, byte] of damage) data[(offsets[entry % list.length]! + at) % data.length] = byte;
        const basket = basketOf(data, offsets);
        expect(run(decoder, basket, 0, list.length, false)).toEqual(run(decoder, basket, 0, list.length, true));
      }),
      { numRuns: 300 },
    );
  });
});

/** A link object-wise: ElementLink's and ElementLinkBase's headers (version 0: with checksum). */
function link(w: W, [v1, v2, key, index]: [number, number, number, number]): void {
  w.rec(v1, (a) => a.rec(v2, (b) => b.u32(key).u32(index), v2 === 0 ? 0xfeb3df9e : undefined), v1 === 0 ? 0xd31237d7 : undefined);
}

const linkArb = fc.tuple(fc.constantFrom(0, 1), fc.constantFrom(0, 1), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }));

/** vector<ElementLink> entries: object-wise, or member-wise (keys, then indexes). */
const linkEntries = fc.array(fc.tuple(fc.constantFrom(6, 9, 0, 0x4000 | 9), fc.array(linkArb, { maxLength: 5 })), { maxLength: 8 });
const nestedLinkEntries = fc.array(fc.tuple(fc.constantFrom(6, 9, 0), fc.array(fc.array(linkArb, { maxLength: 4 }), { maxLength: 4 })), { maxLength: 8 });

function encodeLinks(list: [number, unknown[]][], nested: boolean): { data: Uint8Array; offsets: Int32Array } {
  const w = new W();
  const offsets = new Int32Array(list.length + 1);
  list.forEach(([version, items], i) => {
    offsets[i] = w.bytes.length;
    w.rec(
      version,
      (b) => {
        if (version & 0x4000) {
          const ls = items as [number, number, number, number][];
          b.u16(1).u32(ls.length);
          for (const l of ls) b.u32(l[2]);
          for (const l of ls) b.u32(l[3]);
          return;
        }
        b.u32(items.length);
        for (const item of items) {
          if (!nested) link(b, item as [number, number, number, number]);
          else {
            const ls = item as [number, number, number, number][];
            b.u32(ls.length);
            for (const l of ls) link(b, l);
          }
        }
      },
      version === 0 ? 0x12345678 : undefined,
    );
  });
  offsets[list.length] = w.bytes.length;
  return { data: w.data(), offsets };
}

function values(decoder: StlObjectDecoder, basket: Basket, lo: number, hi: number, generic: boolean): unknown {
  return decodeWith(decoder, basket, lo, hi, generic, toValues);
}

describe('vector<ElementLink> and vector<vector<ElementLink>> fast path', () => {
  for (const [type, nested] of [
    ['vector<ElementLink<DataVector<xAOD::TrackParticle_v1> > >', false],
    ['vector<vector<ElementLink<DataVector<xAOD::IParticle> > > >', true],
  ] as const) {
    it(`${type}: the content readers' values for any entry range (member-wise entries too), and their errors on damaged entries`, () => {
      const decoder = stl(type);
      const damages = fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 3 }))), { maxLength: 3 });
      fc.assert(
        fc.property(nested ? nestedLinkEntries : linkEntries, fc.nat(), fc.nat(), damages, (list, a, b, damage) => {
          const { data, offsets } = encodeLinks(list as [number, unknown[]][], nested);
          const n = list.length;
          const lo = n ? a % (n + 1) : 0;
          const hi = lo + (n - lo ? b % (n - lo + 1) : 0);
          const basket = basketOf(data, offsets);
          const got = values(decoder, basket, lo, hi, false);
          if (!nested) {
            const expected = list.slice(lo, hi).map(([, ls]) => ls.map(([, , key, index]) => ({ m_persKey: key, m_persIndex: index })));
            expect(got).toEqual(expected);
          }
          expect(got).toEqual(values(decoder, basket, lo, hi, true));
          if (data.length === 0 || damage.length === 0) return;
          for (const [entry, at, byte] of damage) data[(offsets[entry % n]! + at) % data.length] = byte;
          expect(values(decoder, basket, 0, n, false)).toEqual(values(decoder, basket, 0, n, true));
        }),
        { numRuns: 300 },
      );
    });
  }
});
