/**
 * Local file source: positional reads through one open file handle; the file is never read whole.
 * Synchronous reads may go into the caller's buffer (readSyncInto), for readers that pool them.
 */
import { readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { InputError, TransientError } from '../../errors.ts';
import { checkRange, newCounters, type ByteSource, type SourceCounters } from './source.ts';

const PERMANENT_CODES = new Set(['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR', 'EPERM', 'ELOOP', 'ENAMETOOLONG']);

export function ioError(err: unknown, name: string, what: string): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  const msg = `${what}: ${code ?? (err as Error)?.message ?? String(err)}`;
  if (code && PERMANENT_CODES.has(code)) return new InputError(msg, { file: name }, { cause: err });
  return new TransientError(msg, { file: name }, { cause: err });
}

export class FileSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  readonly counters: SourceCounters = newCounters();
  private readonly handle: FileHandle;

  private constructor(name: string, handle: FileHandle, size: number) {
    this.name = name;
    this.handle = handle;
    this.size = size;
  }

  /** `name` is what messages call it (a downloaded copy goes by its URL). */
  static async open(path: string, name = path): Promise<FileSource> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      throw ioError(err, path, 'cannot open file');
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new InputError('not a regular file', { file: path });
      return new FileSource(name, handle, st.size);
    } catch (err) {
      await handle.close();
      throw err instanceof InputError ? err : ioError(err, path, 'cannot stat file');
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    const out = new Uint8Array(length);
    let done = 0;
    try {
      while (done < length) {
        const { bytesRead } = await this.handle.read(out, done, length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
    } catch (err) {
      throw ioError(err, this.name, `read of ${length} bytes at offset ${offset} failed`);
    }
    return this.counted(out, done, offset);
  }

  readSync(offset: number, length: number): Uint8Array {
    return this.readSyncInto(offset, new Uint8Array(length));
  }

  /** readSync into the caller's buffer (`out.length` bytes at `offset`): readers that pool their buffers allocate nothing. */
  readSyncInto(offset: number, out: Uint8Array): Uint8Array {
    const length = out.length;
    checkRange(this, offset, length);
    let done = 0;
    try {
      while (done < length) {
        const n = readSync(this.handle.fd, out, done, length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
    } catch (err) {
      throw ioError(err, this.name, `read of ${length} bytes at offset ${offset} failed`);
    }
    return this.counted(out, done, offset);
  }

  private counted(out: Uint8Array, done: number, offset: number): Uint8Array {
    if (done !== out.length) {
      throw new TransientError(`short read: ${done} of ${out.length} bytes at offset ${offset} (file changed while reading?)`, {
        file: this.name,
        offset,
      });
    }
    this.counters.requests++;
    this.counters.bytes += out.length;
    return out;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
