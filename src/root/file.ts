/**
 * RootFile: the TFile header, the directory tree of keys, the StreamerInfo list, and reading
 * (decompressing, then streaming) any keyed object. It asks its ByteSource for exactly the
 * ranges it needs; nothing here reads the whole file.
 */
import { DeserializationError, InputError, PhysliteError, UsageError } from '../errors.ts';
import { decompressBuffer, describeSetting } from './compression/index.ts';
import { Cursor } from './cursor.ts';
import { MAX_KEY_HEADER, readKey, type Key } from './key.ts';
import { ObjectReader, parseStreamerInfoList } from './object-reader.ts';
import { FileSource } from './source/file.ts';
import type { ByteSource } from './source/source.ts';
import { StreamerSet } from './streamers.ts';

export interface FileHeader {
  version: number;
  begin: number;
  end: number;
  seekFree: number;
  nbytesFree: number;
  nbytesName: number;
  units: number;
  compress: number;
  seekInfo: number;
  nbytesInfo: number;
}

export interface Directory {
  path: string;
  keys: Key[];
}

const DIRECTORY_CLASSES = new Set(['TDirectory', 'TDirectoryFile']);

export class RootFile {
  readonly source: ByteSource;
  readonly header: FileHeader;
  readonly root: Directory;
  private streamerSet: StreamerSet | undefined;

  private constructor(source: ByteSource, header: FileHeader, root: Directory) {
    this.source = source;
    this.header = header;
    this.root = root;
  }

  get name(): string {
    return this.source.name;
  }

