/**
 * TreeReader: read branches of one TTree over an entry range into Apache Arrow Data.
 * 1. resolve each branch to an interpretation (registry; unreadable branches fail with their reason);
 * 2. plan the baskets that overlap [start, stop) of every branch involved (count branches too);
 * 3. fetch them with merged byte ranges (one request per run of nearby baskets);
 * 4. decompress every basket, then decode each one's overlapping entries into a column builder,
 *    so concatenation and trimming happen as the baskets are decoded, and finish into Arrow Data.
 * Memory is bounded by the requested range; `clusters()` gives ranges for bounded iteration.
 * Time spent fetching, decompressing and deserializing is accumulated in `stats`.
 */
import { Field, List, Struct, makeData, type Data } from 'apache-arrow';
import { UnsupportedError, UsageError, type ErrorContext, PhysliteError } from '../../errors.ts';
import type { RootFile } from '../file.ts';
import { Arena, type Builder, type ChunkPool } from '../interpret/builders.ts';
import {
  COUNT_DECODER,
  interpret,
  type BasketInterpretation,
  type Interpretation,
  type Resolution,
} from '../interpret/registry.ts';
import { DEFAULT_COALESCE, readRanges, type CoalesceConfig } from '../source/coalesce.ts';
import type { ByteRange } from '../source/source.ts';
import type { StreamerSet } from '../streamers.ts';
import { embeddedBasket, parseBasketHeader, splitBasket, type Basket } from './basket.ts';
import { BasketScratch } from './basket-scratch.ts';
import { decompressBuffer } from '../compression/index.ts';
import { DecompressPool, sharedDecompressPool } from '../compression/pool.ts';
import { availableParallelism } from 'node:os';
import { loadTree } from './load.ts';
import type { BasketLocation, Branch, Tree } from './model.ts';

export interface ReadOptions {
  /** First entry; negative counts from the end (Python slice rules); clamped. */
  entryStart?: number;
  /** Entry after the last; negative counts from the end; clamped. */
  entryStop?: number;
  coalesce?: CoalesceConfig;
  /**
   * Where baskets are decompressed: `threads` on a shared pool of worker threads (overlapping
   * with deserialization), `inline` on this thread, `auto` (default) threads for reads of more
   * than 1 MiB compressed on machines with at least 4 cores. (On 2 cores, measured with
   * bench:read, the worker competes with deserialization and GC and gains nothing.)
   */
  decompress?: DecompressMode;
  /**
   * Where the columns' memory comes from: with a pool, the result's `release` gives it back for
   * the next read (see ChunkPool), else the garbage collector frees it.
   */
  chunks?: ChunkPool;
}

export type DecompressMode = 'auto' | 'threads' | 'inline';

const THREADED_MIN_BYTES = 1 << 20;
const EMPTY = new Uint8Array(0);
const THREADED_MIN_CORES = 4;

export interface ReadResult {
  entryStart: number;
  entryStop: number;
  columns: Map<string, Data>;
  /**
   * Gives the columns' memory back to the read's chunk pool, when there was one: only once
   * nothing uses the columns any more (their values would be overwritten by a later read).
   */
  release?: () => void;
}

export interface ReadStats {
  fetchMs: number;
  /** Time this thread spent decompressing baskets, or waiting for the pool to deliver them. */
  decompressMs: number;
  deserializeMs: number;
  baskets: number;
  compressedBytes: number;
  uncompressedBytes: number;
}

/** Python-slice semantics: negative values count from the end, everything is clamped to [0, n]. */
export function normalizeRange(n: number, start?: number, stop?: number): [number, number] {
  let a = start ?? 0;
  let b = stop ?? n;
  if (a < 0) a += n;
  if (b < 0) b += n;
  a = Math.min(Math.max(a, 0), n);
  b = Math.min(Math.max(b, 0), n);
  return [a, Math.max(a, b)];
}

interface PhysicalRead {
  branch: Branch;
  interpretation: BasketInterpretation;
  baskets: BasketLocation[];
}

