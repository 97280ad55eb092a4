/**
 * Cursor: big-endian reads over one Uint8Array, as ROOT writes every number (the `le` methods
 * read RNTuple envelopes, which are little-endian).
 * Every read is bounds-checked and fails with a DeserializationError that names the place
 * (the context given at construction plus the absolute offset `base + pos`), never a RangeError.
 * 64-bit integers are returned as bigint, so values above 2^53 stay exact.
 */
import { DeserializationError, type ErrorContext } from '../errors.ts';



/** True ISO-8859-1 (TextDecoder's "latin1" is windows-1252); short names without a Buffer. */
function latin1(b: Uint8Array): string {
  if (b.length <= 48) {
    let s = '';
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
    return s;
  }
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

export class Cursor {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos: number;
  /** Offset of buf[0] in the file (or basket), for error messages. */
  readonly base: number;
  readonly context: ErrorContext;

  constructor(buf: Uint8Array, pos = 0, base = 0, context: ErrorContext = {}) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = pos;
    this.base = base;
    this.context = context;
  }

  get length(): number {
    return this.buf.length;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }

  fail(message: string, at = this.pos): never {
    throw new DeserializationError(message, { ...this.context, offset: this.base + at });
  }

  need(n: number): void {
    if (!Number.isInteger(n) || n < 0 || this.pos < 0 || this.pos + n > this.buf.length) {
      this.fail(`need ${n} bytes but only ${this.buf.length - this.pos} remain in a buffer of ${this.buf.length}`);
    }
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
  seek(pos: number): void {
    if (!Number.isInteger(pos) || pos < 0 || pos > this.buf.length) this.fail(`seek to ${pos} outside a buffer of ${this.buf.length}`);
    this.pos = pos;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  i8(): number {
    this.need(1);
    return this.view.getInt8(this.pos++);
  }
  bool(): boolean {
    return this.u8() !== 0;
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  i16(): number {
    this.need(2);
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }
  /** A signed 64-bit value as a number when exact (|v| < 2^53), else as a bigint. */
  i64Number(): number | bigint {
    this.need(8);
    const hi = this.view.getInt32(this.pos);
    const lo = this.view.getUint32(this.pos + 4);
    if (hi >= -0x200000 && hi < 0x200000) {
      this.pos += 8;
      return hi * 4294967296 + lo;
    }
    return this.i64();
  }
  /** An unsigned 64-bit value as a number when exact (< 2^53), else as a bigint. */
  u64Number(): number | bigint {
    this.need(8);
    const hi = this.view.getUint32(this.pos);
    const lo = this.view.getUint32(this.pos + 4);
    if (hi < 0x200000) {
      this.pos += 8;
      return hi * 4294967296 + lo;
    }
    return this.u64();
  }
  /** A 64-bit integer that must be a safe number (seeks, counts): a larger one is a format error. */
  i64n(): number {
    const at = this.pos;
    // As a number when exact, so the common case (every key's seeks) makes no bigint.
    const v = this.i64Number();
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.fail(`64-bit value ${v} out of range`, at);
    return v as number;
  }
  f32(): number {
    this.need(4);
    const v = this.view.getFloat32(this.pos);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  u16le(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32le(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32le(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64le(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** A little-endian signed 64-bit integer that must be a safe number (sizes, offsets, counts). */
  i64len(): number {
    const at = this.pos;
    this.need(8);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) this.fail(`64-bit value ${v} out of range`, at);
    return Number(v);
  }
  f64le(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** ROOT TString: a 1-byte length, or 255 followed by a 4-byte length; then the characters. */
  tstring(): string {
    let n = this.u8();
    if (n === 255) n = this.u32();
    return latin1(this.bytes(n));
  }
  /** A NUL-terminated C string (TStreamerInfo type names in old files, TKey class names never). */
  cstring(): string {
    const start = this.pos;
    while (this.pos < this.buf.length && this.buf[this.pos] !== 0) this.pos++;
    if (this.pos >= this.buf.length) this.fail('unterminated C string', start);
    const s = latin1(this.buf.subarray(start, this.pos));
    this.pos++;
    return s;
  }
}
