/**
 * The Parquet schema of an Arrow schema, and one descriptor per leaf column: its path, physical
 * type, how its values are encoded, its maximum definition and repetition levels, and the chain of
 * Arrow nodes from the top-level column to the leaf (what level computation walks).
 * Mapping (what arrow-rs writes for the same Arrow types, so readers restore the same types):
 *   Int8/16 -> INT32 INT(8|16, signed); Uint8/16/32 -> INT32 INT(8|16|32, unsigned);
 *   Int32/Int64 -> INT32/INT64 (no annotation); Uint64 -> INT64 INT(64, unsigned);
 *   Float32/64 -> FLOAT/DOUBLE; Bool -> BOOLEAN; Utf8 -> BYTE_ARRAY STRING;
 *   List / FixedSizeList -> three-level LIST (`<name>` LIST { repeated `list` { `<child name>` } });
 *   Struct -> group. A nullable Arrow field is OPTIONAL, any other REQUIRED.
 * Unsupported types are an error naming the field, never a silent drop.
 */
import { DataType, type Field, type FixedSizeList, type Int, type Schema, type Struct, Type } from 'apache-arrow';
import { CompactWriter, CT } from './thrift.ts';
import { ConvertedType, Encoding, Logical, PhysicalType, Repetition } from './format.ts';

export type ValueKind = 'bool' | 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'i64' | 'u64' | 'f32' | 'f64' | 'utf8';

/** One step from a node's Arrow data to the next: into a struct's child, or into a list's items. */
export type Step = { kind: 'struct'; nullable: boolean; child: number } | { kind: 'list'; nullable: boolean } | { kind: 'fixed'; nullable: boolean; size: number } | { kind: 'leaf'; nullable: boolean };

export interface LeafColumn {
  /** path_in_schema: the names from the top-level field down, `list` and the item name included. */
  path: string[];
  /** Index of the top-level field in the schema. */
  column: number;
  steps: Step[];
  maxDef: number;
  maxRep: number;
  kind: ValueKind;
  physical: number;
  encoding: number;
  /** The path as a serialized Thrift list<string>, written into every column chunk's metadata. */
  pathBytes: Uint8Array;
}

export interface WriterSchema {
  leaves: LeafColumn[];
  /** The SchemaElement list, serialized once (written into the footer as it is). */
  elements: Uint8Array;
  elementCount: number;
}

interface Primitive {
  kind: ValueKind;
  physical: number;
  converted?: number;
  /** INTEGER logical type: [bitWidth, signed]. */
  integer?: [number, boolean];
  string?: boolean;
}

function primitive(t: DataType, where: string): Primitive {
  switch (t.typeId) {
    case Type.Bool:
      return { kind: 'bool', physical: PhysicalType.BOOLEAN };
    case Type.Int: {
      const { bitWidth, isSigned } = t as Int;
      const kind = `${isSigned ? 'i' : 'u'}${bitWidth}` as ValueKind;
      const physical = bitWidth === 64 ? PhysicalType.INT64 : PhysicalType.INT32;
      // Signed 32/64-bit integers are the physical types' own meaning: no annotation, as arrow-rs.
      if (isSigned && bitWidth >= 32) return { kind, physical };
      const converted = isSigned ? { 8: ConvertedType.INT_8, 16: ConvertedType.INT_16 }[bitWidth as 8 | 16] : { 8: ConvertedType.UINT_8, 16: ConvertedType.UINT_16, 32: ConvertedType.UINT_32, 64: ConvertedType.UINT_64 }[bitWidth as 8 | 16 | 32 | 64];
      return { kind, physical, converted, integer: [bitWidth, isSigned] };
    }
    case Type.Float:
      if (DataType.isFloat(t) && (t as { precision: number }).precision === 1) return { kind: 'f32', physical: PhysicalType.FLOAT };
      if (DataType.isFloat(t) && (t as { precision: number }).precision === 2) return { kind: 'f64', physical: PhysicalType.DOUBLE };
      break;
    case Type.Utf8:
      return { kind: 'utf8', physical: PhysicalType.BYTE_ARRAY, converted: ConvertedType.UTF8, string: true };
  }
  throw new Error(`Parquet writer: column ${where} has Arrow type ${t}, which it cannot write`);
}

