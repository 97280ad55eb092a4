/**
 * `physlite convert INPUT... --out DIR|gs://bucket/prefix`: ROOT files (local, https://, davs://,
 * gs://, Rucio lists and metalinks) to one Parquet file each, on a pool of worker processes; an
 * output becomes visible only when complete and verified (renamed, or uploaded and checked), an
 * existing output is skipped (`--force` redoes it), every input gets a line in this run's ledger
 * (_ledger/ of the output), one bad input never stops the run, and a run in which every input has
 * its output writes `_manifest.json` last.
 * Exit code: 0 all converted, 2 some inputs permanently bad, 3 transient failures left.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { onShutdown } from '../cleanup.ts';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import { EXIT, PhysliteError, UsageError, exitCodeOf } from '../errors.ts';
import { ConversionPool } from '../convert/pool.ts';
import { outputName } from '../convert/convert-file.ts';
import { storeFor, type RemoteOptions } from '../convert/convert-input.ts';
import { expandInputs } from '../convert/inputs.ts';
import { describeOutput, writeManifest, type ManifestEntry } from '../convert/manifest.ts';
import type { InputSpec } from '../convert/replicas.ts';
import { branchFilter } from '../convert/select.ts';
import { openSource, type FetchMode } from '../root/source/open.ts';
import { schemeOf } from '../root/source/url.ts';
import { lastStatuses, RunLedger } from '../storage/ledger.ts';
import { LocalStore } from '../storage/local.ts';
import { registerCommand } from './command.ts';

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

/** The size of an input: known from its listing or metalink, a local stat, or one small request. */
async function inputSize(spec: InputSpec, o: RemoteOptions['open']): Promise<number> {
  if (spec.size !== undefined && spec.size >= 0) return spec.size;
  const first = spec.replicas[0]!;
  if (schemeOf(first) === 'file') {
    const st = await stat(first).catch(() => null);
    if (st) return st.size;
  }
  const source = await openSource(first, { ...o, fetch: 'ranges', probeOnly: true });
  await source.close();
  return source.size;
}

