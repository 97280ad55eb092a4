/**
 * RNTuple schema: field, column, alias-column and extra-type-info records, as found in the
 * header envelope and again (IDs continuing) in the footer's schema extension. Also the
 * column-type table of format 1.0 (name, bits on storage). Pure byte interpretation.
 */
import type { Cursor } from '../cursor.ts';
import { endFrame, readFrame, readString } from './envelope.ts';

export const ROLE = { leaf: 0, collection: 1, record: 2, variant: 3, streamer: 4 } as const;
const FIELD_FLAG = { repetitive: 0x01, projected: 0x02, checksum: 0x04 } as const;
const COLUMN_FLAG = { deferred: 0x01, range: 0x02 } as const;

export interface FieldRecord {
  id: number;
  fieldVersion: number;
  typeVersion: number;
  parentId: number;
  role: number;
  flags: number;
  name: string;
  typeName: string;
  typeAlias: string;
  description: string;
  /** Fixed-size array length (repetitive fields). */
  arraySize?: number;
  /** The field this one projects (alias columns). */
  sourceId?: number;
  /** True when the field came from the footer's schema extension. */
  extension: boolean;
}

export interface ColumnRecord {
  id: number;
  type: number;
  bitsOnStorage: number;
  fieldId: number;
  flags: number;
  representation: number;
  /** First element index of a deferred column (elements before it read as zeros); 0 otherwise. */
  firstElement: number;
  /** Deferred and suppressed (negative first element index in the record). */
  suppressedDeferred: boolean;
  range?: { min: number; max: number };
  extension: boolean;
}

export interface AliasColumn {
  physicalId: number;
  fieldId: number;
}

export interface Schema {
  fields: FieldRecord[];
  columns: ColumnRecord[];
  aliases: AliasColumn[];
  /** Serialized StreamerInfo (content id 0) of streamer fields, when the writer stored it. */
  streamerInfo: Uint8Array[];
}

export function emptySchema(): Schema {
  return { fields: [], columns: [], aliases: [], streamerInfo: [] };
}

/** Read the four list frames of a schema description and append them to `schema`. */
export function readSchemaDescription(c: Cursor, schema: Schema, extension: boolean): void {
  const fieldList = readFrame(c, 'list');
  for (let i = 0; i < fieldList.count; i++) schema.fields.push(readField(c, schema.fields.length, extension));
  endFrame(c, fieldList);
  const columnList = readFrame(c, 'list');
  for (let i = 0; i < columnList.count; i++) schema.columns.push(readColumn(c, schema.columns.length, extension));
  endFrame(c, columnList);
  const aliasList = readFrame(c, 'list');
  for (let i = 0; i < aliasList.count; i++) {
    const f = readFrame(c, 'record');
    schema.aliases.push({ physicalId: c.u32le(), fieldId: c.u32le() });
    endFrame(c, f);
  }
  endFrame(c, aliasList);
  const infoList = readFrame(c, 'list');
  for (let i = 0; i < infoList.count; i++) {
    const f = readFrame(c, 'record');
    const contentId = c.u32le();
    c.u32le(); // type version
    readString(c); // type name
    const content = readString(c);
    if (contentId === 0) schema.streamerInfo.push(Buffer.from(content, 'latin1'));
    endFrame(c, f);
  }
  endFrame(c, infoList);
}

function readField(c: Cursor, id: number, extension: boolean): FieldRecord {
  const f = readFrame(c, 'record');
  const fieldVersion = c.u32le();
  const typeVersion = c.u32le();
  const parentId = c.u32le();
  const role = c.u16le();
  const flags = c.u16le();
  const name = readString(c);
  const typeName = readString(c);
  const typeAlias = readString(c);
  const description = readString(c);
  const rec: FieldRecord = { id, fieldVersion, typeVersion, parentId, role, flags, name, typeName, typeAlias, description, extension };
  if (flags & FIELD_FLAG.repetitive) rec.arraySize = c.i64len();
  if (flags & FIELD_FLAG.projected) rec.sourceId = c.u32le();
  if (flags & FIELD_FLAG.checksum) c.u32le();
  endFrame(c, f);
  return rec;
}

function readColumn(c: Cursor, id: number, extension: boolean): ColumnRecord {
  const f = readFrame(c, 'record');
  const type = c.u16le();
  const bitsOnStorage = c.u16le();
  const fieldId = c.u32le();
  const flags = c.u16le();
  const representation = c.u16le();
  let firstElement = 0;
  let suppressedDeferred = false;
  if (flags & COLUMN_FLAG.deferred) {
    firstElement = c.i64len();
    if (firstElement < 0) {
      suppressedDeferred = true;
      firstElement = -firstElement;
    }
  }
  const rec: ColumnRecord = { id, type, bitsOnStorage, fieldId, flags, representation, firstElement, suppressedDeferred, extension };
  if (flags & COLUMN_FLAG.range) rec.range = { min: c.f64le(), max: c.f64le() };
  endFrame(c, f);
  return rec;
}
