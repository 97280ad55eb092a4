/**
 * The options of a conversion, in one table that `physlite convert` and `physlite plan` share:
 * their command-line definitions, their defaults, and whether they define the dataset (they change
 * the bytes of the outputs: a plan always fixes them) or only how a run goes (a plan fixes them
 * when they were given to `plan`). Defaults are applied here, not by yargs, so that what a user
 * gave explicitly is known: a plan records it, and a shard refuses a different value.
 */
import { availableParallelism } from 'node:os';
import type { Argv, Options } from 'yargs';
import { UsageError } from '../errors.ts';
import type { FetchMode } from '../root/source/open.ts';
import type { RemoteOptions } from './convert-input.ts';
import { PASS_BYTES } from './layout.ts';
import { branchFilter, type Selection } from './select.ts';

export interface OptionDef {
  yargs: Options;
  /** The value when not given (undefined: none). */
  default?: unknown;
  /** Part of what the outputs are (recorded in them): always fixed by a plan. */
  dataset?: boolean;
  /** Applied when a plan is made (the inputs' replicas), not by a shard. */
  planning?: boolean;
}

export const CONVERT_OPTIONS: Record<string, OptionDef> = {
  metalink: { planning: true, yargs: { type: 'string', array: true, describe: 'Rucio metalink file(s) (rucio list-file-replicas --metalink): one input per file, its replicas as fallbacks' } },
  'prefer-scheme': { planning: true, yargs: { type: 'string', array: true, describe: 'Replica schemes best first (default davs https http dav gs)' } },
  'prefer-rse': { planning: true, yargs: { type: 'string', array: true, describe: 'Replica RSEs best first' } },
  fetch: { default: 'ranges', yargs: { choices: ['ranges', 'memory', 'disk'], describe: 'Remote inputs: read ranges, or download whole first (memory up to --fetch-memory-limit, else disk) [default: ranges]' } },
  'fetch-memory-limit': { default: '512MiB', yargs: { type: 'string', describe: 'Largest input --fetch memory holds in memory [default: 512MiB]' } },
  requests: { default: 4, yargs: { type: 'number', describe: 'Requests in flight per remote input [default: 4]' } },
  'gcs-endpoint': { yargs: { type: 'string', describe: 'Another GCS endpoint (STORAGE_EMULATOR_HOST is honoured too)' } },
  'gcs-retries': { default: 5, yargs: { type: 'number', describe: 'Retries of each GCS request by the client (exponential backoff from 1 s) [default: 5]' } },
  'upload-chunk': { default: '16MiB', yargs: { type: 'string', describe: 'Bytes per resumable-upload request (a multiple of 256KiB); one chunk is buffered [default: 16MiB]' } },
  tree: { dataset: true, yargs: { type: 'string', describe: 'TTree or RNTuple to convert (default CollectionTree, else the RNTuple EventData, else the only tree)' } },
  compression: { dataset: true, default: 'zstd', yargs: { choices: ['zstd', 'snappy', 'none'], describe: 'Parquet compression [default: zstd]' } },
  'row-group': { dataset: true, default: '512MiB', yargs: { type: 'string', describe: 'Target uncompressed size of a row group (whole ROOT clusters); conversion memory does not grow with it [default: 512MiB]' } },
  retries: { default: 1, yargs: { type: 'number', describe: 'Attempts again, within this run, of inputs that failed transiently [default: 1]' } },
  include: { dataset: true, yargs: { type: 'string', array: true, describe: 'Only branches matching these globs (repeatable)' } },
  exclude: { dataset: true, yargs: { type: 'string', array: true, describe: 'Leave out branches matching these globs (repeatable)' } },
  preset: { dataset: true, yargs: { type: 'string', describe: 'A checked-in branch list: analysis (what the built-in analysis reads, ~10% of the bytes)' } },
  workers: { default: availableParallelism(), yargs: { type: 'number', describe: `Worker processes, one input each at a time [default: the CPUs this process may use, here ${availableParallelism()}]` } },
  'max-worker-memory': { default: '1GiB', yargs: { type: 'string', describe: 'A worker above this resident memory is replaced after its current file [default: 1GiB]' } },
  'max-files-per-worker': { default: 200, yargs: { type: 'number', describe: 'A worker is replaced after this many files [default: 200]' } },
};

/** Add a table of options to a yargs builder. */
export function withOptions(y: Argv, table: Record<string, OptionDef>): Argv {
  let out = y;
  for (const [name, def] of Object.entries(table)) out = out.option(name, def.yargs);
  return out;
}

/** The options of `table` given explicitly on the command line (strings and numbers as typed). */
export function explicitOptions(args: Record<string, unknown>, table: Record<string, OptionDef>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(table)) {
    const v = args[name];
    if (v !== undefined) out[name] = Array.isArray(v) ? v.map(String) : v;
  }
  return out;
}

/** What a plan records: every dataset option (defaults resolved) and the other options that were given. */
export function planOptions(explicit: Record<string, unknown>, table: Record<string, OptionDef>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(table)) {
    if (explicit[name] !== undefined) out[name] = explicit[name];
    else if (def.dataset && def.default !== undefined) out[name] = def.default;
  }
  return out;
}

/**
 * The options a shard runs with: the plan's, plus options the plan leaves open. An option given on
 * the command line that the plan fixes to another value is a usage error (a shard must produce
 * the dataset the plan describes); options applied at planning time cannot be given again.
 */
