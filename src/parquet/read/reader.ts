/**
 * The projected Parquet reader: opens a file through a ByteSource (footer in one or two requests),
 * and reads one row group's column chunks of the requested top-level columns with merged range
 * requests (root/source/coalesce), decoding them into apache-arrow Data by column name. Only the
 * bytes of the projected chunks and the footer are read, so the source's counters are the I/O of
 * the read, local or remote. Local files are read synchronously (ByteSource.readSync), remote
 * ones with their requests in flight together.
 * `unsupported(columns)` names what this reader cannot decode in a projection (a codec, an
 * encoding, a type) before any page is read, so a caller can take another path for that file.
 * Errors: InputError (DeserializationError, DecompressionError, UnsupportedError) naming the file
 * and the column; TransientError from the source passes through.
 */
import type { Data } from 'apache-arrow';
import { DeserializationError, InputError, PhysliteError } from '../../errors.ts';
import { DEFAULT_COALESCE, type CoalesceConfig, readRanges, readRangesSync, type SyncSource } from '../../root/source/coalesce.ts';
import type { ByteSource } from '../../root/source/source.ts';
import type { Arena } from './arena.ts';
import { assembleField, type SharedOffsets } from './assemble.ts';
import { CODEC_NAMES, codecSupported } from './codecs.ts';
import { chunkRange, type ColumnChunkMeta, columnChunkMeta, type FileMeta, parseFileMeta, type SchemaElement } from './metadata.ts';
import { type ChunkData, type LevelBuffers, type LevelsSeen, readChunk, VALUE_ENCODINGS } from './pages.ts';
import { type ArrowNode, buildSchema, type FileSchema, type LeafNode, leavesOf } from './schema.ts';
import { Encoding, ENCODING_NAMES } from './values.ts';

const MAGIC = 0x31524150; // "PAR1" little-endian
/** The first footer request reads this much of the tail: most footers fit, a PHYSLITE one takes a second request. */
const TAIL = 64 * 1024;
/**
 * Chunks closer than 1 KiB are read in one request; farther ones are not, so the bytes read stay
 * those of the projected chunks (a full PHYSLITE file interleaves ~1,100 unread columns).
 */
export const PARQUET_COALESCE: CoalesceConfig = { ...DEFAULT_COALESCE, maxGap: 1024 };

/**
 * Level buffers by the position of a leaf in a decode, lent to every decode of every reader of
 * this thread (files, batches): levels never reach the Arrow data and a decode runs to its end
 * synchronously, so no two decodes share them. New buffers per reader made a large part of the
 * garbage of an analysis that opens one reader per file.
 */
const levelPool: LevelBuffers[] = [];

/**
 * The file schema of each decoded schema (metadata.ts hands the same SchemaElement array to the
 * files of a dataset): built once, then shared read-only by their readers.
 */
const schemas = new WeakMap<SchemaElement[], FileSchema>();

function fileSchema(elements: SchemaElement[]): FileSchema {
  let s = schemas.get(elements);
  if (!s) schemas.set(elements, (s = buildSchema(elements)));
  return s;
}

/**
 * Footer buffers of released readers (at most two: one file open after another, and a second
 * for an overlap), each reused for a footer that fits it.
 */
const footerBuffers: Uint8Array[] = [];

function takeFooterBuffer(n: number): Uint8Array {
  // The smallest that fits: the tail request must not take the buffer the whole footer needs next.
  let i = -1;
  footerBuffers.forEach((b, k) => {
    if (b.length >= n && (i < 0 || b.length < footerBuffers[i]!.length)) i = k;
  });
  if (i >= 0) return footerBuffers.splice(i, 1)[0]!.subarray(0, n);
  // Headroom: the footers of a dataset's files differ by a little.
  return new Uint8Array(n + (n >> 4) + 1024).subarray(0, n);
}

