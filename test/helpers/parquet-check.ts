/**
 * Reading converted Parquet back independently of the writer: DuckDB's values as plain JS, the
 * file's key-value metadata (parquet-wasm), and comparison helpers.
 */
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import * as pq from 'parquet-wasm/node';

/** DuckDB's values as plain JS (lists as arrays, structs as objects). */
export function plain(v: unknown): unknown {
  if (v && typeof v === 'object') {
    if ('items' in v && Array.isArray((v as { items: unknown[] }).items)) return (v as { items: unknown[] }).items.map(plain);
    if ('entries' in v && typeof (v as { entries: unknown }).entries === 'object') {
      return Object.fromEntries(Object.entries((v as { entries: Record<string, unknown> }).entries).map(([k, x]) => [k, plain(x)]));
    }
  }
  return v;
}

export const json = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));

export async function duckColumns(path: string): Promise<Map<string, unknown[]>> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const r = await con.runAndReadAll(`select * from read_parquet('${path}')`);
  const names = r.columnNames();
  const cols = r.getColumns();
  const out = new Map<string, unknown[]>();
  names.forEach((n, i) => out.set(n, cols[i]!.map(plain)));
  return out;
}

/** The project's values restricted to the struct fields DuckDB has (empty records are pruned for Parquet). */
export function project(mine: unknown, theirs: unknown): unknown {
  if (Array.isArray(mine) && Array.isArray(theirs)) return mine.map((m, i) => project(m, theirs[i]));
  if (mine && typeof mine === 'object' && theirs && typeof theirs === 'object' && !Array.isArray(mine)) {
    return Object.fromEntries(Object.keys(theirs).map((k) => [k, project((mine as Record<string, unknown>)[k], (theirs as Record<string, unknown>)[k])]));
  }
  return mine;
}

export async function keyValues(path: string): Promise<Map<string, string>> {
  const f = await pq.ParquetFile.fromFile(new Blob([readFileSync(path)]));
  return f.metadata().fileMetadata().keyValueMetadata() as Map<string, string>;
}
