/**
 * Output stores: where converted files, ledgers and the dataset manifest go, behind one interface
 * and a registry by URL scheme (a local directory by default, gs://bucket/prefix). A store makes an
 * output visible only when it is complete: the producer writes and verifies a local temporary
 * file, then the store renames it (local) or uploads and verifies it (cloud). `put` resolves only
 * after that, so nothing is recorded as done that is not there in full.
 */
import { UsageError } from '../errors.ts';
import { schemeOf } from '../root/source/url.ts';
import type { GcsOptions } from '../gcs/client.ts';

export interface StoredInfo {
  /** The name inside the store (`x.1234.parquet`, `_ledger/...`). */
  name: string;
  /** Where it is, for people and ledgers: a path or gs:// URL. */
  location: string;
  size: number;
  /** Base64 of the big-endian CRC32C (as GCS reports it), when known. */
  crc32c?: string;
  generation?: string;
  metadata?: Record<string, string>;
}

export interface PutOptions {
  /** Replace an existing output (otherwise it is an error to overwrite one). */
  force?: boolean;
  /** Key-value metadata stored with the object (GCS custom metadata). */
  metadata?: Record<string, string>;
  /** The object's content type, where the store keeps one (default: Parquet). */
  contentType?: string;
}

export interface PutResult extends StoredInfo {
  /** Another attempt had already written identical bytes (a GCS 412 that verified). */
  alreadyThere?: boolean;
}

export interface OutputStore {
  readonly location: string;
  /** Create what must exist and remove what killed runs left behind. */
  prepare(): Promise<void>;
  where(name: string): string;
  stat(name: string, o?: { checksum?: boolean }): Promise<StoredInfo | null>;
  /** `produce(tmp)` writes and verifies the local file `tmp`; the store then publishes it as `name`. */
  put(name: string, produce: (tmp: string) => Promise<void>, o?: PutOptions): Promise<PutResult>;
  /** Whole small text objects (ledgers, manifest), replaced if they exist. */
  writeText(name: string, text: string): Promise<void>;
  readText(name: string): Promise<string>;
  /** Remove an object if it exists. */
  remove(name: string): Promise<void>;
  /** Names under `prefix` (relative to the store). */
  list(prefix: string): Promise<string[]>;
  /** Objects under `prefix` with their sizes, from one listing (no request per object). */
  listSized(prefix: string): Promise<{ name: string; size: number }[]>;
  /** Appends where the store can (a local file); stores that cannot return false. */
  append?(name: string, text: string): Promise<void>;
}

export interface StoreOptions {
  gcs?: GcsOptions & { chunkSize?: number };
}

type Factory = (location: string, o: StoreOptions) => OutputStore;
const factories = new Map<string, Factory>();

export function registerStore(scheme: string, factory: Factory): void {
  factories.set(scheme, factory);
}

export function openStore(location: string, o: StoreOptions = {}): OutputStore {
  const scheme = schemeOf(location);
  const factory = factories.get(scheme);
  if (!factory) throw new UsageError(`--out ${location}: no output store for ${scheme}:// (stores: ${[...factories.keys()].join(', ')})`);
  return factory(location, o);
}
