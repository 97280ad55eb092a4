/**
 * Object reader: TBufferFile's rules for reading streamed objects into plain JS objects.
 * - versions with optional byte counts (0x40000000) and, for version 0, a class checksum;
 * - ReadObjectAny: null pointers, new-class tags (0xFFFFFFFF + class name), class references
 *   and object references, keyed by buffer displacement + kMapOffset;
 * - classes with custom streamers (TObject, TNamed, TString, TList, TObjArray, TArray*, the
 *   TStreamer* records, TBasket) are hand-coded in a registry; every other class is read member by
 *   member from the file's StreamerInfo (ReadClassBuffer).
 * Used for metadata (TTree, TBranch, TLeaf, StreamerInfo); event data never goes through here.
 */
import { DeserializationError, UnsupportedError } from '../errors.ts';
import type { Cursor } from './cursor.ts';
import { ST, StreamerSet, normalizeClassName, type StreamerElement, type StreamerInfo } from './streamers.ts';

export const kByteCountMask = 0x40000000;
export const kNewClassTag = 0xffffffff;
export const kClassMask = 0x80000000;
export const kMapOffset = 2;
const kIsReferenced = 1 << 4;

export type RootObject = Record<string, unknown> & { _typename: string };

export interface VersionHeader {
  version: number;
  /** Absolute end position in the cursor's buffer when a byte count was present. */
  end: number | undefined;
  checksum?: number;
}

type ClassReader = (r: ObjectReader, c: Cursor, className: string) => unknown;

const handCoded = new Map<string, ClassReader>();

export function registerClassReader(name: string, reader: ClassReader): void {
  handCoded.set(name, reader);
}

export class ObjectReader {
  readonly streamers: StreamerSet;
  /** Displacement of buffer position 0 (the key length for objects read from a key). */
  readonly origin: number;
  private readonly refs = new Map<number, unknown>();

  constructor(streamers: StreamerSet, origin = 0) {
    this.streamers = streamers;
    this.origin = origin;
  }

  readVersion(c: Cursor): VersionHeader {
    const start = c.pos;
    const first = c.u32();
    let end: number | undefined;
    if (first & kByteCountMask) {
      const count = (first & ~kByteCountMask) >>> 0;
      end = start + 4 + count;
      if (end > c.length) c.fail(`byte count ${count} runs past the end of the buffer (${c.length})`, start);
    } else {
      c.pos = start;
    }
    const version = c.u16();
    const header: VersionHeader = { version, end };
    // Version 0 in front of a class with a non-zero version means a class checksum follows
    // (ROOT writes it for "foreign" classes, e.g. the ElementLink and std::vector payloads).
    if (version === 0 && end !== undefined && end - c.pos >= 4) header.checksum = c.u32();
    return header;
  }

  /** Check that reading stopped where the byte count says, and move there. */
  endVersion(c: Cursor, header: VersionHeader, what: string): void {
    if (header.end === undefined) return;
    if (c.pos !== header.end) {
      if (c.pos > header.end) c.fail(`${what} read ${c.pos - header.end} bytes past its byte count`);
      c.pos = header.end;
    }
  }

  readObjectAny(c: Cursor): unknown {
    const beg = this.origin + c.pos;
    const first = c.u32();
    let tag: number;
    let start = 0;
    let bcnt = 0;
    let withCount = false;
    if (!(first & kByteCountMask) || first === kNewClassTag) {
      tag = first;
    } else {
      withCount = true;
      bcnt = (first & ~kByteCountMask) >>> 0;
      start = this.origin + c.pos;
      tag = c.u32();
    }
    const endPos = withCount ? beg - this.origin + 4 + bcnt : undefined;
    if (endPos !== undefined && endPos > c.length) c.fail(`object byte count ${bcnt} runs past the buffer`, beg - this.origin);
    let obj: unknown;
    if (!(tag & kClassMask)) {
      if (tag === 0) return null;
      if (!this.refs.has(tag)) {
        if (endPos !== undefined) c.pos = endPos;
        return null;
      }
      return this.refs.get(tag);
    }
    let className: string;
    if (tag === kNewClassTag) {
      className = c.cstring();
      this.refs.set(withCount ? start + kMapOffset : this.refs.size + 1, { _class: className });
    } else {
      const ref = (tag & ~kClassMask) >>> 0;
      const cls = this.refs.get(ref) as { _class: string } | undefined;
      if (!cls || typeof cls._class !== 'string') c.fail(`object refers to unknown class tag ${ref}`);
      className = cls._class;
    }
    const tagKey = withCount ? beg + kMapOffset : this.refs.size + 1;
    const name = normalizeClassName(className);
    if (handCoded.has(name)) {
      obj = this.readClass(c, name);
      this.refs.set(tagKey, obj);
    } else {
      // Registered before its members are read, as ROOT maps it: members may point back at it
      // (a sub-branch's fBranchCount refers to its parent branch while the parent is being read).
      const created: RootObject = { _typename: name };
      this.refs.set(tagKey, created);
      this.readClassInto(c, name, created);
      obj = created;
    }
    if (endPos !== undefined) {
      if (c.pos > endPos) c.fail(`${className} read ${c.pos - endPos} bytes past its byte count`);
      c.pos = endPos;
    }
    return obj;
  }

