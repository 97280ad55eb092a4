/**
 * Issue 3: the StreamerInfo-driven decoder on hand-built buffers (byte counts, versions and
 * checksums, bases, nested objects, counted arrays, strings, STL containers object-wise and
 * member-wise, nested containers), and TBufferFile's class tags for object pointers.
 */
import type { Struct } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { W } from './helpers/bytes.ts';
import { toValues } from '../src/arrow/values.ts';
import { DeserializationError, UnsupportedError } from '../src/errors.ts';
import { Cursor } from '../src/root/cursor.ts';
import { ContentDecoder, type State } from '../src/root/interpret/decoders.ts';
import { StreamerCompiler, bodyContent, recordContent } from '../src/root/interpret/streamed.ts';
import { ObjectReader, kMapOffset, type RootObject } from '../src/root/object-reader.ts';
import { ST, StreamerSet, type StreamerElement, type StreamerInfo } from '../src/root/streamers.ts';


const el = (kind: string, name: string, type: number, typeName: string, extra: Partial<StreamerElement> = {}): StreamerElement => ({
  kind,
  name,
  title: '',
  type,
  size: 0,
  arrayLength: 0,
  arrayDim: 0,
  maxIndex: [0, 0, 0, 0, 0],
  typeName,
  ...extra,
});
const info = (name: string, classVersion: number, checksum: number, elements: StreamerElement[]): StreamerInfo => ({ name, title: '', checksum, classVersion, elements });

const STREAMERS = new StreamerSet([
  info('Base', 2, 111, [el('TStreamerBasicType', 'm_id', ST.uint, 'unsigned int')]),
  info('Empty', 1, 222, []),
  info('Point', 1, 333, [el('TStreamerBasicType', 'x', ST.float, 'float'), el('TStreamerBasicType', 'y', ST.float, 'float')]),
  info('Tagged', 1, 444, [el('TStreamerBasicType', 'id', ST.int, 'int'), el('TStreamerSTLstring', 'label', 500, 'string', { stlType: 365 })]),
  info('Thing', 3, 555, [
    el('TStreamerBase', 'Base', 0, 'BASE', { baseVersion: 2 }),
    el('TStreamerBase', 'Empty', 0, 'BASE', { baseVersion: 1 }),
    el('TStreamerBasicType', 'n', ST.int, 'int'),
    el('TStreamerBasicType', 'flag', ST.bool, 'bool'),
    el('TStreamerBasicType', 'big', ST.ulong64, 'ULong64_t'),
    el('TStreamerBasicType', 'fixed', ST.offsetL + ST.short, 'short', { arrayLength: 3 }),
    el('TStreamerBasicPointer', 'vals', ST.offsetP + ST.double, 'double*', { countName: 'n' }),
    el('TStreamerString', 'title', ST.tstring, 'TString'),
    el('TStreamerObjectAny', 'where', ST.any, 'Point'),
    el('TStreamerSTL', 'ints', 500, 'vector<int>', { stlType: 1, ctype: 3 }),
    el('TStreamerSTL', 'names', 500, 'vector<string>', { stlType: 1, ctype: 61 }),
    el('TStreamerSTL', 'grid', 500, 'vector<vector<float> >', { stlType: 1, ctype: 61 }),
    el('TStreamerSTL', 'points', 500, 'vector<Point>', { stlType: 1, ctype: 61 }),
    el('TStreamerSTL', 'tags', 500, 'vector<Tagged>', { stlType: 1, ctype: 61 }),
    el('TStreamerSTL', 'lookup', 500, 'map<int,string>', { stlType: 4, ctype: 61 }),
  ]),
]);

