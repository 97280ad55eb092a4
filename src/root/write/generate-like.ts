/**
 * generateLike: a PHYSLITE-like file made from a template file's tree. Every output event takes a
 * template event (in order with `sequential`, else drawn at random from a seeded generator) and
 * copies its entry bytes branch by branch, so the structure of each event (object multiplicities,
 * flags, integers, ElementLinks, every layout detail) is the template's; floating-point values are
 * then smeared independently by a relative Gaussian factor (`smear`, 0 keeps them exact), so
 * compression ratios and speeds measured on the output are not flattered by repeated values.
 * The tree, branch and leaf records and the StreamerInfo are the template's (with the new entry
 * counts and basket locations). Baskets are flushed per branch at the basket size and at every
 * cluster boundary (AutoFlush), so memory stays about one cluster whatever the output size.
 */
import { InputError, UsageError } from '../../errors.ts';
import type { RootFile } from '../file.ts';
import type { Prim } from '../interpret/builders.ts';
import { FixedDecoder, JaggedLeafDecoder, StlObjectDecoder, CollectionMemberDecoder } from '../interpret/decoders.ts';
import type { BasketInterpretation } from '../interpret/registry.ts';
import type { RootObject } from '../object-reader.ts';
import { decompressBuffer } from '../compression/index.ts';
import type { CompressionSetting } from '../compression/compress.ts';
import { embeddedBasket, parseBasketHeader, splitBasket, type Basket } from '../tree/basket.ts';
import type { Branch } from '../tree/model.ts';
import { TreeReader } from '../tree/reader.ts';
import { BranchBasketWriter, branchRecordFields } from './basket-writer.ts';
import { RootFileWriter } from './file-writer.ts';
import { ObjectWriter, streamerInfoPayload } from './object-writer.ts';
import { Out } from './out.ts';