  /** Read one object of `className` at the cursor (its own version header included). */
  readClass(c: Cursor, className: string): unknown {
    const name = normalizeClassName(className);
    const hand = handCoded.get(name);
    if (hand) return hand(this, c, name);
    const obj: RootObject = { _typename: name };
    this.readClassInto(c, name, obj);
    return obj;
  }

  /** Read the members of `name` (header included) into `obj`: how base classes are merged. */
  readClassInto(c: Cursor, name: string, obj: RootObject): void {
    const hand = handCoded.get(name);
    if (hand) {
      const base = hand(this, c, name);
      if (base && typeof base === 'object') {
        for (const k in base as RootObject) if (k !== '_typename') obj[k] = (base as RootObject)[k];
      }
      return;
    }
    const header = this.readVersion(c);
    const info = this.streamers.find(name, header.version, header.checksum);
    if (!info) {
      if (header.end !== undefined) {
        c.pos = header.end;
        obj._unread = `no StreamerInfo for ${name} version ${header.version}`;
        return;
      }
      throw new UnsupportedError(`no StreamerInfo for class ${name} version ${header.version}`, { ...c.context, offset: c.base + c.pos });
    }
    // Record how this class's record was written (version 0 + checksum for "foreign" classes), so
    // the object can be written back byte for byte.
    if (header.version !== info.classVersion || header.checksum !== undefined) {
      const versions = ((obj._versions as Record<string, [number, number?]> | undefined) ??= {});
      versions[name] = header.checksum !== undefined ? [header.version, header.checksum] : [header.version];
    }
    this.readMembers(c, info, obj);
    this.endVersion(c, header, name);
  }

  /** ReadClassBuffer: the members of `info`, in order, into `obj`. */
  readMembers(c: Cursor, info: StreamerInfo, obj: RootObject): void {
    const elements = info.elements;
    for (let i = 0; i < elements.length; i++) {
      const el = elements[i]!;
      if (el.type === ST.base || el.kind === 'TStreamerBase') {
        this.readClassInto(c, normalizeClassName(el.name), obj);
        continue;
      }
      const t = el.type;
      obj[el.name] = t > 0 && t < 20 ? readBasic(c, t) : this.readMember(c, el, obj);
    }
  }

