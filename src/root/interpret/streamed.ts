/**
 * Streamer-driven decoding: any class described by the file's StreamerInfo, read member by member
 * with TBufferFile's rules, into Arrow builders whose struct fields are the members' names.
 * A class never seen before needs no new code. Compiling a class gives a Content (Arrow type +
 * reader) once; reading then runs over the basket bytes without per-entry objects.
 *
 * Rules (ROOT's TStreamerInfo::ReadBuffer): a class is its bases (each a record with byte count,
 * version and, for version 0, the class checksum; their members are flattened into the struct)
 * followed by its members; basic types raw big-endian; fixed arrays; counted basic pointers
 * (`[n]` with a leading isArray byte); TString / std::string; nested objects with their own
 * record header; STL containers with a header, object-wise or member-wise (version bit 0x4000:
 * each member of the element class for all elements in turn); nested containers without headers.
 * What cannot be typed statically (pointers to polymorphic objects, custom streamers) is refused
 * at compile time with a reason.
 */
import { kByteCountMask } from '../object-reader.ts';
import type { Field } from 'apache-arrow';
import { UnsupportedError } from '../../errors.ts';
import { ST, normalizeClassName, type StreamerElement, type StreamerInfo, type StreamerSet } from '../streamers.ts';
import {
  type Alloc,
  type Builder,
  FixedListBuilder,
  ListBuilder,
  PRIM_WIDTH,
  PrimBuilder,
  type Prim,
  StringBuilder,
  StructBuilder,
} from './builders.ts';
import { type Content, type State, fail, kMemberWise, primContent, stringContent, u32 } from './decoders.ts';
import { STREAMER_PRIMS, parseTypeName, type TypeNode } from './typename.ts';



/** A record header: byte count when present, version, and the checksum that follows version 0. */
export function versionHeader(s: State, what: string): { end: number | undefined; version: number; checksum?: number } {
  if (s.pos + 2 > s.end) fail(s, `${what} header runs past the entry`);
  let end: number | undefined;
  if (s.pos + 6 <= s.end) {
    const bc = s.view.getUint32(s.pos);
    if (bc & kByteCountMask) {
      const count = (bc & ~kByteCountMask) >>> 0;
      end = s.pos + 4 + count;
      if (end > s.end) fail(s, `${what} byte count ${count} runs past the entry`);
      s.pos += 4;
    }
  }
  const version = s.view.getUint16(s.pos);
  s.pos += 2;
  if (version === 0 && end !== undefined && end - s.pos >= 4) {
    const checksum = s.view.getUint32(s.pos);
    s.pos += 4;
    return { end, version, checksum };
  }
  return { end, version };
}

function closeRecord(s: State, end: number | undefined, what: string): void {
  if (end === undefined) return;
  if (s.pos !== end) fail(s, `${what} record: read ${Math.abs(s.pos - end)} bytes ${s.pos > end ? 'past' : 'short of'} its byte count`);
}

/** The compiled members of a class: struct fields and the steps that fill them. */
export interface ClassLayout {
  className: string;
  version: number;
  checksum: number;
  fields: { name: string; content: Content }[];
  /** Read the members (no header of the class itself) into the struct's child builders. */
  readBody(s: State, children: Builder[]): void;
}

interface Step {
  read(s: State, children: Builder[], counts: Map<string, number>): void;
}

const compilers = new WeakMap<StreamerSet, StreamerCompiler>();

/** One compiler (and its cache of class layouts) per file's StreamerInfo. */
export function compilerFor(streamers: StreamerSet): StreamerCompiler {
  let c = compilers.get(streamers);
  if (!c) {
    c = new StreamerCompiler(streamers);
    compilers.set(streamers, c);
  }
  return c;
}

export class StreamerCompiler {
  readonly streamers: StreamerSet;
  private readonly layouts = new Map<string, ClassLayout | string>();

  constructor(streamers: StreamerSet) {
    this.streamers = streamers;
  }

  /** The layout of a class at a version (its highest when undefined), or why it cannot be decoded. */
  layout(className: string, version?: number, checksum?: number): ClassLayout | string {
    const name = normalizeClassName(className);
    const info = this.streamers.find(name, version, checksum);
    if (!info) return `no StreamerInfo for class ${name}${version !== undefined ? ` version ${version}` : ''}`;
    const key = `${name};${info.classVersion}`;
    let l = this.layouts.get(key);
    if (l === undefined) {
      this.layouts.set(key, `class ${name} contains itself`); // recursion guard
      l = this.compile(info);
      this.layouts.set(key, l);
    }
    return l;
  }

