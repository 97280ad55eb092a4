/**
 * Interpretation registry: branch metadata -> how to decode its baskets (a BasketDecoder and the
 * Arrow type it yields), or a reason the branch carries no values or cannot be decoded yet.
 * Rules are tried in registration order; the first that answers wins. Never any I/O here.
 */
import type { DataType } from 'apache-arrow';
import type { StreamerSet } from '../streamers.ts';
import { ST } from '../streamers.ts';
import type { Branch, Leaf } from '../tree/model.ts';
import { ListBuilder, StructBuilder, type Prim } from './builders.ts';
import {
  type BasketDecoder,
  COUNT_DECODER,
  CollectionMemberDecoder,
  DataVectorDecoder,
  ElementLinkRecordDecoder,
  ContentDecoder,
  FixedDecoder,
  JaggedLeafDecoder,
  LeafStringDecoder,
  StlObjectDecoder,
  contentFor,
} from './decoders.ts';
import { STREAMER_PRIMS, parseTypeName, primOf } from './typename.ts';
import { bodyContent, compilerFor, recordContent } from './streamed.ts';

export interface BasketInterpretation {
  kind: 'basket';
  decoder: BasketDecoder;
  type: DataType;
  /** The branch whose per-entry int32 counts the decoder needs (split STL members). */
  countBranch?: Branch;
  /** The branch whose baskets hold the data, when not the branch itself (split ElementLink objects). */
  dataBranch?: Branch;
}

/** A split STL collection: its members' lists zipped into one list of structs. */
export interface ZipInterpretation {
  kind: 'zip';
  type: DataType;
  description: string;
  fields: { name: string; branch: Branch; interpretation: BasketInterpretation }[];
}

export type Interpretation = BasketInterpretation | ZipInterpretation;

export type Resolution = { readable: true; interpretation: Interpretation } | { readable: false; reason: string };

export interface RuleContext {
  streamers: StreamerSet;
}

export interface InterpretationRule {
  name: string;
  resolve(branch: Branch, ctx: RuleContext): Resolution | undefined;
}

const rules: InterpretationRule[] = [];

export function registerInterpretation(rule: InterpretationRule, position: 'first' | 'last' = 'last'): void {
  if (position === 'first') rules.unshift(rule);
  else rules.push(rule);
}

export function interpret(branch: Branch, ctx: RuleContext): Resolution {
  for (const rule of rules) {
    const r = rule.resolve(branch, ctx);
    if (r) return r;
  }
  return { readable: false, reason: `no interpretation for ${branch.className} of type ${branch.typeName}` };
}

const decoderTypes = new WeakMap<BasketDecoder, DataType>();
const decoders = new Map<string, BasketDecoder>();

/** One decoder per layout, shared by every branch (and file) with that layout. */
function shared<D extends BasketDecoder>(key: string, make: () => D): D {
  let d = decoders.get(key);
  if (!d) {
    d = make();
    decoders.set(key, d);
  }
  return d as D;
}

function basket(decoder: BasketDecoder, countBranch?: Branch): Resolution {
  let type = decoderTypes.get(decoder);
  if (!type) {
    type = decoder.newBuilder(0).type;
    decoderTypes.set(decoder, type);
  }
  return { readable: true, interpretation: { kind: 'basket', decoder, type, countBranch } };
}

function no(reason: string): Resolution {
  return { readable: false, reason };
}

const LEAF_PRIMS: Record<string, [Prim, Prim]> = {
  TLeafB: ['i8', 'u8'],
  TLeafS: ['i16', 'u16'],
  TLeafI: ['i32', 'u32'],
  TLeafL: ['i64', 'u64'],
  TLeafG: ['i64', 'u64'],
  TLeafF: ['f32', 'f32'],
  TLeafD: ['f64', 'f64'],
  TLeafO: ['bool', 'bool'],
};



// Plain TBranch with TLeaf* leaves.
registerInterpretation({
  name: 'leaf',
  resolve(b) {
    if (b.className !== 'TBranch') return undefined;
    if (b.leaves.length !== 1) return no(`leaf list with ${b.leaves.length} leaves is not supported yet`);
    const leaf = b.leaves[0]!;
    if (leaf.className === 'TLeafC') return basket(shared('leafc', () => new LeafStringDecoder()));
    const prims = LEAF_PRIMS[leaf.className];
    if (!prims) return no(`leaf class ${leaf.className} is not supported yet`);
    const prim = prims[leaf.isUnsigned ? 1 : 0];
    if (leaf.countLeaf) {
      if (leaf.len > 1) return no(`count-indexed leaf with a fixed inner dimension (${leaf.title}) is not supported yet`);
      return basket(shared(`jagged:${prim}`, () => new JaggedLeafDecoder(prim, `${leaf.className}[n]`)));
    }
    return basket(shared(`fixed:${prim}:${leaf.len}`, () => new FixedDecoder(prim, leaf.len, leaf.len > 1 ? `${leaf.className}[${leaf.len}]` : leaf.className)));
  },
});