  readMember(c: Cursor, el: StreamerElement, obj: RootObject): unknown {
    const t = el.type;
    if (t > 0 && t < 20) return readBasic(c, t);
    if (t > ST.offsetL && t < ST.offsetL + 20) {
      const n = el.arrayLength;
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(readBasic(c, t - ST.offsetL));
      return out;
    }
    if (t > ST.offsetP && t < ST.offsetP + 20) {
      const isArray = c.u8();
      if (!isArray) return null;
      const n = Number(obj[el.countName ?? ''] ?? 0);
      if (!Number.isSafeInteger(n) || n < 0 || n * 1 > c.remaining) c.fail(`array ${el.name} has invalid length ${n}`);
      return readBasicArray(c, t - ST.offsetP, n);
    }
    switch (t) {
      case ST.tstring:
        return c.tstring();
      case ST.tobject:
        return readTObject(this, c, 'TObject');
      case ST.tnamed:
        return readTNamed(this, c, 'TNamed');
      case ST.object:
      case ST.any:
        if (el.arrayLength > 0) {
          const out: unknown[] = [];
          for (let i = 0; i < el.arrayLength; i++) out.push(this.readClass(c, el.typeName));
          return out;
        }
        return this.readClass(c, el.typeName);
      case ST.objectp:
      case ST.objectP:
      case ST.anyp:
      case ST.anyP:
        if (el.arrayLength > 0) {
          const out: unknown[] = [];
          for (let i = 0; i < el.arrayLength; i++) out.push(this.readObjectAny(c));
          return out;
        }
        return this.readObjectAny(c);
      case ST.stlString:
        return readStdString(this, c);
      default: {
        // STL containers and custom streamers carry a byte count: step over what we do not model.
        const header = this.readVersion(c);
        if (header.end === undefined) {
          throw new UnsupportedError(`member ${el.name} of type ${el.typeName} (streamer type ${t}) cannot be skipped`, {
            ...c.context,
            offset: c.base + c.pos,
          });
        }
        c.pos = header.end;
        return { _unread: el.typeName };
      }
    }
  }
}

export function readBasic(c: Cursor, type: number): number | bigint | boolean {
  switch (type) {
    case ST.char:
    case ST.legacyChar:
      return c.i8();
    case ST.uchar:
      return c.u8();
    case ST.bool:
      return c.u8() !== 0;
    case ST.short:
      return c.i16();
    case ST.ushort:
      return c.u16();
    case ST.int:
    case ST.counter:
      return c.i32();
    case ST.uint:
    case ST.bits:
      return c.u32();
    case ST.long:
    case ST.long64:
      return c.i64Number();
    case ST.ulong:
    case ST.ulong64:
      return c.u64Number();
    case ST.float:
    case ST.double32:
      return c.f32();
    case ST.double:
      return c.f64();
    default:
      throw new UnsupportedError(`basic streamer type ${type} is not supported`, { ...c.context, offset: c.base + c.pos });
  }
}

function readBasicArray(c: Cursor, type: number, n: number): unknown[] {
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) out[i] = readBasic(c, type);
  return out;
}

function readStdString(r: ObjectReader, c: Cursor): string {
  return c.tstring();
}

// ---- hand-coded classes ---------------------------------------------------------------

function readTObject(r: ObjectReader, c: Cursor, _name: string): RootObject {
  const header = r.readVersion(c);
  const uniqueId = c.u32();
  const bits = c.u32();
  const obj: RootObject = { _typename: 'TObject', fUniqueID: uniqueId, fBits: bits };
  if (bits & kIsReferenced) obj._pid = c.u16(); // process-id index of a referenced object
  r.endVersion(c, header, 'TObject');
  return obj;
}

function readTNamed(r: ObjectReader, c: Cursor, _name: string): RootObject {
  const header = r.readVersion(c);
  const base = readTObject(r, c, 'TObject');
  const fName = c.tstring();
  const fTitle = c.tstring();
  r.endVersion(c, header, 'TNamed');
  return { ...base, _typename: 'TNamed', fName, fTitle };
}

function readTObjString(r: ObjectReader, c: Cursor): RootObject {
  const header = r.readVersion(c);
  readTObject(r, c, 'TObject');
  const fString = c.tstring();
  r.endVersion(c, header, 'TObjString');
  return { _typename: 'TObjString', fString };
}

function readTList(r: ObjectReader, c: Cursor, name: string): RootObject {
  const header = r.readVersion(c);
  if (header.version <= 3) c.fail(`${name} version ${header.version} is too old`);
  readTObject(r, c, 'TObject');
  const fName = c.tstring();
  const n = c.i32();
  if (n < 0 || n > c.remaining) c.fail(`${name} claims ${n} entries`);
  const arr: unknown[] = [];
  const options: string[] = [];
  for (let i = 0; i < n; i++) {
    arr.push(r.readObjectAny(c));
    options.push(c.tstring()); // per-entry option string
  }
  r.endVersion(c, header, name);
  return { _typename: name, fName, arr, options };
}

