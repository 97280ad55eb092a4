/**
 * ObjectWriter: the writing twin of ObjectReader. Streams plain objects (as ObjectReader produces
 * them: members by name, `_typename`) member by member from a StreamerInfo, with TBufferFile's
 * rules: records with byte counts, class tags for pointers (a new class once, then references),
 * object references for objects written before, and hand-coded TObject, TNamed, TObjArray, TList,
 * TArray*. Reading an object and writing it back gives the same bytes.
 */
import { UnsupportedError } from '../../errors.ts';
import { kByteCountMask, kClassMask, kMapOffset, kNewClassTag, type RootObject } from '../object-reader.ts';
import { ST, normalizeClassName, type StreamerElement, type StreamerInfo, type StreamerSet } from '../streamers.ts';
import { Out } from './out.ts';

const kIsReferenced = 1 << 4;

type ClassWriter = (w: ObjectWriter, out: Out, obj: RootObject) => void;
const handCoded = new Map<string, ClassWriter>();

export class ObjectWriter {
  readonly streamers: StreamerSet;
  /** Displacement of buffer position 0 (the key length when the object goes into a key). */
  readonly origin: number;
  private readonly classTags = new Map<string, number>();
  private readonly objectTags = new Map<object, number>();

  constructor(streamers: StreamerSet, origin: number) {
    this.streamers = streamers;
    this.origin = origin;
  }

  writeClass(out: Out, className: string, obj: RootObject): void {
    const name = normalizeClassName(className);
    const hand = handCoded.get(name);
    if (hand) return hand(this, out, obj);
    const info = this.streamers.find(name);
    if (!info) throw new UnsupportedError(`no StreamerInfo to write class ${name}`);
    const at = this.beginRecord(out, name, info.classVersion, obj);
    this.writeMembers(out, name, obj);
    out.endRecord(at);
  }

  /** The record header as the object was read (version 0 and checksum for foreign classes), else the StreamerInfo's version. */
  private beginRecord(out: Out, name: string, version: number, obj: RootObject): number {
    const read = (obj._versions as Record<string, [number, number?]> | undefined)?.[name];
    const at = out.beginRecord(read ? read[0] : version);
    if (read && read[1] !== undefined) out.u32(read[1]);
    return at;
  }

  /** The members of `className` (bases first, as in its StreamerInfo), without its own record. */
  writeMembers(out: Out, className: string, obj: RootObject): void {
    const info = this.streamers.find(className);
    if (!info) throw new UnsupportedError(`no StreamerInfo to write class ${className}`);
    for (const el of info.elements) {
      if (el.kind === 'TStreamerBase' || el.type === ST.base) {
        const base = normalizeClassName(el.name);
        const hand = handCoded.get(base);
        if (hand) hand(this, out, obj);
        else {
          const b = this.streamers.find(base);
          if (!b) throw new UnsupportedError(`no StreamerInfo to write base ${base} of ${className}`);
          const at = this.beginRecord(out, base, b.classVersion, obj);
          this.writeMembers(out, base, obj);
          out.endRecord(at);
        }
        continue;
      }
      this.writeMember(out, el, obj);
    }
  }

  private writeMember(out: Out, el: StreamerElement, obj: RootObject): void {
    const v = obj[el.name];
    const t = el.type;
    if (t > 0 && t < 20) return writeBasic(out, t, v);
    if (t > ST.offsetL && t < ST.offsetL + 20) {
      const values = (v as unknown[]) ?? [];
      for (let i = 0; i < el.arrayLength; i++) writeBasic(out, t - ST.offsetL, values[i] ?? 0);
      return;
    }
    if (t > ST.offsetP && t < ST.offsetP + 20) {
      if (v === null || v === undefined) {
        out.u8(0);
        return;
      }
      out.u8(1);
      const n = Number(obj[el.countName ?? ''] ?? 0);
      const values = v as unknown[];
      for (let i = 0; i < n; i++) writeBasic(out, t - ST.offsetP, values[i] ?? 0);
      return;
    }
    switch (t) {
      case ST.tstring:
      case ST.stlString:
        out.tstring(String(v ?? ''));
        return;
      case ST.tobject:
        writeTObject(this, out, v as RootObject);
        return;
      case ST.tnamed:
        writeTNamed(this, out, v as RootObject);
        return;
      case ST.object:
      case ST.any:
        if (el.arrayLength > 0) {
          for (const item of v as RootObject[]) this.writeClass(out, el.typeName, item);
          return;
        }
        this.writeClass(out, el.typeName, v as RootObject);
        return;
      case ST.objectp:
      case ST.objectP:
      case ST.anyp:
      case ST.anyP:
        if (el.arrayLength > 0) {
          for (const item of v as (RootObject | null)[]) this.writeObjectAny(out, item);
          return;
        }
        this.writeObjectAny(out, (v as RootObject | null) ?? null);
        return;
      default:
        throw new UnsupportedError(`cannot write member ${el.name} of type ${el.typeName} (streamer type ${t})`);
    }
  }

