/**
 * A small RNTuple writer for tests: hand-built pages (bytes as they lie on disk), fields and
 * columns (optionally in the footer's schema extension, optionally deferred), one cluster, written
 * into a real ROOT file (RBlob keys for pages and envelopes, a `ROOT::RNTuple` anchor key) with
 * the format's little-endian envelopes, frames and XXH3 checksums. Corruptions are options, so
 * tests can check each error. Independent of the reader: it shares only the XXH3 function.
 */
import { RootFileWriter } from '../../src/root/write/file-writer.ts';
import { coreStreamers } from '../../src/root/write/core-streamers.ts';
import { streamerInfoPayload } from '../../src/root/write/object-writer.ts';
import { compressBuffer } from '../../src/root/compression/compress.ts';
import { xxh3, xxh3Ready } from '../../src/root/rntuple/xxh3.ts';
import type { StreamerSet } from '../../src/root/streamers.ts';

export interface HandField {
  name: string;
  type: string;
  /** 0 leaf, 1 collection, 2 record, 3 variant, 4 streamer. */
  role: number;
  /** Parent field id (index in `fields`); top-level fields leave it out. */
  parent?: number;
  arraySize?: number;
  /** Projected field: the id of the field it projects (its columns come as `aliases`). */
  source?: number;
  extension?: boolean;
}

export interface HandPage {
  /** The page's uncompressed bytes, exactly as the column type lays them out. */
  bytes: Uint8Array;
  elements: number;
  /** Store a checksum after the page; `bad` stores a wrong one. */
  checksum?: 'good' | 'bad';
  /** Claim more bytes than are there (a truncated page). */
  extraLocatorBytes?: number;
}

export interface HandColumn {
  field: number;
  type: number;
  bits: number;
  firstElement?: number;
  /** Column representation index (default 0). */
  representation?: number;
  /** Value range (Real32Quant columns). */
  range?: { min: number; max: number };
  extension?: boolean;
  /** The pages of a one-cluster RNTuple. */
  pages?: HandPage[];
  /** Page-list element offset in the cluster (default: the first element index). */
  elementOffset?: number;
  /** Several clusters: per cluster its pages and the column's element offset there. */
  perCluster?: { pages: HandPage[]; elementOffset: number; suppressed?: boolean }[];
}

export interface HandRNTuple {
  name: string;
  entries: number;
  /** Entries per cluster (default: one cluster of `entries`). */
  clusters?: number[];
  fields: HandField[];
  columns: HandColumn[];
  /** The file's StreamerInfo (for ROOT-streamed fields); none by default. */
  streamers?: StreamerSet;
  /** Alias columns (header): a physical column id lent to a projected field. */
  aliases?: { physical: number; field: number }[];
  /** Compress pages with zstd (through the project's writer codecs). */
  compress?: boolean;
  /** Flip a byte of the header envelope after its checksum was computed. */
  corruptHeader?: boolean;
  /** Change the header payload before its checksum is computed (structurally bad but checksummed). */
  editHeader?: (payload: Uint8Array) => void;
}