function leafPrim(leaf: Leaf | undefined): Prim | undefined {
  return leaf?.elementType !== undefined ? STREAMER_PRIMS[leaf.elementType] : undefined;
}

// Members of split STL collections (fType 41): n values per entry, n from the parent's counts.
registerInterpretation({
  name: 'stl-member',
  resolve(b) {
    const el = b.element;
    if (!el || el.type !== 41) return undefined;
    const parent = b.parent;
    if (!parent?.element || parent.element.type !== 4) return no('collection member without its collection branch');
    const prim = STREAMER_PRIMS[el.streamerType] ?? leafPrim(b.leaves[0]);
    if (prim) return basket(shared(`member:${prim}`, () => new CollectionMemberDecoder(prim, `member ${b.typeName} of a split collection`)), parent);
    const node = parseTypeName(b.typeName);
    if (node.kind === 'string') return basket(shared('member:string', () => new CollectionMemberDecoder(undefined, 'string member of a split collection')), parent);
    return no(`member of type ${b.typeName} of a split collection is not supported yet`);
  },
});

// Split STL collections (fType 4): zip their members' lists into one list of structs.
registerInterpretation({
  name: 'split-collection',
  resolve(b, ctx) {
    const el = b.element;
    if (!el || el.type !== 4) return undefined;
    if (b.children.length === 0) return no('split collection without members');
    const fields: ZipInterpretation['fields'] = [];
    for (const child of b.children) {
      const r = interpret(child, ctx);
      if (!r.readable) return no(`member ${child.name} unreadable: ${r.reason}`);
      if (r.interpretation.kind !== 'basket') return no(`member ${child.name} is itself a collection`);
      const name = child.name.startsWith(b.name + '.') ? child.name.slice(b.name.length + 1) : child.name;
      fields.push({ name, branch: child, interpretation: r.interpretation });
    }
    const item = new StructBuilder(
      fields.map((f) => f.name),
      fields.map((f) => (f.interpretation.decoder.newBuilder(0) as ListBuilder).child),
    );
    return {
      readable: true,
      interpretation: { kind: 'zip', type: new ListBuilder(item).type, description: `split collection ${b.typeName}`, fields },
    };
  },
});

// Members of split objects (fID >= 0) and base-class sub-branches.
registerInterpretation({
  name: 'object-member',
  resolve(b, ctx) {
    const el = b.element;
    if (!el || el.id < 0) return undefined;
    if (el.type === 3 || el.type === 31) return no('TClonesArray branches are not supported yet');
    const info = ctx.streamers.find(el.className, el.classVersion, el.checksum);
    const member = info?.elements[el.id];
    if (!member) return no(`no StreamerInfo element ${el.id} for ${el.className} version ${el.classVersion}`);
    if (member.kind === 'TStreamerBase') {
      if (member.name === 'ElementLinkBase') return basket(shared('elementlink-record', () => new ElementLinkRecordDecoder()));
      // A base-class sub-branch holds the base's record: decode it (an empty struct for the
      // xAOD Aux bases, whose members all live in other branches).
      const layout = compilerFor(ctx.streamers).layout(member.name, member.baseVersion && member.baseVersion > 0 ? member.baseVersion : undefined);
      if (typeof layout === 'string') return no(layout);
      return basket(new ContentDecoder(recordContent(layout, ctx.streamers), `base-class record ${member.name}`));
    }
    const t = member.type;
    if ((t === ST.double32 || t === ST.offsetL + ST.double32) && /\[.*\]/.test(member.title)) return no(`Double32_t with a packing range (${member.title}) is not supported yet`);
    const prim = STREAMER_PRIMS[t];
    if (prim) return basket(shared(`fixed:${prim}:1`, () => new FixedDecoder(prim, 1, member.typeName)));
    if (t > ST.offsetL && t < ST.offsetL + 20 && STREAMER_PRIMS[t - ST.offsetL]) {
      const p = STREAMER_PRIMS[t - ST.offsetL]!;
      return basket(shared(`fixed:${p}:${member.arrayLength}`, () => new FixedDecoder(p, member.arrayLength, `${member.typeName}[${member.arrayLength}]`)));
    }
    if (t === ST.tstring || t === ST.stlString || (t === ST.stl && parseTypeName(member.typeName).kind === 'string')) {
      return basket(shared('leafc', () => new LeafStringDecoder()));
    }
    if (t === ST.stl || t === ST.streamLoop || t === ST.streamer) {
      const node = parseTypeName(member.typeName);
      if (node.kind === 'vector') {
        const content = contentFor(node);
        if (typeof content === 'string') return no(content);
        return basket(shared(`stl:${node.name}`, () => new StlObjectDecoder(node, content, node.name)));
      }
    }
    const content = compilerFor(ctx.streamers).memberContent(member, info!);
    if (typeof content === 'string') return no(content);
    return basket(new ContentDecoder(content, `member ${member.name} (${member.typeName})`));
  },
});

