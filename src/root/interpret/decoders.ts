/**
 * Basket decoders: each turns the entries [lo, hi) of one decompressed basket into values
 * appended to a column builder. No I/O, no per-entry objects: loops over the basket bytes with
 * a DataView and copy big-endian value runs into the builders. Every entry is checked against its
 * entry-offset span, so corrupt bytes end in a DeserializationError naming entry and offset.
 */
import { kByteCountMask } from '../object-reader.ts';
import { DeserializationError, type ErrorContext } from '../../errors.ts';
import type { Basket } from '../tree/basket.ts';
import {
  type Alloc,
  type Builder,
  copyBE,
  heapAlloc,
  FixedListBuilder,
  ListBuilder,
  PRIM_WIDTH,
  PrimBuilder,
  type Prim,
  StringBuilder,
  StructBuilder,
} from './builders.ts';
import type { TypeNode } from './typename.ts';

export const kMemberWise = 0x4000;

export interface DecodeArgs {
  basket: Basket;
  /** Entry range inside the basket (0-based within the basket). */
  lo: number;
  hi: number;
  /** Per-entry element counts for entries lo..hi (from the count branch), when the decoder needs them. */
  counts?: Int32Array;
  context: ErrorContext;
}

export interface BasketDecoder {
  /** Human-readable name of the layout, e.g. "vector<float> (unsplit STL)". */
  readonly description: string;
  /** Whether decode() needs per-entry counts from the count (parent) branch. */
  readonly needsCounts: boolean;
  /** A builder for this decoder's values; `alloc` lets a read share memory chunks across columns. */
  newBuilder(capacityBytes: number, alloc?: Alloc): Builder;
  decode(args: DecodeArgs, builder: Builder): void;
}

/** Mutable read position over one basket's data, for the nested-content readers. */
export interface State {
  buf: Uint8Array;
  view: DataView;
  pos: number;
  end: number;
  base: number;
  context: ErrorContext;
  entry: number;
}

export function fail(s: State, message: string): never {
  throw new DeserializationError(message, { ...s.context, entry: s.entry, offset: s.base + s.pos });
}

function entryFail(args: DecodeArgs, i: number, at: number, message: string): never {
  throw new DeserializationError(message, { ...args.context, entry: args.basket.location.entryStart + i, offset: dataOffset(args.basket) + at });
}

/** File offset of the basket data, for messages (the data is decompressed, so this is the key's start plus keylen). */
function dataOffset(b: Basket): number {
  return b.location.seek + b.header.keylen;
}

/** One DataView per basket, made on first use. */
function viewOf(b: Basket): DataView {
  return b.view;
}

function requireOffsets(args: DecodeArgs, what: string): Int32Array {
  const off = args.basket.offsets;
  if (!off) throw new DeserializationError(`${what} basket has no entry-offset tail`, { ...args.context, offset: args.basket.location.seek });
  return off;
}

// ---- fixed-size entries: scalar leaves, leaf arrays, basic members of split objects ----------

export class FixedDecoder implements BasketDecoder {
  readonly description: string;
  readonly needsCounts = false;
  readonly prim: Prim;
  readonly perEntry: number;
  constructor(prim: Prim, perEntry: number, description: string) {
    this.prim = prim;
    this.perEntry = perEntry;
    this.description = description;
  }
  newBuilder(capacityBytes: number, alloc: Alloc = heapAlloc): Builder {
    const values = new PrimBuilder(this.prim, capacityBytes, alloc);
    return this.perEntry === 1 ? values : new FixedListBuilder(values, this.perEntry);
  }
  decode(args: DecodeArgs, builder: Builder): void {
    const values = (this.perEntry === 1 ? builder : (builder as FixedListBuilder<PrimBuilder>).child) as PrimBuilder;
    const size = PRIM_WIDTH[this.prim] * this.perEntry;
    const { basket, lo, hi } = args;
    const off = basket.offsets;
    if (off) {
      for (let i = lo; i < hi; i++) {
        if (off[i + 1]! - off[i]! !== size) entryFail(args, i, off[i]!, `entry has ${off[i + 1]! - off[i]!} bytes, expected ${size}`);
      }
      values.appendBE(basket.data, viewOf(basket), off[lo]!, (hi - lo) * this.perEntry);
      return;
    }
    if (basket.data.length !== basket.header.nevbuf * size) {
      entryFail(args, 0, 0, `basket data has ${basket.data.length} bytes, expected ${basket.header.nevbuf} entries of ${size}`);
    }
    values.appendBE(basket.data, viewOf(basket), lo * size, (hi - lo) * this.perEntry);
  }
}

