/**
 * RootFileWriter: writes a ROOT file front to back through one file handle, under a temporary
 * name that is renamed only when the file is complete (no partial output on failure or abort).
 * Layout: the TFile header (64-bit fields, so files above 4 GiB work), the top directory record at
 * fBEGIN, then keys as they come (baskets, objects), and at close the StreamerInfo list, the keys
 * list and the free-segments record, after which the header and directory are patched.
 * Every key has version 1004 (64-bit seeks). Dates are fixed, so the same input writes the same bytes.
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { TransientError } from '../../errors.ts';
import { registerTemporary, releaseTemporary } from '../../cleanup.ts';
import { compressBuffer, settingNumber, type CompressionSetting } from '../compression/compress.ts';
import { Out } from './out.ts';

export interface WrittenKey {
  className: string;
  name: string;
  title: string;
  cycle: number;
  seek: number;
  nbytes: number;
  objlen: number;
  keylen: number;
}

const BEGIN = 100;
/** 1995-01-01 00:00:00 in TDatime's packing: fixed, so output is reproducible. */
const DATIME = (1 << 22) | (1 << 17);
const FILE_VERSION = 63206; // ROOT 6.32/06 layout
const DIRECTORY_RESERVE = 128;
const WRITE_BUFFER = 8 << 20;

function tstringLength(s: string): number {
  const n = Buffer.byteLength(s, 'latin1');
  return n < 255 ? 1 + n : 5 + n;
}

export function keyLength(className: string, name: string, title: string): number {
  return 4 + 2 + 4 + 4 + 2 + 2 + 8 + 8 + tstringLength(className) + tstringLength(name) + tstringLength(title);
}

function keyHeader(out: Out, k: WrittenKey, seekPdir: number): void {
  out.i32(k.nbytes).i16(1004).i32(k.objlen).u32(DATIME).i16(k.keylen).i16(k.cycle).i64(k.seek).i64(seekPdir);
  out.tstring(k.className).tstring(k.name).tstring(k.title);
}

export class RootFileWriter {
  readonly path: string;
  readonly compression: CompressionSetting;
  private readonly tmp: string;
  private readonly handle: FileHandle;
  private pos = 0;
  private readonly fileName: string;
  private readonly title: string;
  private readonly nbytesName: number;
  private readonly listed: WrittenKey[] = [];
  private closed = false;
  bytesWritten = 0;
  // Sequential output is gathered here and written in large pieces (a write per basket costs more
  // than compressing it). Memory: at most WRITE_BUFFER bytes.
  private pending = new Uint8Array(WRITE_BUFFER);
  private pendingUsed = 0;
  private pendingAt = 0;

  private constructor(path: string, tmp: string, handle: FileHandle, compression: CompressionSetting, title: string) {
    this.path = path;
    this.tmp = tmp;
    this.handle = handle;
    this.compression = compression;
    this.fileName = basename(path);
    this.title = title;
    this.nbytesName = keyLength('TFile', this.fileName, title) + tstringLength(this.fileName) + tstringLength(title);
  }

  static async create(path: string, compression: CompressionSetting, title = ''): Promise<RootFileWriter> {
    const tmp = `${path}.tmp-${process.pid}-${Date.now().toString(36)}`;
    let handle: FileHandle;
    try {
      handle = await open(tmp, 'w');
    } catch (err) {
      throw new TransientError(`cannot create ${tmp}: ${(err as Error).message}`, { file: path }, { cause: err });
    }
    registerTemporary(tmp);
    const w = new RootFileWriter(path, tmp, handle, compression, title);
    // Header and directory are written at close; reserve their room now.
    w.pos = BEGIN + w.nbytesName + DIRECTORY_RESERVE;
    w.pendingAt = w.pos;
    return w;
  }

  /** Append at the current end of the file (through the write buffer). */
  private async append(bytes: Uint8Array): Promise<void> {
    if (this.pendingUsed + bytes.length > this.pending.length) await this.flushPending();
    if (bytes.length > this.pending.length) {
      await this.writeAt(bytes, this.pendingAt);
      this.pendingAt += bytes.length;
      return;
    }
    this.pending.set(bytes, this.pendingUsed);
    this.pendingUsed += bytes.length;
  }

  private async flushPending(): Promise<void> {
    if (this.pendingUsed === 0) return;
    await this.writeAt(this.pending.subarray(0, this.pendingUsed), this.pendingAt);
    this.pendingAt += this.pendingUsed;
    this.pendingUsed = 0;
  }

