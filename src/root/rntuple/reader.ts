/**
 * RNTupleReader: read fields of one RNTuple over an entry range into Apache Arrow Data, with the
 * same result shape as the TTree reader (one Data per requested name).
 * 1. resolve each field to a read plan (fields.ts); unreadable fields fail with their reason;
 * 2. for every cluster overlapping the range, list the pages of every column the plans use;
 * 3. fetch them with merged byte ranges, verify page checksums, decompress (codec registry) and
 *    decode (column registry) each column of a cluster into one array, with the leading zeros of
 *    deferred columns (elements before their first element index read as zeros: empty lists,
 *    zero scalars) synthesized, never another column's bytes;
 * 4. walk the plans cluster by cluster into column builders and finish into Arrow Data.
 * Memory is bounded by the clusters the range touches; `clusterRanges()` gives bounded steps.
 */
import type { Data } from 'apache-arrow';
import { DecompressionError, DeserializationError, PhysliteError, UnsupportedError, UsageError, type ErrorContext } from '../../errors.ts';
import { decompressBuffer } from '../compression/index.ts';
import type { RootFile } from '../file.ts';
import {
  Arena,
  FixedListBuilder,
  ListBuilder,
  PRIM_WIDTH,
  PrimBuilder,
  StringBuilder,
  StructBuilder,
  type Alloc,
  type Builder,
  type Prim,
} from '../interpret/builders.ts';
import type { State } from '../interpret/decoders.ts';
import { DEFAULT_COALESCE, readRanges, type CoalesceConfig } from '../source/coalesce.ts';
import { normalizeRange, type ReadResult, type ReadStats } from '../tree/reader.ts';
import type { Cluster, ColumnInCluster } from './clusters.ts';
import { bitsAllowed, columnType, pageBytes } from './columns.ts';
import { loadRNTuple, type RNTuple } from './descriptor.ts';
import { resolveField, type ColumnRef, type FieldResolution, type Plan } from './fields.ts';
import { ROLE, type ColumnRecord, type FieldRecord } from './schema.ts';
import { xxh3 } from './xxh3.ts';

/** Larger decompressed pages are refused as corrupt (ROOT's default maximum is 1 MiB). */
const MAX_PAGE_BYTES = 1 << 30;

export interface RNTupleReadOptions {
  entryStart?: number;
  entryStop?: number;
  coalesce?: CoalesceConfig;
}

/** One column of one cluster, decoded: values from the cluster's first element of the column on. */
interface ClusterColumn {
  bytes: Uint8Array;
  /** Element count (synthesized zeros included). */
  length: number;
  prim: Prim | 'index';
}

export class RNTupleReader {
  readonly file: RootFile;
  readonly ntuple: RNTuple;
  readonly stats: ReadStats = { fetchMs: 0, decompressMs: 0, deserializeMs: 0, baskets: 0, compressedBytes: 0, uncompressedBytes: 0 };
  private readonly resolutions = new Map<FieldRecord, FieldResolution>();
  /** Per column id: the product of the array sizes above it when no collection is, else undefined. */
  private readonly entrySpace = new Map<number, number | undefined>();

  /**
   * What can be read by name: top-level fields, and the members of split top-level records by
   * their column name (`xTrigDecisionAux:smk`). Sub-fields under a collection are not: their
   * elements are not entries.
   */
  private readonly readableByName = new Map<string, FieldRecord>();

  constructor(file: RootFile, ntuple: RNTuple) {
    this.file = file;
    this.ntuple = ntuple;
    for (const top of ntuple.topLevel) {
      this.readableByName.set(top.name, top);
      for (const m of this.splitMembers(top)) this.readableByName.set(m.name, m.field);
    }
  }