class LE {
  private bytes: number[] = [];
  get pos(): number {
    return this.bytes.length;
  }
  u8(v: number): this {
    this.bytes.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >> 8);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  u64(v: number | bigint): this {
    const b = BigInt.asUintN(64, BigInt(v));
    return this.u32(Number(b & 0xffffffffn)).u32(Number(b >> 32n));
  }
  f64(v: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return this.raw(b);
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    this.u32(b.length);
    for (const x of b) this.u8(x);
    return this;
  }
  raw(b: Uint8Array): this {
    for (const x of b) this.u8(x);
    return this;
  }
  /** A record (count undefined) or list frame around what `body` writes. */
  frame(body: (o: this) => void, count?: number): this {
    const at = this.pos;
    this.u64(0);
    if (count !== undefined) this.u32(count);
    body(this);
    const size = this.pos - at;
    const v = BigInt.asUintN(64, BigInt(count !== undefined ? -size : size));
    for (let i = 0; i < 8; i++) this.bytes[at + i] = Number((v >> BigInt(8 * i)) & 0xffn);
    return this;
  }
  data(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

function envelope(type: number, payload: Uint8Array): Uint8Array {
  const o = new LE();
  o.u64((BigInt(payload.length + 16) << 16n) | BigInt(type));
  o.raw(payload);
  const head = o.data();
  return new LE().raw(head).u64(xxh3(head)).data();
}

function schema(o: LE, nt: HandRNTuple, extension: boolean): void {
  const fields = nt.fields.map((f, id) => ({ f, id })).filter(({ f }) => Boolean(f.extension) === extension);
  o.frame((l) => {
    for (const { f, id } of fields) {
      l.frame((r) => {
        r.u32(0).u32(0).u32(f.parent ?? id).u16(f.role).u16((f.arraySize !== undefined ? 1 : 0) | (f.source !== undefined ? 2 : 0));
        r.str(f.name).str(f.type).str('').str('');
        if (f.arraySize !== undefined) r.u64(f.arraySize);
        if (f.source !== undefined) r.u32(f.source);
      });
    }
  }, fields.length);
  const columns = nt.columns.filter((c) => Boolean(c.extension) === extension);
  o.frame((l) => {
    for (const c of columns) {
      l.frame((r) => {
        r.u16(c.type).u16(c.bits).u32(c.field).u16((c.firstElement ? 1 : 0) | (c.range ? 2 : 0)).u16(c.representation ?? 0);
        if (c.firstElement) r.u64(c.firstElement);
        if (c.range) r.f64(c.range.min).f64(c.range.max);
      });
    }
  }, columns.length);
  const aliases = extension ? [] : (nt.aliases ?? []);
  o.frame((l) => {
    for (const a of aliases) l.frame((r) => r.u32(a.physical).u32(a.field));
  }, aliases.length);
  o.frame(() => {}, 0);
}

export async function writeHandRNTuple(path: string, nt: HandRNTuple): Promise<void> {
  await xxh3Ready();
  const w = await RootFileWriter.create(path, { algorithm: 'ZSTD', level: 5 });
  const blob = async (bytes: Uint8Array): Promise<{ offset: number; size: number }> => {
    const k = await w.writeKey('RBlob', '', '', bytes, { compress: false });
    return { offset: k.seek + k.keylen, size: bytes.length };
  };
  // Pages, per cluster and column.
  const clusterEntries = nt.clusters ?? [nt.entries];
  const layout = (c: HandColumn, k: number): { pages: HandPage[]; elementOffset: number; suppressed?: boolean } =>
    c.perCluster ? c.perCluster[k]! : { pages: c.pages ?? [], elementOffset: c.elementOffset ?? c.firstElement ?? 0 };
  type Loc = { elements: number; checksum: boolean; offset: number; size: number };
  const locators: Loc[][][] = clusterEntries.map(() => []);
  for (let k = 0; k < clusterEntries.length; k++) {
    for (const c of nt.columns) {
      const list: Loc[] = [];
      for (const p of layout(c, k).pages) {
        const stored = nt.compress ? compressBuffer(p.bytes, { algorithm: 'ZSTD', level: 5 }) : p.bytes;
        let onDisk = stored;
        if (p.checksum) {
          const sum = xxh3(stored) ^ (p.checksum === 'bad' ? 1n : 0n);
          onDisk = new LE().raw(stored).u64(sum).data();
        }
        const loc = await blob(onDisk);
        list.push({ elements: p.elements, checksum: Boolean(p.checksum), offset: loc.offset, size: stored.length + (p.extraLocatorBytes ?? 0) });
      }
      locators[k]!.push(list);
    }
  }
  // Header.
  const h = new LE();
  h.u64(0).str(nt.name).str('hand-built').str('physlite tests');
  schema(h, nt, false);
  const headerPayload = h.data();
  nt.editHeader?.(headerPayload);
  const header = envelope(1, headerPayload);
  const headerSum = xxh3(header.subarray(0, header.length - 8));
  const headerOnDisk = header.slice();
  if (nt.corruptHeader) headerOnDisk[20]! ^= 0xff;
  const headerLoc = await blob(headerOnDisk);
  // Page list: every cluster.
  const pl = new LE();
  pl.u64(headerSum);
  pl.frame((l) => {
    let first = 0;
    for (const n of clusterEntries) {
      l.frame((r) => r.u64(first).u64(n));
      first += n;
    }
  }, clusterEntries.length);
  pl.frame((top) => {
    clusterEntries.forEach((_, k) => {
      top.frame((cols) => {
        nt.columns.forEach((c, i) => {
          const pages = locators[k]![i]!;
          cols.frame((out) => {
            for (const p of pages) out.u32(p.checksum ? -p.elements : p.elements).u32(p.size).u64(p.offset);
            const l = layout(c, k);
            if (l.suppressed) out.u64(-(2n ** 63n)); // suppressed: no pages, no compression setting
            else out.u64(l.elementOffset).u32(nt.compress ? 505 : 0);
          }, pages.length);
        });
      }, nt.columns.length);
    });
  }, clusterEntries.length);
  const pageList = envelope(3, pl.data());
  const pageListLoc = await blob(pageList);
  // Footer: schema extension, one cluster group.
  const f = new LE();
  f.u64(0).u64(headerSum);
  f.frame((r) => schema(r, nt, true));
  f.frame((l) => l.frame((r) => r.u64(0).u64(nt.entries).u32(clusterEntries.length).u64(pageList.length).u32(pageListLoc.size).u64(pageListLoc.offset)), 1);
  const footer = envelope(2, f.data());
  const footerLoc = await blob(footer);
  // Anchor (big-endian, after the byte count and class version).
  const fields = Buffer.alloc(64);
  [1, 0, 0, 0].forEach((v, i) => fields.writeUInt16BE(v, 2 * i));
  [headerLoc.offset, headerLoc.size, header.length, footerLoc.offset, footerLoc.size, footer.length, 1 << 30].forEach((v, i) => fields.writeBigUInt64BE(BigInt(v), 8 + 8 * i));
  const anchor = Buffer.alloc(4 + 2 + 64 + 8);
  anchor.writeUInt32BE(0x40000000 | (anchor.length - 4), 0);
  anchor.writeUInt16BE(2, 4);
  fields.copy(anchor, 6);
  anchor.writeBigUInt64BE(xxh3(fields), 70);
  await w.writeKey('ROOT::RNTuple', nt.name, '', anchor, { compress: false, listed: true });
  await w.close((keylen) => (nt.streamers ? streamerInfoPayload(nt.streamers.all(), nt.streamers, keylen) : streamerInfoPayload([], coreStreamers(), keylen)));
}

/** Split encoding of little-endian values: all first bytes, then all second bytes, ... */
export function splitBytes(plain: Uint8Array, width: number): Uint8Array {
  const n = plain.length / width;
  const out = new Uint8Array(plain.length);
  for (let i = 0; i < n; i++) for (let b = 0; b < width; b++) out[b * n + i] = plain[i * width + b]!;
  return out;
}

/** Items' top `nbits` bits packed into one little-endian bit stream (ROOT's Real32Trunc/Quant pages). */
export function packHighBits(words: readonly number[], nbits: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((words.length * nbits) / 8));
  words.forEach((w, i) => {
    const v = Math.floor((w >>> 0) / 2 ** (32 - nbits));
    for (let b = 0; b < nbits; b++) if (Math.floor(v / 2 ** b) % 2) out[(i * nbits + b) >> 3]! |= 1 << ((i * nbits + b) & 7);
  });
  return out;
}

export function leBytes(values: readonly (number | bigint)[], kind: 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'f32' | 'f64' | 'u64' | 'i64'): Uint8Array {
  const width = { u8: 1, i16: 2, u16: 2, i32: 4, u32: 4, f32: 4, f64: 8, u64: 8, i64: 8 }[kind];
  const b = Buffer.alloc(values.length * width);
  values.forEach((v, i) => {
    const at = i * width;
    if (kind === 'u8') b.writeUInt8(Number(v), at);
    else if (kind === 'i16') b.writeInt16LE(Number(v), at);
    else if (kind === 'u16') b.writeUInt16LE(Number(v), at);
    else if (kind === 'i32') b.writeInt32LE(Number(v), at);
    else if (kind === 'u32') b.writeUInt32LE(Number(v), at);
    else if (kind === 'f32') b.writeFloatLE(Number(v), at);
    else if (kind === 'f64') b.writeDoubleLE(Number(v), at);
    else if (kind === 'u64') b.writeBigUInt64LE(BigInt(v), at);
    else b.writeBigInt64LE(BigInt(v), at);
  });
  return new Uint8Array(b);
}
