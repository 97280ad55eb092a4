/**
 * The Parquet footer (FileMetaData), decoded lazily: the schema, row counts and key-value entries
 * are decoded at once; each row group's column chunks are only located (their byte position in the
 * footer) and decoded when a read asks for that column. Why: a PHYSLITE file's footer holds 1,159
 * column chunks per row group with statistics, ~4 MB for 10k events, and building all of it as
 * objects costs ~800 ms (hyparquet's parquetMetadata, measured) where a projected read needs a
 * dozen chunks. Key-value values stay bytes until asked for (`ARROW:schema` is ~390 kB); a
 * chunk's path_in_schema is not decoded (the schema's leaf order locates it).
 * The files of a dataset share their schema: the schema decoded last is kept with its bytes, and
 * a footer whose schema bytes are the same reuses it (the same SchemaElement array, read-only):
 * a PHYSLITE schema of ~3,600 elements is ~3 MB of objects per file otherwise, which outlive a
 * young-generation collection and cost the garbage collector more than their decoding.
 */
import { DeserializationError } from '../../errors.ts';
import { CompactCursor, TType } from './thrift.ts';

export const Repetition = { REQUIRED: 0, OPTIONAL: 1, REPEATED: 2 } as const;
export const PhysicalType = { BOOLEAN: 0, INT32: 1, INT64: 2, INT96: 3, FLOAT: 4, DOUBLE: 5, BYTE_ARRAY: 6, FIXED_LEN_BYTE_ARRAY: 7 } as const;
export const PHYSICAL_NAMES = ['BOOLEAN', 'INT32', 'INT64', 'INT96', 'FLOAT', 'DOUBLE', 'BYTE_ARRAY', 'FIXED_LEN_BYTE_ARRAY'];

/** The logical type union's member (field id of LogicalType) with the integer parameters. */
export interface LogicalType {
  id: number;
  bitWidth?: number;
  signed?: boolean;
}
/** LogicalType union field ids. */
export const Logical = { STRING: 1, MAP: 2, LIST: 3, ENUM: 4, DECIMAL: 5, DATE: 6, TIME: 7, TIMESTAMP: 8, INTEGER: 10, UNKNOWN: 11, JSON: 12, BSON: 13, UUID: 14, FLOAT16: 15 } as const;

export interface SchemaElement {
  name: string;
  type: number | undefined;
  typeLength: number | undefined;
  repetition: number;
  numChildren: number;
  convertedType: number | undefined;
  logical: LogicalType | undefined;
}

export interface RowGroupMeta {
  rows: number;
  /** Position in the footer of each column chunk, in schema leaf order. */
  chunkAt: Int32Array;
}

export interface ColumnChunkMeta {
  type: number;
  encodings: number[];
  codec: number;
  /** Level entries in the chunk (values, nulls and empty lists). */
  numValues: number;
  compressedSize: number;
  uncompressedSize: number;
  dataPageOffset: number;
  dictionaryPageOffset: number | undefined;
}

export interface FileMeta {
  rows: number;
  schema: SchemaElement[];
  rowGroups: RowGroupMeta[];
  keyValue: Map<string, Uint8Array>;
  /** The footer bytes the chunk positions point into. */
  footer: Uint8Array;
}

export function parseFileMeta(footer: Uint8Array): FileMeta {
  const c = new CompactCursor(footer);
  const meta: FileMeta = { rows: 0, schema: [], rowGroups: [], keyValue: new Map(), footer };
  let last = 0;
  for (;;) {
    c.fieldHeader(last);
    if (c.ty() === TType.STOP) break;
    last = c.id;
    if (c.id === 2 && c.ty() === TType.LIST) meta.schema = schemaList(c);
    else if (c.id === 3 && c.ty() === TType.I64) meta.rows = c.int();
    else if (c.id === 4 && c.ty() === TType.LIST) {
      const n = c.listHeader();
      for (let i = 0; i < n; i++) meta.rowGroups.push(rowGroup(c));
    } else if (c.id === 5 && c.ty() === TType.LIST) {
      const n = c.listHeader();
      for (let i = 0; i < n; i++) keyValue(c, meta.keyValue);
    } else c.skip(c.ty());
  }
  if (meta.schema.length === 0) c.fail('has no schema');
  return meta;
}

/** The schema decoded last and its bytes (see the module comment). */
let lastSchema: { bytes: Uint8Array; elements: SchemaElement[] } | null = null;

/** The schema list at the cursor (after its field header). */
function schemaList(c: CompactCursor): SchemaElement[] {
  const start = c.pos;
  c.skip(TType.LIST);
  const bytes = c.b.subarray(start, c.pos);
  const last = lastSchema;
  if (last && last.bytes.length === bytes.length && sameBytes(last.bytes, bytes)) return last.elements;
  c.pos = start;
  const n = c.listHeader();
  const elements: SchemaElement[] = [];
  for (let i = 0; i < n; i++) elements.push(schemaElement(c));
  // A copy: the footer it came from is not kept alive by the next file's reader.
  lastSchema = { bytes: bytes.slice(), elements };
  return elements;
}

