/**
 * What a written Parquet file holds, read from its footer (FileMetaData) with the projected
 * reader's footer decoder (parquet/read/metadata.ts): the row count and, per leaf column (path
 * joined with '.'), the number of level entries over all row groups, each column chunk checked to
 * belong to its leaf. Column chunks are decoded one at a time and only for these two fields.
 * Only what verification and the manifest need is decoded, so a 2 GB input's ~50 MB footer
 * (hundreds of row groups times ~1,000 columns) costs no more memory than its bytes.
 */
import { open } from 'node:fs/promises';
import { InputError } from '../errors.ts';
import { columnChunkPath, columnChunkMeta, parseFileMeta, type SchemaElement } from './read/metadata.ts';

export interface FooterSummary {
  rows: number;
  /** Level entries (values plus empty and null entries) per leaf column path, summed over row groups. */
  columnValues: Map<string, number>;
  rowGroups: number;
}

const MAGIC = 0x31524150; // "PAR1", little-endian

/** The summary of the Parquet file at `path`; any failure is an InputError naming the file. */
export async function readFooterSummary(path: string): Promise<FooterSummary> {
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size < 12) throw new Error(`not a Parquet file: ${size} bytes`);
      const tail = Buffer.alloc(8);
      if ((await handle.read(tail, 0, 8, size - 8)).bytesRead !== 8) throw new Error('the file ended while its tail was read');
      const length = tail.readUInt32LE(0);
      if (tail.readUInt32LE(4) !== MAGIC) throw new Error('not a Parquet file: no PAR1 at the end');
      if (length > size - 12) throw new Error(`Parquet footer length ${length} exceeds the file (${size} bytes)`);
      const footer = Buffer.alloc(length);
      if ((await handle.read(footer, 0, length, size - 8 - length)).bytesRead !== length) throw new Error('the file ended while its footer was read');
      return parseFooter(footer);
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError((err as Error).message, { file: path, object: 'Parquet footer' }, { cause: err });
  }
}

/** The summary of a FileMetaData structure. */
export function parseFooter(bytes: Uint8Array): FooterSummary {
  const meta = parseFileMeta(bytes);
  const paths = leafPaths(meta.schema);
  const columnValues = new Map<string, number>();
  meta.rowGroups.forEach((g, r) => {
    if (g.chunkAt.length !== paths.length) throw new Error(`row group ${r} has ${g.chunkAt.length} column chunks for ${paths.length} leaf columns`);
    paths.forEach((path, i) => {
      const at = g.chunkAt[i]!;
      const named = columnChunkPath(bytes, at);
      if (named !== path) throw new Error(`row group ${r}: column chunk ${i} is ${named}, the schema's leaf ${path}`);
      columnValues.set(path, (columnValues.get(path) ?? 0) + columnChunkMeta(bytes, at).numValues);
    });
  });
  return { rows: meta.rows, columnValues, rowGroups: meta.rowGroups.length };
}

/** Leaf paths (names below the root joined with '.') in schema order: depth first. */
function leafPaths(schema: SchemaElement[]): string[] {
  const out: string[] = [];
  let at = 1;
  const walk = (prefix: string, children: number): void => {
    for (let k = 0; k < children; k++) {
      const e = schema[at++];
      if (!e) throw new Error('the schema ends before its last column');
      const path = prefix ? `${prefix}.${e.name}` : e.name;
      if (e.numChildren > 0) walk(path, e.numChildren);
      else out.push(path);
    }
  };
  walk('', schema[0]?.numChildren ?? 0);
  return out;
}