  /**
   * The members of a top-level record named like ATLAS's split aux stores (`xTrigDecisionAux:`,
   * the RNTuple twin of the TTree's split `xTrigDecisionAux.`), base classes flattened in, named
   * `xTrigDecisionAux:smk` as the TTree names its member branches `xTrigDecisionAux.smk`.
   */
  splitMembers(top: FieldRecord): { name: string; field: FieldRecord }[] {
    if (top.role !== ROLE.record || !top.name.endsWith(':')) return [];
    const out: { name: string; field: FieldRecord }[] = [];
    const walk = (f: FieldRecord): void => {
      for (const ch of this.ntuple.children.get(f.id) ?? []) {
        if (ch.name.startsWith(':')) walk(ch);
        else out.push({ name: `${top.name}${ch.name}`, field: ch });
      }
    };
    walk(top);
    return out;
  }

  static async open(file: RootFile, name: string): Promise<RNTupleReader> {
    return new RNTupleReader(file, await loadRNTuple(file, name));
  }

  get entries(): number {
    return this.ntuple.entries;
  }

  field(name: string): FieldRecord {
    const f = this.readableByName.get(name);
    if (!f) {
      // Suggest fields of the same container whose member starts alike, else any containing the member.
      const cut = name.lastIndexOf(':') + 1;
      const container = name.slice(0, cut);
      const member = name.slice(cut).toLowerCase();
      const all = [...this.readableByName.keys()];
      let similar = cut > 0 ? all.filter((n) => n.startsWith(container) && n.slice(cut).toLowerCase().startsWith(member.slice(0, 2))) : [];
      if (similar.length === 0) similar = all.filter((n) => n.toLowerCase().includes(member));
      similar = similar.slice(0, 5);
      throw new UsageError(`no field "${name}" in RNTuple ${this.ntuple.name}${similar.length ? `; similar: ${similar.join(', ')}` : ''}`, { file: this.file.name });
    }
    return f;
  }

  resolve(field: FieldRecord): FieldResolution {
    let r = this.resolutions.get(field);
    if (!r) {
      r = resolveField(field, this.ntuple);
      this.resolutions.set(field, r);
    }
    return r;
  }

  plan(name: string): Plan {
    const r = this.resolve(this.field(name));
    if (!r.readable) throw new UnsupportedError(`field cannot be read: ${r.reason}`, { file: this.file.name, object: this.objectName, branch: name });
    return r.plan;
  }

  get objectName(): string {
    return `${this.ntuple.name};${this.ntuple.cycle}`;
  }

  /** A readable field by its column name (top-level, or a split aux-store member). */
  fieldNamed(name: string): FieldRecord | undefined {
    return this.readableByName.get(name);
  }

  /** Bytes of every page on disk and decompressed, and the number of pages, per top-level field (and in all). */
  pageBytes(field?: FieldRecord): { compressed: number; uncompressed: number; pages: number } {
    const nt = this.ntuple;
    const ids = new Set<number>();
    const walk = (f: FieldRecord): void => {
      for (const c of nt.columnsOf.get(f.id) ?? []) ids.add(c.id);
      for (const ch of nt.children.get(f.id) ?? []) walk(ch);
    };
    if (field) walk(field);
    else for (const c of nt.schema.columns) ids.add(c.id);
    const out = { compressed: 0, uncompressed: 0, pages: 0 };
    for (const cluster of nt.clusters) {
      for (const id of ids) {
        for (const p of cluster.columns[id]?.pages ?? []) {
          out.compressed += p.locator.size;
          out.uncompressed += pageBytes(p.elements, nt.schema.columns[id]!.bitsOnStorage);
          out.pages++;
        }
      }
    }
    return out;
  }

  /** Entry ranges of the clusters, for reading in bounded steps. */
  clusterRanges(): [number, number][] {
    return this.ntuple.clusters.filter((c) => c.entries > 0).map((c) => [c.firstEntry, c.firstEntry + c.entries]);
  }