// ---- count-indexed leaf arrays: Float_t[NJet] --------------------------------------------------

export class JaggedLeafDecoder implements BasketDecoder {
  readonly description: string;
  readonly needsCounts = false;
  readonly prim: Prim;
  constructor(prim: Prim, description: string) {
    this.prim = prim;
    this.description = description;
  }
  newBuilder(capacityBytes: number, alloc: Alloc = heapAlloc): Builder {
    return new ListBuilder(new PrimBuilder(this.prim, capacityBytes, alloc), capacityBytes / 8, alloc);
  }
  decode(args: DecodeArgs, builder: Builder): void {
    const list = builder as ListBuilder<PrimBuilder>;
    const off = requireOffsets(args, 'count-indexed leaf');
    const w = PRIM_WIDTH[this.prim];
    const data = args.basket.data;
    const view = viewOf(args.basket);
    for (let i = args.lo; i < args.hi; i++) {
      const a = off[i]!;
      const span = off[i + 1]! - a;
      if (span % w !== 0) entryFail(args, i, a, `entry of ${span} bytes is not a whole number of ${w}-byte values`);
      list.child.appendBE(data, view, a, span / w);
      list.close();
    }
  }
}

// ---- TLeafC strings -----------------------------------------------------------------------------

export class LeafStringDecoder implements BasketDecoder {
  readonly description = 'TLeafC string';
  readonly needsCounts = false;
  newBuilder(capacityBytes: number, alloc: Alloc = heapAlloc): Builder {
    return new StringBuilder(capacityBytes, capacityBytes / 8, alloc);
  }
  decode(args: DecodeArgs, builder: Builder): void {
    const sb = builder as StringBuilder;
    const off = requireOffsets(args, 'string leaf');
    const data = args.basket.data;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = args.lo; i < args.hi; i++) {
      let p = off[i]!;
      const end = off[i + 1]!;
      if (end === p) {
        sb.append(data, p, 0);
        continue;
      }
      let n = data[p++]!;
      if (n === 255) {
        if (p + 4 > end) entryFail(args, i, p, 'string length runs past the entry');
        n = view.getInt32(p);
        p += 4;
      }
      if (p + n > end) entryFail(args, i, p, `string of ${n} bytes runs past the entry (${end - p} left)`);
      sb.append(data, p, n);
    }
  }
}

// ---- nested STL content (vector<T>, vector<vector<T>>, vector<string>, vector<set<T>>, ElementLink) ----

/** Reads one value of a type at the state's position and appends it to a builder of that type. */
export interface Content {
  newBuilder(capacityBytes: number, alloc: Alloc): Builder;
  read(s: State, b: Builder): void;
  /**
   * `n` values in a row as a member-wise column (the same member of n elements). Defaults to n
   * reads; values that ROOT streams through a collection proxy (strings, STL members) carry one
   * record header for the whole column instead of one each.
   */
  readMany?(s: State, b: Builder, n: number): void;
}

export function u32(s: State): number {
  if (s.pos + 4 > s.end) fail(s, 'collection size runs past the entry');
  const v = s.view.getUint32(s.pos);
  s.pos += 4;
  return v;
}

export function primContent(prim: Prim): Content {
  const w = PRIM_WIDTH[prim];
  return {
    newBuilder: (cap, alloc) => new PrimBuilder(prim, cap, alloc),
    read(s, b) {
      if (s.pos + w > s.end) fail(s, 'value runs past the entry');
      (b as PrimBuilder).appendBE(s.buf, s.view, s.pos, 1);
      s.pos += w;
    },
  };
}

