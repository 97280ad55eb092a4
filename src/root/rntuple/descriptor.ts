/**
 * loadRNTuple: everything about one RNTuple but its pages: anchor, header (schema), footer
 * (schema extension, cluster groups) and every page list, checked against each other (the
 * footer and page lists must name the header by its checksum). Fields are indexed by parent,
 * columns by field.
 */
import { DeserializationError, UsageError, type ErrorContext } from '../../errors.ts';
import type { RootFile } from '../file.ts';
import { ANCHOR_CLASS, parseAnchor, type Anchor } from './anchor.ts';
import { readPageList, readFooter, type Cluster, type ClusterGroup } from './clusters.ts';
import { ENVELOPE, openEnvelope, readFeatureFlags, readString } from './envelope.ts';
import type { StreamerSet } from '../streamers.ts';
import { ROLE, emptySchema, readSchemaDescription, type ColumnRecord, type FieldRecord, type Schema } from './schema.ts';
import { xxh3Ready } from './xxh3.ts';

export interface RNTuple {
  name: string;
  cycle: number;
  anchor: Anchor;
  description: string;
  writer: string;
  schema: Schema;
  groups: ClusterGroup[];
  clusters: Cluster[];
  entries: number;
  /** Top-level fields in schema order (header fields, then extension fields). */
  topLevel: FieldRecord[];
  children: Map<number, FieldRecord[]>;
  /** Physical columns of each field, by representation index then column order. */
  columnsOf: Map<number, ColumnRecord[]>;
  /** The file's StreamerInfo, loaded only when a field is ROOT-streamed (structural role 4). */
  streamers?: StreamerSet;
  context: ErrorContext;
}

export function isAnchorClass(className: string): boolean {
  return className === ANCHOR_CLASS;
}

export async function loadRNTuple(file: RootFile, name: string): Promise<RNTuple> {
  await xxh3Ready();
  const key = await file.findKey(name, isAnchorClass);
  const object = `${key.name};${key.cycle}`;
  const context: ErrorContext = { file: file.name, object };
  const anchor = parseAnchor(await file.readKeyPayload(key), context);
  for (const [what, seek, nbytes] of [
    ['header', anchor.seekHeader, anchor.nbytesHeader],
    ['footer', anchor.seekFooter, anchor.nbytesFooter],
  ] as const) {
    if (seek + nbytes > file.source.size) {
      throw new DeserializationError(`RNTuple ${what} envelope (${nbytes} bytes at ${seek}) lies beyond the end of the file (${file.source.size} bytes): truncated file`, context);
    }
  }
  const [headerRaw, footerRaw] = await Promise.all([
    file.source.read(anchor.seekHeader, anchor.nbytesHeader),
    file.source.read(anchor.seekFooter, anchor.nbytesFooter),
  ]);
  const header = await openEnvelope(headerRaw, { length: anchor.lenHeader, locator: { offset: anchor.seekHeader, size: anchor.nbytesHeader } }, ENVELOPE.header, context);
  const hc = header.cursor;
  readFeatureFlags(hc);
  readString(hc); // the RNTuple's name as written (the key may be renamed)
  const description = readString(hc);
  const writer = readString(hc);
  const schema = emptySchema();
  readSchemaDescription(hc, schema, false);

  const footer = await openEnvelope(footerRaw, { length: anchor.lenFooter, locator: { offset: anchor.seekFooter, size: anchor.nbytesFooter } }, ENVELOPE.footer, context);
  const { headerChecksum, groups } = readFooter(footer.cursor, schema);
  if (headerChecksum !== header.checksum) footer.cursor.fail('the footer belongs to another header (header checksum differs)', 8);

  const clusters: Cluster[] = [];
  for (const g of groups) {
    const loc = g.pageList.locator;
    if (loc.offset + loc.size > file.source.size) {
      throw new DeserializationError(`RNTuple page list (${loc.size} bytes at ${loc.offset}) lies beyond the end of the file: truncated file`, context);
    }
    const env = await openEnvelope(await file.source.read(loc.offset, loc.size), g.pageList, ENVELOPE.pageList, context);
    const list = readPageList(env.cursor);
    if (list.headerChecksum !== header.checksum) env.cursor.fail('a page list belongs to another header (header checksum differs)', 8);
    if (list.clusters.length !== g.clusters) env.cursor.fail(`page list holds ${list.clusters.length} clusters, its cluster group says ${g.clusters}`, 8);
    for (const cl of list.clusters) {
      if (cl.columns.length > schema.columns.length) env.cursor.fail(`a cluster lists ${cl.columns.length} columns, the schema has ${schema.columns.length}`);
    }
    clusters.push(...list.clusters);
  }
  clusters.sort((a, b) => a.firstEntry - b.firstEntry);
  let entries = 0;
  for (const cl of clusters) {
    if (cl.firstEntry !== entries) throw new DeserializationError(`RNTuple clusters are not contiguous: a cluster starts at entry ${cl.firstEntry}, expected ${entries}`, context);
    entries += cl.entries;
  }

  const children = new Map<number, FieldRecord[]>();
  const topLevel: FieldRecord[] = [];
  for (const f of schema.fields) {
    if (f.parentId === f.id) topLevel.push(f);
    else {
      if (!schema.fields[f.parentId]) throw new DeserializationError(`field ${f.name} has parent id ${f.parentId}, which does not exist`, context);
      children.set(f.parentId, [...(children.get(f.parentId) ?? []), f]);
    }
  }
  const columnsOf = new Map<number, ColumnRecord[]>();
  for (const c of schema.columns) {
    if (!schema.fields[c.fieldId]) throw new DeserializationError(`column ${c.id} belongs to field id ${c.fieldId}, which does not exist`, context);
    columnsOf.set(c.fieldId, [...(columnsOf.get(c.fieldId) ?? []), c]);
  }
  // Projected fields read the physical columns their alias columns point at.
  for (const a of schema.aliases) {
    const c = schema.columns[a.physicalId];
    if (!c || !schema.fields[a.fieldId]) throw new DeserializationError(`alias column for field id ${a.fieldId} points at column ${a.physicalId}, which does not exist`, context);
    columnsOf.set(a.fieldId, [...(columnsOf.get(a.fieldId) ?? []), c]);
  }
  const streamers = schema.fields.some((f) => f.role === ROLE.streamer) ? await file.streamers() : undefined;
  return { name: key.name, cycle: key.cycle, anchor, description, writer, schema, groups, clusters, entries, topLevel, children, columnsOf, streamers, context };
}
