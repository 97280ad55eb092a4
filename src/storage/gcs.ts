/**
 * The Google Cloud Storage store (`--out gs://bucket/prefix`), through @google-cloud/storage.
 * An output is written to a local temporary file and verified there, then streamed to the object
 * by a resumable upload in chunks of `chunkSize` (never held whole in memory; a failed chunk is
 * resumed by the client), written once with the precondition ifGenerationMatch 0 (or, with
 * --force, the generation being replaced, so a concurrent writer is never overwritten blindly).
 * A 412 means another attempt already wrote the object: it counts as done when its size and CRC32C
 * equal the local file's. After the upload the object's metadata is read back and checked (size,
 * CRC32C, source); an object that does not match is deleted (that generation only) and the put
 * fails, so nothing incomplete is ever reported done. Transient failures are retried as a whole.
 */
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Bucket, File } from '@google-cloud/storage';
import { crc32cOfFile } from '../gcs/crc32c.ts';
import { InputError, TransientError } from '../errors.ts';
import { registerTemporary, releaseTemporary } from '../cleanup.ts';
import { gcsClient, gcsStatus, isTransientGcsError, parseGsUrl, type GcsOptions } from '../gcs/client.ts';
import { asGcsError, openGcsSource } from '../root/source/gcs.ts';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from '../root/source/retry.ts';
import { registerStore, type OutputStore, type PutOptions, type PutResult, type StoredInfo } from './store.ts';

export interface GcsStoreOptions extends GcsOptions {
  /** Bytes per upload request (a multiple of 256 KiB); the client buffers one chunk. */
  chunkSize?: number;
  retry?: Partial<RetryPolicy>;
  /** Where the local temporary files go (default: the OS temporary directory). */
  tmpDir?: string;
}

const CHUNK = 256 * 1024;

export class GcsStore implements OutputStore {
  readonly location: string;
  private readonly bucketName: string;
  private readonly prefix: string;
  private readonly bucket: Bucket;
  private readonly o: GcsStoreOptions;
  private readonly retry: RetryPolicy;

  constructor(url: string, o: GcsStoreOptions = {}) {
    const { bucket, path } = parseGsUrl(url);
    this.bucketName = bucket;
    this.prefix = path.replace(/\/+$/, '');
    this.location = `gs://${bucket}${this.prefix ? `/${this.prefix}` : ''}`;
    this.bucket = gcsClient(o).bucket(bucket);
    this.o = o;
    this.retry = { ...DEFAULT_RETRY, ...o.retry };
  }

  private key(name: string): string {
    return this.prefix ? `${this.prefix}/${name}` : name;
  }

  where(name: string): string {
    return `gs://${this.bucketName}/${this.key(name)}`;
  }

  async prepare(): Promise<void> {}

