/**
 * Opening an input by its URL: a registry of byte sources by scheme (local paths, http(s)://,
 * dav(s)://, gs://; root:// is refused with the reason), and the fetch modes that worked on real
 * grid storage: `ranges` (read what is needed, the default), `memory` (download the whole file
 * first, up to `memoryLimit` bytes, else to disk) and `disk` (download to a temporary file that is
 * removed when the source closes). A server that ignores Range makes `ranges` download once too.
 * A whole download is checked against the Adler-32 a metalink gives (ranged reads cannot be).
 */
import { open as openFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { InputError, UnsupportedError, UsageError, TransientError } from '../../errors.ts';
import { Adler32 } from './adler32.ts';
import { registerTemporary, releaseTemporary } from '../../cleanup.ts';
import type { GcsOptions } from '../../gcs/client.ts';
import { FileSource } from './file.ts';
import { openGcsSource } from './gcs.ts';
import { HttpSource } from './http.ts';
import { MemorySource } from './memory.ts';
import type { RetryPolicy } from './retry.ts';
import type { ByteSource } from './source.ts';
import { redactUrl, schemeOf } from './url.ts';

export type FetchMode = 'ranges' | 'memory' | 'disk';

export interface OpenOptions {
  fetch?: FetchMode;
  /** `memory` downloads up to this size (bytes), larger files go to disk. */
  memoryLimit?: number;
  tmpDir?: string;
  /** Known size (a metalink): no size request. */
  size?: number;
  /** Adler-32 (8 hex digits, a metalink's): a whole download must match it. */
  adler32?: string;
  /** Requests in flight per source. */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  gcs?: GcsOptions;
  /** Only the size is wanted (planning): never download, whatever the fetch mode or the server. */
  probeOnly?: boolean;
}

type Opener = (url: string, o: OpenOptions) => Promise<ByteSource>;
const openers = new Map<string, Opener>();

export function registerSource(scheme: string, opener: Opener): void {
  openers.set(scheme, opener);
}

const http: Opener = (url, o) => HttpSource.open(url, { size: o.size, concurrency: o.concurrency, retry: o.retry, timeoutMs: o.timeoutMs });
registerSource('file', (path) => FileSource.open(path));
for (const s of ['http', 'https', 'dav', 'davs']) registerSource(s, http);
registerSource('gs', (url, o) => openGcsSource(url, { ...o.gcs, concurrency: o.concurrency, retry: o.retry }));
registerSource('root', async (url) => {
  throw new UnsupportedError('root:// (XRootD) cannot be read: physlite has no XRootD client; use a davs:// or https:// replica', { file: redactUrl(url) });
});

/**
 * A downloaded copy (in memory or in a temporary file) that reports the network's requests and
 * bytes (the download's), not the local reads of the copy, so I/O figures stay true with
 * --fetch memory|disk.
 */
export class DownloadedSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  readonly counters: ByteSource['counters'];
  readonly where: 'memory' | 'disk';
  private readonly copy: ByteSource;
  constructor(copy: ByteSource, counters: ByteSource['counters']) {
    this.copy = copy;
    this.name = copy.name;
    this.size = copy.size;
    this.counters = counters;
    this.where = copy instanceof MemorySource ? 'memory' : 'disk';
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    return this.copy.read(offset, length);
  }
  close(): Promise<void> {
    return this.copy.close();
  }
}

export const DEFAULT_MEMORY_LIMIT = 512 * 2 ** 20;
const CHUNK = 8 * 2 ** 20;

export async function openSource(url: string, o: OpenOptions = {}): Promise<ByteSource> {
  const opener = openers.get(schemeOf(url));
  if (!opener) throw new UsageError(`${redactUrl(url)}: no reader for ${schemeOf(url)}:// (readers: ${[...openers.keys()].join(', ')})`);
  const source = await opener(url, o);
  const mode = o.fetch ?? 'ranges';
  const rangesWork = !(source instanceof HttpSource) || source.acceptsRanges;
  // Local files are read in place; whole downloads only for remote sources.
  if (source instanceof FileSource || o.probeOnly || (mode === 'ranges' && rangesWork)) return source;
  let copy: ByteSource | undefined;
  try {
    copy = mode !== 'disk' && source.size <= (o.memoryLimit ?? DEFAULT_MEMORY_LIMIT) ? await downloadToMemory(source) : await downloadToDisk(source, o.tmpDir ?? tmpdir());
    if (o.adler32) await checkAdler32(copy, o.adler32.toLowerCase());
    return new DownloadedSource(copy, source.counters);
  } catch (err) {
    await copy?.close();
    throw err;
  } finally {
    await source.close();
  }
}

async function checkAdler32(copy: ByteSource, expected: string): Promise<void> {
  const sum = new Adler32();
  for (let at = 0; at < copy.size; at += CHUNK) sum.update(await copy.read(at, Math.min(CHUNK, copy.size - at)));
  if (sum.hex() !== expected) throw new InputError(`damaged copy: adler32 ${sum.hex()}, Rucio has ${expected}`, { file: copy.name });
}

/** Write the whole source, in order or by positions, through `put(chunk, position)`. */
async function copyAll(source: ByteSource, put: (chunk: Uint8Array, position: number) => Promise<void>, restart: () => Promise<void>): Promise<void> {
  if (source instanceof HttpSource && !source.acceptsRanges) {
    let at = 0;
    await source.download({
      restart: async () => {
        at = 0;
        await restart();
      },
      write: async (chunk) => {
        await put(chunk, at);
        at += chunk.length;
      },
    });
    return;
  }
  const limit = pLimit(4);
  const jobs: Promise<void>[] = [];
  for (let at = 0; at < source.size; at += CHUNK) {
    const n = Math.min(CHUNK, source.size - at);
    jobs.push(limit(async () => put(await source.read(at, n), at)));
  }
  await Promise.all(jobs);
}

async function downloadToMemory(source: ByteSource): Promise<ByteSource> {
  const data = new Uint8Array(source.size);
  await copyAll(source, async (chunk, at) => data.set(chunk, at), async () => {});
  return new MemorySource(data, source.name);
}

async function downloadToDisk(source: ByteSource, dir: string): Promise<ByteSource> {
  const path = join(dir, `physlite-download-${process.pid}-${randomUUID()}.root`);
  registerTemporary(path);
  const remove = async (): Promise<void> => {
    await rm(path, { force: true });
    releaseTemporary(path);
  };
  try {
    const fh = await openFile(path, 'w');
    try {
      await copyAll(
        source,
        async (chunk, at) => {
          await fh.write(chunk, 0, chunk.length, at);
        },
        async () => fh.truncate(0),
      );
    } catch (err) {
      throw err instanceof TransientError || (err as { exitCode?: number }).exitCode !== undefined ? err : new TransientError(`download to ${dir} failed: ${(err as Error).message}`, { file: source.name });
    } finally {
      await fh.close();
    }
    const file = await FileSource.open(path, source.name);
    const close = file.close.bind(file);
    file.close = async () => {
      await close();
      await remove();
    };
    return file;
  } catch (err) {
    await remove();
    throw err;
  }
}