export interface GenerateLikeOptions {
  template: RootFile;
  tree?: string;
  events: number;
  out: string;
  compression: CompressionSetting;
  seed?: number;
  smear?: number;
  sequential?: boolean;
  autoFlush?: number;
  /** Upper bound of a basket's uncompressed size (the template's basket size, capped here). */
  maxBasketSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface GenerateSummary {
  events: number;
  branches: number;
  leftOut: { branch: string; reason: string }[];
  bytes: number;
  seconds: number;
}

/** mulberry32: a small, fast, seedable PRNG (deterministic output for a seed). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box-Muller, both values of each pair used) from a uniform source. */
export function gaussian(random: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = random();
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/**
 * Relative smearing factors 1 + smear * N(0, 1). Tens of millions are drawn per file, so they
 * come from a table of 2^16 Gaussian samples (made once from the seed) indexed by a xorshift
 * sequence: a few nanoseconds a value, deterministic for the seed.
 */
export function smearFactors(seed: number, smear: number): () => number {
  const normal = gaussian(rng(seed ^ 0x9e3779b9));
  const table = new Float64Array(1 << 16);
  for (let i = 0; i < table.length; i++) table[i] = 1 + smear * normal();
  let x = (seed ^ 0x2545f491) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return table[(x >>> 0) & 0xffff]!;
  };
}

/** Where the floating-point values of one entry are, for smearing in place: entry at `at`, `len` bytes. */
type Smearer = (view: DataView, at: number, len: number, factor: () => number) => void;

function smearRun(view: DataView, at: number, n: number, prim: Prim, factor: () => number): void {
  if (prim === 'f32') {
    for (let i = 0; i < n; i++) {
      const x = view.getFloat32(at + 4 * i);
      if (x !== 0 && Number.isFinite(x)) view.setFloat32(at + 4 * i, x * factor());
    }
  } else if (prim === 'f64') {
    for (let i = 0; i < n; i++) {
      const x = view.getFloat64(at + 8 * i);
      if (x !== 0 && Number.isFinite(x)) view.setFloat64(at + 8 * i, x * factor());
    }
  }
}

function smearerFor(interp: BasketInterpretation): Smearer | undefined {
  const d = interp.decoder;
  const prim = (d as { prim?: Prim }).prim;
  const isFloat = (p: Prim | undefined): p is Prim => p === 'f32' || p === 'f64';
  if ((d instanceof FixedDecoder || d instanceof JaggedLeafDecoder || d instanceof CollectionMemberDecoder) && isFloat(prim)) {
    const w = prim === 'f32' ? 4 : 8;
    return (view, at, len, f) => smearRun(view, at, Math.floor(len / w), prim, f);
  }
  if (d instanceof StlObjectDecoder) {
    const inner = d.elementType;
    if (isFloat(inner)) {
      const w = inner === 'f32' ? 4 : 8;
      return (view, at, len, f) => smearRun(view, at + 10, Math.floor((len - 10) / w), inner, f);
    }
    const nested = d.nestedElementType;
    if (isFloat(nested)) {
      const w = nested === 'f32' ? 4 : 8;
      return (view, at, len, f) => {
        const end = at + len;
        let p = at + 6;
        const n = view.getUint32(p);
        p += 4;
        for (let k = 0; k < n && p + 4 <= end; k++) {
          const m = view.getUint32(p);
          p += 4;
          if (p + m * w > end) return;
          smearRun(view, p, m, nested, f);
          p += m * w;
        }
      };
    }
  }
  return undefined;
}

interface BranchPlan {
  branch: Branch;
  object: RootObject;
  writer: BranchBasketWriter;
  /** Template entry bytes: the template's baskets and where each entry is. */
  baskets: Basket[];
  entryBasket: Int32Array;
  smear: Smearer | undefined;
}

/**
 * The streamed record of every branch of the model, by walking both in the same depth-first order
 * (names are not unique: a split ElementLink's only sub-branch has its parent's name).
 */
function branchObjects(tree: RootObject, all: readonly Branch[]): Map<Branch, RootObject> {
  const records: RootObject[] = [];
  const walk = (arr: unknown): void => {
    for (const b of ((arr as RootObject | null)?.arr as (RootObject | null)[]) ?? []) {
      if (!b) continue;
      records.push(b);
      walk(b.fBranches);
    }
  };
  walk(tree.fBranches);
  if (records.length !== all.length) throw new InputError(`template tree has ${records.length} branch records for ${all.length} branches`);
  const out = new Map<Branch, RootObject>();
  all.forEach((b, i) => {
    if (String(records[i]!.fName) !== b.name) throw new InputError(`template branch records out of order at ${b.name}`);
    out.set(b, records[i]!);
  });
  return out;
}

/**
 * Copy template events `events[from..count)` into one branch's basket (smearing floats), until the
 * basket is full; synchronous, so the hot loop stays out of the async function. Returns where it stopped.
 */
function copyEntries(p: BranchPlan, events: Int32Array, from: number, count: number, factor: () => number, template: string): number {
  const writer = p.writer;
  for (let i = from; i < count; i++) {
    const j = events[i]!;
    const k = p.entryBasket[j]!;
    if (k < 0) throw new InputError(`template branch ${p.branch.name} has no basket for entry ${j}`, { file: template, branch: p.branch.name });
    const b = p.baskets[k]!;
    const e = j - b.location.entryStart;
    const off = b.offsets;
    let a: number;
    let z: number;
    if (off) {
      a = off[e]!;
      z = off[e + 1]!;
    } else {
      const size = b.data.length / b.header.nevbuf;
      a = e * size;
      z = a + size;
    }
    const at = writer.append(b.data, a, z);
    if (p.smear) p.smear(writer.view, at, z - a, factor);
    if (writer.full) return i + 1;
  }
  return count;
}

async function templateBaskets(reader: TreeReader, branch: Branch): Promise<Basket[]> {
  const out: Basket[] = [];
  const file = reader.file;
  for (const loc of branch.baskets) {
    const ctx = { file: file.name, branch: branch.name, basket: loc.index };
    if (loc.embedded) {
      out.push(embeddedBasket(loc, ctx));
      continue;
    }
    const raw = await file.source.read(loc.seek, loc.bytes);
    const header = parseBasketHeader(raw, loc, ctx);
    const payload = await decompressBuffer(raw.subarray(header.keylen), header.objlen, ctx, loc.seek + header.keylen);
    out.push(splitBasket(payload, header, loc, ctx));
  }
  // Plain Uint8Array views (not Buffers): the copy loop then sees one array type.
  return out.map((b) => ({ ...b, data: new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength) }));
}