  async arrays(names: readonly string[], options: RNTupleReadOptions = {}): Promise<ReadResult> {
    const [start, stop] = normalizeRange(this.ntuple.entries, options.entryStart, options.entryStop);
    const wanted = names.map((name) => ({ name, plan: this.plan(name) }));
    const clusters = this.ntuple.clusters.map((c, k) => ({ c, k })).filter(({ c }) => c.firstEntry < stop && c.firstEntry + c.entries > start);

    // Every (cluster, column) the plans touch, with the column's owner for error messages.
    const needed = new Map<string, { k: number; ref: ColumnRef; owner: string }>();
    for (const w of wanted) {
      for (const ref of planColumns(w.plan)) for (const { k } of clusters) needed.set(`${k}:${ref[0]!.id}`, { k, ref, owner: w.name });
    }
    const decoded = await this.readColumns([...needed.values()], options.coalesce ?? DEFAULT_COALESCE);

    const t0 = performance.now();
    const arena = new Arena(1 << 16);
    const columns = new Map<string, Data>();
    for (const w of wanted) {
      const builder = newBuilder(w.plan, arena.alloc);
      const context: ErrorContext = { file: this.file.name, object: this.objectName, branch: w.name };
      for (const { c, k } of clusters) {
        const a = Math.max(start, c.firstEntry) - c.firstEntry;
        const b = Math.min(stop, c.firstEntry + c.entries) - c.firstEntry;
        fill(w.plan, builder, (ref) => decoded.get(`${k}:${ref[0]!.id}`)!, a, b, context, c.firstEntry);
      }
      columns.set(w.name, builder.finish());
    }
    this.stats.deserializeMs += performance.now() - t0;
    return { entryStart: start, entryStop: stop, columns };
  }

  /** Index spaces: columns under no collection count elements per entry (times array sizes). */
  private entryMultiplier(column: ColumnRecord): number | undefined {
    if (this.entrySpace.has(column.id)) return this.entrySpace.get(column.id);
    const fields = this.ntuple.schema.fields;
    let f = fields[column.fieldId]!;
    let mult: number | undefined = 1;
    for (;;) {
      if (f.id !== column.fieldId && f.role === ROLE.collection) {
        mult = undefined;
        break;
      }
      if (f.id !== column.fieldId && f.arraySize !== undefined) mult *= f.arraySize;
      if (f.parentId === f.id) break;
      f = fields[f.parentId]!;
    }
    this.entrySpace.set(column.id, mult);
    return mult;
  }