  /** A record of `className` with its own header (nested objects, base classes, STL elements). */
  objectContent(className: string, version?: number): Content | string {
    const layout = this.layout(className, version);
    if (typeof layout === 'string') return layout;
    return recordContent(layout, this.streamers);
  }

  private compile(info: StreamerInfo): ClassLayout | string {
    const fields: { name: string; content: Content }[] = [];
    const steps: Step[] = [];
    for (const el of info.elements) {
      if (el.kind === 'TStreamerBase' || el.type === ST.base) {
        const base = this.baseStep(el, fields);
        if (typeof base === 'string') return `base ${el.name} of ${info.name}: ${base}`;
        steps.push(base);
        continue;
      }
      const index = fields.length;
      const t = el.type;
      if (t > ST.offsetP && t < ST.offsetP + 20 && STREAMER_PRIMS[t - ST.offsetP]) {
        // `T* fArr; //[fN]`: the count is a member read earlier in this object.
        if (!el.countName) return `member ${el.name} of ${info.name}: pointer array without a count member`;
        const prim = STREAMER_PRIMS[t - ST.offsetP]!;
        const countName = el.countName;
        fields.push({ name: el.name, content: countedArrayContent(prim) });
        steps.push({ read: (s, children, counts) => readCountedArray(s, children[index] as ListBuilder<PrimBuilder>, prim, counts.get(countName) ?? 0) });
        continue;
      }
      const content = this.memberContent(el, info);
      if (typeof content === 'string') return `member ${el.name} of ${info.name}: ${content}`;
      fields.push({ name: el.name, content });
      const isCounter = info.elements.some((e) => e.countName === el.name);
      steps.push({
        read: isCounter
          ? (s, children, counts) => {
              counts.set(el.name, s.pos + 4 <= s.end ? s.view.getInt32(s.pos) : 0);
              content.read(s, children[index]!);
            }
          : (s, children) => content.read(s, children[index]!),
      });
    }
    return {
      className: info.name,
      version: info.classVersion,
      checksum: info.checksum,
      fields,
      readBody(s, children) {
        const counts = new Map<string, number>();
        for (const step of steps) step.read(s, children, counts);
      },
    };
  }

  /** A base class: its own record, members flattened into the derived struct. */
  private baseStep(el: StreamerElement, fields: { name: string; content: Content }[]): Step | string {
    const name = normalizeClassName(el.name);
    if (name === 'TObject') {
      const at = fields.length;
      fields.push({ name: 'fUniqueID', content: primContent('u32') }, { name: 'fBits', content: primContent('u32') });
      return { read: (s, children) => readTObject(s, children[at]!, children[at + 1]!) };
    }
    if (name === 'TNamed') {
      const at = fields.length;
      fields.push(
        { name: 'fUniqueID', content: primContent('u32') },
        { name: 'fBits', content: primContent('u32') },
        { name: 'fName', content: stringContent() },
        { name: 'fTitle', content: stringContent() },
      );
      return {
        read: (s, children) => {
          const h = versionHeader(s, 'TNamed');
          readTObject(s, children[at]!, children[at + 1]!);
          stringContent().read(s, children[at + 2]!);
          stringContent().read(s, children[at + 3]!);
          closeRecord(s, h.end, 'TNamed');
        },
      };
    }
    const layout = this.layout(name, el.baseVersion !== undefined && el.baseVersion > 0 ? el.baseVersion : undefined);
    if (typeof layout === 'string') return layout;
    const at = fields.length;
    fields.push(...layout.fields);
    const n = layout.fields.length;
    return {
      read: (s, children) => {
        const h = versionHeader(s, name);
        checkVersion(s, h, layout, this.streamers);
        layout.readBody(s, n ? children.slice(at, at + n) : []);
        closeRecord(s, h.end, name);
      },
    };
  }

