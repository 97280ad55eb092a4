/**
 * The dataset manifest, `_manifest.json`: written last, and only by a run in which every input has
 * its verified output, so its presence means the dataset is complete. It lists per input its
 * identity, object, entries, size and CRC32C, and the conversion options.
 */
import { InputError } from '../errors.ts';
import { readFooterSummary } from '../parquet/footer.ts';
import { isUrl } from '../root/source/url.ts';
import type { OutputStore } from '../storage/store.ts';
import { CONVERTER_VERSION } from './convert-file.ts';

export interface ManifestEntry {
  input: string;
  object: string;
  entries: number;
  size: number;
  crc32c: string;
}

/** Entries of an output this run did not write: from the object's metadata, else its Parquet footer. */
export async function describeOutput(store: OutputStore, input: string, name: string): Promise<ManifestEntry> {
  const info = await store.stat(name, { checksum: true });
  if (!info) throw new Error(`output ${store.where(name)} disappeared`);
  let entries = Number(info.metadata?.['physlite-entries']);
  if (!Number.isFinite(entries)) {
    if (isUrl(info.location)) throw new InputError('output has no physlite-entries metadata (not written by physlite?): the manifest cannot list it', { file: info.location });
    entries = (await readFooterSummary(info.location)).rows;
  }
  return { input, object: name, entries, size: info.size, crc32c: info.crc32c ?? '' };
}

/**
 * Writes a manifest (`_manifest.json` for the dataset; a shard's under `_shards/`, with `extra`
 * naming its plan and index). No time or host inside: the same outputs give the same bytes, so two
 * runs of one shard write identical manifests.
 */
export async function writeManifest(store: OutputStore, entries: ManifestEntry[], options: Record<string, unknown>, name = '_manifest.json', extra: Record<string, unknown> = {}): Promise<void> {
  const doc = {
    converter: CONVERTER_VERSION,
    ...extra,
    complete: true,
    options,
    files: entries.length,
    entries: entries.reduce((n, e) => n + e.entries, 0),
    objects: [...entries].sort((a, b) => (a.object < b.object ? -1 : 1)),
  };
  await store.writeText(name, JSON.stringify(doc, null, 1) + '\n');
}