function thingBody(w: W, memberwise: boolean): W {
  w.rec(2, (b) => b.u32(7)) // Base (version 2), m_id = 7
    .rec(0, () => {}, 222) // Empty, version 0 with its checksum
    .u32(2) // n
    .u8(1) // flag
    .u32(0x80000000)
    .u32(1) // big = 2^63 + 1
    .u16(1)
    .u16(0xffff)
    .u16(3) // fixed
    .u8(1)
    .f64(0.5)
    .f64(-2) // vals[n]
    .str('hello')
    .rec(1, (b) => b.f32(1.5).f32(-1)) // where
    .rec(9, (b) => b.u32(3).u32(1).u32(2).u32(0xffffffff)) // ints
    .rec(9, (b) => b.u32(2).str('a').str('bc')) // names
    .rec(9, (b) => b.u32(2).u32(1).f32(9).u32(0)) // grid: no inner headers
    .rec(9, (b) => b.u32(2).rec(1, (p) => p.f32(1).f32(2)).rec(1, (p) => p.f32(3).f32(4))); // points, object-wise
  if (memberwise) {
    // tags member-wise: class version, n, then all ids, then one string record for all labels
    w.rec(0x4009, (b) => b.u16(1).u32(3).u32(10).u32(20).u32(30).rec(9, (s) => s.str('x').str('').str('zz')));
  } else {
    w.rec(9, (b) => b.u32(1).rec(1, (t) => t.u32(10).rec(9, (s) => s.str('x'))));
  }
  return w.rec(9, (b) => b.u32(1).u32(5).str('five')); // lookup: key, value pairs
}

function decodeBody(bytes: Uint8Array, layoutName = 'Thing'): unknown[] {
  const layout = new StreamerCompiler(STREAMERS).layout(layoutName);
  if (typeof layout === 'string') throw new Error(layout);
  const decoder = new ContentDecoder(bodyContent(layout), layoutName);
  const offsets = Int32Array.from([0, bytes.length]);
  const basket = {
    location: { index: 0, entryStart: 0, entryStop: 1, seek: 0, bytes: 0 },
    header: { keylen: 0, objlen: bytes.length, nbytes: 0, nevbuf: 1, nevbufSize: 0, last: bytes.length },
    data: bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    offsets,
  };
  const builder = decoder.newBuilder(64);
  decoder.decode({ basket, lo: 0, hi: 1, context: { file: 'hand.root', branch: 'b' } }, builder);
  return toValues(builder.finish());
}