export interface SchemaOptions {
  /** BYTE_STREAM_SPLIT for float and double columns (else PLAIN). */
  byteStreamSplit: boolean;
}

export function writerSchema(schema: Schema, o: SchemaOptions): WriterSchema {
  const w = new CompactWriter(4096);
  const leaves: LeafColumn[] = [];
  let count = 1;
  // The root: a group named as arrow-rs names it, without repetition.
  w.structBegin();
  w.str(4, 'arrow_schema');
  w.i32(5, schema.fields.length);
  w.structEnd();

  const element = (name: string, repetition: number, p: { physical?: number; children?: number; converted?: number; logical?: number; integer?: [number, boolean] }): void => {
    count++;
    w.structBegin();
    if (p.physical !== undefined) w.i32(1, p.physical);
    w.i32(3, repetition);
    w.str(4, name);
    if (p.children !== undefined) w.i32(5, p.children);
    if (p.converted !== undefined) w.i32(6, p.converted);
    if (p.logical !== undefined) {
      w.struct(10, () => {
        if (p.logical === Logical.INTEGER) {
          w.struct(Logical.INTEGER, () => {
            w.i8(1, p.integer![0]);
            w.bool(2, p.integer![1]);
          });
        } else w.struct(p.logical!, () => undefined);
      });
    }
    w.structEnd();
  };

  const visit = (field: Field, column: number, path: string[], steps: Step[], def: number, rep: number, repetition: number): void => {
    const t = field.type;
    const nullable = field.nullable;
    const d = def + (repetition === Repetition.OPTIONAL ? 1 : 0);
    const where = path.join('.');
    if (DataType.isStruct(t)) {
      const children = (t as Struct).children;
      if (children.length === 0) throw new Error(`Parquet writer: column ${where} is a struct without fields`);
      element(field.name, repetition, { children: children.length });
      children.forEach((c, i) => visit(c, column, [...path, c.name], [...steps, { kind: 'struct', nullable, child: i }], d, rep, c.nullable ? Repetition.OPTIONAL : Repetition.REQUIRED));
      return;
    }
    if (DataType.isList(t) || DataType.isFixedSizeList(t)) {
      const item = t.children[0]!;
      element(field.name, repetition, { children: 1, converted: ConvertedType.LIST, logical: Logical.LIST });
      element('list', Repetition.REPEATED, { children: 1 });
      const step: Step = DataType.isList(t) ? { kind: 'list', nullable } : { kind: 'fixed', nullable, size: (t as FixedSizeList).listSize };
      visit(item, column, [...path, 'list', item.name], [...steps, step], d + 1, rep + 1, item.nullable ? Repetition.OPTIONAL : Repetition.REQUIRED);
      return;
    }
    const p = primitive(t, where);
    element(field.name, repetition, { physical: p.physical, converted: p.converted, logical: p.integer ? Logical.INTEGER : p.string ? Logical.STRING : undefined, integer: p.integer });
    const floating = p.kind === 'f32' || p.kind === 'f64';
    const pathWriter = new CompactWriter(64);
    pathWriter.listHeader(path.length, CT.BINARY);
    for (const s of path) pathWriter.string(s);
    leaves.push({
      path,
      column,
      steps: [...steps, { kind: 'leaf', nullable }],
      maxDef: d,
      maxRep: rep,
      kind: p.kind,
      physical: p.physical,
      encoding: floating && o.byteStreamSplit ? Encoding.BYTE_STREAM_SPLIT : Encoding.PLAIN,
      pathBytes: pathWriter.copy(),
    });
  };
  schema.fields.forEach((f, i) => visit(f, i, [f.name], [], 0, 0, f.nullable ? Repetition.OPTIONAL : Repetition.REQUIRED));
  return { leaves, elements: w.copy(), elementCount: count };
}