function giveFooterBuffer(b: Uint8Array): void {
  const whole = new Uint8Array(b.buffer, 0, b.buffer.byteLength);
  if (footerBuffers.length < 2) footerBuffers.push(whole);
  else {
    // Keep the two largest.
    footerBuffers.sort((x, y) => x.length - y.length);
    if (footerBuffers[0]!.length < whole.length) footerBuffers[0] = whole;
  }
}

export class ParquetReader {
  readonly source: ByteSource;
  readonly meta: FileMeta;
  readonly schema: FileSchema;
  private readonly coalesce: CoalesceConfig;
  /** Decoded column chunk metadata by row group and leaf (checked by unsupported(), used by fetch()). */
  private readonly chunkMetas = new Map<number, ColumnChunkMeta>();
  /** The pooled buffer the footer lies in (a local file's), returned to the pool by release(). */
  private footerBuffer: Uint8Array | undefined;
  private released = false;

  private constructor(source: ByteSource, meta: FileMeta, schema: FileSchema, coalesce: CoalesceConfig, footerBuffer?: Uint8Array) {
    this.source = source;
    this.meta = meta;
    this.schema = schema;
    this.coalesce = coalesce;
    this.footerBuffer = footerBuffer;
  }

  /**
   * Done with this reader: its footer buffer goes back to the pool for the next file's footer
   * (a full PHYSLITE footer is ~4 MB; a new one per file made the collector run every few files).
   * Only what needs the footer afterwards (a chunk's metadata not decoded yet, key-value entries)
   * is refused; the source is the caller's to close.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.footerBuffer) giveFooterBuffer(this.footerBuffer);
    this.footerBuffer = undefined;
  }

  private footer(): Uint8Array {
    if (this.released) throw new Error(`the Parquet reader of ${this.source.name} was released`);
    return this.meta.footer;
  }

  static async open(source: ByteSource, coalesce: CoalesceConfig = PARQUET_COALESCE): Promise<ParquetReader> {
    const fail = (m: string): never => {
      throw new DeserializationError(m, { file: source.name });
    };
    if (source.size < 12) fail(`not a Parquet file: ${source.size} bytes`);
    const tailLength = Math.min(source.size, TAIL);
    // A local file's footer is read into a pooled buffer (same requests, same bytes).
    const into = (source as Partial<SyncSource>).readSyncInto?.bind(source);
    let pooled = into ? takeFooterBuffer(tailLength) : undefined;
    const tail = pooled ? into!(source.size - tailLength, pooled.subarray(0, tailLength)) : await source.read(source.size - tailLength, tailLength);
    const end = new DataView(tail.buffer, tail.byteOffset + tail.length - 8, 8);
    if (end.getUint32(4, true) !== MAGIC) fail('not a Parquet file: no PAR1 at the end');
    const length = end.getUint32(0, true);
    if (length > source.size - 12) fail(`Parquet footer length ${length} exceeds the file (${source.size} bytes)`);
    let footer: Uint8Array;
    if (length + 8 <= tailLength) footer = tail.subarray(tailLength - 8 - length, tailLength - 8);
    else if (pooled) {
      const head = length + 8 - tailLength;
      const whole = takeFooterBuffer(length);
      whole.set(tail.subarray(0, tailLength - 8), head);
      giveFooterBuffer(pooled);
      pooled = whole;
      into!(source.size - 8 - length, whole.subarray(0, head));
      footer = whole.subarray(0, length);
    } else {
      const head = await source.read(source.size - 8 - length, length + 8 - tailLength);
      footer = new Uint8Array(length);
      footer.set(head);
      footer.set(tail.subarray(0, tailLength - 8), head.length);
    }
    try {
      const meta = parseFileMeta(footer);
      const schema = fileSchema(meta.schema);
      for (const g of meta.rowGroups) if (g.chunkAt.length !== schema.leaves) fail(`a row group has ${g.chunkAt.length} column chunks, the schema ${schema.leaves} columns`);
      return new ParquetReader(source, meta, schema, coalesce, pooled);
    } catch (err) {
      if (err instanceof PhysliteError) throw err.withContext({ file: source.name });
      throw new DeserializationError(`corrupt Parquet footer: ${(err as Error).message}`, { file: source.name });
    }
  }

  get rows(): number {
    return this.meta.rows;
  }

  get rowGroups(): number {
    return this.meta.rowGroups.length;
  }

  /** A key-value metadata entry as text. */
  keyValue(key: string): string | undefined {
    this.footer();
    const v = this.meta.keyValue.get(key);
    return v === undefined ? undefined : new TextDecoder().decode(v);
  }