export function mergePlanOptions(planned: Record<string, unknown>, explicit: Record<string, unknown>, table: Record<string, OptionDef>): Record<string, unknown> {
  for (const [name, value] of Object.entries(explicit)) {
    if (table[name]?.planning) throw new UsageError(`--${name} is applied when the plan is made (its replicas are in the plan); it cannot be given with --plan`);
    const fixed = name in planned ? planned[name] : table[name]?.dataset ? table[name]!.default : undefined;
    if (fixed !== undefined && JSON.stringify(fixed) !== JSON.stringify(value)) {
      throw new UsageError(`--${name} ${JSON.stringify(value)} conflicts with the plan, which has ${JSON.stringify(fixed)}`);
    }
  }
  return { ...planned, ...explicit };
}

/** Defaults filled in: what a run uses. */
export function resolved(given: Record<string, unknown>, table: Record<string, OptionDef>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(table)) out[name] = given[name] ?? def.default;
  return out;
}

/** `--row-group`: a size with its unit (`64MiB`) or a row count (`50000rows`); a bare number is refused. */
export function parseRowGroupTarget(text: string): { bytes?: number; rows?: number } {
  const rows = /^(\d+)\s*rows$/.exec(text.trim());
  if (rows) {
    const n = Number(rows[1]);
    if (n < 1) throw new UsageError(`--row-group needs at least 1 row`);
    return { rows: n };
  }
  return { bytes: parseRowGroup(text) };
}

/** `64MiB`, `500kB`, `1GB` as bytes; a bare number is refused (rows or bytes?). Used for every size option. */
export function parseRowGroup(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|kB|KiB|MB|MiB|GB|GiB)$/.exec(text.trim());
  if (!m) throw new UsageError(`a size needs its unit (64MiB, 256MB; --row-group also takes 50000rows), got "${text}"`);
  const unit: Record<string, number> = { B: 1, kB: 1e3, KiB: 2 ** 10, MB: 1e6, MiB: 2 ** 20, GB: 1e9, GiB: 2 ** 30 };
  return Math.round(Number(m[1]) * unit[m[2]!]!);
}

const wholeNumber = (name: string, v: unknown, min: number): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number >= ${min}`);
  return n;
};

/** Everything a conversion run needs, checked: from resolved options (see `resolved`). */
export interface ConversionSettings {
  tree?: string;
  compression: 'ZSTD' | 'SNAPPY' | 'UNCOMPRESSED';
  rowGroupBytes?: number;
  rowGroupRows?: number;
  selection: Selection;
  remote: RemoteOptions;
  prefs: { schemes?: string[]; rses?: string[] };
  metalinks: string[];
  workers: number;
  maxRssBytes: number;
  maxFilesPerWorker: number;
  retries: number;
}

export function conversionSettings(o: Record<string, unknown>): ConversionSettings {
  const { bytes: rowGroupBytes, rows: rowGroupRows } = parseRowGroupTarget(String(o['row-group']));
  const selection: Selection = {
    include: (o.include as string[] | undefined)?.map(String),
    exclude: (o.exclude as string[] | undefined)?.map(String),
    preset: o.preset as string | undefined,
  };
  branchFilter(selection); // an unknown preset is a usage error before any work
  const maxRss = parseRowGroup(String(o['max-worker-memory']));
  // A conversion holds one pass of decoded columns (layout.ts: PASS_BYTES, or the whole row group
  // when smaller), with the read's baskets on top: about 1.5 passes over a worker's ~300 MiB of
  // code and buffers. The row-group size itself does not set the memory.
  const need = 1.5 * Math.min(rowGroupBytes ?? PASS_BYTES, PASS_BYTES) + 300 * 2 ** 20;
  if (need > maxRss) {
    throw new UsageError(`a conversion needs about ${Math.round(need / 2 ** 20)} MiB per worker, above --max-worker-memory ${String(o['max-worker-memory'])}`);
  }
  const gcs = { endpoint: o['gcs-endpoint'] as string | undefined, retries: wholeNumber('gcs-retries', o['gcs-retries'], 0), chunkSize: parseRowGroup(String(o['upload-chunk'])) };
  if (gcs.chunkSize % (256 * 1024) !== 0 || gcs.chunkSize <= 0) throw new UsageError('--upload-chunk must be a multiple of 256KiB');
  const remote: RemoteOptions = {
    open: { fetch: String(o.fetch) as FetchMode, memoryLimit: parseRowGroup(String(o['fetch-memory-limit'])), concurrency: wholeNumber('requests', o.requests, 1), gcs },
    store: { gcs },
  };
  const split = (v: unknown): string[] | undefined => (v as string[] | undefined)?.flatMap((x) => String(x).split(','));
  return {
    tree: o.tree as string | undefined,
    compression: ({ zstd: 'ZSTD', snappy: 'SNAPPY', none: 'UNCOMPRESSED' } as const)[String(o.compression) as 'zstd' | 'snappy' | 'none'],
    rowGroupBytes,
    rowGroupRows,
    selection,
    remote,
    prefs: { schemes: split(o['prefer-scheme']), rses: split(o['prefer-rse']) },
    metalinks: ((o.metalink as string[] | undefined) ?? []).map(String),
    workers: wholeNumber('workers', o.workers, 1),
    maxRssBytes: maxRss,
    maxFilesPerWorker: wholeNumber('max-files-per-worker', o['max-files-per-worker'], 1),
    retries: wholeNumber('retries', o.retries, 0),
  };
}
