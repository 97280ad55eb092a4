/**
 * RNTuple fields -> read plans and Arrow types, matching what the TTree reader gives for the same
 * C++ type: scalars their primitive, `std::vector<T>` (and sets, RVec) List<T>, nested vectors
 * nested lists, `std::string` Utf8, `std::array<T,N>` FixedSizeList, classes a Struct of their
 * members with base classes flattened in (so an ElementLink is Struct<m_persKey, m_persIndex>),
 * pairs Struct<first, second>, maps List<Struct<key, value>>, a collection of objects without
 * values of their own (`DataVector<X>`) its element count (Uint32), as the TTree reader gives the
 * DataVector interface branches; ROOT-streamed fields (structural role 4) decoded from the file's
 * StreamerInfo into the Struct the TTree reader gives the same class. A field that cannot be
 * read gets a reason instead (no columns anywhere, variants, unsupported column types).
 * Rules are tried in order (a registry, not a switch); never any I/O here.
 */
import { Field, FixedSizeList, Struct, Uint32, Utf8, type DataType } from 'apache-arrow';
import { arrowTypeOf, heapAlloc, listTypeOf, type Prim } from '../interpret/builders.ts';
import type { Content } from '../interpret/decoders.ts';
import { compilerFor } from '../interpret/streamed.ts';
import { primOf } from '../interpret/typename.ts';
import { bitsAllowed, columnType, UNSUPPORTED_COLUMN_TYPES } from './columns.ts';
import type { RNTuple } from './descriptor.ts';
import { ROLE, type ColumnRecord, type FieldRecord } from './schema.ts';

/** One column of a field, with its alternative representations (one per representation index). */
export type ColumnRef = ColumnRecord[];

export type Plan =
  | { kind: 'prim'; prim: Prim; column: ColumnRef; type: DataType }
  | { kind: 'string'; index: ColumnRef; chars: ColumnRef; type: DataType }
  | { kind: 'list'; index: ColumnRef; child: Plan; type: DataType }
  | { kind: 'count'; prim: 'u32' | 'u64'; index: ColumnRef; type: DataType }
  | { kind: 'struct'; names: string[]; children: Plan[]; type: DataType }
  | { kind: 'fixed'; size: number; child: Plan; type: DataType }
  | { kind: 'streamed'; className: string; index: ColumnRef; bytes: ColumnRef; content: Content; type: DataType };

export type FieldResolution = { readable: true; plan: Plan } | { readable: false; reason: string };

export interface FieldRule {
  name: string;
  resolve(field: FieldRecord, nt: RNTuple, recurse: (f: FieldRecord) => FieldResolution): FieldResolution | undefined;
}

const rules: FieldRule[] = [];

export function registerFieldRule(rule: FieldRule, position: 'first' | 'last' = 'last'): void {
  if (position === 'first') rules.unshift(rule);
  else rules.push(rule);
}

export function resolveField(field: FieldRecord, nt: RNTuple): FieldResolution {
  const recurse = (f: FieldRecord): FieldResolution => resolveField(f, nt);
  for (const rule of rules) {
    const r = rule.resolve(field, nt, recurse);
    if (r) return r;
  }
  return { readable: false, reason: `no interpretation for field of type ${field.typeName} (structural role ${field.role})` };
}

const refCache = new WeakMap<FieldRecord, ColumnRef[] | string>();

/** The field's physical columns grouped as column refs: column k of every representation. */
function columnRefs(field: FieldRecord, nt: RNTuple): ColumnRef[] | string {
  let r = refCache.get(field);
  if (r === undefined) {
    r = groupColumns(field, nt);
    refCache.set(field, r);
  }
  return r;
}