export function stringContent(): Content {
  return {
    newBuilder: (cap, alloc) => new StringBuilder(cap, cap / 8, alloc),
    read(s, b) {
      if (s.pos + 1 > s.end) fail(s, 'string runs past the entry');
      let n = s.buf[s.pos++]!;
      if (n === 255) n = u32(s);
      if (s.pos + n > s.end) fail(s, `string of ${n} bytes runs past the entry`);
      (b as StringBuilder).append(s.buf, s.pos, n);
      s.pos += n;
    },
  };
}

/** Version header of a streamed object: byte count (required here), version, checksum when version is 0. */
export function objectHeader(s: State, what: string): { end: number; version: number } {
  if (s.pos + 6 > s.end) fail(s, `${what} header runs past the entry`);
  const bc = s.view.getUint32(s.pos);
  if (!(bc & kByteCountMask)) fail(s, `${what} has no byte count (0x${bc.toString(16)})`);
  const count = (bc & ~kByteCountMask) >>> 0;
  const end = s.pos + 4 + count;
  if (end > s.end) fail(s, `${what} byte count ${count} runs past the entry`);
  s.pos += 4;
  const version = s.view.getUint16(s.pos);
  s.pos += 2;
  if (version === 0) s.pos += 4; // class checksum
  return { end, version };
}

export function stateFor(args: DecodeArgs): State {
  const data = args.basket.data;
  return { buf: data, view: viewOf(args.basket), pos: 0, end: 0, base: dataOffset(args.basket), context: args.context, entry: 0 };
}

/**
 * The entries lo..hi of a basket whose entries are each one streamed object: checks the byte
 * count against the entry span, hands the body the version, and checks nothing is left over.
 */
export function eachObjectEntry(args: DecodeArgs, what: string, body: (s: State, version: number) => void): void {
  const off = requireOffsets(args, what);
  const s = stateFor(args);
  for (let i = args.lo; i < args.hi; i++) {
    s.pos = off[i]!;
    s.end = off[i + 1]!;
    s.entry = args.basket.location.entryStart + i;
    const h = objectHeader(s, what);
    if (h.end !== s.end) fail(s, `${what} byte count ends at ${h.end - off[i]!}, the entry at ${s.end - off[i]!}`);
    body(s, h.version);
    if (s.pos !== s.end) fail(s, `${s.end - s.pos} bytes left undecoded at the end of the ${what} entry`);
  }
}

export const ELEMENT_LINK_FIELDS = ['m_persKey', 'm_persIndex'];

/**
 * `cap`: about the bytes the links take streamed, 20 or more a link: a quarter of it for the keys
 * and one for the indexes (each the whole of it was ten times the memory the values took).
 */
function newLinkBuilder(cap: number, alloc: Alloc): StructBuilder {
  return new StructBuilder(ELEMENT_LINK_FIELDS, [new PrimBuilder('u32', cap / 4, alloc), new PrimBuilder('u32', cap / 4, alloc)]);
}

/** ElementLink<T> streamed object-wise: its header, ElementLinkBase's header, then key and index. */
function elementLinkContent(): Content {
  return {
    newBuilder: (cap, alloc) => newLinkBuilder(cap, alloc),
    read(s, b) {
      const outer = objectHeader(s, 'ElementLink');
      const inner = objectHeader(s, 'ElementLinkBase');
      if (inner.end !== outer.end || s.pos + 8 !== inner.end) fail(s, 'ElementLink record has an unexpected layout');
      const sb = b as StructBuilder;
      (sb.children[0] as PrimBuilder).appendBE(s.buf, s.view, s.pos, 1);
      (sb.children[1] as PrimBuilder).appendBE(s.buf, s.view, s.pos + 4, 1);
      sb.length++;
      s.pos = outer.end;
    },
  };
}

