/**
 * The Parquet schema as a tree of Arrow-shaped nodes (list, struct, leaf) with the definition and
 * repetition levels that locate each node in a leaf column's level stream, and the Arrow type each
 * leaf becomes. Arrow types come from the Parquet physical and logical (or converted) types, the
 * mapping arrow-rs applies when it writes: INT(8/16/32/64, signed or not), FLOAT, DOUBLE, BOOLEAN,
 * STRING/ENUM/JSON byte arrays as Utf8, other byte arrays as Binary, LIST groups (3-level, and the
 * legacy 2-level repeated field) as List, other groups as Struct.
 * Why not the `ARROW:schema` entry: decoding a 1,159-field schema with apache-arrow costs 30-70 ms
 * per file (measured), more than reading the projected columns; for the types physlite writes both
 * give the same Arrow types. Anything else (INT96, FIXED_LEN_BYTE_ARRAY, decimals, dates, times,
 * timestamps, maps) is reported as unsupported with the column's name.
 */
import {
  Binary,
  Bool,
  type DataType,
  Field,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  List,
  Struct,
  Uint8,
  Uint16,
  Uint32,
  Uint64,
  Utf8,
} from 'apache-arrow';
import { DeserializationError } from '../../errors.ts';
import { Logical, PHYSICAL_NAMES, PhysicalType, Repetition, type SchemaElement } from './metadata.ts';

/** How a leaf's physical values become its Arrow values. */
export type LeafKind = 'bool' | 'int8' | 'int16' | 'int32' | 'uint8' | 'uint16' | 'uint32' | 'int64' | 'uint64' | 'float32' | 'float64' | 'utf8' | 'binary';

interface NodeBase {
  name: string;
  /** Whether the Arrow field is nullable (the Parquet node is optional). */
  nullable: boolean;
  /** def >= defined: the node is present and not null (its slot exists when def >= the parent's slot level). */
  defined: number;
}
export interface LeafNode extends NodeBase {
  kind: 'leaf';
  physical: number;
  leaf: LeafKind;
  /** Index of the leaf column in schema order (the column chunk index in a row group). */
  column: number;
  maxDef: number;
  maxRep: number;
  /** Dotted Parquet path, as in error messages and path_in_schema. */
  path: string;
}
export interface ListNode extends NodeBase {
  kind: 'list';
  /** Repetition level of the list's elements. */
  rep: number;
  /** def >= element: the list has an element at this entry. */
  element: number;
  child: ArrowNode;
}
export interface StructNode extends NodeBase {
  kind: 'struct';
  children: ArrowNode[];
}
export type ArrowNode = LeafNode | ListNode | StructNode;

export interface UnsupportedNode {
  kind: 'unsupported';
  name: string;
  reason: string;
}

export interface FileSchema {
  /** Top-level fields by name; unsupported ones say why. */
  fields: Map<string, ArrowNode | UnsupportedNode>;
  leaves: number;
}

export function buildSchema(elements: SchemaElement[]): FileSchema {
  const root = elements[0]!;
  let at = 1;
  let column = 0;
  const fields = new Map<string, ArrowNode | UnsupportedNode>();

  interface Raw {
    e: SchemaElement;
    children: Raw[];
    firstColumn: number;
    columns: number;
  }
  const parse = (): Raw => {
    const e = elements[at++];
    if (!e) throw new DeserializationError('the Parquet schema ends early');
    const firstColumn = column;
    const children: Raw[] = [];
    if (e.numChildren === 0 && e.type === undefined) throw new DeserializationError(`schema element ${e.name} is neither a group nor a primitive`);
    if (e.type !== undefined && e.numChildren === 0) column++;
    for (let i = 0; i < e.numChildren; i++) children.push(parse());
    return { e, children, firstColumn, columns: column - firstColumn };
  };
  for (let i = 0; i < root.numChildren; i++) {
    const raw = parse();
    try {
      fields.set(raw.e.name, convert(raw, 0, 0, raw.e.name));
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      fields.set(raw.e.name, { kind: 'unsupported', name: raw.e.name, reason: err.message });
    }
  }
  return { fields, leaves: column };

  /** `def`/`rep`: the levels of the parent slot. */
  function convert(r: Raw, def: number, rep: number, path: string): ArrowNode {
    const e = r.e;
    const nullable = e.repetition === Repetition.OPTIONAL;
    if (e.repetition === Repetition.REPEATED) {
      // A repeated field outside a LIST group: a list of required elements.
      const elemDef = def + 1;
      const child = convertInner(r, elemDef, rep + 1, path, false);
      return { kind: 'list', name: e.name, nullable: false, defined: def, rep: rep + 1, element: elemDef, child };
    }
    const d = nullable ? def + 1 : def;
    return convertInner(r, d, rep, path, nullable);
  }

  /** The node `r` whose own optional/repeated level is already counted in `def`. */
  function convertInner(r: Raw, def: number, rep: number, path: string, nullable: boolean): ArrowNode {
    const e = r.e;
    if (e.numChildren === 0) return leafNode(e, r.firstColumn, def, rep, path, nullable);
    const isList = e.logical?.id === Logical.LIST || e.convertedType === 3;
    if (e.logical?.id === Logical.MAP || e.convertedType === 1 || e.convertedType === 2) throw new Unsupported(`${path} is a map`);
    if (isList) {
      const rep1 = r.children[0];
      if (r.children.length !== 1 || !rep1 || rep1.e.repetition !== Repetition.REPEATED) throw new Unsupported(`${path} is a LIST group of an unknown layout`);
      const elemDef = def + 1;
      let child: ArrowNode;
      // 3-level: repeated group with one child (the element); otherwise 2-level: the repeated field is the element.
      if (rep1.children.length === 1 && rep1.e.numChildren === 1 && rep1.e.name !== 'array' && rep1.e.name !== `${e.name}_tuple`) {
        child = convert(rep1.children[0]!, elemDef, rep + 1, `${path}.${rep1.e.name}.${rep1.children[0]!.e.name}`);
      } else {
        child = convertInner(rep1, elemDef, rep + 1, `${path}.${rep1.e.name}`, false);
      }
      return { kind: 'list', name: e.name, nullable, defined: def, rep: rep + 1, element: elemDef, child };
    }
    const children = r.children.map((c) => convert(c, def, rep, `${path}.${c.e.name}`));
    return { kind: 'struct', name: e.name, nullable, defined: def, children };
  }

  function leafNode(e: SchemaElement, col: number, def: number, rep: number, path: string, nullable: boolean): LeafNode {
    return { kind: 'leaf', name: e.name, nullable, defined: def, physical: e.type!, leaf: leafKind(e, path), column: col, maxDef: def, maxRep: rep, path };
  }
}