// Top-level objects (fID -1) and split-object tops (fID -2).
registerInterpretation({
  name: 'top-object',
  resolve(b, ctx) {
    const el = b.element;
    if (!el) return undefined;
    const node = parseTypeName(el.className);

    if (node.kind === 'elementlink' && el.id === -2 && b.children.length === 1) {
      // A split ElementLink: its only sub-branch holds the ElementLinkBase records.
      const child = b.children[0]!;
      const r = interpret(child, ctx);
      if (r.readable && r.interpretation.kind === 'basket') return { readable: true, interpretation: { ...r.interpretation, dataBranch: child } };
    }
    if (b.baskets.length === 0) {
      return no(b.children.length > 0 ? 'no values: split object; its members are separate branches' : 'no values: the branch has no baskets');
    }
    if (node.kind === 'vector') {
      const content = contentFor(node);
      if (typeof content === 'string') return no(content);
      return basket(shared(`stl:${node.name}`, () => new StlObjectDecoder(node, content, node.name)));
    }
    if (node.kind === 'datavector') {
      const element = /^DataVector<(.*)>$/.exec(node.name)?.[1] ?? '';
      const members = flatMembers(element, ctx.streamers);
      if (typeof members === 'string') return no(`DataVector elements: ${members}`);
      return basket(new DataVectorDecoder(members, members.length ? `${el.className} (members ${members.map((m) => m.name).join(', ')})` : `${el.className} (element count)`));
    }
    if (node.kind === 'prim') return basket(shared(`fixed:${node.prim}:1`, () => new FixedDecoder(node.prim, 1, node.name)));
    if (node.kind === 'string') return basket(shared('leafc', () => new LeafStringDecoder()));
    const compiler = compilerFor(ctx.streamers);
    const info = ctx.streamers.find(el.className, el.classVersion, el.checksum);
    if (info && info.elements.length === 1 && info.elements[0]!.name === 'This' && info.elements[0]!.kind === 'TStreamerSTL') {
      // A collection class (DataVector-like) whose element class the name does not give: the
      // element count, with a check that no element members follow.
      return basket(new DataVectorDecoder([], `${el.className} (element count)`));
    }
    // A top-level object: its members streamed one after the other, without a record of its own.
    const layout = compiler.layout(el.className, el.classVersion, el.checksum);
    if (typeof layout === 'string') return no(layout);
    return basket(new ContentDecoder(bodyContent(layout), `object ${el.className}`));
  },
});

/** The persistent basic members of a class and its bases, in streaming order, or why not. */
function flatMembers(className: string, streamers: StreamerSet, depth = 0): { name: string; prim: Prim }[] | string {
  const info = streamers.find(className);
  if (!info) return `no StreamerInfo for ${className}`;
  if (depth > 20) return `class hierarchy of ${className} too deep`;
  const out: { name: string; prim: Prim }[] = [];
  for (const e of info.elements) {
    if (e.kind === 'TStreamerBase') {
      if (e.name === 'SG::IAuxElement' || e.name === 'TObject') continue;
      const base = flatMembers(e.name, streamers, depth + 1);
      if (typeof base === 'string') return base;
      out.push(...base);
      continue;
    }
    const prim = STREAMER_PRIMS[e.type];
    if (!prim) return `member ${e.name} of ${className} (${e.typeName}) needs the StreamerInfo object decoder`;
    out.push({ name: e.name, prim });
  }
  return out;
}

export { COUNT_DECODER, primOf };
