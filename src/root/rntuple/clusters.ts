/**
 * RNTuple footer and page lists: the schema extension, cluster groups, cluster summaries and,
 * per cluster and column, the pages (element counts, locators, checksum flag), the column's
 * element offset in the cluster and its compression setting. Pure byte interpretation.
 */
import type { Cursor } from '../cursor.ts';
import { endFrame, readEnvelopeLink, readFeatureFlags, readFrame, readLocator, type EnvelopeLink, type Locator } from './envelope.ts';
import { readSchemaDescription, type Schema } from './schema.ts';

export interface ClusterGroup {
  minEntry: number;
  entrySpan: number;
  clusters: number;
  pageList: EnvelopeLink;
}

export interface PageInfo {
  elements: number;
  checksum: boolean;
  locator: Locator;
}

export interface ColumnInCluster {
  /** Index (in the column) of the first element stored in this cluster; -1 when suppressed. */
  elementOffset: number;
  suppressed: boolean;
  compression: number;
  pages: PageInfo[];
}

export interface Cluster {
  firstEntry: number;
  entries: number;
  /** Per physical column id. */
  columns: ColumnInCluster[];
}

/** Footer: feature flags, header checksum, schema extension (appended to `schema`), cluster groups. */
export function readFooter(c: Cursor, schema: Schema): { headerChecksum: bigint; groups: ClusterGroup[] } {
  readFeatureFlags(c);
  const headerChecksum = c.u64le();
  const ext = readFrame(c, 'record');
  if (c.pos < ext.end) readSchemaDescription(c, schema, true);
  endFrame(c, ext);
  const list = readFrame(c, 'list');
  const groups: ClusterGroup[] = [];
  for (let i = 0; i < list.count; i++) {
    const f = readFrame(c, 'record');
    const minEntry = c.i64len();
    const entrySpan = c.i64len();
    const clusters = c.u32le();
    groups.push({ minEntry, entrySpan, clusters, pageList: readEnvelopeLink(c) });
    endFrame(c, f);
  }
  endFrame(c, list);
  return { headerChecksum, groups };
}

/** One page list envelope: its clusters with their page locations. */
export function readPageList(c: Cursor): { headerChecksum: bigint; clusters: Cluster[] } {
  const headerChecksum = c.u64le();
  const summaries = readFrame(c, 'list');
  const clusters: Cluster[] = [];
  for (let i = 0; i < summaries.count; i++) {
    const f = readFrame(c, 'record');
    const at = c.pos;
    const firstEntry = c.i64len();
    const word = c.u64le();
    const flags = Number(word >> 56n);
    if (flags & 0x01) c.fail('sharded clusters (cluster flag 0x01) are not supported', at);
    clusters.push({ firstEntry, entries: Number(word & 0xffffffffffffffn), columns: [] });
    endFrame(c, f);
  }
  endFrame(c, summaries);
  const top = readFrame(c, 'list');
  if (top.count !== clusters.length) c.fail(`page list has ${top.count} clusters of pages for ${clusters.length} cluster summaries`);
  for (const cluster of clusters) {
    const columns = readFrame(c, 'list');
    for (let k = 0; k < columns.count; k++) {
      const pagesFrame = readFrame(c, 'list');
      const pages: PageInfo[] = [];
      for (let p = 0; p < pagesFrame.count; p++) {
        const n = c.i32le();
        pages.push({ elements: Math.abs(n), checksum: n < 0, locator: readLocator(c) });
      }
      // Suppressed columns carry a negative offset (ROOT writes INT64_MIN): test the sign first.
      const at = c.pos;
      const raw = c.u64le();
      const suppressed = raw >= 1n << 63n;
      if (!suppressed && raw > BigInt(Number.MAX_SAFE_INTEGER)) c.fail(`element offset ${raw} out of range`, at);
      const elementOffset = suppressed ? -1 : Number(raw);
      const compression = suppressed ? 0 : c.u32le();
      cluster.columns.push({ elementOffset, suppressed, compression, pages });
      endFrame(c, pagesFrame);
    }
    endFrame(c, columns);
  }
  endFrame(c, top);
  return { headerChecksum, clusters };
}