  static async open(input: string | ByteSource): Promise<RootFile> {
    const source = typeof input === 'string' ? await FileSource.open(input) : input;
    try {
      const header = await readHeader(source);
      const root = await readDirectory(source, header, header.begin + header.nbytesName, '');
      return new RootFile(source, header, root);
    } catch (err) {
      if (typeof input === 'string') await source.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.source.close();
  }

  compression(): { setting: number; algorithm: string; level: number } {
    return describeSetting(this.header.compress);
  }

  /** All keys, depth first, with their directory path ("" for the top directory). */
  async allKeys(): Promise<{ path: string; key: Key }[]> {
    const out: { path: string; key: Key }[] = [];
    const walk = async (dir: Directory): Promise<void> => {
      for (const key of dir.keys) {
        out.push({ path: dir.path, key });
        if (DIRECTORY_CLASSES.has(key.className)) {
          const sub = await this.subdirectory(dir, key);
          await walk(sub);
        }
      }
    };
    await walk(this.root);
    return out;
  }

  async subdirectory(parent: Directory, key: Key): Promise<Directory> {
    const path = parent.path ? `${parent.path}/${key.name}` : key.name;
    return readDirectory(this.source, this.header, key.seekKey + key.keylen, path);
  }

  /**
   * The key for `name` ("dir/sub/tree;cycle"); without a cycle the highest cycle.
   * Throws a UsageError listing what exists when there is no such key.
   */
  async findKey(name: string, classFilter?: (className: string) => boolean): Promise<Key> {
    const m = /^(.*?)(?:;(\d+))?$/.exec(name)!;
    const parts = m[1]!.split('/').filter((p) => p.length > 0);
    const cycle = m[2] !== undefined ? Number(m[2]) : undefined;
    let dir = this.root;
    for (let i = 0; i < parts.length - 1; i++) {
      const sub = highest(dir.keys.filter((k) => k.name === parts[i] && DIRECTORY_CLASSES.has(k.className)));
      if (!sub) throw new UsageError(`no directory "${parts[i]}"`, { file: this.name });
      dir = await this.subdirectory(dir, sub);
    }
    const leaf = parts[parts.length - 1] ?? '';
    const candidates = dir.keys.filter((k) => k.name === leaf && (!classFilter || classFilter(k.className)));
    const key = cycle === undefined ? highest(candidates) : candidates.find((k) => k.cycle === cycle);
    if (!key) {
      const names = dir.keys.filter((k) => !classFilter || classFilter(k.className)).map((k) => `${k.name};${k.cycle}`);
      throw new UsageError(`no object "${name}"; available: ${names.join(', ') || '(none)'}`, { file: this.name });
    }
    return key;
  }

  /** The decompressed payload of a key (its object's bytes). */
  async readKeyPayload(key: Key): Promise<Uint8Array> {
    const raw = await this.source.read(key.seekKey, key.nbytes);
    const c = new Cursor(raw, 0, key.seekKey, { file: this.name, object: `${key.name};${key.cycle}` });
    const onDisk = readKey(c);
    if (onDisk.name !== key.name || onDisk.keylen !== key.keylen) {
      c.fail(`key record does not match the directory entry for "${key.name}" (found "${onDisk.name}")`, 0);
    }
    return decompressBuffer(raw.subarray(key.keylen), key.objlen, { file: this.name, object: `${key.name};${key.cycle}` }, key.seekKey + key.keylen);
  }

  /** Stream the object stored under `key` into a plain object (metadata classes). */
  async readObject(key: Key): Promise<unknown> {
    const payload = await this.readKeyPayload(key);
    const streamers = await this.streamers();
    const c = new Cursor(payload, 0, 0, { file: this.name, object: `${key.name};${key.cycle}` });
    try {
      return new ObjectReader(streamers, key.keylen).readClass(c, key.className);
    } catch (err) {
      throw err instanceof PhysliteError ? err.withContext(c.context) : err;
    }
  }

  async streamers(): Promise<StreamerSet> {
    if (this.streamerSet) return this.streamerSet;
    const { seekInfo, nbytesInfo } = this.header;
    if (seekInfo <= 0 || nbytesInfo <= 0) {
      this.streamerSet = new StreamerSet();
      return this.streamerSet;
    }
    const raw = await this.source.read(seekInfo, nbytesInfo);
    const kc = new Cursor(raw, 0, seekInfo, { file: this.name, object: 'StreamerInfo' });
    const key = readKey(kc);
    const payload = await decompressBuffer(raw.subarray(key.keylen), key.objlen, { file: this.name, object: 'StreamerInfo' }, seekInfo + key.keylen);
    this.streamerSet = parseStreamerInfoList(new Cursor(payload, 0, 0, { file: this.name, object: 'StreamerInfo' }), key.keylen);
    return this.streamerSet;
  }
}

function highest(keys: Key[]): Key | undefined {
  return keys.reduce<Key | undefined>((a, b) => (!a || b.cycle > a.cycle ? b : a), undefined);
}

async function readHeader(source: ByteSource): Promise<FileHeader> {
  if (source.size < 64) throw new DeserializationError(`not a ROOT file: only ${source.size} bytes`, { file: source.name, offset: 0 });
  const head = await source.read(0, Math.min(source.size, 128));
  const c = new Cursor(head, 0, 0, { file: source.name, object: 'TFile header' });
  const magic = String.fromCharCode(...c.bytes(4));
  if (magic !== 'root') throw new InputError('not a ROOT file (no "root" magic at offset 0)', { file: source.name, offset: 0 });
  const version = c.i32();
  const begin = c.i32();
  const big = version >= 1000000;
  const end = big ? c.i64n() : c.i32();
  const seekFree = big ? c.i64n() : c.i32();
  const nbytesFree = c.i32();
  c.i32(); // nfree
  const nbytesName = c.i32();
  const units = c.u8();
  const compress = c.i32();
  const seekInfo = big ? c.i64n() : c.i32();
  const nbytesInfo = c.i32();
  const header: FileHeader = { version: version % 1000000, begin, end, seekFree, nbytesFree, nbytesName, units, compress, seekInfo, nbytesInfo };
  if (begin < 0 || begin > source.size) c.fail(`fBEGIN ${begin} outside the file`, 8);
  if (end > source.size) {
    throw new DeserializationError(`file is truncated: the header says it ends at ${end} but it has ${source.size} bytes`, {
      file: source.name,
      offset: 0,
    });
  }
  return header;
}

async function readDirectory(source: ByteSource, header: FileHeader, at: number, path: string): Promise<Directory> {
  const ctx = { file: source.name, object: `directory "${path || '/'}"` };
  const rec = await source.read(at, Math.min(64, source.size - at));
  const c = new Cursor(rec, 0, at, ctx);
  const version = c.i16();
  c.u32(); // datimeC
  c.u32(); // datimeM
  const nbytesKeys = c.i32();
  c.i32(); // nbytesName
  const big = version > 1000;
  c.skip(big ? 16 : 8); // seekDir, seekParent
  const seekKeys = big ? c.i64n() : c.i32();
  if (seekKeys <= 0 || nbytesKeys <= 0) return { path, keys: [] };
  const raw = await source.read(seekKeys, nbytesKeys);
  const kc = new Cursor(raw, 0, seekKeys, ctx);
  readKey(kc); // the key of the key list itself
  const n = kc.i32();
  if (n < 0 || n > nbytesKeys) kc.fail(`directory claims ${n} keys`);
  const keys: Key[] = [];
  for (let i = 0; i < n; i++) keys.push(readKey(kc));
  return { path, keys };
}

export { MAX_KEY_HEADER };
