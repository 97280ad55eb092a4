/**
 * gs://bucket/object byte source: the size and generation from the object's metadata through
 * @google-cloud/storage, then ranged `alt=media` reads of that generation, at most `concurrency` in
 * flight, retried on transient failures.
 * Also `listGs`: the objects a gs:// glob or prefix names, listed through the client page by page.
 */
import { matchesGlob } from 'node:path';
import type { File } from '@google-cloud/storage';
import { InputError, TransientError, UsageError } from '../../errors.ts';
import { gcsClient, gcsStatus, isTransientGcsError, parseGsUrl, type GcsOptions } from '../../gcs/client.ts';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.ts';
import { HttpSource } from './http.ts';

export interface GcsSourceOptions extends GcsOptions {
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
}

/** A client error as the project's: missing or forbidden objects are permanent, the rest may pass. */
export function gcsError(err: unknown, name: string, what: string, offset?: number): Error {
  const status = gcsStatus(err);
  const ctx = { file: name, offset };
  if (status === 404) return new InputError(`${what}: not found (HTTP 404)`, ctx, { cause: err });
  if (status === 401 || status === 403) return new InputError(`${what}: access denied (HTTP ${status}); check the credentials (Application Default Credentials)`, ctx, { cause: err });
  if (isTransientGcsError(err)) return new TransientError(`${what}: ${status ? `HTTP ${status}` : ((err as Error)?.message ?? String(err))}`, ctx, { cause: err });
  return new InputError(`${what}: ${(err as Error)?.message ?? String(err)}`, ctx, { cause: err });
}

/**
 * A gs:// object as a byte source. Reads go to the object's `alt=media` URL (the client's own base
 * URL and credentials) through the HTTP source, with its Content-Range checks and retries, because
 * the client's ranged download (File.download / createReadStream, @google-cloud/storage 8.4 with
 * teeny-request 11), measured here, (1) throws an uncaught ERR_STREAM_UNABLE_TO_PIPE when its own
 * retry follows a 5xx, which would kill a conversion worker, and (2) adds listeners to a shared
 * stream on every download (MaxListenersExceededWarning after 10 reads), while a file takes
 * hundreds of ranged reads. Metadata, listing and uploads use the client itself.
 */
export async function openGcsSource(url: string, o: GcsSourceOptions = {}): Promise<HttpSource> {
  const { bucket, path } = parseGsUrl(url);
  if (!path) throw new UsageError(`${url} names a bucket, not an object`);
  const name = `gs://${bucket}/${path}`;
  const client = gcsClient(o);
  const file = client.bucket(bucket).file(path);
  const retry = { ...DEFAULT_RETRY, ...o.retry };
  const [meta] = await withRetry(() => file.getMetadata(), retry, hooks(name, 'cannot read object metadata'));
  // Pinned to this generation: an object rewritten while it is read is not mixed in.
  const media = `${client.baseUrl}/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(path)}?alt=media&generation=${meta.generation}`;
  const auth = client.customEndpoint ? undefined : async () => Object.fromEntries((await client.authClient.getRequestHeaders(media)).entries());
  return HttpSource.open(media, { name, size: Number(meta.size), concurrency: o.concurrency, retry: o.retry, authHeaders: auth, credentials: {} });
}

function hooks(name: string, what: string, offset?: number) {
  return {
    classify: (err: unknown) => ({ transient: isTransientGcsError(err) }),
    permanent: (err: unknown) => asGcsError(err, name, what),
    exhausted: (err: unknown, attempts: number) => {
      const e = gcsError(err, name, what, offset);
      e.message += `, after ${attempts} attempts`;
      return e;
    },
  };
}

/** Wrap a failure that is not retried (404, 403...) as the project's error. */
export function asGcsError(err: unknown, name: string, what: string): Error {
  return err instanceof InputError || err instanceof TransientError ? err : gcsError(err, name, what);
}

/**
 * The objects a gs:// URL names: one object; every object under a prefix ending in `/` whose name
 * has `.root` in it; or a glob (`*`, `?`, `[...]`, `**`) matched against object names, listed from
 * the prefix before its first wildcard, with `/` as delimiter when the glob does not cross folders.
 */
export async function listGs(url: string, o: GcsOptions & { pageSize?: number; keepName?: (name: string) => boolean } = {}): Promise<{ url: string; size: number }[]> {
  const { bucket, path } = parseGsUrl(url);
  const wild = path.search(/[*?[{]/);
  if (wild < 0 && !path.endsWith('/') && path !== '') return [{ url, size: -1 }];
  const prefix = wild < 0 ? path : path.slice(0, wild);
  const rest = wild < 0 ? '' : path.slice(prefix.length);
  const delimiter = wild >= 0 && !rest.includes('/') && !rest.includes('**') ? '/' : undefined;
  const b = gcsClient(o).bucket(bucket);
  const out: { url: string; size: number }[] = [];
  let pageToken: string | undefined;
  do {
    let files: File[];
    let next: { pageToken?: string } | null;
    try {
      [files, next] = (await b.getFiles({ prefix, delimiter, maxResults: o.pageSize ?? 1000, autoPaginate: false, pageToken })) as unknown as [File[], { pageToken?: string } | null];
    } catch (err) {
      throw asGcsError(err, `gs://${bucket}/${prefix}`, 'cannot list objects');
    }
    for (const f of files) {
      const keep = wild < 0 ? (o.keepName ?? ((n: string) => n.includes('.root')))(f.name) : matchesGlob(f.name, path);
      if (keep && !f.name.endsWith('/')) out.push({ url: `gs://${bucket}/${f.name}`, size: Number(f.metadata.size) });
    }
    pageToken = next?.pageToken;
  } while (pageToken);
  return out.sort((a, b) => (a.url < b.url ? -1 : 1));
}
