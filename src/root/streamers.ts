/**
 * StreamerInfo model: what a ROOT file says about the on-disk layout of every class it holds.
 * Element type codes follow TVirtualStreamerInfo (kChar=1 ... kSTL=300); `StreamerSet` finds a
 * class's layout by name and version. Parsing of the TStreamerInfo records themselves is
 * hand-coded in object-reader.ts (they describe everything else, so nothing describes them).
 */
export const ST = {
  base: 0,
  char: 1,
  short: 2,
  int: 3,
  long: 4,
  float: 5,
  counter: 6,
  charStar: 7,
  double: 8,
  double32: 9,
  legacyChar: 10,
  uchar: 11,
  ushort: 12,
  uint: 13,
  ulong: 14,
  bits: 15,
  long64: 16,
  ulong64: 17,
  bool: 18,
  float16: 19,
  offsetL: 20,
  offsetP: 40,
  object: 61,
  any: 62,
  objectp: 63,
  objectP: 64,
  tstring: 65,
  tobject: 66,
  tnamed: 67,
  anyp: 68,
  anyP: 69,
  anyPnoVT: 70,
  stlp: 71,
  skip: 100,
  skipL: 120,
  skipP: 140,
  conv: 200,
  stl: 300,
  stlString: 365,
  streamer: 500,
  streamLoop: 501,
} as const;

export interface StreamerElement {
  /** TStreamerBase, TStreamerBasicType, TStreamerSTL, ... */
  kind: string;
  name: string;
  title: string;
  type: number;
  size: number;
  arrayLength: number;
  arrayDim: number;
  maxIndex: number[];
  typeName: string;
  /** TStreamerBase */
  baseVersion?: number;
  /** TStreamerBasicPointer / TStreamerLoop: the member that holds the count */
  countName?: string;
  countClass?: string;
  countVersion?: number;
  /** TStreamerSTL */
  stlType?: number;
  ctype?: number;
  /** Record versions as read (the element's own class, and its TStreamerElement base), for writing back. */
  recordVersion?: number;
  elementVersion?: number;
  /** TStreamerSTLstring wraps a TStreamerSTL record: its version. */
  innerVersion?: number;
}

export interface StreamerInfo {
  name: string;
  title: string;
  checksum: number;
  classVersion: number;
  elements: StreamerElement[];
  /** TStreamerInfo record version as read (9 in ROOT 6). */
  recordVersion?: number;
}

export class StreamerSet {
  private readonly byKey = new Map<string, Map<number, StreamerInfo>>();
  private count = 0;
  private readonly byName = new Map<string, StreamerInfo[]>();

  constructor(infos: readonly StreamerInfo[] = []) {
    for (const info of infos) this.add(info);
  }

  add(info: StreamerInfo): void {
    const name = normalizeClassName(info.name);
    let versions = this.byKey.get(name);
    if (!versions) {
      versions = new Map();
      this.byKey.set(name, versions);
    }
    if (!versions.has(info.classVersion)) this.count++;
    versions.set(info.classVersion, info);
    const list = this.byName.get(name) ?? [];
    list.push(info);
    this.byName.set(name, list);
  }

  get size(): number {
    return this.count;
  }

  all(): StreamerInfo[] {
    return [...this.byKey.values()].flatMap((v) => [...v.values()]);
  }

  /** The layout of `name` at `version`; with version undefined (or not stored), the only or highest one. */
  find(name: string, version?: number, checksum?: number): StreamerInfo | undefined {
    const key = normalizeClassName(name);
    if (version !== undefined) {
      const exact = this.byKey.get(key)?.get(version);
      if (exact) return exact;
    }
    const list = this.byName.get(key);
    if (!list || list.length === 0) return undefined;
    if (checksum !== undefined) {
      const byChecksum = list.find((i) => i.checksum === checksum);
      if (byChecksum) return byChecksum;
    }
    if (version !== undefined && version > 0 && list.length > 1) return undefined;
    return list.reduce((a, b) => (b.classVersion > a.classVersion ? b : a));
  }
}

const normalized = new Map<string, string>();

/** ROOT writes `vector<float>` and `vector<float> ` and `std::vector<float>` for the same class. */
export function normalizeClassName(name: string): string {
  let n = normalized.get(name);
  if (n === undefined) {
    n = name.replace(/std::/g, '').replace(/\s+/g, ' ').replace(/\s*([<>,*&])\s*/g, '$1').trim();
    if (normalized.size < 100_000) normalized.set(name, n);
  }
  return n;
}