export class TreeReader {
  readonly file: RootFile;
  readonly tree: Tree;
  readonly streamers: StreamerSet;
  readonly stats: ReadStats = { fetchMs: 0, decompressMs: 0, deserializeMs: 0, baskets: 0, compressedBytes: 0, uncompressedBytes: 0 };
  private readonly resolutions = new Map<Branch, Resolution>();
  /** Decompression scratch memory of finished reads, for the next (see BasketScratch). */
  private readonly scratches: BasketScratch[] = [];

  constructor(file: RootFile, tree: Tree, streamers: StreamerSet) {
    this.file = file;
    this.tree = tree;
    this.streamers = streamers;
  }

  static async open(file: RootFile, treeName: string): Promise<TreeReader> {
    const tree = await loadTree(file, treeName);
    return new TreeReader(file, tree, await file.streamers());
  }

  branch(name: string): Branch {
    const b = this.tree.byName.get(name);
    if (!b) {
      const lower = name.toLowerCase();
      const similar = this.tree.all
        .map((x) => x.name)
        .filter((n) => n.toLowerCase().includes(lower.split('.').pop() ?? lower))
        .slice(0, 5);
      throw new UsageError(`no branch "${name}" in tree ${this.tree.name}${similar.length ? `; similar: ${similar.join(', ')}` : ''}`, {
        file: this.file.name,
      });
    }
    return b;
  }

  resolve(branch: Branch): Resolution {
    let r = this.resolutions.get(branch);
    if (!r) {
      r = interpret(branch, { streamers: this.streamers });
      this.resolutions.set(branch, r);
    }
    return r;
  }

  interpretation(name: string): Interpretation {
    const b = this.branch(name);
    const r = this.resolve(b);
    if (!r.readable) throw new UnsupportedError(`branch cannot be read: ${r.reason}`, { file: this.file.name, branch: name });
    return r.interpretation;
  }

  /** Read `names` over [entryStart, entryStop) into one Arrow Data per branch. */
  /**
   * The byte ranges a read of `names` over [entryStart, entryStop) fetches (its baskets outside
   * the TTree), without reading them: for callers that fetch ahead (ReadAheadSource).
   */
  byteRanges(names: readonly string[], options: ReadOptions = {}): ByteRange[] {
    const [start, stop] = normalizeRange(this.tree.entries, options.entryStart, options.entryStop);
    return this.physicalReads(names, start, stop)
      .flatMap((r) => r.baskets)
      .filter((l) => !l.embedded)
      .map((l) => ({ offset: l.seek, length: l.bytes }));
  }

  /** Physical branch reads: each basket-decoded branch once, count branches first. */
  private physicalReads(names: readonly string[], start: number, stop: number): PhysicalRead[] {
    const physical = new Map<Branch, PhysicalRead>();
    const addPhysical = (branch: Branch, interpretation: BasketInterpretation): void => {
      if (interpretation.countBranch && !physical.has(interpretation.countBranch)) {
        addPhysical(interpretation.countBranch, { kind: 'basket', decoder: COUNT_DECODER, type: COUNT_DECODER.newBuilder(0).type });
      }
      if (!physical.has(branch)) physical.set(branch, { branch, interpretation, baskets: overlapping(branch, start, stop) });
    };
    for (const n of names) {
      const interpretation = this.interpretation(n);
      if (interpretation.kind === 'basket') addPhysical(interpretation.dataBranch ?? this.branch(n), interpretation);
      else for (const f of interpretation.fields) addPhysical(f.branch, f.interpretation);
    }
    return [...physical.values()];
  }

