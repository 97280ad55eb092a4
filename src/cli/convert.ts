/**
 * `physlite convert INPUT... --out DIR`: ROOT files to one Parquet file each. This first version
 * converts one file at a time in this process; outputs are written under a temporary name and
 * renamed when complete and verified, an existing output is skipped (`--force` redoes it), every
 * input gets a line in this run's ledger (DIR/_ledger/), and one bad input never stops the run.
 * Exit code: 0 all converted, 2 some inputs permanently bad, 3 transient failures left.
 */
import { appendFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EXIT, PhysliteError, TransientError, UsageError, exitCodeOf } from '../errors.ts';
import { convertFile, outputName } from '../convert/convert-file.ts';
import { expandInputs } from '../convert/inputs.ts';
import { branchFilter } from '../convert/select.ts';
import { registerCommand } from './command.ts';

/** `64MiB`, `500kB`, `1GB` as bytes; a bare number is refused (rows or bytes?). */
export function parseRowGroup(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|kB|KiB|MB|MiB|GB|GiB)$/.exec(text.trim());
  if (!m) throw new UsageError(`--row-group takes a size with its unit (64MiB, 256MB), got "${text}"`);
  const unit: Record<string, number> = { B: 1, kB: 1e3, KiB: 2 ** 10, MB: 1e6, MiB: 2 ** 20, GB: 1e9, GiB: 2 ** 30 };
  return Math.round(Number(m[1]) * unit[m[2]!]!);
}

registerCommand({
  name: 'convert <inputs..>',
  describe: 'Convert ROOT files (PHYSLITE) to column-split Parquet, one Parquet file per input',
  builder: (y) =>
    y
      .positional('inputs', { type: 'string', array: true, describe: 'Files, directories, globs or @list.txt' })
      .option('out', { type: 'string', demandOption: true, describe: 'Output directory' })
      .option('tree', { type: 'string', describe: 'Tree to convert (default CollectionTree, or the only tree)' })
      .option('compression', { choices: ['zstd', 'snappy', 'none'] as const, default: 'zstd', describe: 'Parquet compression' })
      .option('row-group', { type: 'string', default: '64MiB', describe: 'Target uncompressed size of a row group (whole ROOT clusters)' })
      .option('force', { type: 'boolean', default: false, describe: 'Convert again inputs whose output exists' })
      .option('include', { type: 'string', array: true, describe: 'Only branches matching these globs (repeatable)' })
      .option('exclude', { type: 'string', array: true, describe: 'Leave out branches matching these globs (repeatable)' })
      .option('preset', { type: 'string', describe: 'A checked-in branch list: analysis (what the built-in analysis reads, ~10% of the bytes)' })
      .example('$0 convert data/*.root --out parquet/', 'one Parquet file per input')
      .example('$0 convert data/ --out parquet-analysis/ --preset analysis', 'only the branches the analysis reads'),
  async run(args, ctx) {
    const rowGroupBytes = parseRowGroup(String(args['row-group']));
    const selection = {
      include: (args.include as string[] | undefined)?.map(String),
      exclude: (args.exclude as string[] | undefined)?.map(String),
      preset: args.preset as string | undefined,
    };
    branchFilter(selection); // an unknown preset is a usage error before any work
    const outDir = String(args.out);
    const inputs = await expandInputs((args.inputs as string[]).map(String));
    if (inputs.length === 0) throw new UsageError('no ROOT input found');
    await mkdir(join(outDir, '_ledger'), { recursive: true });
    const ledger = join(outDir, '_ledger', `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.jsonl`);
    const compression = ({ zstd: 'ZSTD', snappy: 'SNAPPY', none: 'UNCOMPRESSED' } as const)[String(args.compression) as 'zstd' | 'snappy' | 'none'];
    let failedPermanent = 0;
    let failedTransient = 0;
    let converted = 0;
    let skipped = 0;
    for (const input of inputs) {
      const t0 = performance.now();
      const record: Record<string, unknown> = { time: new Date().toISOString(), input };
      try {
        const size = (await stat(input)).size;
        const output = join(outDir, outputName(input, size));
        record.size = size;
        if (!args.force && (await stat(output).catch(() => null))) {
          record.status = 'skipped';
          record.output = output;
          skipped++;
        } else {
          const r = await convertFile(input, { outDir, tree: args.tree as string | undefined, compression, rowGroupBytes, selection });
          Object.assign(record, { status: 'done', output: r.output, entries: r.entries, columns: r.columns, bytesIn: r.bytesIn, bytesOut: r.bytesOut });
          converted++;
          ctx.log.info(`converted ${input}`, { entries: r.entries, columns: r.columns, output: r.output });
        }
      } catch (err) {
        const code = exitCodeOf(err instanceof PhysliteError ? err : new TransientError(String(err)));
        record.status = 'failed';
        record.error = err instanceof PhysliteError ? err.describe() : (err as Error).message;
        record.transient = code === EXIT.transient;
        if (code === EXIT.transient) failedTransient++;
        else failedPermanent++;
        ctx.log.error(`failed ${input}: ${record.error}`, { exitCode: code });
      }
      record.seconds = +((performance.now() - t0) / 1000).toFixed(3);
      await appendFile(ledger, JSON.stringify(record) + '\n');
    }
    ctx.out(`${converted} converted, ${skipped} skipped (output exists), ${failedPermanent + failedTransient} failed; ledger ${ledger}`);
    return failedTransient ? EXIT.transient : failedPermanent ? EXIT.permanent : EXIT.ok;
  },
});