  /** A pointer: null, a reference to an object written before, or a class tag and the object. */
  writeObjectAny(out: Out, obj: RootObject | null): void {
    if (!obj) {
      out.u32(0);
      return;
    }
    const seen = this.objectTags.get(obj);
    if (seen !== undefined) {
      out.u32(seen);
      return;
    }
    const beg = out.pos;
    out.u32(0); // byte count, patched below
    const className = normalizeClassName(obj._typename);
    const classTag = this.classTags.get(className);
    if (classTag !== undefined) {
      out.u32((kClassMask | classTag) >>> 0);
    } else {
      this.classTags.set(className, this.origin + out.pos + kMapOffset);
      out.u32(kNewClassTag).cstring(obj._typename);
    }
    this.objectTags.set(obj, this.origin + beg + kMapOffset);
    this.writeClass(out, className, obj);
    out.patchU32(beg, (kByteCountMask | (out.pos - beg - 4)) >>> 0);
  }
}

function writeBasic(out: Out, type: number, v: unknown): void {
  switch (type) {
    case ST.char:
    case ST.legacyChar:
      out.i8(Number(v ?? 0));
      return;
    case ST.uchar:
      out.u8(Number(v ?? 0));
      return;
    case ST.bool:
      out.u8(v ? 1 : 0);
      return;
    case ST.short:
      out.i16(Number(v ?? 0));
      return;
    case ST.ushort:
      out.u16(Number(v ?? 0));
      return;
    case ST.int:
    case ST.counter:
      out.i32(Number(v ?? 0));
      return;
    case ST.uint:
    case ST.bits:
      out.u32(Number(v ?? 0));
      return;
    case ST.long:
    case ST.long64:
      out.i64((v as number | bigint) ?? 0);
      return;
    case ST.ulong:
    case ST.ulong64:
      out.u64((v as number | bigint) ?? 0);
      return;
    case ST.float:
    case ST.double32:
      out.f32(Number(v ?? 0));
      return;
    case ST.double:
      out.f64(Number(v ?? 0));
      return;
    default:
      throw new UnsupportedError(`cannot write basic streamer type ${type}`);
  }
}

function writeTObject(_w: ObjectWriter, out: Out, obj: RootObject): void {
  const bits = Number(obj.fBits ?? 0x03000000);
  out.u16(1).u32(Number(obj.fUniqueID ?? 0)).u32(bits);
  if (bits & kIsReferenced) out.u16(Number(obj._pid ?? 0));
}

function writeTNamed(w: ObjectWriter, out: Out, obj: RootObject): void {
  const at = out.beginRecord(1);
  writeTObject(w, out, obj);
  out.tstring(String(obj.fName ?? '')).tstring(String(obj.fTitle ?? ''));
  out.endRecord(at);
}

function writeTObjArray(w: ObjectWriter, out: Out, obj: RootObject): void {
  const at = out.beginRecord(3);
  writeTObject(w, out, obj);
  const arr = (obj.arr as (RootObject | null)[]) ?? [];
  out.tstring(String(obj.fName ?? '')).i32(arr.length).i32(Number(obj.fLowerBound ?? 0));
  for (const item of arr) w.writeObjectAny(out, item);
  out.endRecord(at);
}

function writeTList(w: ObjectWriter, out: Out, obj: RootObject): void {
  const at = out.beginRecord(5);
  writeTObject(w, out, obj);
  const arr = (obj.arr as (RootObject | null)[]) ?? [];
  const options = (obj.options as string[] | undefined) ?? [];
  out.tstring(String(obj.fName ?? '')).i32(arr.length);
  arr.forEach((item, i) => {
    w.writeObjectAny(out, item);
    out.tstring(options[i] ?? '');
  });
  out.endRecord(at);
}

// ---- the StreamerInfo records themselves (they describe everything else) -------------------

const ELEMENT_VERSIONS: Record<string, number> = {
  TStreamerBase: 3,
  TStreamerBasicType: 2,
  TStreamerBasicPointer: 2,
  TStreamerLoop: 2,
  TStreamerObject: 2,
  TStreamerObjectPointer: 2,
  TStreamerObjectAny: 2,
  TStreamerObjectAnyPointer: 2,
  TStreamerString: 2,
  TStreamerSTL: 3,
  TStreamerSTLstring: 2,
  TStreamerArtificial: 2,
};

