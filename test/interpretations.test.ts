/**
 * Byte-level tests of every basket decoder on small baskets built here, in ROOT's layout:
 * big-endian values, `[bytecount|0x40000000][u16 version]` object headers, entry offsets.
 */
import { describe, expect, it } from 'vitest';
import { W } from './helpers/bytes.ts';
import { stl } from './helpers/decoders.ts';
import { toValues } from '../src/arrow/values.ts';
import { DeserializationError } from '../src/errors.ts';
import {
  CollectionMemberDecoder,
  DataVectorDecoder,
  ElementLinkRecordDecoder,
  FixedDecoder,
  JaggedLeafDecoder,
  LeafStringDecoder,
  type BasketDecoder,
} from '../src/root/interpret/decoders.ts';
import { parseTypeName } from '../src/root/interpret/typename.ts';
import type { Basket } from '../src/root/tree/basket.ts';

function basketOf(entries: W[], withOffsets = true): Basket {
  const data: number[] = [];
  const offsets = new Int32Array(entries.length + 1);
  entries.forEach((e, i) => {
    offsets[i] = data.length;
    data.push(...e.bytes);
  });
  offsets[entries.length] = data.length;
  const bytes = new Uint8Array(data);
  return {
    location: { index: 0, entryStart: 0, entryStop: entries.length, seek: 1000, bytes: data.length + 100 },
    header: { keylen: 100, objlen: data.length, nbytes: data.length + 100, nevbuf: entries.length, nevbufSize: 0, last: data.length + 100 },
    data: bytes,
    view: new DataView(bytes.buffer),
    offsets: withOffsets ? offsets : null,
  };
}

function decode(decoder: BasketDecoder, basket: Basket, lo = 0, hi = basket.header.nevbuf, counts?: Int32Array): unknown[] {
  const b = decoder.newBuilder(16);
  decoder.decode({ basket, lo, hi, counts, context: { file: 'test.root', branch: 'b' } }, b);
  return toValues(b.finish());
}


const link = (w: W, key: number, index: number): W =>
  w.rec(0, (a) => a.rec(0, (b) => b.u32(key).u32(index), 0xfeb3df9e), 0xd31237d7);