export function vectorContent(inner: Content, innerPrim: Prim | undefined): Content {
  if (innerPrim) {
    const w = PRIM_WIDTH[innerPrim];
    return {
      // Room for a list every 32 bytes (a vector takes 10 or more; room grows when needed).
      newBuilder: (cap, alloc) => new ListBuilder(new PrimBuilder(innerPrim, cap, alloc), cap / 32, alloc),
      read(s, b) {
        const n = u32(s);
        const nb = n * w;
        if (s.pos + nb > s.end) fail(s, `vector of ${n} values runs past the entry`);
        const lb = b as ListBuilder<PrimBuilder>;
        lb.child.appendBE(s.buf, s.view, s.pos, n);
        s.pos += nb;
        lb.close();
      },
    };
  }
  return {
    newBuilder: (cap, alloc) => new ListBuilder(inner.newBuilder(cap, alloc), cap / 32, alloc),
    read(s, b) {
      const n = u32(s);
      if (n > s.end - s.pos) fail(s, `vector of ${n} items cannot fit the entry`);
      const lb = b as ListBuilder;
      for (let k = 0; k < n; k++) inner.read(s, lb.child);
      lb.close();
    },
  };
}

/** Content reader for a type node, or a reason it is not supported. */
export function contentFor(node: TypeNode): Content | string {
  switch (node.kind) {
    case 'prim':
      return primContent(node.prim);
    case 'string':
      return stringContent();
    case 'elementlink':
      return elementLinkContent();
    case 'vector': {
      const inner = contentFor(node.inner);
      if (typeof inner === 'string') return inner;
      return vectorContent(inner, node.inner.kind === 'prim' ? node.inner.prim : undefined);
    }
    default:
      return `${node.name} inside a collection is streamed from its StreamerInfo (not decoded yet)`;
  }
}

/**
 * An STL collection streamed as one object per entry (unsplit top-level branches, and
 * collection members of split objects): byte count and version, then the content.
 * Member-wise streamed vectors of ElementLinks (version bit 0x4000) are decoded too.
 */
export class StlObjectDecoder implements BasketDecoder {
  readonly description: string;
  readonly needsCounts = false;
  private readonly content: Content;
  private readonly fastPrim: Prim | undefined;
  private readonly memberwiseLinks: boolean;
  /** The element type of vector<number>, and of vector<vector<number>> (for writers that smear values). */
  readonly elementType: Prim | undefined;
  readonly nestedElementType: Prim | undefined;
  /** vector<ElementLink> (1) and vector<vector<ElementLink>> (2), which have a fast path. */
  private readonly linkDepth: 0 | 1 | 2;

  constructor(node: TypeNode & { kind: 'vector' }, content: Content, description: string) {
    this.description = description;
    this.content = content;
    this.fastPrim = node.inner.kind === 'prim' ? node.inner.prim : undefined;
    this.memberwiseLinks = node.inner.kind === 'elementlink';
    this.elementType = this.fastPrim;
    this.nestedElementType = node.inner.kind === 'vector' && node.inner.inner.kind === 'prim' ? node.inner.inner.prim : undefined;
    this.linkDepth = node.inner.kind === 'elementlink' ? 1 : node.inner.kind === 'vector' && node.inner.inner.kind === 'elementlink' ? 2 : 0;
  }

  newBuilder(capacityBytes: number, alloc: Alloc = heapAlloc): Builder {
    return this.content.newBuilder(capacityBytes, alloc);
  }

  decode(args: DecodeArgs, builder: Builder): void {
    if (this.fastPrim) return this.decodePrimVectors(args, builder as ListBuilder<PrimBuilder>, this.fastPrim);
    if (this.nestedElementType) return this.decodeNestedPrimVectors(args, builder as ListBuilder<ListBuilder<PrimBuilder>>, this.nestedElementType);
    if (this.linkDepth) return this.decodeLinkVectors(args, builder as ListBuilder);
    this.decodeObjects(args, builder);
  }

  /** Entry by entry through the content readers (every check, every error message). */
  private decodeObjects(args: DecodeArgs, builder: Builder): void {
    eachObjectEntry(args, 'collection', (s, version) => {
      if (version & kMemberWise) {
        if (!this.memberwiseLinks) fail(s, 'member-wise streamed collection of this type is not supported');
        this.readMemberwiseLinks(s, builder as ListBuilder<StructBuilder>);
      } else {
        this.content.read(s, builder);
      }
    });
  }