function readTObjArray(r: ObjectReader, c: Cursor, name: string): RootObject {
  const header = r.readVersion(c);
  const base = header.version > 2 ? readTObject(r, c, 'TObject') : undefined;
  const fName = header.version > 1 ? c.tstring() : '';
  const n = c.i32();
  const lowerBound = c.i32();
  if (n < 0 || n > c.remaining) c.fail(`${name} claims ${n} entries`);
  const arr: unknown[] = [];
  for (let i = 0; i < n; i++) arr.push(r.readObjectAny(c));
  r.endVersion(c, header, name);
  return { _typename: name, fName, fLowerBound: lowerBound, arr, fBits: base?.fBits, fUniqueID: base?.fUniqueID };
}

function readTArray(type: number): ClassReader {
  return (_r, c) => {
    const n = c.i32();
    if (n < 0 || n > c.remaining) c.fail(`array claims ${n} entries`);
    return readBasicArray(c, type, n);
  };
}

/** TStreamerElement and its subclasses (they describe every other class). */
function readStreamerElementBase(r: ObjectReader, c: Cursor, kind: string): StreamerElement {
  const header = r.readVersion(c);
  const named = readTNamed(r, c, 'TNamed');
  let type = c.i32();
  const size = c.i32();
  const arrayLength = c.i32();
  const arrayDim = c.i32();
  let maxIndex: number[];
  if (header.version === 1) {
    const n = c.i32();
    maxIndex = [];
    for (let i = 0; i < n; i++) maxIndex.push(c.i32());
  } else {
    maxIndex = [c.i32(), c.i32(), c.i32(), c.i32(), c.i32()];
  }
  const typeName = c.tstring();
  if (type === ST.uchar && (typeName === 'Bool_t' || typeName === 'bool')) type = ST.bool;
  if (header.version === 3) c.skip(24);
  r.endVersion(c, header, 'TStreamerElement');
  return {
    elementVersion: header.version,
    kind,
    name: named.fName as string,
    title: named.fTitle as string,
    type,
    size,
    arrayLength,
    arrayDim,
    maxIndex,
    typeName,
  };
}

function streamerElementReader(kind: string, extra?: (r: ObjectReader, c: Cursor, el: StreamerElement, version: number) => void): ClassReader {
  return (r, c) => {
    const header = r.readVersion(c);
    const el = readStreamerElementBase(r, c, kind);
    el.recordVersion = header.version;
    extra?.(r, c, el, header.version);
    r.endVersion(c, header, kind);
    return el;
  };
}

function readStreamerInfo(r: ObjectReader, c: Cursor): StreamerInfo {
  const header = r.readVersion(c);
  const named = readTNamed(r, c, 'TNamed');
  const checksum = c.u32();
  const classVersion = c.i32();
  const elements = r.readObjectAny(c) as RootObject | null;
  r.endVersion(c, header, 'TStreamerInfo');
  const list = ((elements?.arr as unknown[]) ?? []).filter((e): e is StreamerElement => !!e && typeof e === 'object' && 'kind' in e);
  return { name: named.fName as string, title: named.fTitle as string, checksum, classVersion, elements: list, recordVersion: header.version };
}

/**
 * TBasket as streamed inside a TTree (older cycles keep their baskets there). Its streamer
 * starts with the TKey fields, without byte count. The payload is kept raw for the basket layer.
 */