  private async writeAt(bytes: Uint8Array, at: number): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, at + done);
      done += bytesWritten;
    }
    this.bytesWritten += bytes.length;
  }

  /**
   * Write one key. `payload` is the uncompressed object bytes, or a function of the key length
   * (objects whose class tags count from the start of the key).
   */
  async writeKey(
    className: string,
    name: string,
    title: string,
    payload: Uint8Array | ((keylen: number) => Uint8Array),
    options: {
      cycle?: number;
      listed?: boolean;
      compress?: boolean;
      seekPdir?: number;
      /** Bytes that belong to the key header after its strings (TBasket's fields). */
      extraHeader?: (out: Out) => void;
      /** Fix up those bytes once the key length is known. */
      patchExtra?: (extra: Uint8Array, keylen: number) => void;
    } = {},
  ): Promise<WrittenKey> {
    const extra = new Out(64);
    options.extraHeader?.(extra);
    const keylen = keyLength(className, name, title) + extra.pos;
    const extraBytes = extra.data();
    options.patchExtra?.(extraBytes, keylen);
    const raw = typeof payload === 'function' ? payload(keylen) : payload;
    const stored = options.compress === false ? raw : compressBuffer(raw, this.compression);
    const key: WrittenKey = { className, name, title, cycle: options.cycle ?? 1, seek: this.pos, nbytes: keylen + stored.length, objlen: raw.length, keylen };
    const out = new Out(keylen);
    keyHeader(out, key, options.seekPdir ?? BEGIN);
    out.bytes(extraBytes);
    await this.append(out.data());
    await this.append(stored);
    this.pos += key.nbytes;
    if (options.listed) this.listed.push(key);
    return key;
  }

  /** Finish: StreamerInfo list, keys list, free segments, then header and directory; rename into place. */
  async close(streamerInfo: (keylen: number) => Uint8Array): Promise<void> {
    if (this.closed) return;
    const info = await this.writeKey('TList', 'StreamerInfo', 'Doubly linked list', streamerInfo, { cycle: 1 });

    // Keys list: a key header, the count, and every listed key's header.
    const seekKeys = this.pos;
    const list = new Out();
    list.i32(this.listed.length);
    for (const k of this.listed) keyHeader(list, k, BEGIN);
    const keysKey = await this.writeKey('TFile', this.fileName, this.title, list.data(), { compress: false });

    // Free segments: one, from the end of the file on.
    const seekFree = this.pos;
    const end = seekFree + keyLength('TFile', this.fileName, this.title) + 18;
    const free = new Out();
    free.i16(1001).i64(end).i64(2 ** 53 - 1);
    const freeKey = await this.writeKey('TFile', this.fileName, this.title, free.data(), { compress: false });
    if (this.pos !== end) throw new Error(`internal: free segment record ends at ${this.pos}, expected ${end}`);
    await this.flushPending();

    // Header.
    const h = new Out(BEGIN);
    h.u8(0x72).u8(0x6f).u8(0x6f).u8(0x74).i32(1000000 + FILE_VERSION).i32(BEGIN);
    h.i64(end).i64(seekFree).i32(freeKey.nbytes).i32(1).i32(this.nbytesName).u8(8).i32(settingNumber(this.compression));
    h.i64(info.seek).i32(info.nbytes).u16(4);
    for (let i = 0; i < 16; i++) h.u8(0);
    while (h.pos < BEGIN) h.u8(0);
    await this.writeAt(h.data(), 0);

    // Top directory: the TFile key, its name and title, the TDirectory record.
    const dirKey: WrittenKey = {
      className: 'TFile',
      name: this.fileName,
      title: this.title,
      cycle: 1,
      seek: BEGIN,
      nbytes: this.nbytesName + DIRECTORY_RESERVE,
      objlen: this.nbytesName + DIRECTORY_RESERVE - keyLength('TFile', this.fileName, this.title),
      keylen: keyLength('TFile', this.fileName, this.title),
    };
    const d = new Out(dirKey.nbytes);
    keyHeader(d, dirKey, 0);
    d.tstring(this.fileName).tstring(this.title);
    d.i16(1005).u32(DATIME).u32(DATIME).i32(keysKey.nbytes).i32(this.nbytesName).i64(BEGIN).i64(0).i64(seekKeys);
    d.u16(1);
    for (let i = 0; i < 16; i++) d.u8(0);
    while (d.pos < dirKey.nbytes) d.u8(0);
    await this.writeAt(d.data(), BEGIN);

    await this.handle.sync();
    await this.handle.close();
    this.closed = true;
    await rename(this.tmp, this.path);
    releaseTemporary(this.tmp);
  }

  /** Give up: close and remove the temporary file, leaving nothing behind. */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close().catch(() => {});
    await rm(this.tmp, { force: true });
    releaseTemporary(this.tmp);
  }
}
