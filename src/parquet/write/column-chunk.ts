/**
 * One column chunk: level entries and values go in (LeafLevels of one batch at a time), data
 * pages of about PAGE_BYTES of values come out and are appended to the file as soon as they are
 * full. A page ends only at a record boundary (repetition level 0), so no row spans two pages.
 * Page layout (data page v1): repetition levels, definition levels (each a 4-byte length and the
 * RLE/bit-packed hybrid), then the values; the whole body compressed with the chunk's codec.
 * A page's levels are gathered as runs of equal values and encoded from them; those of required
 * lists come from the list offsets row by row (levels.ts), with no array of a value per entry.
 * What the footer needs of the chunk is serialized once, when it ends (ColumnChunk, compact
 * Thrift), so a written chunk costs about 60 bytes plus its path until the footer.
 */
import { CompactWriter, CT } from './thrift.ts';
import { Encoding, PageType } from './format.ts';
import { hybridBound, LevelRuns, writeHybridRuns } from './rle.ts';
import { levelRuns, rowEntries, rowValueStart, type LeafLevels } from './levels.ts';
import { bitWidth } from '../read/rle.ts';
import { ChunkStatistics } from './statistics.ts';
import { pageValueBytes, plainBytes, writeByteStreamSplit, writePlain, type Segment } from './values.ts';
import type { Compressor } from './compress.ts';
import type { LeafColumn } from './schema.ts';
import type { PageSink } from './sink.ts';

export const PAGE_BYTES = 1 << 20;

/**
 * One buffer for every page body of a file, grown to the largest page: a page's bytes are
 * compressed into a new buffer or written out before the next page is encoded.
 */
export class Scratch {
  private buf = new Uint8Array(1 << 16);
  take(n: number): Uint8Array {
    if (n > this.buf.length) this.buf = new Uint8Array(Math.max(n, this.buf.length * 2));
    return this.buf;
  }
}

const FIXED: Record<string, number> = { i8: 4, u8: 4, i16: 4, u16: 4, i32: 4, u32: 4, f32: 4, i64: 8, u64: 8, f64: 8 };

export class ColumnChunkWriter {
  private readonly leaf: LeafColumn;
  private readonly codec: Compressor;
  private readonly sink: PageSink;
  private readonly header = new CompactWriter(64);
  private readonly stats: ChunkStatistics;
  private segments: Segment[] = [];
  private pageBytes = 0;
  private readonly pageTarget: number;
  /** Level entries written (ColumnMetaData.num_values). */
  entries = 0;
  pages = 0;
  uncompressed = 0;
  compressed = 0;
  firstPage = -1;

  private readonly scratch: Scratch;
  /** The levels of the page being written (runs reused from page to page). */
  private readonly runs: LevelRuns;

  constructor(leaf: LeafColumn, codec: Compressor, sink: PageSink, scratch: Scratch, pageTarget = PAGE_BYTES, runs = new LevelRuns()) {
    this.leaf = leaf;
    this.scratch = scratch;
    this.runs = runs;
    this.codec = codec;
    this.sink = sink;
    this.stats = new ChunkStatistics(leaf.kind);
    this.pageTarget = pageTarget;
  }

  add(l: LeafLevels): void {
    if (l.entries === 0) return;
    const kind = this.leaf.kind;
    const all = plainBytes(kind, l, 0, l.values);
    const rows = l.shape ? l.shape.rows : 0;
    if (this.pageBytes + all <= this.pageTarget) {
      this.segments.push({ levels: l, e0: 0, e1: l.entries, v0: 0, v1: l.values, r0: 0, r1: rows });
      this.pageBytes += all;
      return;
    }
    if (l.shape) {
      this.addRows(l, rows);
      return;
    }
    const w = FIXED[kind] ?? 0;
    // Strings and binaries: the bytes of values [v0, v) kept as a running sum (summing them again
    // at every row boundary made a page split quadratic in the page's values).
    const variable = w === 0 && kind !== 'bool';
    const { def, rep } = l;
    const maxDef = this.leaf.maxDef;
    let e0 = 0;
    let v0 = 0;
    let v = 0;
    let acc = 0;
    for (let e = 0; e < l.entries; e++) {
      if (e > e0 && (!rep || rep[e] === 0)) {
        const bytes = this.pageBytes + (w > 0 ? (v - v0) * w : kind === 'bool' ? (v - v0) >> 3 : acc);
        if (bytes >= this.pageTarget) {
          this.segments.push({ levels: l, e0, e1: e, v0, v1: v, r0: 0, r1: 0 });
          this.flushPage();
          e0 = e;
          v0 = v;
          acc = 0;
        }
      }
      if (!def || def[e] === maxDef) {
        if (variable) acc += plainBytes(kind, l, v, v + 1);
        v++;
      }
    }
    this.segments.push({ levels: l, e0, e1: l.entries, v0, v1: v, r0: 0, r1: 0 });
    this.pageBytes += plainBytes(kind, l, v0, v);
  }