  private async readColumns(needed: { k: number; ref: ColumnRef; owner: string }[], coalesce: CoalesceConfig): Promise<Map<string, ClusterColumn>> {
    const size = this.file.source.size;
    interface PageJob {
      key: string;
      column: ColumnRecord;
      page: number;
      elements: number;
      checksum: boolean;
      offset: number;
      size: number;
      context: ErrorContext;
    }
    const jobs: PageJob[] = [];
    const layout = new Map<string, { column: ColumnRecord; inCluster: ColumnInCluster | undefined; cluster: Cluster; k: number; context: ErrorContext }>();
    for (const { k, ref, owner } of needed) {
      const cluster = this.ntuple.clusters[k]!;
      // The primary representation in this cluster: the one not suppressed.
      const column = ref.find((c) => cluster.columns[c.id] && !cluster.columns[c.id]!.suppressed) ?? ref[0]!;
      const inCluster = cluster.columns[column.id];
      const key = `${k}:${ref[0]!.id}`;
      const context: ErrorContext = { file: this.file.name, object: this.objectName, branch: owner };
      layout.set(key, { column, inCluster, cluster, k, context });
      inCluster?.pages.forEach((p, i) => {
        const span = p.locator.size + (p.checksum ? 8 : 0);
        if (p.locator.offset < 0 || p.locator.offset + span > size) {
          throw new DeserializationError(
            `page ${i} of column ${column.id} (cluster ${k}) lies beyond the end of the file (${span} bytes at ${p.locator.offset}, file has ${size}): truncated file`,
            { ...context, offset: p.locator.offset },
          );
        }
        jobs.push({ key, column, page: i, elements: p.elements, checksum: p.checksum, offset: p.locator.offset, size: p.locator.size, context });
      });
    }
    const t0 = performance.now();
    const raw = await readRanges(
      this.file.source,
      jobs.map((j) => ({ offset: j.offset, length: j.size + (j.checksum ? 8 : 0) })),
      coalesce,
    );
    this.stats.fetchMs += performance.now() - t0;

    const pagesOf = new Map<string, Uint8Array[]>();
    for (let i = 0; i < jobs.length; i++) {
      const j = jobs[i]!;
      const bytes = raw[i]!;
      // Built only when something fails (a read makes thousands of pages).
      const ctx = (): ErrorContext => ({ ...j.context, offset: j.offset });
      const where = (): string => `page ${j.page} of column ${j.column.id}`;
      try {
        const t1 = performance.now();
        const compressed = bytes.subarray(0, j.size);
        if (j.checksum) {
          const stored = new DataView(bytes.buffer, bytes.byteOffset + j.size, 8).getBigUint64(0, true);
          const computed = xxh3(compressed);
          if (stored !== computed) {
            throw new DeserializationError(`${where()}: checksum mismatch (stored XXH3 0x${stored.toString(16)}, computed 0x${computed.toString(16)})`, ctx());
          }
        }
        const type = columnType(j.column.type)!;
        const expected = pageBytes(j.elements, j.column.bitsOnStorage);
        // ROOT writes pages of about 1 MiB; a count far beyond is corruption, not a page to allocate.
        if (expected > MAX_PAGE_BYTES) throw new DeserializationError(`${where()}: ${j.elements} elements (${expected} bytes) are more than a page can hold`, ctx());
        const page =
          compressed.length === expected
            ? compressed
            : await decompressBuffer(compressed, expected, j.context, j.offset).catch((err: unknown) => {
                if (!(err instanceof DecompressionError)) throw err;
                throw new DecompressionError(`${where()} (${j.size} bytes stored for ${j.elements} elements, ${expected} bytes): ${err.message}`, err.context, { cause: err });
              });
        const t2 = performance.now();
        this.stats.decompressMs += t2 - t1;
        this.stats.baskets++;
        this.stats.compressedBytes += j.size;
        this.stats.uncompressedBytes += page.length;
        if (!bitsAllowed(type, j.column.bitsOnStorage)) throw new DeserializationError(`${where()}: ${type.name} column with ${j.column.bitsOnStorage} bits on storage`, ctx());
        const values = type.decode(page, j.elements, j.column);
        const list = pagesOf.get(j.key);
        if (list) list.push(values);
        else pagesOf.set(j.key, [values]);
        this.stats.deserializeMs += performance.now() - t2;
      } catch (err) {
        throw err instanceof PhysliteError ? err.withContext(ctx()) : err;
      }
    }

    const out = new Map<string, ClusterColumn>();
    for (const [key, { column, inCluster, cluster, k, context }] of layout) {
      const type = columnType(column.type)!;
      const prim = type.prim;
      const width = prim === 'index' ? 8 : PRIM_WIDTH[prim];
      const pages = pagesOf.get(key) ?? [];
      const stored = pages.reduce((n, p) => n + p.length / width, 0);
      const mult = this.entryMultiplier(column);
      let base: number;
      if (mult !== undefined) base = cluster.firstEntry * mult;
      else if (inCluster) base = inCluster.elementOffset;
      else base = 0;
      // Leading zeros: the elements of this cluster before the first stored one (deferred
      // columns); a per-entry column without pages here (added in a later cluster) is all zeros.
      let zeros = 0;
      if (mult !== undefined && !inCluster?.pages.length) zeros = cluster.entries * mult;
      else if (inCluster && !inCluster.suppressed) zeros = inCluster.elementOffset - base;
      if (zeros < 0) {
        throw new DeserializationError(`column ${column.id} starts at element ${inCluster!.elementOffset} in cluster ${k}, before the cluster's first element ${base}`, context);
      }
      if (zeros > 0 && column.firstElement < base + zeros && inCluster?.pages.length) {
        throw new DeserializationError(`column ${column.id} has no pages for elements ${base} to ${base + zeros} of cluster ${k} although it is not deferred past them`, context);
      }
      if (zeros === 0 && pages.length === 1) {
        out.set(key, { bytes: pages[0]!, length: stored, prim });
        continue;
      }
      const bytes = new Uint8Array((zeros + stored) * width);
      let at = zeros * width;
      for (const p of pages) {
        bytes.set(p, at);
        at += p.length;
      }
      out.set(key, { bytes, length: zeros + stored, prim });
    }
    return out;
  }
}