registerCommand({
  name: 'convert [inputs..]',
  describe: 'Convert ROOT files (PHYSLITE) to column-split Parquet, one Parquet file per input',
  builder: (y) =>
    y
      .positional('inputs', { type: 'string', array: true, describe: 'Files, directories, globs, URLs (https, davs, gs), @list.txt (rucio list-file-replicas --pfns output too)' })
      .option('out', { type: 'string', demandOption: true, describe: 'Output directory, or gs://bucket/prefix' })
      .option('metalink', { type: 'string', array: true, describe: 'Rucio metalink file(s) (rucio list-file-replicas --metalink): one input per file, its replicas as fallbacks' })
      .option('prefer-scheme', { type: 'string', array: true, describe: 'Replica schemes best first (default davs https http dav gs)' })
      .option('prefer-rse', { type: 'string', array: true, describe: 'Replica RSEs best first' })
      .option('fetch', { choices: ['ranges', 'memory', 'disk'] as const, default: 'ranges', describe: 'Remote inputs: read ranges, or download whole first (memory up to --fetch-memory-limit, else disk)' })
      .option('fetch-memory-limit', { type: 'string', default: '512MiB', describe: 'Largest input --fetch memory holds in memory' })
      .option('requests', { type: 'number', default: 4, describe: 'Requests in flight per remote input' })
      .option('gcs-endpoint', { type: 'string', describe: 'Another GCS endpoint (STORAGE_EMULATOR_HOST is honoured too)' })
      .option('gcs-retries', { type: 'number', default: 5, describe: 'Retries of each GCS request by the client (exponential backoff from 1 s)' })
      .option('upload-chunk', { type: 'string', default: '16MiB', describe: 'Bytes per resumable-upload request (a multiple of 256KiB); one chunk is buffered' })
      .option('tree', { type: 'string', describe: 'TTree or RNTuple to convert (default CollectionTree, else the RNTuple EventData, else the only tree)' })
      .option('compression', { choices: ['zstd', 'snappy', 'none'] as const, default: 'zstd', describe: 'Parquet compression' })
      .option('row-group', { type: 'string', default: '64MiB', describe: 'Target uncompressed size of a row group (whole ROOT clusters)' })
      .option('force', { type: 'boolean', default: false, describe: 'Convert again inputs whose output exists' })
      .option('resume', { type: 'boolean', default: false, describe: 'Also retry inputs that earlier runs (their ledgers) recorded as failed' })
      .option('retries', { type: 'number', default: 1, describe: 'Attempts again, within this run, of inputs that failed transiently' })
      .option('include', { type: 'string', array: true, describe: 'Only branches matching these globs (repeatable)' })
      .option('exclude', { type: 'string', array: true, describe: 'Leave out branches matching these globs (repeatable)' })
      .option('preset', { type: 'string', describe: 'A checked-in branch list: analysis (what the built-in analysis reads, ~10% of the bytes)' })
      .option('workers', { type: 'number', default: availableParallelism(), describe: 'Worker processes, one input each at a time (default: the CPUs this process may use)' })
      .option('max-worker-memory', { type: 'string', default: '1GiB', describe: 'A worker above this resident memory is replaced after its current file' })
      .option('max-files-per-worker', { type: 'number', default: 200, describe: 'A worker is replaced after this many files' })
      .example('$0 convert data/*.root --out parquet/', 'one Parquet file per input')
      .example('$0 convert data/ --out parquet-analysis/ --preset analysis', 'only the branches the analysis reads')
      .example('$0 convert @replicas.txt --out gs://bucket/physlite/', 'rucio list-file-replicas --pfns output to Cloud Storage'),
  async run(args, ctx) {
    const { bytes: rowGroupBytes, rows: rowGroupRows } = parseRowGroupTarget(String(args['row-group']));
    const selection = {
      include: (args.include as string[] | undefined)?.map(String),
      exclude: (args.exclude as string[] | undefined)?.map(String),
      preset: args.preset as string | undefined,
    };
    branchFilter(selection); // an unknown preset is a usage error before any work
    const maxRss = parseRowGroup(String(args['max-worker-memory']));
    // A row group is held about three times while it is converted (decoded columns, their IPC copy,
    // the encoder's copy), on top of a worker's ~300 MiB of code and WebAssembly memory.
    if (rowGroupBytes !== undefined && 3 * rowGroupBytes + 300 * 2 ** 20 > maxRss) {
      throw new UsageError(
        `--row-group ${String(args['row-group'])} needs about ${Math.round((3 * rowGroupBytes + 300 * 2 ** 20) / 2 ** 20)} MiB per worker, above --max-worker-memory ${String(args['max-worker-memory'])}`,
      );
    }
    const outDir = String(args.out);
    const fetch = String(args.fetch) as FetchMode;
    const remote: RemoteOptions = {
      open: { fetch, memoryLimit: parseRowGroup(String(args['fetch-memory-limit'])), concurrency: Number(args.requests) },
      store: { gcs: { endpoint: args['gcs-endpoint'] as string | undefined, retries: Number(args['gcs-retries']), chunkSize: parseRowGroup(String(args['upload-chunk'])) } },
    };
    if (remote.store!.gcs!.chunkSize! % (256 * 1024) !== 0 || remote.store!.gcs!.chunkSize! <= 0) throw new UsageError('--upload-chunk must be a multiple of 256KiB');
    if (!Number.isSafeInteger(remote.store!.gcs!.retries) || remote.store!.gcs!.retries! < 0) throw new UsageError('--gcs-retries must be a whole number >= 0');
    remote.open!.gcs = remote.store!.gcs;
    if (!Number.isSafeInteger(remote.open!.concurrency) || remote.open!.concurrency! < 1) throw new UsageError('--requests must be a whole number >= 1');
    const prefs = { schemes: (args['prefer-scheme'] as string[] | undefined)?.flatMap((x) => String(x).split(',')), rses: (args['prefer-rse'] as string[] | undefined)?.flatMap((x) => String(x).split(',')) };
    const metalinks = ((args.metalink as string[] | undefined) ?? []).map(String);
    const inputs = await expandInputs(((args.inputs as string[] | undefined) ?? []).map(String), { metalinks, prefs, gcs: remote.store!.gcs });
    if (inputs.length === 0) throw new UsageError('no ROOT input found');
    const store = storeFor(outDir, remote.store);
    await store.prepare();
    const ledger = new RunLedger(store);
    const compression = ({ zstd: 'ZSTD', snappy: 'SNAPPY', none: 'UNCOMPRESSED' } as const)[String(args.compression) as 'zstd' | 'snappy' | 'none'];
    let failedPermanent = 0;
    let failedTransient = 0;
    let converted = 0;
    let skipped = 0;
    let skippedFailed = 0;
    const ledgerLine = (record: Record<string, unknown>): Promise<void> => ledger.record(record);
    // What the manifest will list, when every input has its output.
    const manifest: ManifestEntry[] = [];
    const existing: { input: string; name: string }[] = [];
    for (const spec of inputs) for (const why of spec.skipped ?? []) ctx.log.info(`${spec.id}: replica set aside: ${why}`);
    // Inputs whose output exists are skipped here, and so are inputs that earlier runs recorded as
    // failed (unless --resume); the rest go to the worker pool.
    const earlier = await lastStatuses(store, ledger.name);
    const probes = pLimit(16);
    const sizes = await Promise.all(
      inputs.map((spec) =>
        probes(() =>
          spec.replicas.length === 0 ? Promise.resolve(undefined) : inputSize(spec, remote.open).catch((err: unknown) => err as Error),
        ),
      ),
    );
    const jobs: InputSpec[] = [];
    for (const [i, spec] of inputs.entries()) {
      const input = spec.id;
      const size = sizes[i];
      const output = typeof size === 'number' ? outputName(input, size) : undefined;
      if (!args.resume && !args.force && earlier.get(input)?.status === 'failed') {
        skippedFailed++;
        // Still not converted: it counts in the exit code as it failed before.
        if (earlier.get(input)!.transient) failedTransient++;
        else failedPermanent++;
        await ledgerLine({ time: new Date().toISOString(), input, status: 'skipped-failed', note: 'failed in an earlier run; --resume retries it' });
      } else if (!args.force && output && (await store.stat(output))) {
        skipped++;
        existing.push({ input, name: output });
        await ledgerLine({ time: new Date().toISOString(), input, size, status: 'skipped', output: store.where(output) });
      } else if (size instanceof Error || size === undefined) {
        // Not even its size could be had (or no readable replica): it fails here, without a worker.
        const err = size ?? new PhysliteError(`no replica that physlite can read: ${(spec.skipped ?? []).join('; ')}`, { file: input });
        const code = exitCodeOf(err);
        if (code === EXIT.transient) failedTransient++;
        else failedPermanent++;
        const message = err instanceof PhysliteError ? err.describe() : err.message;
        ctx.log.error(`failed ${input}: ${message}`, { exitCode: code });
        await ledgerLine({ time: new Date().toISOString(), input, status: 'failed', error: message, transient: code === EXIT.transient });
      } else jobs.push(spec);
    }
    // Outputs are about to change: a manifest of an earlier run no longer describes the dataset.
    if (jobs.length > 0) await store.remove('_manifest.json');
    const workers = Number(args.workers);
    const maxFiles = Number(args['max-files-per-worker']);
    if (!Number.isSafeInteger(workers) || workers < 1) throw new UsageError(`--workers must be a whole number >= 1`);
    if (!Number.isSafeInteger(maxFiles) || maxFiles < 1) throw new UsageError(`--max-files-per-worker must be a whole number >= 1`);
    const pool = new ConversionPool({ workers, maxRssBytes: maxRss, maxFilesPerWorker: maxFiles });
    const stop = (): void => pool.kill();
    process.once('exit', stop);
    // Interrupted: stop the workers, then remove what a killed worker could not (its temporaries).
    const offShutdown = onShutdown(async () => {
      const pids = await pool.stop();
      if (store instanceof LocalStore) {
        const files = await readdir(outDir).catch(() => [] as string[]);
        await Promise.all(files.filter((f) => pids.some((p) => f.endsWith(`.tmp-${p}`))).map((f) => rm(join(outDir, f), { force: true })));
      }
      await ledger.flush().catch(() => undefined);
    });
    const retries = Number(args.retries);
    if (!Number.isSafeInteger(retries) || retries < 0) throw new UsageError('--retries must be a whole number >= 0');
    const total = jobs.length;
    let finished = 0;
    let eventsDone = 0;
    let bytesDone = 0;
    const t0 = performance.now();
    const tty = process.stderr.isTTY;
    let pending = jobs;
    for (let attempt = 0; attempt <= retries && pending.length > 0; attempt++) {
      const again: InputSpec[] = [];
      await pool.run(pending, { outDir, force: Boolean(args.force), tree: args.tree as string | undefined, compression, rowGroupBytes, rowGroupRows, selection, ...remote }, async (spec, outcome, seconds) => {
        const input = spec.id;
        const record: Record<string, unknown> = { time: new Date().toISOString(), input, attempt: attempt + 1 };
        if (outcome instanceof Error) {
          const code = exitCodeOf(outcome);
          record.status = 'failed';
          record.error = outcome instanceof PhysliteError ? outcome.describe() : outcome.message;
          record.transient = code === EXIT.transient;
          if (code === EXIT.transient && attempt < retries) {
            again.push(spec);
            record.status = 'retrying';
          } else if (code === EXIT.transient) failedTransient++;
          else failedPermanent++;
          ctx.log.error(`failed ${input}: ${record.error}`, { exitCode: code, attempt: attempt + 1 });
        } else {
          Object.assign(record, { status: 'done', output: outcome.output, entries: outcome.entries, columns: outcome.columns, bytesIn: outcome.bytesIn, bytesOut: outcome.bytesOut, crc32c: outcome.crc32c });
          if (outcome.alreadyThere) record.note = 'already written by another attempt (verified)';
          manifest.push({ input, object: outputName(input, outcome.bytesIn), entries: outcome.entries, size: outcome.bytesOut, crc32c: outcome.crc32c ?? '' });
          converted++;
          eventsDone += outcome.entries;
          bytesDone += outcome.bytesIn;
          if (!tty) ctx.log.info(`converted ${input}`, { entries: outcome.entries, columns: outcome.columns, output: outcome.output });
        }
        if (record.status !== 'retrying') finished++;
        record.seconds = +seconds.toFixed(3);
        await ledgerLine(record);
        if (tty) {
          const s = (performance.now() - t0) / 1000;
          const rate = bytesDone / 1e6 / Math.max(s, 1e-9);
          const eta = finished > 0 ? ((total - finished) * s) / finished : 0;
          process.stderr.write(`\rconvert: ${finished}/${total} files, ${eventsDone} events, ${rate.toFixed(1)} MB/s, ETA ${Math.round(eta)} s   `);
        }
      });
      pending = again;
    }
    if (tty) process.stderr.write('\n');
    process.off('exit', stop);
    offShutdown();
    await ledger.flush();
    let complete = '';
    if (failedPermanent + failedTransient === 0) {
      // Every input has its verified output: the manifest goes last, so its presence means complete.
      for (const e of existing) manifest.push(await describeOutput(store, e.input, e.name));
      await writeManifest(store, manifest, { tree: args.tree ?? null, compression, rowGroupBytes: rowGroupBytes ?? null, rowGroupRows: rowGroupRows ?? null, selection });
      complete = `; dataset complete: ${store.where('_manifest.json')}`;
    }
    ctx.out(
      `${converted} converted, ${skipped} skipped (output exists), ${skippedFailed ? `${skippedFailed} skipped (failed before; --resume), ` : ''}${failedPermanent + failedTransient - skippedFailed} failed; ledger ${ledger.location}${complete}`,
    );
    return failedTransient ? EXIT.transient : failedPermanent ? EXIT.permanent : EXIT.ok;
  },
});
