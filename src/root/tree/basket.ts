/**
 * Baskets: parse a basket's TKey and TBasket header, decompress its payload, and split it into
 * the data part and the per-entry byte offsets (the entry-offset tail of variable-size branches).
 * Offsets are returned relative to the data part, with one extra element: the end of the data.
 * Every inconsistency (sizes, offsets out of order) is a DeserializationError naming the branch,
 * basket and file offset.
 */
import { DeserializationError, type ErrorContext } from '../../errors.ts';
import { decompressBuffer } from '../compression/index.ts';
import { Cursor } from '../cursor.ts';
import { readKey } from '../key.ts';
import type { BasketLocation } from './model.ts';

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

export interface BasketHeader {
  keylen: number;
  objlen: number;
  nbytes: number;
  nevbuf: number;
  nevbufSize: number;
  last: number;
}

export interface Basket {
  location: BasketLocation;
  header: BasketHeader;
  /** The data part: `fLast - fKeylen` bytes. */
  data: Uint8Array;
  /** A DataView over `data` (big-endian reads). */
  view: DataView;
  /** nevbuf + 1 offsets into `data` (entry i spans [offsets[i], offsets[i+1])), or null for fixed-size entries. */
  offsets: Int32Array | null;
}

export function parseBasketHeader(raw: Uint8Array, loc: BasketLocation, context: ErrorContext): BasketHeader {
  const c = new Cursor(raw, 0, loc.seek, context);
  const key = readKey(c);
  if (key.className !== 'TBasket') c.fail(`expected a TBasket key, found "${key.className}"`, 0);
  c.i16(); // TBasket version
  c.i32(); // fBufferSize
  const nevbufSize = c.i32();
  const nevbuf = c.i32();
  const last = c.i32();
  c.i8(); // flag
  if (key.nbytes !== loc.bytes) c.fail(`basket key says ${key.nbytes} bytes, the branch says ${loc.bytes}`, 0);
  if (nevbuf !== loc.entryStop - loc.entryStart) {
    c.fail(`basket holds ${nevbuf} entries, the branch says ${loc.entryStop - loc.entryStart}`, 0);
  }
  if (last < key.keylen || last - key.keylen > key.objlen) c.fail(`basket fLast ${last} inconsistent with keylen ${key.keylen} and objlen ${key.objlen}`, 0);
  return { keylen: key.keylen, objlen: key.objlen, nbytes: key.nbytes, nevbuf, nevbufSize, last };
}

/** Decompress a basket read from disk (its `loc.bytes` raw bytes, key included). */
export async function decompressBasket(raw: Uint8Array, loc: BasketLocation, context: ErrorContext): Promise<{ header: BasketHeader; payload: Uint8Array }> {
  const header = parseBasketHeader(raw, loc, context);
  const payload = await decompressBuffer(raw.subarray(header.keylen), header.objlen, context, loc.seek + header.keylen);
  return { header, payload };
}

/**
 * Split a decompressed payload into data and entry offsets. With `take`, the offsets go into
 * memory it hands out (8-byte aligned pieces the caller reuses once the basket is decoded).
 */
export function splitBasket(payload: Uint8Array, header: BasketHeader, loc: BasketLocation, context: ErrorContext, take?: (n: number) => Uint8Array): Basket {
  const dataLen = header.last - header.keylen;
  const data = payload.subarray(0, dataLen);
  const tailLen = header.objlen - dataLen;
  let offsets: Int32Array | null = null;
  if (tailLen >= 4) {
    const c = new Cursor(payload, dataLen, loc.seek, context);
    const n = c.i32();
    const nev = header.nevbuf;
    if (n < nev || 4 + 4 * n > tailLen) {
      throw new DeserializationError(`entry-offset tail claims ${n} offsets for ${nev} entries in ${tailLen} bytes`, { ...context, offset: loc.seek + dataLen });
    }
    if (take) {
      const piece = take(4 * (nev + 1));
      offsets = new Int32Array(piece.buffer, piece.byteOffset, nev + 1);
    } else offsets = new Int32Array(nev + 1);
    // The big-endian offsets copied in one go, then swapped and checked in place.
    new Uint8Array(offsets.buffer, offsets.byteOffset, 4 * nev).set(payload.subarray(c.pos, c.pos + 4 * nev));
    const keylen = header.keylen;
    let prev = 0;
    for (let i = 0; i < nev; i++) {
      const x = offsets[i]!;
      const o = (LITTLE_ENDIAN ? ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24) : x) - keylen;
      if (o < prev || o > dataLen) {
        throw new DeserializationError(`entry offset ${i} (${o}) out of order or past the data (${dataLen} bytes)`, { ...context, entry: loc.entryStart + i, offset: loc.seek + dataLen + 4 + 4 * i });
      }
      offsets[i] = o;
      prev = o;
    }
    offsets[nev] = dataLen;
  } else if (header.nevbuf > 0 && dataLen % header.nevbuf !== 0) {
    throw new DeserializationError(`fixed-size basket of ${dataLen} bytes does not divide into ${header.nevbuf} entries`, context);
  }
  return { location: loc, header, data, view: new DataView(data.buffer, data.byteOffset, data.byteLength), offsets };
}

/** A basket that was streamed inside the TTree object: already in memory and uncompressed. */
export function embeddedBasket(loc: BasketLocation, context: ErrorContext): Basket {
  const e = loc.embedded!;
  const dataLen = e.last - e.keylen;
  if (dataLen < 0 || e.last > e.buffer.length) {
    throw new DeserializationError(`embedded basket fLast ${e.last} inconsistent with its buffer of ${e.buffer.length} bytes`, context);
  }
  const data = e.buffer.subarray(e.keylen, e.last);
  let offsets: Int32Array | null = null;
  if (e.entryOffsets) {
    if (e.entryOffsets.length < e.nevbuf) throw new DeserializationError(`embedded basket has ${e.entryOffsets.length} offsets for ${e.nevbuf} entries`, context);
    offsets = new Int32Array(e.nevbuf + 1);
    for (let i = 0; i < e.nevbuf; i++) {
      const o = e.entryOffsets[i]! - e.keylen;
      if (o < (i ? offsets[i - 1]! : 0) || o > dataLen) throw new DeserializationError(`embedded basket entry offset ${i} out of order`, { ...context, entry: loc.entryStart + i });
      offsets[i] = o;
    }
    offsets[e.nevbuf] = dataLen;
  } else if (e.nevbuf > 0 && dataLen % e.nevbuf !== 0) {
    throw new DeserializationError(`fixed-size embedded basket of ${dataLen} bytes does not divide into ${e.nevbuf} entries`, context);
  }
  const header: BasketHeader = { keylen: e.keylen, objlen: dataLen, nbytes: 0, nevbuf: e.nevbuf, nevbufSize: e.nevbufSize, last: e.last };
  return { location: loc, header, data, view: new DataView(data.buffer, data.byteOffset, data.byteLength), offsets };
}