function writeElementBase(w: ObjectWriter, out: Out, el: StreamerElement): void {
  const at = out.beginRecord(el.elementVersion ?? 4);
  writeTNamed(w, out, { _typename: 'TNamed', fName: el.name, fTitle: el.title, fUniqueID: 0, fBits: 0x03000000 });
  // Bool_t elements are read back with type kBool (18) but written as kUChar (11), as ROOT does.
  const type = el.type === ST.bool && (el.typeName === 'Bool_t' || el.typeName === 'bool') ? ST.uchar : el.type;
  out.i32(type).i32(el.size).i32(el.arrayLength).i32(el.arrayDim);
  if ((el.elementVersion ?? 4) === 1) {
    out.i32(el.maxIndex.length);
    for (const m of el.maxIndex) out.i32(m);
  } else for (let i = 0; i < 5; i++) out.i32(el.maxIndex[i] ?? 0);
  out.tstring(el.typeName);
  if ((el.elementVersion ?? 4) === 3) out.f64(0).f64(0).f64(0);
  out.endRecord(at);
}

function writeStreamerElement(w: ObjectWriter, out: Out, obj: RootObject): void {
  const el = obj as unknown as StreamerElement;
  const kind = el.kind;
  const at = out.beginRecord(el.recordVersion ?? ELEMENT_VERSIONS[kind] ?? 2);
  const stl = (): void => {
    writeElementBase(w, out, el);
    out.i32(el.stlType ?? 0).i32(el.ctype ?? 0);
  };
  if (kind === 'TStreamerSTLstring') {
    const inner = out.beginRecord(el.innerVersion ?? 3);
    stl();
    out.endRecord(inner);
  } else if (kind === 'TStreamerSTL') {
    stl();
  } else {
    writeElementBase(w, out, el);
    if (kind === 'TStreamerBase' && (el.recordVersion ?? 3) > 2) out.i32(el.baseVersion ?? 0);
    if (kind === 'TStreamerBasicPointer' || kind === 'TStreamerLoop') {
      out.i32(el.countVersion ?? 0).tstring(el.countName ?? '').tstring(el.countClass ?? '');
    }
  }
  out.endRecord(at);
}

function writeStreamerInfo(w: ObjectWriter, out: Out, obj: RootObject): void {
  const info = obj as unknown as StreamerInfo;
  const at = out.beginRecord(info.recordVersion ?? 9);
  writeTNamed(w, out, { _typename: 'TNamed', fName: info.name, fTitle: info.title, fUniqueID: 0, fBits: 0x03010000 });
  out.u32(info.checksum).i32(info.classVersion);
  const elements = { _typename: 'TObjArray', fName: '', fLowerBound: 0, fBits: 0x03000000, fUniqueID: 0, arr: info.elements.map((e) => ({ ...e, _typename: e.kind })) };
  w.writeObjectAny(out, elements as unknown as RootObject);
  out.endRecord(at);
}

/** The payload of a StreamerInfo key: a TList of TStreamerInfo records. `origin` is the key length. */
export function streamerInfoPayload(infos: readonly StreamerInfo[], streamers: StreamerSet, origin: number): Uint8Array {
  const out = new Out(1 << 16);
  const list = { _typename: 'TList', fName: '', fBits: 0x03000000, fUniqueID: 0, arr: infos.map((i) => ({ ...i, _typename: 'TStreamerInfo' })), options: infos.map(() => '') };
  new ObjectWriter(streamers, origin).writeClass(out, 'TList', list as unknown as RootObject);
  return out.data();
}

handCoded.set('TStreamerInfo', writeStreamerInfo);
for (const kind of Object.keys(ELEMENT_VERSIONS)) handCoded.set(kind, writeStreamerElement);

function arrayWriter(type: number): ClassWriter {
  return (_w, out, obj) => {
    const values = obj as unknown as unknown[];
    out.i32(values.length);
    for (const v of values) writeBasic(out, type, v);
  };
}

handCoded.set('TObject', writeTObject);
handCoded.set('TNamed', writeTNamed);
handCoded.set('TObjArray', writeTObjArray);
handCoded.set('TList', writeTList);
handCoded.set('THashList', writeTList);
handCoded.set('TArrayI', arrayWriter(ST.int));
handCoded.set('TArrayD', arrayWriter(ST.double));
handCoded.set('TArrayF', arrayWriter(ST.float));
handCoded.set('TArrayL64', arrayWriter(ST.long64));
handCoded.set('TArrayS', arrayWriter(ST.short));
handCoded.set('TArrayC', arrayWriter(ST.char));