function planColumns(plan: Plan): ColumnRef[] {
  switch (plan.kind) {
    case 'prim':
      return [plan.column];
    case 'string':
      return [plan.index, plan.chars];
    case 'list':
      return [plan.index, ...planColumns(plan.child)];
    case 'count':
      return [plan.index];
    case 'struct':
      return plan.children.flatMap(planColumns);
    case 'fixed':
      return planColumns(plan.child);
    case 'streamed':
      return [plan.index, plan.bytes];
  }
}

function newBuilder(plan: Plan, alloc: Alloc): Builder {
  switch (plan.kind) {
    case 'prim':
      return new PrimBuilder(plan.prim, 1024, alloc);
    case 'string':
      return new StringBuilder(1024, 64, alloc);
    case 'list':
      return new ListBuilder(newBuilder(plan.child, alloc), 256, alloc);
    case 'count':
      return new PrimBuilder(plan.prim, 1024, alloc);
    case 'struct':
      return new StructBuilder(plan.names, plan.children.map((c) => newBuilder(c, alloc)));
    case 'fixed':
      return new FixedListBuilder(newBuilder(plan.child, alloc), plan.size);
    case 'streamed':
      return plan.content.newBuilder(1024, alloc);
  }
}

type ColumnData = (ref: ColumnRef) => ClusterColumn;

function need(col: ClusterColumn, end: number, what: string, context: ErrorContext): void {
  if (end > col.length) throw new DeserializationError(`${what} needs ${end} elements in the cluster, the column holds ${col.length}`, context);
}

/** The index column's offsets for local entries [a, b): the begin offset and a view of the ends. */
function offsets(col: ClusterColumn, a: number, b: number, context: ErrorContext): { begin: number; ends: Float64Array } {
  need(col, b, 'collection index', context);
  const all = new Float64Array(col.bytes.buffer, col.bytes.byteOffset, col.length);
  const begin = a > 0 ? all[a - 1]! : 0;
  const ends = all.subarray(a, b);
  let prev = begin;
  for (let i = 0; i < ends.length; i++) {
    if (ends[i]! < prev) throw new DeserializationError(`collection index decreases at element ${a + i} of the cluster (${prev} then ${ends[i]})`, context);
    prev = ends[i]!;
  }
  return { begin, ends };
}

/**
 * Append the values of `plan` for local elements [a, b) of one cluster. `firstEntry` is the
 * cluster's first entry, for error messages about per-entry objects.
 */