function groupColumns(field: FieldRecord, nt: RNTuple): ColumnRef[] | string {
  const all = nt.columnsOf.get(field.id) ?? [];
  const reps = new Map<number, ColumnRecord[]>();
  for (const c of all) reps.set(c.representation, [...(reps.get(c.representation) ?? []), c]);
  const lists = [...reps.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  if (lists.length === 0) return [];
  const n = lists[0]!.length;
  if (lists.some((l) => l.length !== n)) return `field ${field.name} has column representations with different numbers of columns`;
  for (const c of all) {
    const unsupported = UNSUPPORTED_COLUMN_TYPES[c.type];
    if (unsupported) return unsupported;
    const type = columnType(c.type);
    if (!type) return `unknown column type 0x${c.type.toString(16)} (column ${c.id})`;
    if (!bitsAllowed(type, c.bitsOnStorage)) return `${type.name} column ${c.id} with ${c.bitsOnStorage} bits on storage`;
    if (type.prim === 'f64' && c.type === 0x1d && !c.range) return `Real32Quant column ${c.id} without a value range`;
  }
  return Array.from({ length: n }, (_, k) => lists.map((l) => l[k]!));
}

const isIndex = (ref: ColumnRef): boolean => columnType(ref[0]!.type)!.prim === 'index';
const childrenOf = (f: FieldRecord, nt: RNTuple): FieldRecord[] => nt.children.get(f.id) ?? [];

function normalizedPrim(typeName: string): Prim | undefined {
  if (typeName === 'std::byte') return 'u8';
  return primOf(typeName.replace(/^std::/, ''));
}

/** Fields with unreadable columns or structural roles this reader does not handle. */
registerFieldRule({
  name: 'columns-and-roles',
  resolve(field, nt) {
    const refs = columnRefs(field, nt);
    if (typeof refs === 'string') return { readable: false, reason: refs };
    if (field.role === ROLE.variant) return { readable: false, reason: `std::variant fields (${field.typeName}) are not decoded` };
    return undefined;
  },
});

/** ROOT-streamed objects (an index and a byte column): each entry one object with its record header. */
registerFieldRule({
  name: 'streamer',
  resolve(field, nt) {
    if (field.role !== ROLE.streamer) return undefined;
    const refs = columnRefs(field, nt) as ColumnRef[];
    if (refs.length !== 2 || !isIndex(refs[0]!) || columnType(refs[1]![0]!.type)!.prim !== 'u8') {
      return { readable: false, reason: `streamed field ${field.typeName} without index and byte columns` };
    }
    if (!nt.streamers) return { readable: false, reason: `streamed field ${field.typeName}: the file has no StreamerInfo` };
    const content = compilerFor(nt.streamers).objectContent(field.typeName);
    if (typeof content === 'string') return { readable: false, reason: `streamed field ${field.typeName}: ${content}` };
    const type = content.newBuilder(64, heapAlloc).type;
    return { readable: true, plan: { kind: 'streamed', className: field.typeName, index: refs[0]!, bytes: refs[1]!, content, type } };
  },
});

/** std::string: an index column and a char column. */
registerFieldRule({
  name: 'string',
  resolve(field, nt) {
    if (field.typeName !== 'std::string') return undefined;
    const refs = columnRefs(field, nt) as ColumnRef[];
    if (refs.length !== 2 || !isIndex(refs[0]!)) return { readable: false, reason: `std::string field without index and char columns` };
    return { readable: true, plan: { kind: 'string', index: refs[0]!, chars: refs[1]!, type: new Utf8() } };
  },
});

/** Fixed-size arrays (repetitive fields): FixedSizeList of the item. */
registerFieldRule({
  name: 'array',
  resolve(field, nt, recurse) {
    if (field.arraySize === undefined) return undefined;
    const [item] = childrenOf(field, nt);
    if (!item) return { readable: false, reason: `fixed-size array ${field.typeName} without an item field` };
    const r = recurse(item);
    if (!r.readable) return r;
    const type = new FixedSizeList(field.arraySize, new Field('item', r.plan.type, false));
    return { readable: true, plan: { kind: 'fixed', size: field.arraySize, child: r.plan, type } };
  },
});

/** ROOT::RNTupleCardinality<SizeT>: a projected field over a collection's index column, read as sizes. */
registerFieldRule({
  name: 'cardinality',
  resolve(field, nt) {
    const m = /^ROOT::RNTupleCardinality<std::uint(32|64)_t>$/.exec(field.typeName);
    if (!m) return undefined;
    const refs = columnRefs(field, nt) as ColumnRef[];
    if (refs.length !== 1 || !isIndex(refs[0]!)) return { readable: false, reason: `${field.typeName} without one index column` };
    const prim = m[1] === '32' ? 'u32' : 'u64';
    return { readable: true, plan: { kind: 'count', prim, index: refs[0]!, type: arrowTypeOf(prim) } };
  },
});

/** Scalars: one column, the field's own primitive type. */
registerFieldRule({
  name: 'scalar',
  resolve(field, nt) {
    if (field.role !== ROLE.leaf) return undefined;
    const prim = normalizedPrim(field.typeName);
    if (!prim) return undefined;
    const refs = columnRefs(field, nt) as ColumnRef[];
    if (refs.length !== 1) return { readable: false, reason: `${field.typeName} field with ${refs.length} columns` };
    if (isIndex(refs[0]!)) return { readable: false, reason: `${field.typeName} field stored in an index column` };
    return { readable: true, plan: { kind: 'prim', prim, column: refs[0]!, type: arrowTypeOf(prim) } };
  },
});

/** Leaf fields without columns and one sub-field (enums, std::atomic): the sub-field's values. */
registerFieldRule({
  name: 'wrapper',
  resolve(field, nt, recurse) {
    if (field.role !== ROLE.leaf || (nt.columnsOf.get(field.id) ?? []).length) return undefined;
    const sub = childrenOf(field, nt);
    return sub.length === 1 ? recurse(sub[0]!) : undefined;
  },
});

/**
 * Collections (vectors, sets, RVec, maps, optional, DataVector): List of the item, or the element
 * count when the items hold no values.
 */
registerFieldRule({
  name: 'collection',
  resolve(field, nt, recurse) {
    if (field.role !== ROLE.collection) return undefined;
    const refs = columnRefs(field, nt) as ColumnRef[];
    if (refs.length !== 1 || !isIndex(refs[0]!)) return { readable: false, reason: `collection ${field.typeName} without one index column` };
    const [item] = childrenOf(field, nt);
    if (!item) return { readable: false, reason: `collection ${field.typeName} without an item field` };
    let r = recurse(item);
    // A collection of objects whose members are stored elsewhere (DataVector<X>, the MissingET
    // container): its element count per entry, as the TTree reader gives these interface branches.
    if (!r.readable && r.reason.startsWith('no values: ')) return { readable: true, plan: { kind: 'count', prim: 'u32', index: refs[0]!, type: new Uint32() } };
    if (!r.readable) return r;
    // Maps hold pairs: the TTree reader names their members key and value.
    if (/^std::(unordered_)?(multi)?map</.test(field.typeName) && r.plan.kind === 'struct' && r.plan.names.length === 2) {
      r = { readable: true, plan: structPlan(['key', 'value'], r.plan.children) };
    }
    return { readable: true, plan: { kind: 'list', index: refs[0]!, child: r.plan, type: listTypeOf(r.plan.type) } };
  },
});

function structPlan(names: string[], children: Plan[]): Plan {
  const type = new Struct(names.map((n, i) => new Field(n, children[i]!.type, false)));
  return { kind: 'struct', names, children, type };
}

/**
 * Records (classes, pairs, tuples): a Struct of the members; base classes (`:_0`, `:_1`) are
 * flattened in, as the TTree reader flattens bases of streamed objects. A class without any
 * column (xAOD::AuxContainerBase) holds no values.
 */
registerFieldRule({
  name: 'record',
  resolve(field, nt, recurse) {
    if (field.role !== ROLE.record) return undefined;
    const names: string[] = [];
    const children: Plan[] = [];
    const isPair = /^std::pair</.test(field.typeName);
    for (const sub of childrenOf(field, nt)) {
      const r = recurse(sub);
      if (sub.name.startsWith(':')) {
        if (!r.readable) {
          if (r.reason.startsWith('no values: ')) continue; // an empty base class
          return r;
        }
        if (r.plan.kind !== 'struct') return { readable: false, reason: `base class ${sub.typeName} of ${field.typeName} is not a record` };
        names.push(...r.plan.names);
        children.push(...r.plan.children);
        continue;
      }
      if (!r.readable) {
        if (r.reason.startsWith('no values: ')) {
          // A member record without values stays as an empty struct, as in the TTree reader.
          names.push(sub.name);
          children.push(structPlan([], []));
          continue;
        }
        return { readable: false, reason: `member ${sub.name}: ${r.reason}` };
      }
      names.push(isPair ? (sub.name === '_0' ? 'first' : sub.name === '_1' ? 'second' : sub.name) : sub.name);
      children.push(r.plan);
    }
    if (children.length === 0 || !hasColumns(field, nt)) {
      return { readable: false, reason: `no values: ${field.typeName} has no columns (its members are stored as separate fields)` };
    }
    return { readable: true, plan: structPlan(names, children) };
  },
});

function hasColumns(field: FieldRecord, nt: RNTuple): boolean {
  if ((nt.columnsOf.get(field.id) ?? []).length) return true;
  return childrenOf(field, nt).some((c) => hasColumns(c, nt));
}
