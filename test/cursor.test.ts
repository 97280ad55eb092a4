/**
 * Byte-level tests of Cursor: every big-endian read on hand-built buffers, the TString and
 * C-string forms, bounds checks (DeserializationError with offset = base + pos, never a RangeError),
 * and DataView round-trip properties.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeserializationError } from '../src/errors.ts';
import { Cursor } from '../src/root/cursor.ts';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const ascii = (s: string): number[] => [...s].map((ch) => ch.charCodeAt(0));

/** Run `fn`, expect a DeserializationError (not a RangeError), and return it. */
function expectDeserializationError(fn: () => unknown): DeserializationError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a throw').toBeDefined();
  expect(caught).not.toBeInstanceOf(RangeError);
  expect(caught).toBeInstanceOf(DeserializationError);
  return caught as DeserializationError;
}

describe('Cursor big-endian reads', () => {
  it('u8 / i8 / bool', () => {
    const c = new Cursor(bytes(0x00, 0x7f, 0x80, 0xff, 0x00, 0x02));
    expect(c.u8()).toBe(0);
    expect(c.u8()).toBe(127);
    expect(c.u8()).toBe(128);
    expect(c.u8()).toBe(255);
    c.seek(1);
    expect(c.i8()).toBe(127);
    expect(c.i8()).toBe(-128);
    expect(c.i8()).toBe(-1);
    expect(c.bool()).toBe(false);
    expect(c.bool()).toBe(true);
    expect(c.pos).toBe(6);
    expect(c.remaining).toBe(0);
  });

  it('u16 / i16', () => {
    const c = new Cursor(bytes(0x12, 0x34, 0xff, 0xfe, 0x80, 0x00, 0x7f, 0xff));
    expect(c.u16()).toBe(0x1234);
    expect(c.u16()).toBe(0xfffe);
    c.seek(2);
    expect(c.i16()).toBe(-2);
    expect(c.i16()).toBe(-32768);
    expect(c.i16()).toBe(32767);
    expect(c.pos).toBe(8);
  });

  it('u32 / i32', () => {
    const c = new Cursor(bytes(0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00));
    expect(c.u32()).toBe(0xdeadbeef);
    expect(c.u32()).toBe(256);
    expect(c.u32()).toBe(0x80000000);
    c.seek(0);
    expect(c.i32()).toBe(-559038737);
    expect(c.i32()).toBe(256);
    expect(c.i32()).toBe(-2147483648);
  });

  it('i64 / u64 as bigint, exact above 2^53', () => {
    const c = new Cursor(
      bytes(
        0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, // 2^53 + 1
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // u64 max / i64 -1
        0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // i64 min / 2^63
        0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
      ),
    );
    const a = c.u64();
    expect(typeof a).toBe('bigint');
    expect(a).toBe(9007199254740993n);
    expect(a).not.toBe(BigInt(Number(a))); // would be lost as a number
    expect(c.u64()).toBe(18446744073709551615n);
    expect(c.u64()).toBe(9223372036854775808n);
    expect(c.u64()).toBe(0x0123456789abcdefn);
    c.seek(0);
    expect(c.i64()).toBe(9007199254740993n);
    expect(c.i64()).toBe(-1n);
    expect(c.i64()).toBe(-9223372036854775808n);
    expect(c.i64()).toBe(0x0123456789abcdefn);
    expect(c.pos).toBe(32);
  });

  it('i64n returns safe numbers and rejects unsafe ones at the value offset', () => {
    const c = new Cursor(bytes(0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe), 0, 1000);
    expect(c.i64n()).toBe(0x1234);
    const err = expectDeserializationError(() => c.i64n());
    expect(err.context.offset).toBe(1008);
    const d = new Cursor(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe));
    expect(d.i64n()).toBe(-2);
  });

  it('f32 / f64', () => {
    const c = new Cursor(
      bytes(
        0x3f, 0x80, 0x00, 0x00, // 1
        0xc0, 0x49, 0x0f, 0xdb, // -pi (float)
        0x7f, 0x80, 0x00, 0x00, // +Inf
        0x80, 0x00, 0x00, 0x00, // -0
        0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18, // pi
        0x7f, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // NaN
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, // smallest subnormal
      ),
    );
    expect(c.f32()).toBe(1);
    expect(c.f32()).toBe(Math.fround(-Math.PI));
    expect(c.f32()).toBe(Infinity);
    expect(Object.is(c.f32(), -0)).toBe(true);
    expect(c.f64()).toBe(Math.PI);
    expect(Number.isNaN(c.f64())).toBe(true);
    expect(c.f64()).toBe(Number.MIN_VALUE);
    expect(c.remaining).toBe(0);
  });

  it('reads through a subarray view with a non-zero byteOffset', () => {
    const backing = bytes(0xaa, 0xbb, 0xcc, 0x12, 0x34, 0x56, 0x78, 0x9a);
    const c = new Cursor(backing.subarray(3));
    expect(c.length).toBe(5);
    expect(c.u32()).toBe(0x12345678);
    expect(c.u8()).toBe(0x9a);
    expect(() => c.u8()).toThrow(DeserializationError);
  });

  it('bytes returns a view of the next n bytes', () => {
    const c = new Cursor(bytes(1, 2, 3, 4, 5), 1);
    expect([...c.bytes(3)]).toEqual([2, 3, 4]);
    expect(c.pos).toBe(4);
    expect(c.bytes(0).length).toBe(0);
    expect(c.pos).toBe(4);
  });
});

