/**
 * BranchBasketWriter: collects one branch's entry bytes into baskets and writes each basket as a
 * key (TKey + TBasket header, data, entry-offset tail for variable-size branches), flushing when
 * the basket reaches the branch's basket size or when the caller closes a cluster. Memory stays one
 * basket per branch. Records where every basket went, for the branch's fBasket* arrays.
 */
import type { RootFileWriter } from './file-writer.ts';
import { Out } from './out.ts';
import { grow } from '../../codec/grow.ts';

export interface WrittenBasket {
  seek: number;
  nbytes: number;
  entryStart: number;
  objlen: number;
}

/** The TBasket fields that follow the TKey header: version, fBufferSize, fNevBufSize, fNevBuf, fLast, flag. */
export const TBASKET_HEADER = 2 + 4 + 4 + 4 + 4 + 1;

export class BranchBasketWriter {
  readonly name: string;
  readonly treeName: string;
  readonly variable: boolean;
  /** Entry size of fixed-size branches (fNevBufSize), or the entry-offset length of variable ones. */
  readonly nevBufSize: number;
  readonly basketSize: number;
  readonly baskets: WrittenBasket[] = [];
  totBytes = 0;
  zipBytes = 0;
  private data: Uint8Array;
  /** A DataView over the basket buffer (remade when it grows), for in-place edits of appended entries. */
  view: DataView;
  private used = 0;
  private offsets: number[] = [];
  private entries = 0;
  private basketStart = 0;

  constructor(name: string, treeName: string, variable: boolean, nevBufSize: number, basketSize: number) {
    this.name = name;
    this.treeName = treeName;
    this.variable = variable;
    this.nevBufSize = nevBufSize;
    this.basketSize = Math.max(1024, basketSize);
    // Start small: a branch's buffer grows to what one cluster of it needs, not to the basket size.
    this.data = new Uint8Array(4096);
    this.view = new DataView(this.data.buffer);
  }

  get pendingBytes(): number {
    return this.used;
  }

  /** Append one entry's bytes; returns true when the basket is full and should be flushed. */
  add(bytes: Uint8Array): boolean {
    this.append(bytes, 0, bytes.length);
    return this.full;
  }

  get full(): boolean {
    return this.used >= this.basketSize;
  }

  /** Append `src[from, to)` as one entry; returns where it starts in the basket buffer (see `view`). */
  append(src: Uint8Array, from: number, to: number): number {
    const n = to - from;
    if (this.used + n > this.data.length) {
      this.data = grow(this.data, this.used + n, this.used);
      this.view = new DataView(this.data.buffer);
    }
    const at = this.used;
    if (this.variable) this.offsets.push(at);
    const dst = this.data;
    if (n <= 64) for (let i = 0; i < n; i++) dst[at + i] = src[from + i]!;
    else dst.set(src.subarray(from, to), at);
    this.used = at + n;
    this.entries++;
    return at;
  }

  /** Write the pending entries as one basket key. */
  async flush(file: RootFileWriter): Promise<void> {
    const nevbuf = this.entries - this.basketStart;
    if (nevbuf === 0) return;
    const dataLen = this.used;
    const tail = this.variable ? 4 + 4 * (nevbuf + 1) : 0;
    const key = await file.writeKey(
      'TBasket',
      this.name,
      this.treeName,
      (keylen) => {
        const payload = new Out(dataLen + tail);
        payload.bytes(this.data.subarray(0, dataLen));
        if (this.variable) {
          // Entry offsets count from the start of the key; the array ends with a 0.
          payload.i32(nevbuf + 1);
          for (const o of this.offsets) payload.i32(keylen + o);
          payload.i32(0);
        }
        return payload.data();
      },
      {
        cycle: 0,
        extraHeader: (out) => {
          out.i16(3).i32(0).i32(this.variable ? Math.max(this.nevBufSize, nevbuf + 1) : this.nevBufSize).i32(nevbuf).i32(dataLen).i8(0);
        },
        patchExtra: (header, keylen) => {
          // fBufferSize and fLast need the key length.
          const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
          view.setInt32(2, Math.max(this.basketSize, keylen + dataLen + tail));
          view.setInt32(14, keylen + dataLen);
        },
      },
    );
    this.baskets.push({ seek: key.seek, nbytes: key.nbytes, entryStart: this.basketStart, objlen: key.objlen });
    this.totBytes += key.objlen + key.keylen;
    this.zipBytes += key.nbytes;
    this.basketStart = this.entries;
    this.used = 0;
    this.offsets = [];
  }
}

/**
 * The TBranch members that describe where a branch's baskets went (for its record in the TTree):
 * entries, byte counts and the fBasket* arrays (fMaxBaskets long, the entry after the last basket
 * recorded after it, as ROOT does).
 */
export function branchRecordFields(w: BranchBasketWriter, entries: number): Record<string, unknown> {
  const maxBaskets = Math.max(10, w.baskets.length + 1);
  const seeks = new Array<number>(maxBaskets).fill(0);
  const bytes = new Array<number>(maxBaskets).fill(0);
  const starts = new Array<number>(maxBaskets).fill(0);
  w.baskets.forEach((b, k) => {
    seeks[k] = b.seek;
    bytes[k] = b.nbytes;
    starts[k] = b.entryStart;
  });
  starts[w.baskets.length] = entries;
  return {
    fEntries: entries,
    fEntryNumber: entries,
    fFirstEntry: 0,
    fTotBytes: w.totBytes,
    fZipBytes: w.zipBytes,
    fWriteBasket: w.baskets.length,
    fMaxBaskets: maxBaskets,
    fBasketSeek: seeks,
    fBasketBytes: bytes,
    fBasketEntry: starts,
  };
}
