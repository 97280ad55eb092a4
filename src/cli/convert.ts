/**
 * `physlite convert INPUT... --out DIR`: ROOT files to one Parquet file each, on a pool of worker
 * processes; outputs are written under a temporary name and renamed when complete and verified, an
 * existing output is skipped (`--force` redoes it), every input gets a line in this run's ledger
 * (DIR/_ledger/), and one bad input never stops the run.
 * Exit code: 0 all converted, 2 some inputs permanently bad, 3 transient failures left.
 */
import { appendFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { onShutdown } from '../cleanup.ts';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { EXIT, PhysliteError, UsageError, exitCodeOf } from '../errors.ts';
import { ConversionPool } from '../convert/pool.ts';
import { outputName } from '../convert/convert-file.ts';
import { expandInputs } from '../convert/inputs.ts';
import { branchFilter } from '../convert/select.ts';
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

/**
 * Temporary outputs of runs that were killed outright (SIGKILL, a lost node): `*.tmp-<pid>` whose
 * process is gone. A live pid means another run is writing there: its files are left alone.
 */
async function removeStaleTemporaries(outDir: string): Promise<void> {
  for (const f of await readdir(outDir).catch(() => [] as string[])) {
    const m = /\.tmp-(\d+)$/.exec(f);
    if (!m) continue;
    if (!(await processAlive(Number(m[1])))) await rm(join(outDir, f), { force: true });
  }
}

/** Whether a process runs (a zombie, whose parent was killed and nobody reaped it, does not). */
async function processAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat !== undefined) return !/^\d+ \(.*\) Z/.test(stat);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The last status each input had in the earlier ledgers of this output directory. */
async function lastStatuses(ledgerDir: string, current: string): Promise<Map<string, { status: string; transient: boolean }>> {
  const out = new Map<string, { status: string; transient: boolean }>();
  const files = (await readdir(ledgerDir).catch(() => [] as string[])).filter((f) => f.endsWith('.jsonl')).sort();
  for (const f of files) {
    if (join(ledgerDir, f) === current) continue;
    const text = await readFile(join(ledgerDir, f), 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line) as { input: string; status: string; transient?: boolean };
        if (r.status === 'done' || r.status === 'failed') out.set(r.input, { status: r.status, transient: r.transient === true });
      } catch {
        // a line cut by a crash: ignore it
      }
    }
  }
  return out;
}

registerCommand({
  name: 'convert <inputs..>',
  describe: 'Convert ROOT files (PHYSLITE) to column-split Parquet, one Parquet file per input',
  builder: (y) =>
    y
      .positional('inputs', { type: 'string', array: true, describe: 'Files, directories, globs or @list.txt' })
      .option('out', { type: 'string', demandOption: true, describe: 'Output directory' })
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
      .example('$0 convert data/ --out parquet-analysis/ --preset analysis', 'only the branches the analysis reads'),
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
    const inputs = await expandInputs((args.inputs as string[]).map(String));
    if (inputs.length === 0) throw new UsageError('no ROOT input found');
    await mkdir(join(outDir, '_ledger'), { recursive: true });
    await removeStaleTemporaries(outDir);
    const ledger = join(outDir, '_ledger', `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.jsonl`);
    const compression = ({ zstd: 'ZSTD', snappy: 'SNAPPY', none: 'UNCOMPRESSED' } as const)[String(args.compression) as 'zstd' | 'snappy' | 'none'];
    let failedPermanent = 0;
    let failedTransient = 0;
    let converted = 0;
    let skipped = 0;
    let skippedFailed = 0;
    const ledgerLine = async (record: Record<string, unknown>): Promise<void> => {
      await appendFile(ledger, JSON.stringify(record) + '\n');
    };
    // Inputs whose output exists are skipped here, and so are inputs that earlier runs recorded as
    // failed (unless --resume); the rest go to the worker pool.
    const earlier = await lastStatuses(join(outDir, '_ledger'), ledger);
    const jobs: string[] = [];
    for (const input of inputs) {
      const st = await stat(input).catch(() => null);
      const output = st ? join(outDir, outputName(input, st.size)) : undefined;
      if (!args.force && output && (await stat(output).catch(() => null))) {
        skipped++;
        await ledgerLine({ time: new Date().toISOString(), input, size: st!.size, status: 'skipped', output });
      } else if (!args.resume && !args.force && earlier.get(input)?.status === 'failed') {
        skippedFailed++;
        // Still not converted: it counts in the exit code as it failed before.
        if (earlier.get(input)!.transient) failedTransient++;
        else failedPermanent++;
        await ledgerLine({ time: new Date().toISOString(), input, status: 'skipped-failed', note: 'failed in an earlier run; --resume retries it' });
      } else jobs.push(input);
    }
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
      const files = await readdir(outDir).catch(() => [] as string[]);
      await Promise.all(files.filter((f) => pids.some((p) => f.endsWith(`.tmp-${p}`))).map((f) => rm(join(outDir, f), { force: true })));
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
      const again: string[] = [];
      await pool.run(pending, { outDir, tree: args.tree as string | undefined, compression, rowGroupBytes, rowGroupRows, selection }, async (input, outcome, seconds) => {
        const record: Record<string, unknown> = { time: new Date().toISOString(), input, attempt: attempt + 1 };
        if (outcome instanceof Error) {
          const code = exitCodeOf(outcome);
          record.status = 'failed';
          record.error = outcome instanceof PhysliteError ? outcome.describe() : outcome.message;
          record.transient = code === EXIT.transient;
          if (code === EXIT.transient && attempt < retries) {
            again.push(input);
            record.status = 'retrying';
          } else if (code === EXIT.transient) failedTransient++;
          else failedPermanent++;
          ctx.log.error(`failed ${input}: ${record.error}`, { exitCode: code, attempt: attempt + 1 });
        } else {
          Object.assign(record, { status: 'done', output: outcome.output, entries: outcome.entries, columns: outcome.columns, bytesIn: outcome.bytesIn, bytesOut: outcome.bytesOut });
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
    ctx.out(
      `${converted} converted, ${skipped} skipped (output exists), ${skippedFailed ? `${skippedFailed} skipped (failed before; --resume), ` : ''}${failedPermanent + failedTransient - skippedFailed} failed; ledger ${ledger}`,
    );
    return failedTransient ? EXIT.transient : failedPermanent ? EXIT.permanent : EXIT.ok;
  },
});