describe('Cursor strings', () => {
  it('tstring with a 1-byte length', () => {
    const c = new Cursor(bytes(3, ...ascii('abc'), 0, 5, ...ascii('TTree'), 1, 0xe9));
    expect(c.tstring()).toBe('abc');
    expect(c.tstring()).toBe('');
    expect(c.tstring()).toBe('TTree');
    expect(c.tstring()).toBe('é'); // latin1 byte 0xe9
    expect(c.remaining).toBe(0);
  });

  it('tstring with 254 bytes still uses the short form', () => {
    const s = 'x'.repeat(254);
    const c = new Cursor(bytes(254, ...ascii(s)));
    expect(c.tstring()).toBe(s);
    expect(c.pos).toBe(255);
  });

  it('tstring long form: 255 then a big-endian u32 length', () => {
    const s = Array.from({ length: 300 }, (_, i) => String.fromCharCode(0x41 + (i % 26))).join('');
    const c = new Cursor(bytes(255, 0x00, 0x00, 0x01, 0x2c, ...ascii(s), 7));
    expect(c.tstring()).toBe(s);
    expect(c.pos).toBe(305);
    expect(c.u8()).toBe(7);
  });

  it('tstring whose length runs past the end throws at the character offset', () => {
    const c = new Cursor(bytes(9, 0, 0, 10, 5, ...ascii('abc')), 4, 100, { file: 'f.root', object: 'obj' });
    const err = expectDeserializationError(() => c.tstring());
    expect(err.context.offset).toBe(105);
    expect(err.context.file).toBe('f.root');
    expect(err.context.object).toBe('obj');
    const long = new Cursor(bytes(255, 0xff, 0xff, 0xff, 0xff, 1, 2), 0, 50);
    expect(expectDeserializationError(() => long.tstring()).context.offset).toBe(55);
    const cutLength = new Cursor(bytes(255, 0, 0), 0, 50);
    expect(expectDeserializationError(() => cutLength.tstring()).context.offset).toBe(51);
  });

  it('cstring reads up to the NUL and skips it', () => {
    const c = new Cursor(bytes(...ascii('vector<int>'), 0, 0, ...ascii('b'), 0));
    expect(c.cstring()).toBe('vector<int>');
    expect(c.pos).toBe(12);
    expect(c.cstring()).toBe('');
    expect(c.cstring()).toBe('b');
    expect(c.remaining).toBe(0);
  });

  it('unterminated cstring throws at its start', () => {
    const c = new Cursor(bytes(0, ...ascii('abc')), 1, 40);
    const err = expectDeserializationError(() => c.cstring());
    expect(err.context.offset).toBe(41);
    expect(err.message).toMatch(/unterminated/);
    const empty = new Cursor(new Uint8Array(0), 0, 9);
    expect(expectDeserializationError(() => empty.cstring()).context.offset).toBe(9);
  });
});

