/** `physlite dump FILE --tree T --branch B ... [--entry-start N] [--entry-stop M]`: values as JSON. */
import { toValues } from '../arrow/values.ts';
import { UsageError } from '../errors.ts';
import { RootFile } from '../root/file.ts';
import { TreeReader } from '../root/tree/reader.ts';
import { registerCommand } from './command.ts';
import { stringify } from './json.ts';

registerCommand({
  name: 'dump <file>',
  describe: 'Print the values of branches as JSON',
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: 'ROOT file', demandOption: true })
      .option('tree', { type: 'string', default: 'CollectionTree', describe: 'Tree name, optionally with ;cycle' })
      .option('branch', { type: 'string', array: true, demandOption: true, describe: 'Branch full name (repeatable)' })
      .option('entry-start', { type: 'number', describe: 'First entry (negative: from the end)' })
      .option('entry-stop', { type: 'number', describe: 'Entry after the last (negative: from the end)' })
      .example('$0 dump PHYSLITE.root --branch AnalysisMuonsAuxDyn.pt --entry-stop 3', 'first three entries')
      .example("$0 dump HZZ.root --tree events --branch Jet_Px --branch NJet --entry-start -2", 'last two entries'),
  async run(args, ctx) {
    for (const k of ['entry-start', 'entry-stop'] as const) {
      const v = args[k];
      if (v !== undefined && !Number.isSafeInteger(v)) throw new UsageError(`--${k} must be an integer, got ${String(v)}`);
    }
    const file = await RootFile.open(String(args.file));
    try {
      const reader = await TreeReader.open(file, String(args.tree));
      const names = (args.branch as string[]).map(String);
      const result = await reader.arrays(names, { entryStart: args['entry-start'] as number | undefined, entryStop: args['entry-stop'] as number | undefined });
      const branches: Record<string, unknown> = {};
      for (const n of names) branches[n] = toValues(result.columns.get(n)!);
      ctx.out(stringify({ tree: reader.tree.name, entries: reader.tree.entries, entryStart: result.entryStart, entryStop: result.entryStop, branches }, 2));
      return 0;
    } finally {
      await file.close();
    }
  },
});