function readTBasket(r: ObjectReader, c: Cursor): RootObject {
  const keyStart = c.pos;
  const nbytes = c.i32();
  const keyVersion = c.i16();
  const objlen = c.i32();
  c.u32(); // datime
  const keylen = c.i16();
  const cycle = c.i16();
  const big = keyVersion > 1000;
  if (big) c.skip(16);
  else c.skip(8);
  c.tstring();
  const fName = c.tstring();
  c.tstring();
  const header = r.readVersion(c);
  const bufferSize = c.i32();
  let nevBufSize = c.i32();
  if (nevBufSize < 0) {
    nevBufSize = -nevBufSize;
    c.u8(); // fIOBits
  }
  const nevBuf = c.i32();
  const last = c.i32();
  let flag = c.i8();
  // TBasket::Streamer: entry offsets unless the flag says fixed-size (or regenerate: >= 80),
  // a displacement array when flag > 40, then the fLast bytes of the buffer when flag is 1 or > 10.
  const generate = flag >= 80;
  if (generate) flag -= 80;
  let entryOffsets: number[] | null = null;
  if (!generate && flag && flag % 10 !== 2) {
    if (nevBuf) {
      const n = c.i32();
      if (n < 0 || n > c.remaining / 4) c.fail(`embedded basket claims ${n} entry offsets`);
      entryOffsets = [];
      for (let i = 0; i < n; i++) entryOffsets.push(c.i32() & (20 < flag && flag < 40 ? ~0xff000000 : ~0));
    }
    if (flag > 40) {
      const n = c.i32();
      if (n < 0 || n > c.remaining / 4) c.fail(`embedded basket claims ${n} displacements`);
      c.skip(4 * n);
    }
  }
  let buffer: Uint8Array | null = null;
  if (flag === 1 || flag > 10) {
    if (header.version > 1) buffer = c.bytes(last);
    else buffer = c.bytes(c.i32());
  }
  return {
    _typename: 'TBasket',
    fName,
    fNbytes: nbytes,
    fObjlen: objlen,
    fKeylen: keylen,
    fCycle: cycle,
    fBufferSize: bufferSize,
    fNevBufSize: nevBufSize,
    fNevBuf: nevBuf,
    fLast: last,
    flag,
    version: header.version,
    keyStart,
    entryOffsets,
    buffer,
  };
}

registerClassReader('TObject', readTObject);
registerClassReader('TNamed', readTNamed);
registerClassReader('TObjString', readTObjString);
registerClassReader('TList', readTList);
registerClassReader('THashList', readTList);
registerClassReader('TObjArray', readTObjArray);
registerClassReader('TArrayI', readTArray(ST.int));
registerClassReader('TArrayD', readTArray(ST.double));
registerClassReader('TArrayF', readTArray(ST.float));
registerClassReader('TArrayL64', readTArray(ST.long64));
registerClassReader('TArrayS', readTArray(ST.short));
registerClassReader('TArrayC', readTArray(ST.char));
registerClassReader('TStreamerInfo', readStreamerInfo);
registerClassReader('TBasket', readTBasket);
registerClassReader('TStreamerBase', streamerElementReader('TStreamerBase', (_r, c, el, v) => {
  if (v > 2) el.baseVersion = c.i32();
}));
for (const kind of ['TStreamerBasicType', 'TStreamerObject', 'TStreamerObjectPointer', 'TStreamerObjectAny', 'TStreamerObjectAnyPointer', 'TStreamerString', 'TStreamerArtificial']) {
  registerClassReader(kind, streamerElementReader(kind));
}
const withCount = (_r: ObjectReader, c: Cursor, el: StreamerElement): void => {
  el.countVersion = c.i32();
  el.countName = c.tstring();
  el.countClass = c.tstring();
};
registerClassReader('TStreamerBasicPointer', streamerElementReader('TStreamerBasicPointer', withCount));
registerClassReader('TStreamerLoop', streamerElementReader('TStreamerLoop', withCount));
const stl = (_r: ObjectReader, c: Cursor, el: StreamerElement): void => {
  el.stlType = c.i32();
  el.ctype = c.i32();
};
registerClassReader('TStreamerSTL', streamerElementReader('TStreamerSTL', stl));
registerClassReader(
  'TStreamerSTLstring',
  (r, c) => {
    const header = r.readVersion(c);
    const el = (handCoded.get('TStreamerSTL') as ClassReader)(r, c, 'TStreamerSTL') as StreamerElement;
    el.kind = 'TStreamerSTLstring';
    el.innerVersion = el.recordVersion;
    el.recordVersion = header.version;
    r.endVersion(c, header, 'TStreamerSTLstring');
    return el;
  },
);

/** Parse the file's StreamerInfo TList (already decompressed) into a StreamerSet. */
export function parseStreamerInfoList(c: Cursor, origin: number): StreamerSet {
  const reader = new ObjectReader(new StreamerSet(), origin);
  const list = reader.readClass(c, 'TList') as RootObject;
  const infos = (list.arr as unknown[]).filter(
    (o): o is StreamerInfo => !!o && typeof o === 'object' && 'elements' in o && 'classVersion' in o,
  );
  return new StreamerSet(infos);
}

export function isRootObject(v: unknown): v is RootObject {
  return !!v && typeof v === 'object' && '_typename' in v;
}

export { DeserializationError };