  /** How one member of `owner` is read (with its own header where ROOT writes one). */
  memberContent(el: StreamerElement, owner: StreamerInfo): Content | string {
    const t = el.type;
    if ((t === ST.double32 || t === ST.offsetL + ST.double32) && /\[.*\]/.test(el.title)) return `Double32_t member ${el.name} with a packing range (${el.title}) is not supported`;
    const prim = STREAMER_PRIMS[t];
    if (prim) return primContent(prim);
    if (t === ST.float16) return 'Float16_t members are not supported';
    if (t > ST.offsetL && t < ST.offsetL + 20 && STREAMER_PRIMS[t - ST.offsetL]) {
      return fixedArrayContent(STREAMER_PRIMS[t - ST.offsetL]!, el.arrayLength);
    }
    if (t === ST.tstring || t === ST.stlString) return stringContent();
    if (el.kind === 'TStreamerSTLstring') return stlStringContent();
    if (t === ST.tobject || t === ST.tnamed) return this.objectContentFor(t === ST.tobject ? 'TObject' : 'TNamed');
    if (t === ST.object || t === ST.any) {
      if (el.arrayLength > 0) return `array of objects ${el.name}[${el.arrayLength}] is not supported`;
      return this.objectContentFor(el.typeName);
    }
    if (t === ST.objectp || t === ST.objectP || t === ST.anyp || t === ST.anyP) {
      return `pointer member ${el.name} (${el.typeName}) is not supported: its class is only known from the data`;
    }
    if (el.kind === 'TStreamerSTL' || t === ST.stl || t === ST.streamer) {
      return this.stlContent(parseTypeName(el.typeName), true);
    }
    return `streamer type ${t} (${el.typeName}) in ${owner.name} is not supported`;
  }

  private objectContentFor(typeName: string): Content | string {
    const name = normalizeClassName(typeName);
    if (name === 'TObject') return tobjectContent();
    if (name === 'TNamed') return tnamedContent();
    return this.objectContent(name);
  }

  /** An STL container: with its record header at the top level, without one when nested. */
  stlContent(node: TypeNode, withHeader: boolean): Content | string {
    if (node.kind === 'string') return withHeader ? stlStringContent() : stringContent();
    if (node.kind !== 'vector' && !(node.kind === 'class' && /^(multi)?map</.test(node.name))) {
      return `${node.name} is not an STL container`;
    }
    let element: Content | string;
    let elementClass: ClassLayout | undefined;
    if (node.kind === 'vector') {
      element = this.elementContent(node.inner);
      if (node.inner.kind !== 'prim' && node.inner.kind !== 'string' && node.inner.kind !== 'vector') {
        const l = this.layout(node.inner.name);
        if (typeof l !== 'string') elementClass = l;
      }
    } else {
      const args = splitArgs(node.name);
      if (args.length !== 2) return `cannot parse ${node.name}`;
      const key = this.elementContent(parseTypeName(args[0]!));
      const value = this.elementContent(parseTypeName(args[1]!));
      if (typeof key === 'string') return key;
      if (typeof value === 'string') return value;
      element = structContent(['key', 'value'], [key, value]);
    }
    if (typeof element === 'string') return element;
    return collectionContent(element, node.kind === 'vector' ? node.inner.name : node.name, elementClass, withHeader, node.kind === 'vector' && node.inner.kind === 'prim' ? node.inner.prim : undefined, this.streamers);
  }

  /** An element of a collection: numbers and strings raw, nested collections without headers, objects with theirs. */
  private elementContent(node: TypeNode): Content | string {
    switch (node.kind) {
      case 'prim':
        return primContent(node.prim);
      case 'string':
        return stringContent();
      case 'vector':
        return this.stlContent(node, false);
      case 'pair': {
        const layout = this.layout(node.name);
        if (typeof layout !== 'string') return recordContent(layout, this.streamers);
        const first = this.elementContent(node.first);
        const second = this.elementContent(node.second);
        if (typeof first === 'string') return first;
        if (typeof second === 'string') return second;
        return structContent(['first', 'second'], [first, second]);
      }
      default: {
        if (/^(multi)?map</.test(node.name)) return this.stlContent(node, false);
        const content = this.objectContent(node.name);
        // ROOT stores a StreamerInfo only for classes it wrote: a collection of a class that is
        // absent was empty when written. Keep the type; refuse only if an element shows up.
        if (typeof content === 'string' && !this.streamers.find(node.name)) return absentClassContent(node.name);
        return content;
      }
    }
  }
}

/** The record's version (or, for version 0, its checksum) must be the one the layout was built from. */
function checkVersion(s: State, h: { version: number; checksum?: number }, layout: ClassLayout, streamers: StreamerSet): void {
  if (h.version === layout.version) return;
  if (h.version === 0) {
    if (h.checksum === undefined || h.checksum === layout.checksum) return;
    const byChecksum = streamers.all().find((i) => i.checksum === h.checksum && normalizeClassName(i.name) === normalizeClassName(layout.className));
    if (byChecksum && byChecksum.classVersion === layout.version) return;
  }
  throw new UnsupportedError(
    `class ${layout.className} version ${h.version}${h.checksum !== undefined ? ` (checksum ${h.checksum})` : ''} in the data, but the file describes version ${layout.version}`,
    { ...s.context, entry: s.entry, offset: s.base + s.pos },
  );
}