  private async retried<T>(what: string, name: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, this.retry, {
      classify: (err) => ({ transient: isTransientGcsError(err) || err instanceof TransientError }),
      permanent: (err) => asGcsError(err, this.where(name), what),
      exhausted: (err, attempts) => {
        const e = asGcsError(err, this.where(name), what);
        e.message += `, after ${attempts} attempts`;
        return e instanceof TransientError ? e : new TransientError(e.message, { file: this.where(name) }, { cause: err });
      },
    });
  }

  async stat(name: string): Promise<StoredInfo | null> {
    const file = this.bucket.file(this.key(name));
    return this.retried('cannot read object metadata', name, async () => {
      try {
        const [m] = await file.getMetadata();
        return this.info(name, m as Record<string, unknown>);
      } catch (err) {
        if (gcsStatus(err) === 404) return null;
        throw err;
      }
    });
  }

  private info(name: string, m: Record<string, unknown>): StoredInfo {
    return {
      name,
      location: this.where(name),
      size: Number(m.size),
      crc32c: m.crc32c as string | undefined,
      generation: String(m.generation),
      metadata: m.metadata as Record<string, string> | undefined,
    };
  }

  async put(name: string, produce: (tmp: string) => Promise<void>, o: PutOptions = {}): Promise<PutResult> {
    const tmp = join(this.o.tmpDir ?? tmpdir(), `physlite-${process.pid}-${randomUUID()}.tmp`);
    registerTemporary(tmp);
    try {
      await produce(tmp);
      const { size } = await stat(tmp);
      const crc32c = await crc32cOfFile(tmp);
      const file = this.bucket.file(this.key(name));
      const metadata = o.metadata ?? {};
      const result = await this.retried('upload failed', name, async () => {
        // Write once: no live object (0), or with --force the generation seen now.
        const generation = o.force ? Number((await this.stat(name))?.generation ?? 0) : 0;
        try {
          await this.upload(file, tmp, generation, metadata, o.contentType);
        } catch (err) {
          if (gcsStatus(err) !== 412) throw err;
          // Another attempt (a retry whose answer was lost, a parallel run) wrote it first.
          const there = await this.stat(name);
          // Gone again (a concurrent --force between the 412 and this look): try the write again.
          if (!there) throw new TransientError('the object that refused the write is gone; writing again', { file: this.where(name) });
          const sameMetadata = Object.entries(metadata).every(([k, v]) => there.metadata?.[k] === v);
          if (there.size === size && there.crc32c === crc32c && sameMetadata) return { ...there, alreadyThere: true };
          throw new InputError(
            `${this.where(name)} exists with other content or metadata (${there.size} bytes, crc32c ${there.crc32c ?? '?'}; this output: ${size} bytes, crc32c ${crc32c}${sameMetadata ? '' : ', other physlite metadata'}): --force replaces it`,
            { file: this.where(name) },
          );
        }
        return undefined;
      });
      if (result) return result;
      return await this.verify(name, file, size, crc32c, metadata);
    } finally {
      await rm(tmp, { force: true });
      releaseTemporary(tmp);
    }
  }

  private async upload(file: File, path: string, ifGenerationMatch: number, metadata: Record<string, string>, contentType = 'application/vnd.apache.parquet'): Promise<void> {
    await pipeline(
      createReadStream(path, { highWaterMark: CHUNK }),
      file.createWriteStream({
        resumable: true,
        chunkSize: this.o.chunkSize ?? 64 * CHUNK,
        validation: 'crc32c',
        preconditionOpts: { ifGenerationMatch },
        metadata: { contentType, metadata },
      }),
    );
  }

  /** The object as stored must be this output; otherwise that generation is removed and the put fails. */
  private async verify(name: string, file: File, size: number, crc32c: string, metadata: Record<string, string>): Promise<PutResult> {
    const there = await this.stat(name);
    const bad: string[] = [];
    if (!there) bad.push('object missing');
    else {
      if (there.size !== size) bad.push(`size ${there.size}, expected ${size}`);
      if (there.crc32c !== crc32c) bad.push(`crc32c ${there.crc32c}, expected ${crc32c}`);
      for (const [k, v] of Object.entries(metadata)) if (there.metadata?.[k] !== v) bad.push(`metadata ${k} differs`);
    }
    if (bad.length === 0) return there!;
    if (there) await file.delete({ ifGenerationMatch: Number(there.generation) }).catch(() => undefined);
    throw new TransientError(`uploaded object does not verify (${bad.join('; ')}); removed, not marked done`, { file: this.where(name) });
  }

  async writeText(name: string, text: string): Promise<void> {
    const file = this.bucket.file(this.key(name));
    await this.retried('cannot write object', name, () => file.save(text, { resumable: false, contentType: name.endsWith('.json') ? 'application/json' : 'text/plain' }));
  }

  async remove(name: string): Promise<void> {
    const file = this.bucket.file(this.key(name));
    await this.retried('cannot delete object', name, () => file.delete({ ignoreNotFound: true }));
  }

  async readText(name: string): Promise<string> {
    const source = await openGcsSource(this.where(name), { ...this.o, retry: this.o.retry });
    return new TextDecoder().decode(await source.read(0, source.size));
  }

  async list(prefix: string): Promise<string[]> {
    return (await this.listSized(prefix)).map((x) => x.name);
  }

  async listSized(prefix: string): Promise<{ name: string; size: number }[]> {
    const base = this.prefix ? `${this.prefix}/` : '';
    const out: { name: string; size: number }[] = [];
    let pageToken: string | undefined;
    do {
      const [files, next] = (await this.retried('cannot list objects', prefix, () =>
        this.bucket.getFiles({ prefix: base + prefix, autoPaginate: false, maxResults: 1000, pageToken }),
      )) as unknown as [File[], { pageToken?: string } | null];
      for (const f of files) out.push({ name: f.name.slice(base.length), size: Number(f.metadata.size) });
      pageToken = next?.pageToken;
    } while (pageToken);
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

registerStore('gs', (location, o) => new GcsStore(location, o.gcs));