describe('Cursor bounds', () => {
  const reads: [string, number, (c: Cursor) => unknown][] = [
    ['u8', 1, (c) => c.u8()],
    ['i8', 1, (c) => c.i8()],
    ['bool', 1, (c) => c.bool()],
    ['u16', 2, (c) => c.u16()],
    ['i16', 2, (c) => c.i16()],
    ['u32', 4, (c) => c.u32()],
    ['i32', 4, (c) => c.i32()],
    ['i64', 8, (c) => c.i64()],
    ['u64', 8, (c) => c.u64()],
    ['i64n', 8, (c) => c.i64n()],
    ['f32', 4, (c) => c.f32()],
    ['f64', 8, (c) => c.f64()],
    ['bytes(3)', 3, (c) => c.bytes(3)],
    ['skip(3)', 3, (c) => c.skip(3)],
    ['tstring', 1, (c) => c.tstring()],
  ];

  it.each(reads)('%s one byte short throws DeserializationError at base + pos and does not move', (_name, size, read) => {
    for (const pos of [0, 3]) {
      const buf = new Uint8Array(pos + size - 1);
      const c = new Cursor(buf, pos, 1234, { file: 'x.root', branch: 'B' });
      const err = expectDeserializationError(() => read(c));
      expect(err.context.offset).toBe(1234 + pos);
      expect(err.context.file).toBe('x.root');
      expect(err.context.branch).toBe('B');
      expect(err.exitCode).toBe(2);
      expect(c.pos).toBe(pos);
    }
  });

  it.each(reads.filter(([n]) => n !== 'tstring'))('%s exactly fitting succeeds', (_name, size, read) => {
    const c = new Cursor(new Uint8Array(size + 2), 2);
    read(c);
    expect(c.pos).toBe(size + 2);
  });

  it('reads at the very end of a buffer fail, starting on a cursor positioned at length', () => {
    const c = new Cursor(bytes(1, 2, 3, 4), 4, 7);
    for (const read of reads.map((r) => r[2])) {
      expect(expectDeserializationError(() => read(c)).context.offset).toBe(11);
    }
  });

  it('negative sizes and seeks outside the buffer are rejected', () => {
    const c = new Cursor(bytes(1, 2, 3, 4), 2, 10);
    expect(expectDeserializationError(() => c.bytes(-1)).context.offset).toBe(12);
    expect(expectDeserializationError(() => c.skip(-1)).context.offset).toBe(12);
    expectDeserializationError(() => c.seek(5));
    expectDeserializationError(() => c.seek(-1));
    c.seek(4);
    expect(c.remaining).toBe(0);
    c.seek(0);
    expect(c.u8()).toBe(1);
  });

  it('fail() reports a given position', () => {
    const c = new Cursor(bytes(1, 2), 1, 500, { object: 'k' });
    const err = expectDeserializationError(() => c.fail('bad', 0));
    expect(err.context).toEqual({ object: 'k', offset: 500 });
    expect(err.describe()).toBe('bad (object k, offset 500)');
  });
});

