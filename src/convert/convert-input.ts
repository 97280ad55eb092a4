/**
 * One input, as a worker converts it: open its best replica (by the fetch mode), convert it to the
 * output store, and when reading that replica fails (transient I/O, access denied, a damaged copy)
 * go on with the next replica. Errors of the output side are not a reason to change replica and
 * are thrown as they are. Stores are made once per process and location.
 */
import { InputError, PhysliteError, UsageError } from '../errors.ts';
import { openSource, type OpenOptions } from '../root/source/open.ts';
import type { ByteSource } from '../root/source/source.ts';
import { redactUrl } from '../root/source/url.ts';
import { openStore, type OutputStore, type StoreOptions } from '../storage/store.ts';
import '../storage/local.ts';
import '../storage/gcs.ts';
import { convertFile, type ConvertOptions, type ConvertResult } from './convert-file.ts';
import type { InputSpec } from './replicas.ts';

export interface RemoteOptions {
  open?: OpenOptions;
  store?: StoreOptions;
}

const stores = new Map<string, OutputStore>();

export function storeFor(location: string, o: StoreOptions = {}): OutputStore {
  let s = stores.get(location);
  if (!s) {
    s = openStore(location, o);
    stores.set(location, s);
  }
  return s;
}

export async function convertInput(spec: InputSpec, o: ConvertOptions & RemoteOptions): Promise<ConvertResult> {
  const store = storeFor(o.outDir, o.store);
  if (spec.replicas.length === 0) {
    throw new InputError(`no replica that physlite can read${spec.skipped?.length ? `: ${spec.skipped.join('; ')}` : ''}`, { file: spec.id });
  }
  let last: unknown;
  for (const [i, replica] of spec.replicas.entries()) {
    let source: ByteSource | undefined;
    try {
      source = await openSource(replica, { ...o.open, size: spec.size ?? o.open?.size, adler32: spec.adler32 });
      return await convertFile(source, o, { identity: spec.id, store });
    } catch (err) {
      const readSide = !(err instanceof UsageError) && (source === undefined || (err instanceof PhysliteError && err.context.file === source.name));
      if (!readSide || i === spec.replicas.length - 1) {
        if (i > 0 && err instanceof PhysliteError) err.message += ` (replica ${i + 1} of ${spec.replicas.length}; earlier: ${String((last as Error)?.message ?? last)})`;
        throw err;
      }
      last = err instanceof PhysliteError ? new Error(`${redactUrl(replica)}: ${err.message}`) : err;
    }
  }
  throw last;
}