  /**
   * The hot path: vector<number> entries, `[bc][u16 version][u32 n][n BE values]`. Values go
   * straight into the builders' typed arrays (room reserved once per basket).
   */
  private decodePrimVectors(args: DecodeArgs, list: ListBuilder<PrimBuilder>, prim: Prim): void {
    const off = requireOffsets(args, 'collection');
    const data = args.basket.data;
    const view = viewOf(args.basket);
    const w = PRIM_WIDTH[prim];
    const values = list.child;
    const { lo, hi } = args;
    // Headers take at least 10 bytes an entry, so this bounds the values of the whole range.
    values.reserve(Math.ceil((off[hi]! - off[lo]!) / w));
    list.reserve(hi - lo);
    const offsets = list.offsets;
    const ov = offsets.values;
    let nl = offsets.length;
    let at = values.length;
    for (let i = lo; i < hi; i++) {
      const p = off[i]!;
      const end = off[i + 1]!;
      if (end - p < 10) entryFail(args, i, p, `entry of ${end - p} bytes is too short for a collection header`);
      const bc = view.getUint32(p);
      const n = view.getUint32(p + 6);
      if ((bc & kByteCountMask) === 0 || p + 4 + ((bc & ~kByteCountMask) >>> 0) !== end || p + 10 + n * w !== end) {
        entryFail(args, i, p, `collection header (byte count 0x${bc.toString(16)}, ${n} values) does not match the entry's ${end - p} bytes`);
      }
      copyBE(values, data, view, p + 10, n, at);
      at += n;
      ov[++nl] = at;
    }
    values.length = at;
    offsets.length = nl;
  }

  /**
   * vector<vector<number>> entries, `[bc][u16 version][u32 n]` then n times `[u32 m][m BE values]`,
   * straight into the builders' typed arrays. An entry that does not have this layout is decoded
   * again by decodeObjects, which throws the error naming what is wrong.
   */
  private decodeNestedPrimVectors(args: DecodeArgs, outer: ListBuilder<ListBuilder<PrimBuilder>>, prim: Prim): void {
    const off = requireOffsets(args, 'collection');
    const data = args.basket.data;
    const view = viewOf(args.basket);
    const w = PRIM_WIDTH[prim];
    const inner = outer.child;
    const values = inner.child;
    const { lo, hi } = args;
    const span = off[hi]! - off[lo]!;
    // Every value takes w bytes: a bound for the whole range. Room for the inner vectors' offsets
    // is made per entry from its count (the bound from the bytes, 4 a vector, was 5-10 times the
    // room used, all of it memory held until the row group is written).
    values.reserve(Math.ceil(span / w));
    outer.reserve(hi - lo);
    let ov = outer.offsets.values;
    let iv = inner.offsets.values;
    let no = outer.offsets.length;
    let ni = inner.offsets.length;
    let at = values.length;
    for (let i = lo; i < hi; i++) {
      const p = off[i]!;
      const end = off[i + 1]!;
      const at0 = at;
      const ni0 = ni;
      let q = collectionBody(view, p, end);
      let ok = q >= 0;
      if (ok) {
        const n = view.getUint32(q - 4);
        if (4 * n > end - q) ok = false;
        else if (ni + n + 1 > iv.length) {
          inner.offsets.length = ni;
          inner.reserve(n);
          iv = inner.offsets.values;
        }
        for (let k = 0; k < n && ok; k++) {
          if (q + 4 > end) ok = false;
          else {
            const m = view.getUint32(q);
            q += 4;
            if (q + m * w > end) ok = false;
            else {
              copyBE(values, data, view, q, m, at);
              q += m * w;
              at += m;
              iv[++ni] = at;
            }
          }
        }
        ok &&= q === end;
      }
      if (!ok) {
        // Commit the entries before this one, then let the content readers decode it or name
        // what is wrong; after it, go on with their builder state (arrays may have moved).
        values.length = at0;
        inner.offsets.length = ni0;
        outer.offsets.length = no;
        this.decodeObjects({ ...args, lo: i, hi: i + 1 }, outer);
        const rest = off[hi]! - end;
        values.reserve(Math.ceil(rest / w));
        outer.reserve(hi - i);
        ov = outer.offsets.values;
        iv = inner.offsets.values;
        no = outer.offsets.length;
        ni = inner.offsets.length;
        at = values.length;
        continue;
      }
      ov[++no] = ni;
    }
    values.length = at;
    inner.offsets.length = ni;
    outer.offsets.length = no;
  }

