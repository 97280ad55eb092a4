/**
 * Thrift compact protocol, writing side: the encoding of Parquet's page headers and footer
 * (parquet-format's parquet.thrift). Values go into one growable byte buffer; structs nest, each
 * remembering its last field id because field headers carry the id as a delta from it.
 * Integers are JavaScript numbers, exact up to 2^53 (file offsets and counts stay far below).
 */
import { grow } from '../../codec/grow.ts';

import { TType } from '../read/thrift.ts';

/** Compact-protocol type codes as they appear in field and list headers (one table for both sides). */
export const CT = TType;

const utf8 = new TextEncoder();

export class CompactWriter {
  private buf: Uint8Array;
  private at = 0;
  private last = 0;
  private readonly stack: number[] = [];

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }

  get length(): number {
    return this.at;
  }

  /** The bytes written so far (a view; valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }

  /** A right-sized copy of the bytes written so far. */
  copy(): Uint8Array {
    return this.buf.slice(0, this.at);
  }

  /** Forgets the bytes (after they were handed on) but not the struct nesting. */
  rewind(): void {
    this.at = 0;
  }

  reset(): void {
    this.at = 0;
    this.last = 0;
    this.stack.length = 0;
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    this.buf = grow(this.buf, this.at + n, this.at);
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }

  /** Unsigned varint of a non-negative integer below 2^53. */
  varint(v: number): void {
    this.room(10);
    while (v >= 0x80) {
      this.buf[this.at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.at++] = v;
  }

  /** Zigzag varint (i16, i32 and i64 alike). */
  zigzag(v: number): void {
    if (!Number.isSafeInteger(v)) throw new RangeError(`Thrift integer ${v} is not a safe integer`);
    // The zigzag value (2v, or -2v - 1) can exceed 2^53: split off its low 7 bits first.
    const u = v >= 0 ? v : -v - 1;
    const low = (u % 64) * 2 + (v < 0 ? 1 : 0);
    const rest = Math.floor(u / 64);
    if (rest === 0) this.byte(low);
    else {
      this.byte(low | 0x80);
      this.varint(rest);
    }
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.raw(b);
  }

  /** Bytes copied as they are (a pre-serialized value). */
  raw(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  string(s: string): void {
    this.bytes(utf8.encode(s));
  }

  fieldHeader(id: number, type: number): void {
    const delta = id - this.last;
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
    else {
      this.byte(type);
      this.zigzag(id);
    }
    this.last = id;
  }

  structBegin(): void {
    this.stack.push(this.last);
    this.last = 0;
  }

  structEnd(): void {
    this.byte(0);
    this.last = this.stack.pop() ?? 0;
  }

  listHeader(size: number, elementType: number): void {
    if (size < 15) this.byte((size << 4) | elementType);
    else {
      this.byte(0xf0 | elementType);
      this.varint(size);
    }
  }

  // Field helpers: header plus value.
  i32(id: number, v: number): void {
    this.fieldHeader(id, CT.I32);
    this.zigzag(v);
  }

  i64(id: number, v: number): void {
    this.fieldHeader(id, CT.I64);
    this.zigzag(v);
  }

  i8(id: number, v: number): void {
    this.fieldHeader(id, CT.BYTE);
    this.byte(v & 0xff);
  }

  i16(id: number, v: number): void {
    this.fieldHeader(id, CT.I16);
    this.zigzag(v);
  }

  bool(id: number, v: boolean): void {
    this.fieldHeader(id, v ? CT.TRUE : CT.FALSE);
  }

  binary(id: number, v: Uint8Array): void {
    this.fieldHeader(id, CT.BINARY);
    this.bytes(v);
  }

  str(id: number, v: string): void {
    this.fieldHeader(id, CT.BINARY);
    this.string(v);
  }

  /** A struct field whose members `body` writes. */
  struct(id: number, body: () => void): void {
    this.fieldHeader(id, CT.STRUCT);
    this.structBegin();
    body();
    this.structEnd();
  }
}