  private node(column: string): ArrowNode {
    const n = this.schema.fields.get(column);
    if (!n) throw new InputError(`column ${column} is missing`, { file: this.source.name });
    if (n.kind === 'unsupported') throw new InputError(`column ${column}: ${n.reason}`, { file: this.source.name });
    return n;
  }

  private chunk(group: number, leaf: LeafNode): ColumnChunkMeta {
    const key = group * this.schema.leaves + leaf.column;
    let m = this.chunkMetas.get(key);
    if (m) return m;
    try {
      m = columnChunkMeta(this.footer(), this.meta.rowGroups[group]!.chunkAt[leaf.column]!);
    } catch (err) {
      throw this.error(err, leaf.path, group);
    }
    this.chunkMetas.set(key, m);
    return m;
  }

  /** Why this reader cannot read `columns` (in any row group), or null when it can. */
  unsupported(columns: readonly string[]): string | null {
    for (const c of columns) {
      const n = this.schema.fields.get(c);
      if (!n) continue; // missing: reported by the read
      if (n.kind === 'unsupported') return `column ${c}: ${n.reason}`;
      for (const leaf of leavesOf(n)) {
        for (let g = 0; g < this.rowGroups; g++) {
          const m = this.chunk(g, leaf);
          if (!codecSupported(m.codec)) return `column ${leaf.path}: codec ${CODEC_NAMES[m.codec] ?? m.codec}`;
          // BIT_PACKED is listed by old writers for levels only (decoded; never written for values).
          for (const e of m.encodings) if (!VALUE_ENCODINGS.has(e) && e !== Encoding.BIT_PACKED) return `column ${leaf.path}: encoding ${ENCODING_NAMES[e] ?? e}`;
        }
      }
    }
    return null;
  }

  /**
   * The compressed bytes of the projected chunks of row group `group`, or of several row groups
   * read as one batch (one merged read plan). A local read is done when this returns (no await
   * before it), so a buffer given as `into` is not written after.
   */
  async fetch(group: number | readonly number[], columns: readonly string[], into?: (bytes: number) => Uint8Array): Promise<RowGroupBytes> {
    const groups = typeof group === 'number' ? [group] : [...group];
    const nodes = columns.map((c) => this.node(c));
    const leaves = nodes.flatMap((n) => leavesOf(n));
    const metas = leaves.map((l) => groups.map((g) => this.chunk(g, l)));
    const ranges = metas.flatMap((m) => m.map(chunkRange));
    for (let i = 0; i < ranges.length; i++) {
      const r = ranges[i]!;
      if (r.offset < 4 || r.length < 0 || r.offset + r.length > this.source.size - 8) {
        const at = groups[i % groups.length]!;
        throw new DeserializationError(`column ${leaves[Math.floor(i / groups.length)]!.path}, row group ${at}: chunk [${r.offset}, +${r.length}) lies outside the file`, { file: this.source.name });
      }
    }
    const src = this.source;
    // `into`: where a local read puts the bytes (a caller's pooled buffer; see arena.ts FetchBuffers).
    const flat = src.readSync ? readRangesSync(src as SyncSource, ranges, this.coalesce, into) : await readRanges(src, ranges, this.coalesce);
    const bytes = leaves.map((_, i) => flat.slice(i * groups.length, (i + 1) * groups.length));
    return { groups, columns, nodes, leaves, metas, bytes };
  }