/** a equals b (same lengths), by node's native compare (a schema is ~90 kB: a loop took ~0.1 ms). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function schemaElement(c: CompactCursor): SchemaElement {
  const e: SchemaElement = { name: '', type: undefined, typeLength: undefined, repetition: Repetition.REQUIRED, numChildren: 0, convertedType: undefined, logical: undefined };
  let last = 0;
  for (;;) {
    c.fieldHeader(last);
    if (c.ty() === TType.STOP) return e;
    last = c.id;
    switch (c.id) {
      case 1:
        e.type = c.int();
        break;
      case 2:
        e.typeLength = c.int();
        break;
      case 3:
        e.repetition = c.int();
        break;
      case 4:
        e.name = c.string();
        break;
      case 5:
        e.numChildren = c.int();
        break;
      case 6:
        e.convertedType = c.int();
        break;
      case 10:
        if (c.ty() === TType.STRUCT) e.logical = logicalType(c);
        else c.skip(c.ty());
        break;
      default:
        c.skip(c.ty());
    }
  }
}

function logicalType(c: CompactCursor): LogicalType | undefined {
  let out: LogicalType | undefined;
  let last = 0;
  for (;;) {
    c.fieldHeader(last);
    if (c.ty() === TType.STOP) return out;
    last = c.id;
    const id = c.id;
    if (id === Logical.INTEGER && c.ty() === TType.STRUCT) {
      out = { id };
      let l = 0;
      for (;;) {
        c.fieldHeader(l);
        if (c.ty() === TType.STOP) break;
        l = c.id;
        if (c.id === 1 && c.ty() === TType.BYTE) out.bitWidth = c.byte() << 24 >> 24;
        else if (c.id === 2 && (c.ty() === TType.TRUE || c.ty() === TType.FALSE)) out.signed = c.bool();
        else c.skip(c.ty());
      }
    } else {
      out = { id };
      c.skip(c.ty());
    }
  }
}

function rowGroup(c: CompactCursor): RowGroupMeta {
  const g: RowGroupMeta = { rows: 0, chunkAt: new Int32Array(0) };
  let last = 0;
  for (;;) {
    c.fieldHeader(last);
    if (c.ty() === TType.STOP) return g;
    last = c.id;
    if (c.id === 1 && c.ty() === TType.LIST) {
      const n = c.listHeader();
      if (c.ty() !== TType.STRUCT && n > 0) c.fail('has a row group whose columns are not structs');
      g.chunkAt = new Int32Array(n);
      c.skipStructs(g.chunkAt);
    } else if (c.id === 3 && c.ty() === TType.I64) g.rows = c.int();
    else c.skip(c.ty());
  }
}

function keyValue(c: CompactCursor, into: Map<string, Uint8Array>): void {
  let key = '';
  let value: Uint8Array = new Uint8Array(0);
  let last = 0;
  for (;;) {
    c.fieldHeader(last);
    if (c.ty() === TType.STOP) break;
    last = c.id;
    if (c.id === 1 && c.ty() === TType.BINARY) key = c.string();
    else if (c.id === 2 && c.ty() === TType.BINARY) value = c.binary();
    else c.skip(c.ty());
  }
  into.set(key, value);
}

/** The ColumnMetaData of the chunk at `at` in the footer. */
export function columnChunkMeta(footer: Uint8Array, at: number): ColumnChunkMeta {
  return columnMeta(metaCursor(footer, at));
}

/** The chunk's path_in_schema, joined with '.'. */
export function columnChunkPath(footer: Uint8Array, at: number): string {
  const c = metaCursor(footer, at);
  let last = 0;
  for (;;) {
    c.fieldHeader(last);
    if (c.ty() === TType.STOP) throw new DeserializationError('a column chunk has no path_in_schema', { offset: at });
    last = c.id;
    if (c.id === 3 && c.ty() === TType.LIST) {
      const n = c.listHeader();
      const parts: string[] = [];
      for (let i = 0; i < n; i++) parts.push(c.string());
      return parts.join('.');
    }
    c.skip(c.ty());
  }
}

/** A cursor at the start of the ColumnMetaData (field 3) of the ColumnChunk at `at`. */
function metaCursor(footer: Uint8Array, at: number): CompactCursor {
  const c = new CompactCursor(footer, at);
  let last = 0;
  for (;;) {
    c.fieldHeader(last);
    if (c.ty() === TType.STOP) break;
    last = c.id;
    if (c.id === 1 && c.ty() === TType.BINARY) {
      throw new DeserializationError('a column chunk stored in another file (file_path) is not supported', { offset: at });
    }
    if (c.id === 3 && c.ty() === TType.STRUCT) return c;
    c.skip(c.ty());
  }
  throw new DeserializationError('a column chunk has no metadata', { offset: at });
}

function columnMeta(c: CompactCursor): ColumnChunkMeta {
  const m: ColumnChunkMeta = {
    type: -1,
    encodings: [],
    codec: 0,
    numValues: 0,
    compressedSize: 0,
    uncompressedSize: 0,
    dataPageOffset: -1,
    dictionaryPageOffset: undefined,
  };
  let last = 0;
  for (;;) {
    c.fieldHeader(last);
    if (c.ty() === TType.STOP) return m;
    last = c.id;
    switch (c.id) {
      case 1:
        m.type = c.int();
        break;
      case 2: {
        const n = c.listHeader();
        for (let i = 0; i < n; i++) m.encodings.push(c.int());
        break;
      }
      case 4:
        m.codec = c.int();
        break;
      case 5:
        m.numValues = c.int();
        break;
      case 6:
        m.uncompressedSize = c.int();
        break;
      case 7:
        m.compressedSize = c.int();
        break;
      case 9:
        m.dataPageOffset = c.int();
        break;
      case 11:
        m.dictionaryPageOffset = c.int();
        break;
      default:
        c.skip(c.ty());
    }
  }
}

/** Byte range of a column chunk's pages (dictionary page first when there is one). */
export function chunkRange(m: ColumnChunkMeta): { offset: number; length: number } {
  // Some writers put 0 in dictionary_page_offset when there is none: it only counts before the data pages.
  const d = m.dictionaryPageOffset;
  const offset = d !== undefined && d > 0 && d < m.dataPageOffset ? d : m.dataPageOffset;
  return { offset, length: m.compressedSize };
}
