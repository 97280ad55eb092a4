/**
 * TFile header, directories, subdirectories and keys, for small files (32-bit seeks) and large
 * files (64-bit seeks, fVersion > 1000000), on files built byte by byte here.
 */
import { describe, expect, it } from 'vitest';
import { DeserializationError, InputError, UsageError } from '../src/errors.ts';
import { RootFile } from '../src/root/file.ts';
import { MemorySource } from '../src/root/source/memory.ts';
import { checkRange, type ByteSource } from '../src/root/source/source.ts';

class Out {
  private bytes: number[] = [];
  /** File offset of bytes[0]. */
  readonly base: number;
  constructor(base = 0) {
    this.base = base;
  }
  at(pos: number): this {
    while (this.base + this.bytes.length < pos) this.bytes.push(0);
    return this;
  }
  u8(v: number): this {
    this.bytes.push(v & 0xff);
    return this;
  }
  i16(v: number): this {
    return this.u8(v >> 8).u8(v);
  }
  i32(v: number): this {
    return this.i16(v >>> 16).i16(v & 0xffff);
  }
  i64(v: number): this {
    return this.i32(Math.floor(v / 2 ** 32)).i32(v >>> 0);
  }
  str(s: string): this {
    this.u8(s.length);
    for (const ch of s) this.u8(ch.charCodeAt(0));
    return this;
  }
  seek(v: number, big: boolean): this {
    return big ? this.i64(v) : this.i32(v);
  }
  data(): Uint8Array {
    return new Uint8Array(this.bytes);
  }
}

interface KeySpec {
  className: string;
  name: string;
  cycle: number;
  seek: number;
}

function key(o: Out, k: KeySpec, big: boolean): void {
  const keylen = 4 + 2 + 4 + 4 + 2 + 2 + (big ? 16 : 8) + 3 + k.className.length + k.name.length;
  o.i32(keylen + 10).i16(big ? 1004 : 4).i32(10).i32(0).i16(keylen).i16(k.cycle).seek(k.seek, big).seek(100, big).str(k.className).str(k.name).str('');
}

function directory(o: Out, at: number, keysAt: number, keys: KeySpec[], big: boolean): void {
  o.at(at).i16(big ? 1005 : 5).i32(0).i32(0).i32(4096).i32(60).seek(at, big).seek(0, big).seek(keysAt, big);
  o.at(keysAt);
  key(o, { className: 'TDirectory', name: 'keys', cycle: 1, seek: keysAt }, big);
  o.i32(keys.length);
  for (const k of keys) key(o, k, big);
}

/** A source made of a few written segments and zeros elsewhere, so a test file can be 6 GiB. */
class SparseSource implements ByteSource {
  readonly name = 'sparse.root';
  readonly counters = { requests: 0, bytes: 0 };
  readonly size: number;
  private readonly parts: Out[];
  constructor(parts: Out[], size: number) {
    this.parts = parts;
    this.size = size;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    const out = new Uint8Array(length);
    for (const p of this.parts) {
      const d = p.data();
      const a = Math.max(offset, p.base);
      const b = Math.min(offset + length, p.base + d.length);
      if (a < b) out.set(d.subarray(a - p.base, b - p.base), a - offset);
    }
    return out;
  }
  async close(): Promise<void> {}
}

/** A file with two cycles of `tree`, a `sub` directory holding `inner;1`, and no StreamerInfo. */
function buildFile(big: boolean, offset = 0): Uint8Array {
  return buildParts(big, offset)[0]!.data();
}

function buildParts(big: boolean, offset = 0): Out[] {
  const o = new Out();
  const sub = 2000 + offset;
  const s = offset ? new Out(sub) : o;
  o.u8(0x72).u8(0x6f).u8(0x6f).u8(0x74).i32(big ? 1062206 : 62206).i32(100);
  o.seek(8000 + offset, big).seek(0, big).i32(0).i32(0).i32(50).u8(big ? 8 : 4).i32(505).seek(0, big).i32(0);
  directory(
    o,
    150,
    1000,
    [
      { className: 'TTree', name: 'tree', cycle: 2, seek: 5000 },
      { className: 'TTree', name: 'tree', cycle: 1, seek: 5100 },
      { className: 'TDirectoryFile', name: 'sub', cycle: 1, seek: sub },
    ],
    big,
  );
  // The subdirectory record sits after its key header.
  const subKeylen = 4 + 2 + 4 + 4 + 2 + 2 + (big ? 16 : 8) + 3 + 'TDirectoryFile'.length + 'sub'.length;
  directory(s, sub + subKeylen, sub + 500, [{ className: 'TObjString', name: 'inner', cycle: 1, seek: 6000 }], big);
  if (!offset) o.at(8000);
  return offset ? [o, s] : [o];
}

describe.each([
  ['small file (32-bit seeks)', false, 0],
  ['large file (64-bit seeks)', true, 0],
  ['large file with a directory beyond 4 GiB', true, 5 * 2 ** 30],
])('%s', (_label, big, offset) => {
  it('reads the header, the keys and a subdirectory', async () => {
    const parts = buildParts(big, offset);
    const source = offset ? new SparseSource(parts, 8000 + offset) : new MemorySource(parts[0]!.data(), 'synthetic.root');
    const file = await RootFile.open(source);
    expect(file.header.version).toBe(62206);
    expect(file.header.end).toBe(8000 + offset);
    expect(file.compression()).toEqual({ setting: 505, algorithm: 'ZSTD', level: 5 });
    const keys = (await file.allKeys()).map(({ path, key: k }) => `${path ? path + '/' : ''}${k.name};${k.cycle} ${k.className}`);
    expect(keys).toEqual(['tree;2 TTree', 'tree;1 TTree', 'sub;1 TDirectoryFile', 'sub/inner;1 TObjString']);
    expect((await file.findKey('tree')).cycle).toBe(2);
    expect((await file.findKey('tree;1')).seekKey).toBe(5100);
    expect((await file.findKey('sub/inner')).seekKey).toBe(6000);
    await expect(file.findKey('nope')).rejects.toBeInstanceOf(UsageError);
    await expect(file.findKey('tree;7')).rejects.toThrow(/available: tree;2, tree;1/);
  });
});

describe('header errors', () => {
  it('rejects a file without the ROOT magic', async () => {
    const bytes = buildFile(false);
    bytes[0] = 0x58;
    await expect(RootFile.open(new MemorySource(bytes, 'x.root'))).rejects.toBeInstanceOf(InputError);
  });

  it('rejects a file shorter than its header says (truncated)', async () => {
    const bytes = buildFile(false).subarray(0, 7000);
    const err = await RootFile.open(new MemorySource(bytes, 'cut.root')).catch((e) => e);
    expect(err).toBeInstanceOf(DeserializationError);
    expect(err.describe()).toMatch(/truncated.*cut\.root/);
  });
});