  /**
   * `groups` (in order) cut into runs to be read as one batch each: consecutive entries while the
   * run stays within `rows` rows and `bytes` uncompressed bytes of `columns` (a row group larger
   * than that is a run of its own). Small row groups then share the per-batch costs, and memory
   * stays bounded by the limits.
   */
  runs(groups: readonly number[], columns: readonly string[], limits: { rows: number; bytes: number }): number[][] {
    const leaves = columns.flatMap((c) => leavesOf(this.node(c)));
    const out: number[][] = [];
    let run: number[] = [];
    let rows = 0;
    let bytes = 0;
    for (const g of groups) {
      const r = this.meta.rowGroups[g]!.rows;
      let b = 0;
      for (const l of leaves) b += this.chunk(g, l).uncompressedSize;
      if (run.length && (rows + r > limits.rows || bytes + b > limits.bytes)) {
        out.push(run);
        run = [];
        rows = 0;
        bytes = 0;
      }
      run.push(g);
      rows += r;
      bytes += b;
    }
    if (run.length) out.push(run);
    return out;
  }

  /**
   * Decode fetched bytes into Arrow Data by column name (the rows of all its row groups, in order).
   * With `arena` the arrays of the result are the arena's, valid until its next decode (arena.ts).
   */
  decode(f: RowGroupBytes, arena?: Arena): Map<string, Data> {
    try {
      arena?.reset();
      return this.decodeGroups(f, arena);
    } catch (err) {
      // Name the row group at fault: decode the run's row groups one by one (the error path only).
      if (f.groups.length > 1) f.groups.forEach((g, k) => this.decodeGroups({ ...f, groups: [g], metas: f.metas.map((m) => [m[k]!]), bytes: f.bytes.map((b) => [b[k]!]) }));
      throw err;
    }
  }

  private decodeGroups(f: RowGroupBytes, arena?: Arena): Map<string, Data> {
    let rows = 0;
    for (const g of f.groups) rows += this.meta.rowGroups[g]!.rows;
    const chunks = new Map<number, ChunkData>();
    const seen: LevelsSeen = new Map();
    f.leaves.forEach((leaf, i) => {
      try {
        const pool = (levelPool[i] ??= {});
        const metas = f.metas[i]!;
        chunks.set(
          leaf.column,
          readChunk(
            f.bytes[i]!.map((bytes, k) => ({ bytes, meta: metas[k]! })),
            leaf,
            pool,
            seen,
            arena,
          ),
        );
      } catch (err) {
        throw this.error(err, leaf.path, f.groups);
      }
    });
    const out = new Map<string, Data>();
    const shared: SharedOffsets = [];
    f.columns.forEach((c, i) => {
      try {
        out.set(c, assembleField(f.nodes[i]!, chunks, rows, shared, arena));
      } catch (err) {
        throw this.error(err, c, f.groups);
      }
    });
    return out;
  }

  async readRowGroup(group: number, columns: readonly string[]): Promise<Map<string, Data>> {
    return this.decode(await this.fetch(group, columns));
  }

  private error(err: unknown, column: string, groups?: number | readonly number[]): PhysliteError {
    const g = typeof groups === 'number' ? [groups] : (groups ?? []);
    const where = `column ${column}${g.length === 0 ? '' : g.length === 1 ? `, row group ${g[0]}` : `, row groups ${g.join(', ')}`}`;
    if (err instanceof PhysliteError) {
      const e = err.withContext({ file: this.source.name });
      if (!e.message.startsWith('column ')) e.message = `${where}: ${e.message}`;
      return e;
    }
    return new DeserializationError(`${where}: ${(err as Error)?.message ?? String(err)}`, { file: this.source.name });
  }
}

export interface RowGroupBytes {
  /** The row groups read, in the order their rows are decoded. */
  groups: number[];
  columns: readonly string[];
  nodes: ArrowNode[];
  leaves: LeafNode[];
  /** Per leaf, per row group. */
  metas: ColumnChunkMeta[][];
  bytes: Uint8Array[][];
}
