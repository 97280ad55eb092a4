/**
 * `physlite generate --like TEMPLATE.root --events N --out FILE.root [--compression zstd:5]
 * [--seed S] [--smear F] [--sequential] [--tree T]`: a PHYSLITE-like file from a template.
 */
import { UsageError } from '../errors.ts';
import { parseCompression } from '../root/compression/compress.ts';
import { RootFile } from '../root/file.ts';
import { generateLike } from '../root/write/generate-like.ts';
import { generateDimuon } from '../root/write/generate-dimuon.ts';
import { registerCommand } from './command.ts';

registerCommand({
  name: 'generate',
  describe: 'Write a PHYSLITE-like ROOT file: from a template (--like) or simulated (--physics dimuon)',
  builder: (y) =>
    y
      .option('like', { type: 'string', describe: 'Template ROOT file whose tree and events to follow' })
      .option('physics', { choices: ['dimuon'] as const, describe: 'Simulated events with PHYSLITE branch names (not ATLAS data)' })
      .option('events', { type: 'number', demandOption: true, describe: 'Number of events to write' })
      .option('out', { type: 'string', demandOption: true, describe: 'Output ROOT file' })
      .option('tree', { type: 'string', default: 'CollectionTree', describe: 'Tree of the template' })
      .option('compression', { type: 'string', default: 'zstd:5', describe: 'zstd[:level], zlib[:level], lz4[:level] or none' })
      .option('seed', { type: 'number', default: 42, describe: 'Random seed (output is deterministic for a seed)' })
      .option('smear', { type: 'number', default: 0.03, describe: 'Relative Gaussian smearing of floating-point values (0 keeps them)' })
      .option('sequential', { type: 'boolean', default: false, describe: 'Take template events in order instead of at random' })
      .option('auto-flush', { type: 'number', default: 500, describe: 'Entries per cluster (ATLAS writes 500)' })
      .example('$0 generate --like PHYSLITE_example.root --events 100000 --out big.root', '100k smeared PHYSLITE-like events')
      .example('$0 generate --like PHYSLITE_example.root --sequential --smear 0 --events 100 --out copy.root', 'a value-for-value copy')
      .example('$0 generate --physics dimuon --events 200000 --out dimuon.root', 'simulated dimuon events with resonances'),
  async run(args, ctx) {
    if (!args.like === !args.physics) throw new UsageError('generate needs either --like TEMPLATE.root or --physics dimuon');
    const events = Number(args.events);
    if (!Number.isSafeInteger(events) || events < 0) throw new UsageError(`--events must be a whole number >= 0, got ${String(args.events)}`);
    const smear = Number(args.smear);
    if (!Number.isFinite(smear) || smear < 0) throw new UsageError(`--smear must be >= 0, got ${String(args.smear)}`);
    const autoFlush = Number(args['auto-flush']);
    if (!Number.isSafeInteger(autoFlush) || autoFlush < 1) throw new UsageError(`--auto-flush must be a whole number >= 1`);
    const compression = parseCompression(String(args.compression));
    const tty = process.stderr.isTTY;
    let last = 0;
    const onProgress = (done: number, total: number): void => {
      const now = Date.now();
      if (now - last < 500 && done !== total) return;
      last = now;
      if (tty) process.stderr.write(`\rgenerate: ${done}/${total} events (${Math.round((100 * done) / Math.max(1, total))}%)`);
      else if (done === total || done % 10000 === 0) ctx.log.info('progress', { events: done, total });
    };
    const report = (s: { events: number; bytes: number; seconds: number }, branches: number): void => {
      if (tty) process.stderr.write('\n');
      const mb = s.bytes / 1e6;
      ctx.out(
        `${args.out}: ${s.events} events, ${branches} branches, ${mb.toFixed(1)} MB in ${s.seconds.toFixed(1)} s ` +
          `(${Math.round(s.events / Math.max(s.seconds, 1e-9))} events/s, ${(mb / Math.max(s.seconds, 1e-9)).toFixed(1)} MB/s)`,
      );
    };
    if (args.physics) {
      const s = await generateDimuon({ events, out: String(args.out), compression, seed: Number(args.seed), onProgress });
      report(s, 31);
      return 0;
    }
    const template = await RootFile.open(String(args.like));
    try {
      const summary = await generateLike({
        template,
        tree: String(args.tree),
        events,
        out: String(args.out),
        compression,
        seed: Number(args.seed),
        smear,
        sequential: Boolean(args.sequential),
        autoFlush,
        onProgress,
      });
      for (const l of summary.leftOut) ctx.log.warn(`left out branch ${l.branch}: ${l.reason}`);
      report(summary, summary.branches);
      return 0;
    } finally {
      await template.close();
    }
  },
});