  /**
   * vector<ElementLink> and vector<vector<ElementLink>> streamed object-wise: per link two headers
   * (ElementLink, ElementLinkBase) and key and index, straight into the key and index arrays.
   * Each entry is committed to the builders only when it had this layout throughout; any other
   * entry (member-wise streamed, or damaged) goes through decodeObjects, which decodes it or
   * throws the error naming what is wrong.
   */
  private decodeLinkVectors(args: DecodeArgs, outer: ListBuilder): void {
    const off = requireOffsets(args, 'collection');
    const view = viewOf(args.basket);
    const nested = this.linkDepth === 2;
    const mid = nested ? (outer.child as ListBuilder) : undefined;
    const links = (nested ? mid!.child : outer.child) as StructBuilder;
    const keys = links.children[0] as PrimBuilder;
    const indexes = links.children[1] as PrimBuilder;
    const { lo, hi } = args;
    const span = off[hi]! - off[lo]!;
    // A link takes at least 20 bytes (two 6-byte headers, key, index): a bound for the range.
    // Room for the inner vectors' offsets is made per entry from its count (see above).
    keys.reserve(Math.ceil(span / 20));
    indexes.reserve(Math.ceil(span / 20));
    outer.reserve(hi - lo);
    let ku = keys.u32;
    let iu = indexes.u32;
    for (let i = lo; i < hi; i++) {
      const p = off[i]!;
      const end = off[i + 1]!;
      let nl = links.length;
      let nm = mid ? mid.offsets.length : 0;
      let q = collectionBody(view, p, end);
      let ok = q >= 0;
      let mv = mid?.offsets.values;
      if (ok) {
        const n = view.getUint32(q - 4);
        if (nested && 4 * n > end - q) ok = false;
        else if (nested && nm + n + 1 > mv!.length) {
          mid!.reserve(n);
          mv = mid!.offsets.values;
        }
        const vectors = nested ? n : 1;
        for (let k = 0; k < vectors && ok; k++) {
          let m = n;
          if (nested) {
            if (q + 4 > end) {
              ok = false;
              break;
            }
            m = view.getUint32(q);
            q += 4;
          }
          for (let j = 0; j < m; j++) {
            // ElementLink's header, then ElementLinkBase's, ending where it ends, 8 bytes after.
            if (q + 6 > end) {
              ok = false;
              break;
            }
            const bc1 = view.getUint32(q);
            const end1 = q + 4 + ((bc1 & ~kByteCountMask) >>> 0);
            q += view.getUint16(q + 4) === 0 ? 10 : 6;
            if ((bc1 & kByteCountMask) === 0 || end1 > end || q + 6 > end) {
              ok = false;
              break;
            }
            const bc2 = view.getUint32(q);
            const end2 = q + 4 + ((bc2 & ~kByteCountMask) >>> 0);
            q += view.getUint16(q + 4) === 0 ? 10 : 6;
            if ((bc2 & kByteCountMask) === 0 || end2 !== end1 || q + 8 !== end2) {
              ok = false;
              break;
            }
            ku[nl] = view.getUint32(q);
            iu[nl++] = view.getUint32(q + 4);
            q = end1;
          }
          if (nested) mv![++nm] = nl;
        }
        ok &&= q === end;
      }
      if (ok) {
        links.length = keys.length = indexes.length = nl;
        if (mid) mid.offsets.length = nm;
        outer.offsets.values[++outer.offsets.length] = nested ? nm : nl;
      } else {
        this.decodeObjects({ ...args, lo: i, hi: i + 1 }, outer);
        // A member-wise entry takes 8 bytes a link: the room reserved may be used up.
        const rest = off[hi]! - end;
        keys.reserve(Math.ceil(rest / 20));
        indexes.reserve(Math.ceil(rest / 20));
        ku = keys.u32;
        iu = indexes.u32;
      }
    }
  }