describe('fixed-size entries', () => {
  it('reads scalars of every width, 64-bit values above 2^53 exactly', () => {
    const big = 2n ** 63n + 12345n;
    const b = basketOf([new W().u64(big), new W().u64(7n)], false);
    expect(decode(new FixedDecoder('u64', 1, 'ULong64_t'), b)).toEqual([big, 7n]);
    const i = basketOf([new W().u32(0xffffffff), new W().u32(5)], false);
    expect(decode(new FixedDecoder('i32', 1, 'Int_t'), i)).toEqual([-1, 5]);
    const f = basketOf([new W().f32(54975.88671875), new W().f32(NaN)], false);
    const vals = decode(new FixedDecoder('f32', 1, 'Float_t'), f);
    expect(vals[0]).toBe(54975.88671875);
    expect(Number.isNaN(vals[1])).toBe(true);
    const d = basketOf([new W().f64(-0), new W().f64(Infinity)], false);
    expect(decode(new FixedDecoder('f64', 1, 'Double_t'), d)).toEqual([-0, Infinity]);
    const c = basketOf([new W().u8(0xff), new W().u8(3)], false);
    expect(decode(new FixedDecoder('i8', 1, 'Char_t'), c)).toEqual([-1, 3]);
    const o = basketOf([new W().u8(1), new W().u8(0), new W().u8(2)], false);
    expect(decode(new FixedDecoder('bool', 1, 'Bool_t'), o)).toEqual([true, false, true]);
    const s = basketOf([new W().u16(0xfffe), new W().u16(2)], false);
    expect(decode(new FixedDecoder('i16', 1, 'Short_t'), s)).toEqual([-2, 2]);
    expect(decode(new FixedDecoder('u16', 1, 'UShort_t'), s)).toEqual([65534, 2]);
  });

  it('reads leaf arrays as fixed-size lists and honours entry ranges', () => {
    const b = basketOf([new W().f32(1).f32(2).f32(3), new W().f32(4).f32(5).f32(6), new W().f32(7).f32(8).f32(9)], false);
    expect(decode(new FixedDecoder('f32', 3, 'Float_t[3]'), b)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
    expect(decode(new FixedDecoder('f32', 3, 'Float_t[3]'), b, 1, 3)).toEqual([
      [4, 5, 6],
      [7, 8, 9],
    ]);
  });

  it('rejects a basket whose size does not match its entries', () => {
    const b = basketOf([new W().u32(1), new W().u32(2)], false);
    b.header.nevbuf = 3;
    expect(() => decode(new FixedDecoder('i32', 1, 'Int_t'), b, 0, 2)).toThrow(DeserializationError);
  });
});

describe('count-indexed leaves and strings', () => {
  it('reads Float_t[N] from entry offsets', () => {
    const b = basketOf([new W().f32(1.5).f32(2.5), new W(), new W().f32(-3)]);
    expect(decode(new JaggedLeafDecoder('f32', 'Float_t[N]'), b)).toEqual([[1.5, 2.5], [], [-3]]);
  });

  it('rejects an entry that is not a whole number of values', () => {
    const b = basketOf([new W().u8(1).u8(2).u8(3)]);
    expect(() => decode(new JaggedLeafDecoder('f32', 'Float_t[N]'), b)).toThrow(/whole number/);
  });

  it('reads TLeafC strings, including the long-length form', () => {
    const long = 'x'.repeat(300);
    const b = basketOf([new W().str('GT'), new W().str(''), new W().str(long)]);
    expect(decode(new LeafStringDecoder(), b)).toEqual(['GT', '', long]);
  });
});

describe('STL collections', () => {
  it('vector<float>: header, count, big-endian values', () => {
    const b = basketOf([
      new W().rec(9, (w) => w.u32(3).f32(54975.88671875).f32(33754.9765625).f32(4253.15576171875)),
      new W().rec(9, (w) => w.u32(1).f32(94189.25)),
      new W().rec(9, (w) => w.u32(0)),
    ]);
    expect(decode(stl('vector<float>'), b)).toEqual([[54975.88671875, 33754.9765625, 4253.15576171875], [94189.25], []]);
    expect(decode(stl('vector<float>'), b, 1, 2)).toEqual([[94189.25]]);
  });

  it('vector<T> for every numeric T and char', () => {
    const cases: [string, (w: W, v: number) => W, number[]][] = [
      ['vector<char>', (w, v) => w.u8(v), [1, -1]],
      ['vector<unsigned char>', (w, v) => w.u8(v), [1, 255]],
      ['vector<short>', (w, v) => w.u16(v), [-2, 7]],
      ['vector<unsigned short>', (w, v) => w.u16(v), [65535, 7]],
      ['vector<int>', (w, v) => w.u32(v), [-5, 1 << 30]],
      ['vector<unsigned int>', (w, v) => w.u32(v), [4294967295, 0]],
      ['vector<double>', (w, v) => w.f64(v), [Math.PI, -1e300]],
    ];
    for (const [type, put, values] of cases) {
      const b = basketOf([new W().rec(9, (w) => values.reduce((acc, v) => put(acc, v), w.u32(values.length)))]);
      expect(decode(stl(type), b), type).toEqual([values]);
    }
    const big = [2n ** 64n - 1n, 2n ** 53n + 1n];
    const u = basketOf([new W().rec(9, (w) => w.u32(2).u64(big[0]!).u64(big[1]!))]);
    expect(decode(stl('vector<unsigned long>'), u)).toEqual([big]);
    expect(decode(stl('vector<ULong64_t>'), u)).toEqual([big]);
    expect(decode(stl('vector<long>'), u)).toEqual([[-1n, 2n ** 53n + 1n]]);
  });

  it('vector<vector<float>> and three levels: inner collections without headers', () => {
    const b = basketOf([new W().rec(9, (w) => w.u32(2).u32(2).f32(1).f32(2).u32(0)), new W().rec(9, (w) => w.u32(0))]);
    expect(decode(stl('vector<vector<float> >'), b)).toEqual([[[1, 2], []], []]);
    const c = basketOf([new W().rec(9, (w) => w.u32(1).u32(2).u32(1).u8(7).u32(0))]);
    expect(decode(stl('vector<vector<vector<unsigned char> > >'), c)).toEqual([[[[7], []]]]);
  });

  it('vector<string> and vector<set<unsigned int>>', () => {
    const b = basketOf([new W().rec(9, (w) => w.u32(2).str('SoftClusCore').str('PVSoftTrkCore'))]);
    expect(decode(stl('vector<string>'), b)).toEqual([['SoftClusCore', 'PVSoftTrkCore']]);
    const s = basketOf([new W().rec(9, (w) => w.u32(2).u32(2).u32(3).u32(9).u32(0))]);
    expect(decode(stl('vector<set<unsigned int> >'), s)).toEqual([[[3, 9], []]]);
  });

  it('vector<vector<ElementLink>>: per-link headers with checksums', () => {
    const b = basketOf([new W().rec(9, (w) => link(link(w.u32(2).u32(2), 11, 1), 12, 2).u32(0))]);
    expect(decode(stl('vector<vector<ElementLink<DataVector<xAOD::IParticle> > > >'), b)).toEqual([
      [
        [
          { m_persKey: 11, m_persIndex: 1 },
          { m_persKey: 12, m_persIndex: 2 },
        ],
        [],
      ],
    ]);
  });

  it('member-wise vector<ElementLink> (version bit 0x4000): keys then indexes', () => {
    const b = basketOf([new W().rec(0x4009, (w) => w.u16(0).u32(0xa706700b).u32(3).u32(7).u32(7).u32(8).u32(0).u32(1).u32(0xffffffff))]);
    expect(decode(stl('vector<ElementLink<DataVector<xAOD::Jet_v1> > >'), b)).toEqual([
      [
        { m_persKey: 7, m_persIndex: 0 },
        { m_persKey: 7, m_persIndex: 1 },
        { m_persKey: 8, m_persIndex: 4294967295 },
      ],
    ]);
  });

  it('rejects headers that disagree with the entry size, naming the entry', () => {
    const good = new W().rec(9, (w) => w.u32(1).f32(1));
    const bad = new W().rec(9, (w) => w.u32(5).f32(1));
    const b = basketOf([good, bad]);
    let err: unknown;
    try {
      decode(stl('vector<float>'), b);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DeserializationError);
    expect((err as DeserializationError).context).toMatchObject({ file: 'test.root', branch: 'b', entry: 1 });
    const nested = basketOf([new W().rec(9, (w) => w.u32(1).u32(1000).f32(1))]);
    expect(() => decode(stl('vector<vector<float> >'), nested)).toThrow(DeserializationError);
  });
});

describe('xAOD layouts', () => {
  it('DataVector interface branches give the element count', () => {
    const b = basketOf([new W().rec(0x4009, (w) => w.u16(0).u32(0xf52a703c).u32(3)), new W().rec(0x4009, (w) => w.u16(0).u32(0xf52a703c).u32(0))]);
    expect(decode(new DataVectorDecoder([], 'DataVector'), b)).toEqual([3, 0]);
  });

  it('DataVector with persistent element members gives a list of structs', () => {
    const b = basketOf([new W().rec(0x4009, (w) => w.u16(0).u32(1).u32(2).u32(15).u32(224))]);
    expect(decode(new DataVectorDecoder([{ name: 'm_samplingPattern', prim: 'u32' }], 'DataVector'), b)).toEqual([
      [{ m_samplingPattern: 15 }, { m_samplingPattern: 224 }],
    ]);
    // undecoded trailing members are an error, never silently dropped
    const extra = basketOf([new W().rec(0x4009, (w) => w.u16(0).u32(1).u32(1).u32(15))]);
    expect(() => decode(new DataVectorDecoder([], 'DataVector'), extra)).toThrow(/left undecoded/);
  });

  it('split collection members: n values per entry from the count branch', () => {
    const b = basketOf([new W().u32(0).u32(0).u32(0x2bdecd27), new W().u32(5), new W()]);
    expect(decode(new CollectionMemberDecoder('u32', 'm_persKey'), b, 0, 3, Int32Array.from([3, 1, 0]))).toEqual([[0, 0, 0x2bdecd27], [5], []]);
    expect(() => decode(new CollectionMemberDecoder('u32', 'm_persKey'), b, 0, 3, Int32Array.from([2, 1, 0]))).toThrow(DeserializationError);
    const s = basketOf([new W().rec(9, (w) => w.str('GEOMETRY').str('ATLAS-R2')), new W().rec(9, () => {})]);
    expect(decode(new CollectionMemberDecoder(undefined, 'first'), s, 0, 2, Int32Array.from([2, 0]))).toEqual([['GEOMETRY', 'ATLAS-R2'], []]);
  });

  it('split ElementLink objects: one ElementLinkBase record per entry', () => {
    const rec = (k: number, i: number): W => new W().rec(0, (w) => w.u32(k).u32(i), 0xfeb3df9e);
    const b = basketOf([rec(936461719, 0), rec(1, 2)]);
    expect(decode(new ElementLinkRecordDecoder(), b)).toEqual([
      { m_persKey: 936461719, m_persIndex: 0 },
      { m_persKey: 1, m_persIndex: 2 },
    ]);
  });
});

describe('type names', () => {
  it('parses ROOT spellings', () => {
    expect(parseTypeName('vector<vector<float> >')).toMatchObject({ kind: 'vector', inner: { kind: 'vector', inner: { kind: 'prim', prim: 'f32' } } });
    expect(parseTypeName('std::vector<std::uint8_t>'.replace('std::uint8_t', 'uint8_t'))).toMatchObject({ kind: 'vector', inner: { prim: 'u8' } });
    expect(parseTypeName('vector<pair<string,string> >')).toMatchObject({ kind: 'vector', inner: { kind: 'pair', first: { kind: 'string' } } });
    expect(parseTypeName('ElementLink<DataVector<xAOD::Vertex_v1> >').kind).toBe('elementlink');
    expect(parseTypeName('DataVector<xAOD::Jet_v1>').kind).toBe('datavector');
    expect(parseTypeName('ULong64_t')).toMatchObject({ kind: 'prim', prim: 'u64' });
    expect(parseTypeName('unsigned long')).toMatchObject({ kind: 'prim', prim: 'u64' });
    expect(parseTypeName('xAOD::EventInfo_v1').kind).toBe('class');
  });
});
