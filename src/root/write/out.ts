/**
 * Out: a growable big-endian byte buffer, the writing twin of Cursor. Records with byte counts
 * are opened with `beginRecord` and closed with `endRecord`, which patches the count
 * (0x40000000 | bytes after the count), as TBufferFile::WriteVersion / SetByteCount do.
 */
import { grow } from '../../codec/grow.ts';
import { kByteCountMask } from '../object-reader.ts';

export class Out {
  private buf: Uint8Array;
  private view: DataView;
  pos = 0;

  constructor(capacity = 1024) {
    this.buf = new Uint8Array(Math.max(16, capacity));
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.buf = grow(this.buf, this.pos + n, this.pos);
    this.view = new DataView(this.buf.buffer);
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }
  i8(v: number): this {
    return this.u8(v);
  }
  u16(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.pos, v & 0xffff);
    this.pos += 2;
    return this;
  }
  i16(v: number): this {
    this.ensure(2);
    this.view.setInt16(this.pos, v);
    this.pos += 2;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0);
    this.pos += 4;
    return this;
  }
  i32(v: number): this {
    this.ensure(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
    return this;
  }
  i64(v: number | bigint): this {
    this.ensure(8);
    this.view.setBigInt64(this.pos, BigInt(v));
    this.pos += 8;
    return this;
  }
  u64(v: number | bigint): this {
    this.ensure(8);
    this.view.setBigUint64(this.pos, BigInt(v));
    this.pos += 8;
    return this;
  }
  f32(v: number): this {
    this.ensure(4);
    this.view.setFloat32(this.pos, v);
    this.pos += 4;
    return this;
  }
  f64(v: number): this {
    this.ensure(8);
    this.view.setFloat64(this.pos, v);
    this.pos += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }
  /** ROOT TString: a 1-byte length, or 255 and a 4-byte length, then latin-1 characters. */
  tstring(s: string): this {
    const b = Buffer.from(s, 'latin1');
    if (b.length < 255) this.u8(b.length);
    else this.u8(255).u32(b.length);
    return this.bytes(b);
  }
  cstring(s: string): this {
    return this.bytes(Buffer.from(s, 'latin1')).u8(0);
  }
  /** Start a record: room for the byte count, then the version. Returns the count's position. */
  beginRecord(version: number): number {
    const at = this.pos;
    this.u32(0).u16(version);
    return at;
  }
  endRecord(at: number): void {
    this.view.setUint32(at, (kByteCountMask | (this.pos - at - 4)) >>> 0);
  }
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0);
  }
  patchI64(at: number, v: number): void {
    this.view.setBigInt64(at, BigInt(v));
  }
  data(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