  async arrays(names: readonly string[], options: ReadOptions = {}): Promise<ReadResult> {
    const [start, stop] = normalizeRange(this.tree.entries, options.entryStart, options.entryStop);
    const wanted = names.map((n) => ({ name: n, interpretation: this.interpretation(n), branch: this.branch(n) }));
    const reads = this.physicalReads(names, start, stop);

    const columns = new Map<Branch, Data>();
    const locations = reads.flatMap((r) => r.baskets).filter((l) => !l.embedded);
    const t0 = performance.now();
    const raw = await readRanges(
      this.file.source,
      locations.map((l) => ({ offset: l.seek, length: l.bytes })),
      options.coalesce ?? DEFAULT_COALESCE,
    );
    this.stats.fetchMs += performance.now() - t0;

    // Decompression: on worker threads for large reads (overlapping with deserialization here),
    // inline otherwise. Either way each basket is decoded as soon as its bytes are ready.
    const compressed = locations.reduce((n, l) => n + l.bytes, 0);
    const pool = this.decompressionPool(options.decompress ?? 'auto', compressed);
    const jobs: { raw: Uint8Array; loc: BasketLocation; ctx: ErrorContext }[] = [];
    let k = 0;
    for (const read of reads) {
      for (const loc of read.baskets) {
        jobs.push({ raw: loc.embedded ? EMPTY : raw[k++]!, loc, ctx: { file: this.file.name, branch: read.branch.name, basket: loc.index } });
      }
    }
    // Inline, a branch's baskets are decompressed into memory reused for the next branch and the
    // next read (one scratch per read in flight).
    const scratch = pool ? undefined : (this.scratches.pop() ?? new BasketScratch());
    const prepare = (j: number): Promise<Basket> => this.prepareBasket(jobs[j]!.raw, jobs[j]!.loc, jobs[j]!.ctx, pool, scratch);
    // With a pool every basket is queued now; inline, each is decompressed when its turn comes.
    const pending = pool ? jobs.map((_, j) => prepare(j)) : [];
    // Rejections are seen by the decode loop below; this only stops later ones from being
    // reported as unhandled when an earlier basket already failed.
    for (const p of pending) p.catch(() => {});

    const arena = new Arena(reads.reduce((n, r) => n + capacityHint(r.branch, start, stop), 0), options.chunks);
    k = 0;
    try {
      for (const read of reads) {
        const context: ErrorContext = { file: this.file.name, branch: read.branch.name };
        const baskets: Basket[] = [];
        const t1 = performance.now();
        for (let b = 0; b < read.baskets.length; b++, k++) baskets.push(await (pool ? pending[k]! : prepare(k)));
        const t2 = performance.now();
        this.stats.decompressMs += t2 - t1;
        this.stats.baskets += baskets.length;
        columns.set(read.branch, this.decodeBaskets(read, baskets, start, stop, columns, context, arena));
        scratch?.release();
        this.stats.deserializeMs += performance.now() - t2;
      }
    } finally {
      if (scratch) {
        scratch.release();
        this.scratches.push(scratch);
      }
    }
    const out = new Map<string, Data>();
    for (const w of wanted) {
      if (w.interpretation.kind === 'basket') out.set(w.name, columns.get(w.interpretation.dataBranch ?? w.branch)!);
      else out.set(w.name, zipLists(w.interpretation.fields.map((f) => ({ name: f.name, data: columns.get(f.branch)! })), { file: this.file.name, branch: w.name }));
    }
    return { entryStart: start, entryStop: stop, columns: out, release: options.chunks ? () => arena.release() : undefined };
  }

  private decompressionPool(mode: DecompressMode, compressedBytes: number): DecompressPool | undefined {
    if (mode === 'inline') return undefined;
    if (mode === 'auto' && (compressedBytes < THREADED_MIN_BYTES || availableParallelism() < THREADED_MIN_CORES)) return undefined;
    return sharedDecompressPool();
  }

  private async prepareBasket(raw: Uint8Array, loc: BasketLocation, ctx: ErrorContext, pool: DecompressPool | undefined, scratch?: BasketScratch): Promise<Basket> {
    try {
      if (loc.embedded) return embeddedBasket(loc, ctx);
      const header = parseBasketHeader(raw, loc, ctx);
      const src = raw.subarray(header.keylen);
      let payload: Uint8Array;
      if (pool && src.length !== header.objlen) {
        payload = await pool.decompress(src, header.objlen, ctx, loc.seek + header.keylen);
      } else {
        payload = await decompressBuffer(src, header.objlen, ctx, loc.seek + header.keylen, scratch?.take);
      }
      this.stats.compressedBytes += loc.bytes;
      this.stats.uncompressedBytes += header.objlen;
      return splitBasket(payload, header, loc, ctx, scratch?.take);
    } catch (err) {
      throw err instanceof PhysliteError ? err.withContext(ctx) : err;
    }
  }

