/**
 * TTree metadata model: the streamed TTree / TBranch / TBranchElement / TLeaf objects turned into
 * plain typed records (names, types, entry counts, byte counts, basket locations, clusters).
 * Nothing here reads bytes; `treeFromObject` only reshapes what the object reader produced.
 */
import { DeserializationError } from '../../errors.ts';
import type { RootObject } from '../object-reader.ts';
import type { StreamerSet } from '../streamers.ts';

export interface BasketLocation {
  index: number;
  entryStart: number;
  entryStop: number;
  seek: number;
  bytes: number;
  /** A basket kept inside the TTree object (older cycles, or the last basket of an unclosed tree). */
  embedded?: EmbeddedBasket;
}

export interface EmbeddedBasket {
  keylen: number;
  last: number;
  nevbuf: number;
  nevbufSize: number;
  /** The basket buffer, key area included (fLast bytes). */
  buffer: Uint8Array;
  /** Entry offsets as stored (from the key start), or null for fixed-size entries. */
  entryOffsets: number[] | null;
}

export interface Leaf {
  className: string;
  name: string;
  title: string;
  /** fLen: number of values per entry for fixed arrays (1 for scalars). */
  len: number;
  lenType: number;
  isUnsigned: boolean;
  /** Name of the leaf that counts this one (`Float_t[NJet]`), if any. */
  countLeaf: string | undefined;
  /** TLeafElement: streamer type code and element index. */
  elementType: number | undefined;
  elementId: number | undefined;
}

export interface Branch {
  name: string;
  title: string;
  className: string;
  /** The C++ type as ROOT spells it (`vector<float>`, `Double_t`, `Float_t[NJet]`, ...). */
  typeName: string;
  parent: Branch | undefined;
  children: Branch[];
  leaves: Leaf[];
  entries: number;
  totBytes: number;
  zipBytes: number;
  entryOffsetLen: number;
  baskets: BasketLocation[];
  /** How many of `baskets` are kept inside the TTree object itself (older cycles). */
  embeddedBaskets: number;
  /** TBranchElement fields (undefined for plain TBranch). */
  element?: {
    id: number;
    type: number;
    streamerType: number;
    className: string;
    parentName: string;
    classVersion: number;
    checksum: number;
    countBranch: string | undefined;
  };
}

export interface Tree {
  name: string;
  cycle: number;
  title: string;
  entries: number;
  totBytes: number;
  zipBytes: number;
  autoFlush: number;
  clusterRangeEnd: number[];
  clusterSize: number[];
  branches: Branch[];
  /** Every branch at every level, depth first. */
  all: Branch[];
  byName: Map<string, Branch>;
}

const LEAF_TYPES: Record<string, [string, string]> = {
  TLeafB: ['Char_t', 'UChar_t'],
  TLeafS: ['Short_t', 'UShort_t'],
  TLeafI: ['Int_t', 'UInt_t'],
  TLeafL: ['Long64_t', 'ULong64_t'],
  TLeafG: ['Long_t', 'ULong_t'],
  TLeafF: ['Float_t', 'Float_t'],
  TLeafD: ['Double_t', 'Double_t'],
  TLeafO: ['Bool_t', 'Bool_t'],
  TLeafC: ['char*', 'char*'],
  TLeafF16: ['Float16_t', 'Float16_t'],
  TLeafD32: ['Double32_t', 'Double32_t'],
};

export function leafTypeName(leaf: Leaf): string {
  const names = LEAF_TYPES[leaf.className];
  return names ? names[leaf.isUnsigned ? 1 : 0] : leaf.className;
}

function num(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  if (v === undefined || v === null) return 0;
  throw new DeserializationError(`${what} is not a number: ${String(v)}`);
}

function arr(v: unknown): unknown[] {
  if (v && typeof v === 'object' && Array.isArray((v as RootObject).arr)) return (v as RootObject).arr as unknown[];
  return [];
}

function leafFrom(o: RootObject): Leaf {
  const countLeaf = o.fLeafCount as RootObject | null | undefined;
  return {
    className: o._typename,
    name: String(o.fName ?? ''),
    title: String(o.fTitle ?? ''),
    len: num(o.fLen, 'fLen') || 1,
    lenType: num(o.fLenType, 'fLenType'),
    isUnsigned: Boolean(o.fIsUnsigned),
    countLeaf: countLeaf && typeof countLeaf === 'object' ? String(countLeaf.fName) : undefined,
    elementType: o._typename === 'TLeafElement' ? num(o.fType, 'fType') : undefined,
    elementId: o._typename === 'TLeafElement' ? num(o.fID, 'fID') : undefined,
  };
}