function fill(plan: Plan, builder: Builder, data: ColumnData, a: number, b: number, context: ErrorContext, firstEntry = 0): void {
  switch (plan.kind) {
    case 'prim': {
      const col = data(plan.column);
      need(col, b, 'field', context);
      const pb = builder as PrimBuilder;
      const from = col.prim as Prim;
      if (from === plan.prim || PRIM_WIDTH[from] === PRIM_WIDTH[plan.prim]) {
        const w = PRIM_WIDTH[from];
        pb.appendNative(col.bytes.subarray(a * w, b * w), b - a);
      } else {
        pb.appendNative(convert(col.bytes, from, plan.prim, a, b), b - a);
      }
      return;
    }
    case 'string': {
      const { begin, ends } = offsets(data(plan.index), a, b, context);
      const chars = data(plan.chars);
      need(chars, ends.length ? ends[ends.length - 1]! : begin, 'string', context);
      const sb = builder as StringBuilder;
      let prev = begin;
      for (let i = 0; i < ends.length; i++) {
        sb.append(chars.bytes, prev, ends[i]! - prev);
        prev = ends[i]!;
      }
      return;
    }
    case 'list': {
      const { begin, ends } = offsets(data(plan.index), a, b, context);
      const lb = builder as ListBuilder;
      const base = lb.child.length - begin;
      const end = ends.length ? ends[ends.length - 1]! : begin;
      fill(plan.child, lb.child, data, begin, end, context);
      lb.reserve(ends.length);
      for (let i = 0; i < ends.length; i++) lb.offsets.push(base + ends[i]!);
      return;
    }
    case 'count': {
      const { begin, ends } = offsets(data(plan.index), a, b, context);
      const counts = plan.prim === 'u32' ? new Uint32Array(ends.length) : new BigUint64Array(ends.length);
      let prev = begin;
      for (let i = 0; i < ends.length; i++) {
        counts[i] = plan.prim === 'u32' ? ends[i]! - prev : (BigInt(ends[i]! - prev) as never);
        prev = ends[i]!;
      }
      (builder as PrimBuilder).appendNative(new Uint8Array(counts.buffer), counts.length);
      return;
    }
    case 'struct': {
      const sb = builder as StructBuilder;
      plan.children.forEach((c, i) => fill(c, sb.children[i]!, data, a, b, context));
      sb.length += b - a;
      return;
    }
    case 'fixed':
      fill(plan.child, (builder as FixedListBuilder).child, data, a * plan.size, b * plan.size, context);
      return;
    case 'streamed': {
      const { begin, ends } = offsets(data(plan.index), a, b, context);
      const col = data(plan.bytes);
      need(col, ends.length ? ends[ends.length - 1]! : begin, 'streamed object', context);
      const buf = col.bytes;
      const s: State = { buf, view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength), pos: begin, end: begin, base: 0, context, entry: 0 };
      for (let i = 0; i < ends.length; i++) {
        s.end = ends[i]!;
        s.entry = firstEntry + a + i;
        plan.content.read(s, builder);
        if (s.pos !== s.end) throw new DeserializationError(`${s.end - s.pos} bytes left undecoded after the ${plan.className} object of entry ${firstEntry + a + i}`, context);
      }
      return;
    }
  }
}

const TYPED: Record<Prim, new (n: number) => ArrayLike<number | bigint> & { [i: number]: number | bigint; buffer: ArrayBufferLike }> = {
  bool: Uint8Array,
  i8: Int8Array,
  u8: Uint8Array,
  i16: Int16Array,
  u16: Uint16Array,
  i32: Int32Array,
  u32: Uint32Array,
  i64: BigInt64Array,
  u64: BigUint64Array,
  f32: Float32Array,
  f64: Float64Array,
} as never;

/** Values of a column read as another primitive (a float field in a SplitReal32 double column, ints widened). */
function convert(bytes: Uint8Array, from: Prim, to: Prim, a: number, b: number): Uint8Array {
  const wf = PRIM_WIDTH[from];
  const src = new (TYPED[from] as unknown as { new (buf: ArrayBufferLike, off: number, n: number): ArrayLike<number | bigint> })(
    bytes.buffer.slice(bytes.byteOffset + a * wf, bytes.byteOffset + b * wf),
    0,
    b - a,
  );
  const out = new TYPED[to](b - a);
  const big = to === 'i64' || to === 'u64';
  for (let i = 0; i < b - a; i++) {
    const v = src[i]!;
    out[i] = big ? BigInt(v) : to === 'bool' ? (v ? 1 : 0) : Number(v);
  }
  return new Uint8Array(out.buffer as ArrayBuffer);
}
