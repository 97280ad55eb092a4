/** Big-endian byte building for hand-made baskets and records in tests (ROOT's layouts). */
export class W {
  bytes: number[] = [];
  u8(v: number): this {
    this.bytes.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v >> 8).u8(v);
  }
  u32(v: number): this {
    return this.u16(v >>> 16).u16(v & 0xffff);
  }
  u64(v: bigint): this {
    return this.u32(Number(BigInt.asUintN(64, v) >> 32n)).u32(Number(v & 0xffffffffn));
  }
  f32(v: number): this {
    const d = new DataView(new ArrayBuffer(4));
    d.setFloat32(0, v);
    return this.u32(d.getUint32(0));
  }
  f64(v: number): this {
    const d = new DataView(new ArrayBuffer(8));
    d.setFloat64(0, v);
    return this.u32(d.getUint32(0)).u32(d.getUint32(4));
  }
  /** A TString: 1-byte length (or 255 and a 4-byte length), then the characters. */
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    if (b.length < 255) this.u8(b.length);
    else this.u8(255).u32(b.length);
    b.forEach((x) => this.u8(x));
    return this;
  }
  cstr(s: string): this {
    for (const ch of s) this.u8(ch.charCodeAt(0));
    return this.u8(0);
  }
  /** A record: byte count over what follows, version (and checksum for foreign classes), body. */
  rec(version: number, body: (w: W) => void, checksum?: number): this {
    const inner = new W();
    inner.u16(version);
    if (checksum !== undefined) inner.u32(checksum);
    body(inner);
    this.u32(0x40000000 | inner.bytes.length);
    this.bytes.push(...inner.bytes);
    return this;
  }
  data(): Uint8Array {
    return new Uint8Array(this.bytes);
  }
}