class Unsupported extends Error {}

function leafKind(e: SchemaElement, path: string): LeafKind {
  const l = e.logical;
  const ct = e.convertedType;
  const what = (): string => `${path} has Parquet type ${PHYSICAL_NAMES[e.type!] ?? e.type}${l ? ` (logical type ${l.id})` : ct !== undefined ? ` (converted type ${ct})` : ''}`;
  // Converted types INT_8..UINT_64 (11-18) in logical form.
  let width: number | undefined;
  let signed = true;
  if (l?.id === Logical.INTEGER) {
    width = l.bitWidth;
    signed = l.signed ?? true;
  } else if (l === undefined && ct !== undefined && ct >= 11 && ct <= 18) {
    width = [8, 16, 32, 64][(ct - 11) % 4];
    signed = ct >= 15;
  } else if (l !== undefined || (ct !== undefined && ct !== 0 && ct !== 4 && ct !== 19)) {
    if (!(e.type === PhysicalType.BYTE_ARRAY && (l?.id === Logical.STRING || l?.id === Logical.ENUM || l?.id === Logical.JSON))) throw new Unsupported(`unsupported type: ${what()}`);
  }
  switch (e.type) {
    case PhysicalType.BOOLEAN:
      return 'bool';
    case PhysicalType.INT32:
      if (width === undefined || width === 32) return signed ? 'int32' : 'uint32';
      if (width === 8) return signed ? 'int8' : 'uint8';
      if (width === 16) return signed ? 'int16' : 'uint16';
      break;
    case PhysicalType.INT64:
      if (width === undefined || width === 64) return signed ? 'int64' : 'uint64';
      break;
    case PhysicalType.FLOAT:
      return 'float32';
    case PhysicalType.DOUBLE:
      return 'float64';
    case PhysicalType.BYTE_ARRAY:
      return l?.id === Logical.STRING || l?.id === Logical.ENUM || l?.id === Logical.JSON || ct === 0 || ct === 4 || ct === 19 ? 'utf8' : 'binary';
  }
  throw new Unsupported(`unsupported type: ${what()}`);
}

const LEAF_TYPES: Record<LeafKind, () => DataType> = {
  bool: () => new Bool(),
  int8: () => new Int8(),
  int16: () => new Int16(),
  int32: () => new Int32(),
  uint8: () => new Uint8(),
  uint16: () => new Uint16(),
  uint32: () => new Uint32(),
  int64: () => new Int64(),
  uint64: () => new Uint64(),
  float32: () => new Float32(),
  float64: () => new Float64(),
  utf8: () => new Utf8(),
  binary: () => new Binary(),
};

/** The Arrow type of a node. */
export function arrowType(n: ArrowNode): DataType {
  if (n.kind === 'leaf') return LEAF_TYPES[n.leaf]();
  if (n.kind === 'list') return new List(new Field(n.child.name, arrowType(n.child), n.child.nullable));
  return new Struct(n.children.map((c) => new Field(c.name, arrowType(c), c.nullable)));
}

/** The leaves under a node, in column order. */
export function leavesOf(n: ArrowNode, out: LeafNode[] = []): LeafNode[] {
  if (n.kind === 'leaf') out.push(n);
  else if (n.kind === 'list') leavesOf(n.child, out);
  else for (const c of n.children) leavesOf(c, out);
  return out;
}
