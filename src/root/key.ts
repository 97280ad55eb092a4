/**
 * TKey: the header in front of every object record in a ROOT file (and of every basket).
 * Keys with version > 1000 have 64-bit seeks.
 */
import type { Cursor } from './cursor.ts';

export interface Key {
  nbytes: number;
  version: number;
  objlen: number;
  datime: number;
  keylen: number;
  cycle: number;
  seekKey: number;
  seekPdir: number;
  className: string;
  name: string;
  title: string;
}

export function readKey(c: Cursor): Key {
  const nbytes = c.i32();
  const version = c.i16();
  const objlen = c.i32();
  const datime = c.u32();
  const keylen = c.i16();
  const cycle = c.i16();
  const big = version > 1000;
  const seekKey = big ? c.i64n() : c.i32();
  const seekPdir = big ? c.i64n() : c.i32();
  const className = c.tstring();
  const name = c.tstring();
  const title = c.tstring();
  if (nbytes < keylen || keylen < 0 || objlen < 0) c.fail(`invalid key "${name}": nbytes ${nbytes}, keylen ${keylen}, objlen ${objlen}`);
  return { nbytes, version, objlen, datime, keylen, cycle, seekKey, seekPdir, className, name, title };
}

/** Upper bound of a key header's size, for reading a key before its length is known. */
export const MAX_KEY_HEADER = 1024;