function splitArgs(name: string): string[] {
  const body = name.slice(name.indexOf('<') + 1, name.lastIndexOf('>'));
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '<') depth++;
    else if (body[i] === '>') depth--;
    else if (body[i] === ',' && depth === 0) {
      out.push(body.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(body.slice(start).trim());
  return out;
}

function readTObject(s: State, uniqueId: Builder, bits: Builder): void {
  const h = versionHeader(s, 'TObject');
  if (s.pos + 8 > s.end) fail(s, 'TObject runs past the entry');
  (uniqueId as PrimBuilder).appendBE(s.buf, s.view, s.pos, 1);
  (bits as PrimBuilder).appendBE(s.buf, s.view, s.pos + 4, 1);
  const fBits = s.view.getUint32(s.pos + 4);
  s.pos += 8;
  if (fBits & (1 << 4)) s.pos += 2; // kIsReferenced: the process-id index follows
  closeRecord(s, h.end, 'TObject');
}

function tobjectContent(): Content {
  return {
    newBuilder: (cap, alloc) => new StructBuilder(['fUniqueID', 'fBits'], [new PrimBuilder('u32', cap, alloc), new PrimBuilder('u32', cap, alloc)]),
    read(s, b) {
      const sb = b as StructBuilder;
      readTObject(s, sb.children[0]!, sb.children[1]!);
      sb.length++;
    },
  };
}

function tnamedContent(): Content {
  const str = stringContent();
  return {
    newBuilder: (cap, alloc) =>
      new StructBuilder(
        ['fUniqueID', 'fBits', 'fName', 'fTitle'],
        [new PrimBuilder('u32', cap, alloc), new PrimBuilder('u32', cap, alloc), str.newBuilder(cap, alloc), str.newBuilder(cap, alloc)],
      ),
    read(s, b) {
      const sb = b as StructBuilder;
      const h = versionHeader(s, 'TNamed');
      readTObject(s, sb.children[0]!, sb.children[1]!);
      str.read(s, sb.children[2]!);
      str.read(s, sb.children[3]!);
      closeRecord(s, h.end, 'TNamed');
      sb.length++;
    },
  };
}

/** std::string as a member streamed by its collection proxy: header, then the TString bytes. */
function stlStringContent(): Content {
  const str = stringContent();
  return {
    newBuilder: (cap, alloc) => str.newBuilder(cap, alloc),
    read(s, b) {
      this.readMany!(s, b, 1);
    },
    readMany(s, b, n) {
      if (n === 0) return;
      const h = versionHeader(s, 'string');
      for (let k = 0; k < n; k++) str.read(s, b);
      closeRecord(s, h.end, 'string');
    },
  };
}

function fixedArrayContent(prim: Prim, n: number): Content {
  const w = PRIM_WIDTH[prim];
  return {
    newBuilder: (cap, alloc) => new FixedListBuilder(new PrimBuilder(prim, cap, alloc), n),
    read(s, b) {
      if (s.pos + n * w > s.end) fail(s, `array of ${n} values runs past the entry`);
      (b as FixedListBuilder<PrimBuilder>).child.appendBE(s.buf, s.view, s.pos, n);
      s.pos += n * w;
    },
  };
}

/** `T* fArr; //[fN]`: the list type; reading needs the count, so it happens in readCountedArray. */
function countedArrayContent(prim: Prim): Content {
  return {
    newBuilder: (cap, alloc) => new ListBuilder(new PrimBuilder(prim, cap, alloc), cap / 8, alloc),
    read(s) {
      fail(s, 'a counted array is read with its count');
    },
  };
}

/** An isArray byte, then `n` values (n from the count member read earlier in the same object). */
function readCountedArray(s: State, lb: ListBuilder<PrimBuilder>, prim: Prim, count: number): void {
  const w = PRIM_WIDTH[prim];
  if (s.pos + 1 > s.end) fail(s, 'array flag runs past the entry');
  const isArray = s.buf[s.pos++]!;
  const n = isArray ? count : 0;
  if (n < 0 || s.pos + n * w > s.end) fail(s, `array of ${n} values runs past the entry`);
  lb.child.appendBE(s.buf, s.view, s.pos, n);
  s.pos += n * w;
  lb.close();
}

function absentClassContent(name: string): Content {
  return {
    newBuilder: () => new StructBuilder([], []),
    read(s) {
      fail(s, `an element of class ${name}, which has no StreamerInfo in this file`);
    },
  };
}

function structContent(names: string[], contents: Content[]): Content {
  return {
    newBuilder: (cap, alloc) => new StructBuilder(names, contents.map((c) => c.newBuilder(cap, alloc))),
    read(s, b) {
      const sb = b as StructBuilder;
      for (let i = 0; i < contents.length; i++) contents[i]!.read(s, sb.children[i]!);
      sb.length++;
    },
  };
}

/** An object with its own record header, as a struct of its (flattened) members. */
export function recordContent(layout: ClassLayout, streamers: StreamerSet): Content {
  return {
    newBuilder: (cap, alloc) => newStructBuilder(layout, cap, alloc),
    read(s, b) {
      const sb = b as StructBuilder;
      const h = versionHeader(s, layout.className);
      checkVersion(s, h, layout, streamers);
      layout.readBody(s, sb.children);
      closeRecord(s, h.end, layout.className);
      sb.length++;
    },
  };
}

/** An object streamed without its own header (the top level of a branch): the members only. */
export function bodyContent(layout: ClassLayout): Content {
  return {
    newBuilder: (cap, alloc) => newStructBuilder(layout, cap, alloc),
    read(s, b) {
      const sb = b as StructBuilder;
      layout.readBody(s, sb.children);
      sb.length++;
    },
  };
}

export function newStructBuilder(layout: ClassLayout, cap: number, alloc: Alloc): StructBuilder {
  return new StructBuilder(
    layout.fields.map((f) => f.name),
    layout.fields.map((f) => f.content.newBuilder(cap, alloc)),
  );
}

/**
 * An STL collection. With a header: byte count and version; version bit 0x4000 means member-wise
 * (class version and checksum of the element class, n, then each member for all n elements).
 * Then n and the elements.
 */
function collectionContent(
  element: Content,
  elementName: string,
  elementClass: ClassLayout | undefined,
  withHeader: boolean,
  prim: Prim | undefined,
  streamers: StreamerSet,
): Content {
  const w = prim ? PRIM_WIDTH[prim] : 0;
  const body = (s: State, lb: ListBuilder, memberwise: boolean): void => {
    if (memberwise) {
      readMemberwise(s, lb.child as StructBuilder, elementClass, streamers, elementName);
    } else {
      const n = u32(s);
      if (prim) {
        if (s.pos + n * w > s.end) fail(s, `collection of ${n} values runs past the entry`);
        (lb.child as PrimBuilder).appendBE(s.buf, s.view, s.pos, n);
        s.pos += n * w;
      } else {
        if (n > s.end - s.pos) fail(s, `collection of ${n} items cannot fit the entry`);
        for (let k = 0; k < n; k++) element.read(s, lb.child);
      }
    }
    lb.close();
  };
  const content: Content = {
    newBuilder: (cap, alloc) => new ListBuilder(element.newBuilder(cap, alloc), cap / 8, alloc),
    read(s, b) {
      if (!withHeader) return body(s, b as ListBuilder, false);
      content.readMany!(s, b, 1);
    },
    // One record header for the column, then each collection (member-wise ones with their element class's version).
    readMany(s, b, n) {
      if (!withHeader) {
        for (let k = 0; k < n; k++) body(s, b as ListBuilder, false);
        return;
      }
      if (n === 0) return;
      const h = versionHeader(s, 'collection');
      for (let k = 0; k < n; k++) body(s, b as ListBuilder, (h.version & kMemberWise) !== 0);
      closeRecord(s, h.end, 'collection');
    },
  };
  return content;
}

/** Member-wise elements: after the element class's version (and checksum), n, then each member for all n. */
function readMemberwise(s: State, sb: StructBuilder, layout: ClassLayout | undefined, streamers: StreamerSet, className: string): void {
  if (s.pos + 2 > s.end) fail(s, 'member-wise header runs past the entry');
  const version = s.view.getUint16(s.pos);
  s.pos += 2;
  let checksum: number | undefined;
  if (version === 0) {
    checksum = s.view.getUint32(s.pos);
    s.pos += 4;
  }
  if (layout) checkVersion(s, { version, checksum }, layout, streamers);
  const n = u32(s);
  if (n === 0) return; // no member columns at all for an empty collection
  if (!layout) fail(s, `${n} elements of class ${className}, which has no StreamerInfo in this file`);
  if (n > s.end - s.pos + 1 && layout.fields.length > 0) fail(s, `member-wise collection of ${n} elements cannot fit the entry`);
  for (let f = 0; f < layout.fields.length; f++) {
    const content = layout.fields[f]!.content;
    const child = sb.children[f]!;
    if (content.readMany) content.readMany(s, child, n);
    else for (let k = 0; k < n; k++) content.read(s, child);
  }
  sb.length += n;
}

/** Every field of a struct type, for tests and reports. */
export function fieldNames(fields: readonly Field[]): string[] {
  return fields.map((f) => f.name);
}

export { StringBuilder };