function branchFrom(o: RootObject, parent: Branch | undefined, streamers: StreamerSet, treeEntries: number): Branch {
  const maxBaskets = num(o.fWriteBasket, 'fWriteBasket');
  const seeks = (o.fBasketSeek as (number | bigint)[] | null) ?? [];
  const bytes = (o.fBasketBytes as number[] | null) ?? [];
  const starts = (o.fBasketEntry as (number | bigint)[] | null) ?? [];
  const entries = num(o.fEntries, 'fEntries');
  const baskets: BasketLocation[] = [];
  if (maxBaskets < 0 || maxBaskets > seeks.length || maxBaskets > bytes.length || maxBaskets > starts.length) {
    throw new DeserializationError(`branch ${String(o.fName)} claims ${maxBaskets} written baskets but stores ${Math.min(seeks.length, bytes.length, starts.length)}`);
  }
  for (let i = 0; i < maxBaskets; i++) {
    const seek = num(seeks[i], 'fBasketSeek');
    if (seek <= 0 || !bytes[i]) continue;
    const entryStart = num(starts[i], 'fBasketEntry');
    const entryStop = i + 1 < maxBaskets || starts[i + 1] ? num(starts[i + 1], 'fBasketEntry') : entries;
    baskets.push({ index: i, entryStart, entryStop: entryStop > entryStart ? entryStop : entries, seek, bytes: bytes[i]! });
  }
  // Baskets streamed inside the TTree (older cycles; the last basket of a tree never flushed).
  let embeddedBaskets = 0;
  arr(o.fBaskets).forEach((x, i) => {
    const tb = x as RootObject | null;
    if (!tb || tb._typename !== 'TBasket' || !tb.buffer) return;
    const nevbuf = num(tb.fNevBuf, 'fNevBuf');
    const entryStart = i < starts.length ? num(starts[i], 'fBasketEntry') : 0;
    if (baskets.some((b) => b.index === i)) return;
    baskets.push({
      index: i,
      entryStart,
      entryStop: entryStart + nevbuf,
      seek: 0,
      bytes: 0,
      embedded: {
        keylen: num(tb.fKeylen, 'fKeylen'),
        last: num(tb.fLast, 'fLast'),
        nevbuf,
        nevbufSize: num(tb.fNevBufSize, 'fNevBufSize'),
        buffer: tb.buffer as Uint8Array,
        entryOffsets: (tb.entryOffsets as number[] | null) ?? null,
      },
    });
    embeddedBaskets++;
  });
  baskets.sort((a, b) => a.entryStart - b.entryStart);
  const branch: Branch = {
    name: String(o.fName ?? ''),
    title: String(o.fTitle ?? ''),
    className: o._typename,
    typeName: '',
    parent,
    children: [],
    leaves: arr(o.fLeaves).filter((l): l is RootObject => !!l && typeof l === 'object').map(leafFrom),
    entries,
    totBytes: num(o.fTotBytes, 'fTotBytes'),
    zipBytes: num(o.fZipBytes, 'fZipBytes'),
    entryOffsetLen: num(o.fEntryOffsetLen, 'fEntryOffsetLen'),
    baskets,
    embeddedBaskets,
  };
  if (o._typename === 'TBranchElement' || o._typename === 'TBranchSTL') {
    const countBranch = o.fBranchCount as RootObject | null | undefined;
    branch.element = {
      id: num(o.fID, 'fID'),
      type: num(o.fType, 'fType'),
      streamerType: num(o.fStreamerType, 'fStreamerType'),
      className: String(o.fClassName ?? ''),
      parentName: String(o.fParentName ?? ''),
      classVersion: num(o.fClassVersion, 'fClassVersion'),
      checksum: num(o.fCheckSum, 'fCheckSum'),
      countBranch: countBranch && typeof countBranch === 'object' ? String(countBranch.fName) : undefined,
    };
  }
  branch.typeName = typeNameOf(branch, streamers);
  branch.children = arr(o.fBranches)
    .filter((b): b is RootObject => !!b && typeof b === 'object')
    .map((b) => branchFrom(b, branch, streamers, treeEntries));
  return branch;
}

function typeNameOf(b: Branch, streamers: StreamerSet): string {
  const el = b.element;
  if (el) {
    if (el.id < 0) return el.className;
    const info = streamers.find(el.className, el.classVersion, el.checksum);
    const member = info?.elements[el.id];
    if (member) return member.kind === 'TStreamerBase' ? 'BASE' : member.typeName;
    return b.leaves[0]?.title ?? el.className;
  }
  const leaf = b.leaves[0];
  if (!leaf) return '';
  if (b.leaves.length > 1) return b.leaves.map((l) => `${l.name}/${leafTypeName(l)}`).join(':');
  const base = leafTypeName(leaf);
  const dims = /(\[[^\]]*\])+$/.exec(leaf.title)?.[0];
  return dims ? `${base}${dims}` : base;
}

export function treeFromObject(o: RootObject, name: string, cycle: number, streamers: StreamerSet): Tree {
  const entries = num(o.fEntries, 'fEntries');
  const branches = arr(o.fBranches)
    .filter((b): b is RootObject => !!b && typeof b === 'object')
    .map((b) => branchFrom(b, undefined, streamers, entries));
  const all: Branch[] = [];
  const walk = (bs: Branch[]): void => {
    for (const b of bs) {
      all.push(b);
      walk(b.children);
    }
  };
  walk(branches);
  const byName = new Map<string, Branch>();
  for (const b of all) if (!byName.has(b.name)) byName.set(b.name, b);
  const nRanges = num(o.fNClusterRange, 'fNClusterRange');
  const rangeEnd = ((o.fClusterRangeEnd as (number | bigint)[] | null) ?? []).slice(0, nRanges).map((v) => num(v, 'fClusterRangeEnd'));
  const size = ((o.fClusterSize as (number | bigint)[] | null) ?? []).slice(0, nRanges).map((v) => num(v, 'fClusterSize'));
  return {
    name,
    cycle,
    title: String(o.fTitle ?? ''),
    entries,
    totBytes: num(o.fTotBytes, 'fTotBytes'),
    zipBytes: num(o.fZipBytes, 'fZipBytes'),
    autoFlush: num(o.fAutoFlush, 'fAutoFlush'),
    clusterRangeEnd: rangeEnd,
    clusterSize: size,
    branches,
    all,
    byName,
  };
}