  /** Member-wise vector<ElementLink>: class version and checksum, n, then n keys, then n indexes. */
  private readMemberwiseLinks(s: State, list: ListBuilder<StructBuilder>): void {
    if (s.pos + 2 > s.end) fail(s, 'member-wise header runs past the entry');
    const classVersion = s.view.getUint16(s.pos);
    s.pos += 2;
    if (classVersion === 0) s.pos += 4;
    const n = u32(s);
    if (s.pos + 8 * n !== s.end) fail(s, `member-wise vector of ${n} ElementLinks does not fill the entry`);
    const sb = list.child;
    (sb.children[0] as PrimBuilder).appendBE(s.buf, s.view, s.pos, n);
    (sb.children[1] as PrimBuilder).appendBE(s.buf, s.view, s.pos + 4 * n, n);
    sb.length += n;
    s.pos += 8 * n;
    list.close();
  }
}

/**
 * Where the items of an object-wise collection entry [p, end) start: after its byte count,
 * version (and checksum, version 0) and item count; -1 when the header is not that of an
 * object-wise collection filling the entry (fast paths then leave the entry to the content readers).
 */
function collectionBody(view: DataView, p: number, end: number): number {
  if (end - p < 10) return -1;
  const bc = view.getUint32(p);
  const version = view.getUint16(p + 4);
  const q = version === 0 ? p + 14 : p + 10;
  const fills = (bc & kByteCountMask) !== 0 && p + 4 + ((bc & ~kByteCountMask) >>> 0) === end;
  return fills && (version & kMemberWise) === 0 && q <= end ? q : -1;
}

// ---- DataVector interface branches: the element count per entry ----------------------------------

/**
 * `DataVector<T>` streamed member-wise: header, class version (and checksum), n, then for each
 * persistent member of T (in StreamerInfo order) its n values. With no such members (the usual
 * xAOD case) the column is the element count (uint32); otherwise a list of structs of the members.
 */
export class DataVectorDecoder implements BasketDecoder {
  readonly description: string;
  readonly needsCounts = false;
  private readonly members: { name: string; prim: Prim }[];
  constructor(members: { name: string; prim: Prim }[], description: string) {
    this.members = members;
    this.description = description;
  }
  newBuilder(capacityBytes: number, alloc: Alloc = heapAlloc): Builder {
    if (this.members.length === 0) return new PrimBuilder('u32', capacityBytes / 4, alloc);
    const names = this.members.map((m) => m.name);
    return new ListBuilder(new StructBuilder(names, this.members.map((m) => new PrimBuilder(m.prim, capacityBytes, alloc))), capacityBytes / 16, alloc);
  }
  decode(args: DecodeArgs, builder: Builder): void {
    eachObjectEntry(args, 'DataVector', (s, version) => {
      if (version & kMemberWise) {
        if (s.pos + 2 > s.end) fail(s, 'member-wise header runs past the entry');
        const classVersion = s.view.getUint16(s.pos);
        s.pos += classVersion === 0 ? 6 : 2;
      } else if (this.members.length > 0) {
        fail(s, 'object-wise DataVector with members is not supported');
      }
      const n = u32(s);
      if (this.members.length === 0) {
        (builder as PrimBuilder).appendBE(s.buf, s.view, s.pos - 4, 1);
        return;
      }
      const list = builder as ListBuilder<StructBuilder>;
      for (let m = 0; m < this.members.length; m++) {
        const w = PRIM_WIDTH[this.members[m]!.prim];
        if (s.pos + n * w > s.end) fail(s, `member ${this.members[m]!.name} runs past the entry`);
        (list.child.children[m] as PrimBuilder).appendBE(s.buf, s.view, s.pos, n);
        s.pos += n * w;
      }
      list.child.length += n;
      list.close();
    });
  }
}

// ---- members of split STL collections (fType 41): n values per entry, n from the count branch ----