export async function generateLike(o: GenerateLikeOptions): Promise<GenerateSummary> {
  if (!Number.isSafeInteger(o.events) || o.events < 0) throw new UsageError(`--events must be a whole number >= 0, got ${o.events}`);
  const t0 = performance.now();
  const treeName = o.tree ?? 'CollectionTree';
  const reader = await TreeReader.open(o.template, treeName);
  const key = await o.template.findKey(treeName);
  const templateTree = (await o.template.readObject(key)) as RootObject;
  const streamers = await o.template.streamers();
  const templateEntries = reader.tree.entries;
  if (o.events > 0 && templateEntries === 0) throw new InputError(`template tree ${treeName} has no entries to take events from`, { file: o.template.name });

  // Every branch is copied as it is; only branches with values the reader cannot decode are left out.
  const objects = branchObjects(templateTree, reader.tree.all);
  const leftOut: { branch: string; reason: string }[] = [];
  const plans: BranchPlan[] = [];
  const autoFlush = o.autoFlush ?? 500;
  const maxBasket = o.maxBasketSize ?? 128 * 1024;
  for (const branch of reader.tree.all) {
    if (branch.baskets.length === 0) continue; // no values of its own (split-object tops)
    const r = reader.resolve(branch);
    if (!r.readable) {
      leftOut.push({ branch: branch.name, reason: r.reason });
      continue;
    }
    const object = objects.get(branch)!;
    const baskets = await templateBaskets(reader, branch);
    const entryBasket = new Int32Array(templateEntries).fill(-1);
    baskets.forEach((b, k) => {
      for (let e = b.location.entryStart; e < b.location.entryStop; e++) entryBasket[e] = k;
    });
    const variable = baskets.some((b) => b.offsets !== null);
    const fixedSize = baskets.find((b) => !b.offsets && b.header.nevbuf > 0);
    const nevBufSize = variable ? Math.max(Number(object.fEntryOffsetLen ?? 0), 1) : fixedSize ? fixedSize.data.length / fixedSize.header.nevbuf : Number(object.fBasketSize ?? 0);
    const basketSize = Math.min(maxBasket, Math.max(1024, Number(object.fBasketSize ?? maxBasket)));
    const interp = r.interpretation.kind === 'basket' ? r.interpretation : undefined;
    plans.push({
      branch,
      object,
      writer: new BranchBasketWriter(branch.name, reader.tree.name, variable, nevBufSize, basketSize),
      baskets,
      entryBasket,
      smear: interp && (o.smear ?? 0.03) > 0 ? smearerFor(interp) : undefined,
    });
  }

  const file = await RootFileWriter.create(o.out, o.compression);
  try {
    const pick = rng(o.seed ?? 42);
    const factor = smearFactors(o.seed ?? 42, o.smear ?? 0.03);
    // Cluster by cluster: draw the cluster's template events, then fill each branch for the
    // whole cluster in one tight loop (branch by branch keeps the copy loop hot and local).
    const events = new Int32Array(autoFlush);
    for (let start = 0; start < o.events; start += autoFlush) {
      const count = Math.min(autoFlush, o.events - start);
      for (let i = 0; i < count; i++) events[i] = o.sequential ? (start + i) % templateEntries : Math.floor(pick() * templateEntries);
      for (const p of plans) {
        let from = 0;
        while (from < count) {
          from = copyEntries(p, events, from, count, factor, o.template.name);
          if (p.writer.full) await p.writer.flush(file);
        }
        // A cluster ends: its entries go out, so basket boundaries align across branches.
        await p.writer.flush(file);
      }
      o.onProgress?.(start + count, o.events);
    }
    for (const p of plans) await p.writer.flush(file);

    // The tree record: the template's, with the new entries, byte counts and basket locations.
    const n = o.events;
    let totBytes = 0;
    let zipBytes = 0;
    for (const p of plans) {
      const w = p.writer;
      Object.assign(p.object, {
        ...branchRecordFields(w, n),
        fBasketSize: w.basketSize,
        fBaskets: { _typename: 'TObjArray', fName: '', fLowerBound: 0, fBits: 0x03000000, fUniqueID: 0, arr: [] },
      });
      totBytes += w.totBytes;
      zipBytes += w.zipBytes;
    }
    // Branches without values keep no baskets but count the entries.
    for (const b of reader.tree.all) {
      if (b.baskets.length > 0) continue;
      const obj = objects.get(b);
      if (obj) Object.assign(obj, { fEntries: n, fEntryNumber: n });
    }
    Object.assign(templateTree, {
      fEntries: n,
      fTotBytes: totBytes,
      fZipBytes: zipBytes,
      fSavedBytes: zipBytes,
      fFlushedBytes: zipBytes,
      fAutoFlush: autoFlush,
      fNClusterRange: 0,
      fClusterRangeEnd: null,
      fClusterSize: null,
      fEstimate: Math.max(1000000, n),
    });
    await file.writeKey('TTree', reader.tree.name, reader.tree.title, (keylen) => {
      const out = new Out(1 << 20);
      new ObjectWriter(streamers, keylen).writeClass(out, 'TTree', templateTree);
      return out.data();
    }, { listed: true, cycle: 1 });
    await file.close((keylen) => streamerInfoPayload(streamers.all(), streamers, keylen));
    return { events: n, branches: plans.length, leftOut, bytes: file.bytesWritten, seconds: (performance.now() - t0) / 1000 };
  } catch (err) {
    await file.abort();
    throw err;
  }
}