  /** add() for levels given by their shape: pages end between rows, found row by row. */
  private addRows(l: LeafLevels, rows: number): void {
    const shape = l.shape!;
    const kind = this.leaf.kind;
    const w = FIXED[kind] ?? 0;
    const variable = w === 0 && kind !== 'bool';
    let e0 = 0;
    let v0 = 0;
    let r0 = 0;
    let e = 0;
    // As in add(): the bytes of values [v0, vSeen) as a running sum for strings and binaries.
    let acc = 0;
    let vSeen = 0;
    for (let r = 0; r < rows; r++) {
      if (r > r0) {
        const v = rowValueStart(shape, r);
        if (variable) {
          acc += plainBytes(kind, l, vSeen, v);
          vSeen = v;
        }
        const bytes = this.pageBytes + (w > 0 ? (v - v0) * w : kind === 'bool' ? (v - v0) >> 3 : acc);
        if (bytes >= this.pageTarget) {
          this.segments.push({ levels: l, e0, e1: e, v0, v1: v, r0, r1: r });
          this.flushPage();
          e0 = e;
          v0 = v;
          r0 = r;
          acc = 0;
        }
      }
      e += rowEntries(shape, r);
    }
    this.segments.push({ levels: l, e0, e1: l.entries, v0, v1: l.values, r0, r1: rows });
    this.pageBytes += plainBytes(kind, l, v0, l.values);
  }

  /** The page's repetition (`rep`) or definition levels as runs. */
  private levelsOf(rep: boolean): LevelRuns {
    const runs = this.runs;
    runs.clear();
    for (const s of this.segments) {
      const l = s.levels;
      if (l.shape && !rep && s.e1 - s.e0 === s.v1 - s.v0) {
        // No empty list among these rows: every definition level is the maximum.
        runs.reserve(1);
        runs.push(this.leaf.maxDef, s.v1 - s.v0);
      } else if (l.shape) levelRuns(l.shape, s.r0, s.r1, rep, runs);
      else {
        const levels = (rep ? l.rep : l.def)!;
        runs.reserve(s.e1 - s.e0);
        for (let e = s.e0; e < s.e1; e++) runs.push(levels[e]!, 1);
      }
    }
    return runs;
  }

  private flushPage(): void {
    const segments = this.segments;
    if (segments.length === 0) return;
    const { maxDef, maxRep, kind, encoding } = this.leaf;
    const entries = segments.reduce((n, s) => n + s.e1 - s.e0, 0);
    const valueBytes = pageValueBytes(kind, segments);
    const repWidth = bitWidth(maxRep);
    const defWidth = bitWidth(maxDef);
    const bound = (maxRep > 0 ? 4 + hybridBound(entries, repWidth) : 0) + (maxDef > 0 ? 4 + hybridBound(entries, defWidth) : 0) + valueBytes;
    const body = this.scratch.take(bound);
    let at = 0;
    if (maxRep > 0) at = this.writeLevels(this.levelsOf(true), repWidth, body, at);
    if (maxDef > 0) at = this.writeLevels(this.levelsOf(false), defWidth, body, at);
    at = encoding === Encoding.BYTE_STREAM_SPLIT ? writeByteStreamSplit(kind as 'f32' | 'f64', segments, body, at) : writePlain(kind, segments, body, at);
    for (const s of segments) this.stats.add(s);
    const raw = body.subarray(0, at);
    const packed = this.codec.compress(raw);

    const h = this.header;
    h.reset();
    h.structBegin();
    h.i32(1, PageType.DATA_PAGE);
    h.i32(2, raw.length);
    h.i32(3, packed.length);
    h.struct(5, () => {
      h.i32(1, entries);
      h.i32(2, encoding);
      h.i32(3, Encoding.RLE);
      h.i32(4, Encoding.RLE);
    });
    h.structEnd();
    if (this.firstPage < 0) this.firstPage = this.sink.offset;
    this.sink.write(h.view());
    this.sink.write(packed);
    this.uncompressed += h.length + raw.length;
    this.compressed += h.length + packed.length;
    this.entries += entries;
    this.pages++;
    this.segments = [];
    this.pageBytes = 0;
  }

  private writeLevels(levels: LevelRuns, width: number, out: Uint8Array, at: number): number {
    const end = writeHybridRuns(levels, width, out, at + 4);
    const len = end - at - 4;
    out[at] = len & 0xff;
    out[at + 1] = (len >>> 8) & 0xff;
    out[at + 2] = (len >>> 16) & 0xff;
    out[at + 3] = len >>> 24;
    return end;
  }

  /** Ends the page being filled, so the data added so far is no longer referenced. */
  cut(): void {
    this.flushPage();
  }

  /** The chunk's pages moved by `delta` bytes (written to a MemorySink, then drained to the file). */
  relocate(delta: number): void {
    if (this.firstPage >= 0) this.firstPage += delta;
  }

  /** Writes the last page and the chunk's ColumnChunk structure into `out`. */
  finish(out: CompactWriter): void {
    this.flushPage();
    const { leaf } = this;
    out.structBegin();
    out.i64(2, 0); // file_offset: deprecated (metadata at the chunk's end is not written)
    out.struct(3, () => {
      out.i32(1, leaf.physical);
      out.fieldHeader(2, CT.LIST);
      const levels = leaf.maxDef > 0 || leaf.maxRep > 0;
      out.listHeader(levels ? 2 : 1, CT.I32);
      out.zigzag(leaf.encoding);
      if (levels) out.zigzag(Encoding.RLE);
      out.fieldHeader(3, CT.LIST);
      out.raw(leaf.pathBytes);
      out.i32(4, this.codec.codec);
      out.i64(5, this.entries);
      out.i64(6, this.uncompressed);
      out.i64(7, this.compressed);
      out.i64(9, this.firstPage);
      const mm = this.stats.result();
      out.struct(12, () => {
        out.i64(3, this.stats.nulls);
        if (mm) {
          out.binary(5, mm.max);
          out.binary(6, mm.min);
          out.bool(7, true);
          out.bool(8, true);
        }
      });
    });
    out.structEnd();
  }
}