export class CollectionMemberDecoder implements BasketDecoder {
  readonly description: string;
  readonly needsCounts = true;
  readonly prim: Prim | undefined;
  constructor(prim: Prim | undefined, description: string) {
    this.prim = prim;
    this.description = description;
  }
  newBuilder(capacityBytes: number, alloc: Alloc = heapAlloc): Builder {
    return new ListBuilder(this.prim ? new PrimBuilder(this.prim, capacityBytes, alloc) : new StringBuilder(capacityBytes, capacityBytes / 8, alloc), capacityBytes / 8, alloc);
  }
  decode(args: DecodeArgs, builder: Builder): void {
    const list = builder as ListBuilder;
    const counts = args.counts!;
    const data = args.basket.data;
    const off = args.basket.offsets;
    if (this.prim) {
      const w = PRIM_WIDTH[this.prim];
      const values = list.child as PrimBuilder;
      const view = viewOf(args.basket);
      let p = off ? off[args.lo]! : 0;
      for (let i = args.lo; i < args.hi; i++) {
        const n = counts[i - args.lo]!;
        if (off) {
          p = off[i]!;
          if (off[i + 1]! - p !== n * w) entryFail(args, i, p, `entry has ${off[i + 1]! - p} bytes for ${n} values of ${w} bytes (count branch)`);
        } else if (p + n * w > data.length) {
          entryFail(args, i, p, `${n} values run past the basket`);
        }
        values.appendBE(data, view, p, n);
        p += n * w;
        list.close();
      }
      return;
    }
    const s = stateFor(args);
    const str = stringContent();
    const off2 = requireOffsets(args, 'string member');
    for (let i = args.lo; i < args.hi; i++) {
      s.pos = off2[i]!;
      s.end = off2[i + 1]!;
      s.entry = args.basket.location.entryStart + i;
      // A collection header precedes the strings of an entry when the member is streamed as an STL string.
      if (s.end - s.pos >= 6 && s.view.getUint32(s.pos) & kByteCountMask) {
        const h = objectHeader(s, 'string collection');
        if (h.end !== s.end) fail(s, 'string collection byte count does not match the entry');
      }
      const n = counts[i - args.lo]!;
      for (let k = 0; k < n; k++) str.read(s, list.child);
      if (s.pos !== s.end) fail(s, `${s.end - s.pos} bytes left over after ${n} strings`);
      list.close();
    }
  }
}

/** A single ElementLinkBase record per entry (split ElementLink objects): header, key, index. */
export class ElementLinkRecordDecoder implements BasketDecoder {
  readonly description = 'ElementLink (split object)';
  readonly needsCounts = false;
  newBuilder(capacityBytes: number, alloc: Alloc = heapAlloc): Builder {
    return newLinkBuilder(capacityBytes / 2, alloc);
  }
  decode(args: DecodeArgs, builder: Builder): void {
    const sb = builder as StructBuilder;
    eachObjectEntry(args, 'ElementLinkBase', (s) => {
      if (s.pos + 8 !== s.end) fail(s, 'ElementLinkBase record has an unexpected layout');
      (sb.children[0] as PrimBuilder).appendBE(s.buf, s.view, s.pos, 1);
      (sb.children[1] as PrimBuilder).appendBE(s.buf, s.view, s.pos + 4, 1);
      sb.length++;
      s.pos += 8;
    });
  }
}

/** Counts of a split STL collection parent: one big-endian int32 per entry. */
export const COUNT_DECODER = new FixedDecoder('i32', 1, 'collection size (split STL parent)');

/**
 * Entries that are one streamed value each, read by a Content (objects decoded from their
 * StreamerInfo, strings, STL members with headers): every entry must be consumed exactly.
 * Fixed-size entries without an offset tail are split by the basket's entry size.
 */
export class ContentDecoder implements BasketDecoder {
  readonly description: string;
  readonly needsCounts = false;
  private readonly content: Content;
  constructor(content: Content, description: string) {
    this.content = content;
    this.description = description;
  }
  newBuilder(capacityBytes: number, alloc: Alloc = heapAlloc): Builder {
    return this.content.newBuilder(capacityBytes, alloc);
  }
  decode(args: DecodeArgs, builder: Builder): void {
    const off = args.basket.offsets;
    const s = stateFor(args);
    const size = off ? 0 : args.basket.data.length / Math.max(1, args.basket.header.nevbuf);
    for (let i = args.lo; i < args.hi; i++) {
      s.pos = off ? off[i]! : i * size;
      s.end = off ? off[i + 1]! : (i + 1) * size;
      s.entry = args.basket.location.entryStart + i;
      this.content.read(s, builder);
      if (s.pos !== s.end) fail(s, `${s.end - s.pos} bytes left undecoded at the end of the entry (${this.description})`);
    }
  }
}
