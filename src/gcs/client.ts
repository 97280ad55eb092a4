/**
 * The Google Cloud Storage client (@google-cloud/storage) as the project configures it: one per
 * endpoint and process, Application Default Credentials on Google's endpoint, no credentials on
 * another one (`--gcs-endpoint`, or STORAGE_EMULATOR_HOST which the client reads itself), and the
 * client's own retries (conditional idempotency: uploads carry generation preconditions, so they
 * are retried too). Also: gs:// URL parsing and the classification of the client's errors.
 */
import { createRequire } from 'node:module';
import type { Storage } from '@google-cloud/storage';
import { UsageError } from '../errors.ts';
import { Crc32c } from './crc32c.ts';
import { isTransientNetworkError, isTransientStatus } from '../root/source/retry.ts';

export interface GcsOptions {
  /** Another endpoint than Google's (a test server, a private endpoint). */
  endpoint?: string;
  /** Retries of the client itself for each request. */
  retries?: number;
}

const clients = new Map<string, Storage>();

/**
 * The client library, loaded on first use: it takes ~0.25 s to load, which every command and
 * every conversion worker paid at start even without a gs:// URL. Loaded synchronously (its CommonJS
 * build) because stores are made synchronously.
 */
let library: typeof import('@google-cloud/storage') | undefined;
function storageLibrary(): typeof import('@google-cloud/storage') {
  library ??= createRequire(import.meta.url)('@google-cloud/storage') as typeof import('@google-cloud/storage');
  return library;
}

export function gcsClient(o: GcsOptions = {}): Storage {
  const key = `${o.endpoint ?? ''}|${o.retries ?? ''}`;
  let client = clients.get(key);
  if (!client) {
    const { IdempotencyStrategy, Storage } = storageLibrary();
    client = new Storage({
      ...(o.endpoint ? { apiEndpoint: o.endpoint.replace(/\/+$/, '') } : {}),
      // The client checksums every upload as it streams: with ours, at several times the speed.
      crc32cGenerator: () => new Crc32c(),
      retryOptions: {
        // The client reads maxRetries 0 as "default" (3): no retries is autoRetry false.
        autoRetry: (o.retries ?? 5) > 0,
        maxRetries: Math.max(1, o.retries ?? 5),
        retryDelayMultiplier: 2,
        maxRetryDelay: 32,
        totalTimeout: 600,
        idempotencyStrategy: IdempotencyStrategy.RetryConditional,
      },
    });
    clients.set(key, client);
  }
  return client;
}

export function parseGsUrl(url: string): { bucket: string; path: string } {
  const m = /^gs:\/\/([^/?#]+)\/?([^?#]*)$/.exec(url);
  if (!m) throw new UsageError(`not a gs://bucket/path URL: ${url}`);
  return { bucket: m[1]!, path: m[2]! };
}

/** The HTTP status of a client error (ApiError.code), when it has one. */
export function gcsStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'number') return code;
  if (typeof code === 'string' && /^\d{3}$/.test(code)) return Number(code);
  return undefined;
}

export function isTransientGcsError(err: unknown): boolean {
  const status = gcsStatus(err);
  if (status !== undefined) return isTransientStatus(status);
  if (isTransientNetworkError(err)) return true;
  // Connection failures the client reports by message only.
  return /socket hang up|ECONNRESET|other side closed|premature close|network|timeout|aborted|Retry limit exceeded/i.test(String((err as Error)?.message ?? err));
}