describe('Cursor round trips against DataView (property)', () => {
  type IntCase = {
    name: string;
    size: number;
    arb: fc.Arbitrary<number>;
    write: (v: DataView, at: number, x: number) => void;
    read: (c: Cursor) => number;
  };
  const ints: IntCase[] = [
    { name: 'u8', size: 1, arb: fc.integer({ min: 0, max: 0xff }), write: (v, at, x) => v.setUint8(at, x), read: (c) => c.u8() },
    { name: 'i8', size: 1, arb: fc.integer({ min: -128, max: 127 }), write: (v, at, x) => v.setInt8(at, x), read: (c) => c.i8() },
    { name: 'u16', size: 2, arb: fc.integer({ min: 0, max: 0xffff }), write: (v, at, x) => v.setUint16(at, x), read: (c) => c.u16() },
    { name: 'i16', size: 2, arb: fc.integer({ min: -32768, max: 32767 }), write: (v, at, x) => v.setInt16(at, x), read: (c) => c.i16() },
    { name: 'u32', size: 4, arb: fc.integer({ min: 0, max: 0xffffffff }), write: (v, at, x) => v.setUint32(at, x), read: (c) => c.u32() },
    { name: 'i32', size: 4, arb: fc.integer(), write: (v, at, x) => v.setInt32(at, x), read: (c) => c.i32() },
  ];

  it.each(ints)('$name', ({ size, arb, write, read }) => {
    fc.assert(
      fc.property(fc.array(arb, { maxLength: 20 }), fc.nat({ max: 7 }), (values, lead) => {
        const buf = new Uint8Array(lead + size * values.length);
        const view = new DataView(buf.buffer);
        values.forEach((x, i) => write(view, lead + i * size, x));
        const c = new Cursor(buf, lead);
        for (const x of values) expect(read(c)).toBe(x);
        expect(c.remaining).toBe(0);
      }),
    );
  });

  it('i64 / u64 / i64n', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (s, u) => {
        const buf = new Uint8Array(17);
        const view = new DataView(buf.buffer);
        view.setBigInt64(1, s);
        view.setBigUint64(9, u);
        const c = new Cursor(buf, 1);
        expect(c.i64()).toBe(s);
        expect(c.u64()).toBe(u);
        c.seek(1);
        if (s >= BigInt(Number.MIN_SAFE_INTEGER) && s <= BigInt(Number.MAX_SAFE_INTEGER)) expect(c.i64n()).toBe(Number(s));
        else expect(() => c.i64n()).toThrow(DeserializationError);
      }),
    );
  });

  it('i64Number / u64Number: exact numbers below 2^53 in magnitude, bigints beyond', () => {
    const TWO53 = 2n ** 53n;
    const signed = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -TWO53 - 2n, max: TWO53 + 2n }));
    const unsigned = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: TWO53 - 2n, max: TWO53 + 2n }));
    fc.assert(
      fc.property(signed, unsigned, (s, u) => {
        const buf = new Uint8Array(16);
        const view = new DataView(buf.buffer);
        view.setBigInt64(0, s);
        view.setBigUint64(8, u);
        const c = new Cursor(buf);
        const a = c.i64Number();
        expect(c.pos).toBe(8);
        const b = c.u64Number();
        expect(c.pos).toBe(16);
        expect(typeof a).toBe(s >= -TWO53 && s < TWO53 ? 'number' : 'bigint');
        expect(BigInt(a)).toBe(s);
        expect(typeof b).toBe(u < TWO53 ? 'number' : 'bigint');
        expect(BigInt(b)).toBe(u);
      }),
    );
    const short = new Cursor(new Uint8Array(7), 0, 20);
    expect(expectDeserializationError(() => short.i64Number()).context.offset).toBe(20);
    expect(expectDeserializationError(() => short.u64Number()).context.offset).toBe(20);
  });

  it('f32 (values pass through Math.fround)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.float(), fc.constantFrom(NaN, Infinity, -Infinity, -0, 0)), (x) => {
        const buf = new Uint8Array(4);
        new DataView(buf.buffer).setFloat32(0, x);
        expect(Object.is(new Cursor(buf).f32(), Math.fround(x))).toBe(true);
      }),
    );
  });

  it('f64 including NaN, ±Infinity and -0', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, Number.MIN_VALUE, Number.MAX_VALUE)), (x) => {
        const buf = new Uint8Array(8);
        new DataView(buf.buffer).setFloat64(0, x);
        expect(Object.is(new Cursor(buf).f64(), x)).toBe(true);
      }),
    );
  });

  it('tstring of arbitrary latin1-ASCII text in both length forms', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((n) => String.fromCharCode(n)), maxLength: 600 }), (s) => {
        const chars = ascii(s);
        const head = chars.length < 255 ? [chars.length] : [255, (chars.length >>> 24) & 255, (chars.length >>> 16) & 255, (chars.length >>> 8) & 255, chars.length & 255];
        const c = new Cursor(bytes(...head, ...chars));
        expect(c.tstring()).toBe(s);
        expect(c.remaining).toBe(0);
      }),
    );
  });

  it('any read that does not fit throws DeserializationError with offset base + pos', () => {
    fc.assert(
      fc.property(fc.nat({ max: 16 }), fc.nat({ max: 16 }), fc.nat({ max: 1e9 }), fc.constantFrom(1, 2, 4, 8), (len, pos0, base, size) => {
        const pos = Math.min(pos0, len);
        const c = new Cursor(new Uint8Array(len), pos, base);
        const read = { 1: () => c.u8(), 2: () => c.i16(), 4: () => c.f32(), 8: () => c.u64() }[size]!;
        if (pos + size <= len) {
          read();
          expect(c.pos).toBe(pos + size);
        } else {
          expect(expectDeserializationError(read).context.offset).toBe(base + pos);
        }
      }),
    );
  });
});