describe('StreamerInfo-driven decoding', () => {
  it('decodes bases, basic members, arrays, strings, nested objects and STL containers', () => {
    const [v] = decodeBody(thingBody(new W(), false).data());
    expect(v).toEqual({
      m_id: 7,
      n: 2,
      flag: true,
      big: 2n ** 63n + 1n,
      fixed: [1, -1, 3],
      vals: [0.5, -2],
      title: 'hello',
      where: { x: 1.5, y: -1 },
      ints: [1, 2, -1],
      names: ['a', 'bc'],
      grid: [[9], []],
      points: [
        { x: 1, y: 2 },
        { x: 3, y: 4 },
      ],
      tags: [{ id: 10, label: 'x' }],
      lookup: [{ key: 5, value: 'five' }],
    });
  });

  it('decodes member-wise collections (one string record for the whole column)', () => {
    const [v] = decodeBody(thingBody(new W(), true).data()) as { tags: unknown }[];
    expect(v!.tags).toEqual([
      { id: 10, label: 'x' },
      { id: 20, label: '' },
      { id: 30, label: 'zz' },
    ]);
  });

  it('gives the Arrow schema from the StreamerInfo alone', () => {
    const layout = new StreamerCompiler(STREAMERS).layout('Thing');
    if (typeof layout === 'string') throw new Error(layout);
    expect(layout.fields.map((f) => f.name)).toEqual(['m_id', 'n', 'flag', 'big', 'fixed', 'vals', 'title', 'where', 'ints', 'names', 'grid', 'points', 'tags', 'lookup']);
    const type = recordContent(layout, STREAMERS).newBuilder(0, (n) => new Uint8Array(n)).type as Struct;
    const where = type.children.find((f) => f.name === 'where')!.type as Struct;
    expect(where.children.map((f) => `${f.name}:${f.type}`)).toEqual(['x:Float32', 'y:Float32']);
    const big = type.children.find((f) => f.name === 'big')!.type;
    expect(String(big)).toBe('Uint64');
  });

  it('rejects a wrong byte count and an unknown class version, naming class and version', () => {
    const bytes = thingBody(new W(), false).data();
    bytes[3] = bytes[3]! + 1; // Base's byte count one too large
    expect(() => decodeBody(bytes)).toThrow(DeserializationError);
    const other = thingBody(new W(), false).data();
    other[5] = 7; // Base written as version 7, which the file does not describe
    expect(() => decodeBody(other)).toThrow(UnsupportedError);
    expect(() => decodeBody(other)).toThrow(/class Base version 7/);
    expect(new StreamerCompiler(STREAMERS).layout('Missing')).toMatch(/no StreamerInfo for class Missing/);
  });

  it('a collection of a class absent from the StreamerInfo reads when empty, fails when not', () => {
    const set = new StreamerSet([info('Holder', 1, 1, [el('TStreamerSTL', 'subs', 500, 'vector<Holder::Sub>', { stlType: 1, ctype: 61 })])]);
    const layout = new StreamerCompiler(set).layout('Holder');
    if (typeof layout === 'string') throw new Error(layout);
    const run = (bytes: Uint8Array): unknown => {
      const s: State = { buf: bytes, view: new DataView(bytes.buffer), pos: 0, end: bytes.length, base: 0, context: {}, entry: 0 };
      const content = bodyContent(layout);
      const b = content.newBuilder(16, (n) => new Uint8Array(n));
      content.read(s, b);
      return toValues(b.finish());
    };
    expect(run(new W().rec(0x4009, (b) => b.u16(1).u32(0)).data())).toEqual([{ subs: [] }]);
    expect(() => run(new W().rec(0x4009, (b) => b.u16(1).u32(2).u32(1).u32(2)).data())).toThrow(/Holder::Sub, which has no StreamerInfo/);
  });
});

describe('object pointers and class tags (ReadObjectAny)', () => {
  it('reads new-class tags, class references, null pointers and object references', () => {
    // A TObjArray of four entries: new TNamed (class tag), a second TNamed via a class
    // reference, a null pointer, and a reference to the first object.
    const named = (w: W, name: string): W => w.rec(1, (b) => b.u16(1).u32(0).u32(0).str(name).str(''));
    const w = new W();
    const arrayStart = 0;
    w.rec(3, (a) => {
      a.u16(1).u32(0).u32(0); // TObject of the array
      a.str(''); // fName
      a.u32(4).u32(0); // n, lower bound
      const firstAt = arrayStart + 4 + a.bytes.length; // position of the first object's byte count
      const body = new W();
      body.u32(0xffffffff).cstr('TNamed');
      named(body, 'one');
      a.u32(0x40000000 | body.bytes.length).bytes.push(...body.bytes);
      // class reference: the tag points at the first object's class-tag position (+ kMapOffset)
      const classTagAt = firstAt + 4;
      const body2 = new W();
      body2.u32((0x80000000 | (classTagAt + kMapOffset)) >>> 0);
      named(body2, 'two');
      a.u32(0x40000000 | body2.bytes.length).bytes.push(...body2.bytes);
      a.u32(0); // null pointer
      a.u32(firstAt + kMapOffset); // reference to the first object
    });
    const c = new Cursor(w.data(), 0, 0, { file: 'tags.root' });
    const arr = new ObjectReader(new StreamerSet()).readClass(c, 'TObjArray') as RootObject;
    const items = arr.arr as (RootObject | null)[];
    expect(items.map((o) => (o ? o.fName : null))).toEqual(['one', 'two', null, 'one']);
    expect(items[3]).toBe(items[0]);
    expect(c.pos).toBe(c.length);
  });
});