  private decodeBaskets(read: PhysicalRead, baskets: Basket[], start: number, stop: number, columns: Map<Branch, Data>, context: ErrorContext, arena: Arena): Data {
    const { decoder, countBranch } = read.interpretation;
    const hint = capacityHint(read.branch, start, stop);
    const builder: Builder = decoder.newBuilder(hint, arena.alloc);
    let counts: Int32Array | undefined;
    if (decoder.needsCounts) {
      const countData = columns.get(countBranch!)!;
      counts = countData.values as Int32Array;
    }
    let expected = start;
    for (const b of baskets) {
      const loc = b.location;
      const lo = Math.max(start, loc.entryStart);
      const hi = Math.min(stop, loc.entryStop);
      if (lo !== expected) {
        throw new UnsupportedError(`baskets do not cover entries ${expected} to ${lo}`, { ...context, basket: loc.index });
      }
      const args = {
        basket: b,
        lo: lo - loc.entryStart,
        hi: hi - loc.entryStart,
        counts: counts?.subarray(lo - start, hi - start),
        context: { ...context, basket: loc.index },
      };
      decoder.decode(args, builder);
      expected = hi;
    }
    if (expected !== stop) {
      throw new UnsupportedError(`baskets end at entry ${expected}, the tree has ${stop}`, context);
    }
    return builder.finish();
  }
}

/** Bytes a branch's values take over [start, stop), estimated from its uncompressed total. */
function capacityHint(branch: Branch, start: number, stop: number): number {
  return Math.ceil((branch.totBytes * (stop - start)) / Math.max(1, branch.entries)) + 64;
}

function overlapping(branch: Branch, start: number, stop: number): BasketLocation[] {
  if (start >= stop) return [];
  return branch.baskets.filter((b) => b.entryStop > start && b.entryStart < stop && b.entryStop > b.entryStart);
}

/** Zip lists with identical offsets into one list of structs (split STL collections). */
function zipLists(fields: { name: string; data: Data }[], context: ErrorContext): Data {
  const first = fields[0]!.data;
  const offsets = first.valueOffsets as Int32Array;
  for (const f of fields.slice(1)) {
    const o = f.data.valueOffsets as Int32Array;
    if (o.length !== offsets.length || o.some((v, i) => v !== offsets[i])) {
      throw new UnsupportedError(`members of the split collection disagree on element counts (${fields[0]!.name} vs ${f.name})`, context);
    }
  }
  const children = fields.map((f) => f.data.children[0]!);
  const structType = new Struct(fields.map((f, i) => new Field(f.name, children[i]!.type, false)));
  const struct = makeData({ type: structType, children, length: offsets[offsets.length - 1]!, nullCount: 0 });
  return makeData({ type: new List(new Field("item", structType, false)), valueOffsets: offsets, child: struct, length: first.length, nullCount: 0 });
}

/** Entry ranges of the tree's clusters (cluster ranges, AutoFlush, or one range), for bounded iteration. */
export function clusters(tree: Tree): [number, number][] {
  const out: [number, number][] = [];
  const n = tree.entries;
  if (tree.clusterRangeEnd.length > 0) {
    let start = 0;
    for (let i = 0; i < tree.clusterRangeEnd.length && start < n; i++) {
      const end = Math.min(n, tree.clusterRangeEnd[i]! + 1);
      const size = tree.clusterSize[i]! > 0 ? tree.clusterSize[i]! : end - start;
      for (; start < end; start += size) out.push([start, Math.min(end, start + size)]);
    }
    const step = tree.autoFlush > 0 ? tree.autoFlush : n - start;
    for (; start < n; start += step) out.push([start, Math.min(n, start + step)]);
    return out;
  }
  if (tree.autoFlush > 0) {
    for (let s = 0; s < n; s += tree.autoFlush) out.push([s, Math.min(n, s + tree.autoFlush)]);
    return out;
  }
  return n > 0 ? [[0, n]] : [];
}
