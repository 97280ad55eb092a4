/** `physlite dump FILE --tree T --branch B ... [--entry-start N] [--entry-stop M]`: values as JSON (TTree branches or RNTuple fields). */
import { toValues } from '../arrow/values.ts';
import { UsageError } from '../errors.ts';
import { RootFile } from '../root/file.ts';
import { defaultTable, openTable } from '../root/table.ts';
import { registerCommand } from './command.ts';
import { stringify } from './json.ts';

registerCommand({
  name: 'dump <file>',
  describe: 'Print the values of branches as JSON',
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: 'ROOT file', demandOption: true })
      .option('tree', { type: 'string', describe: 'TTree or RNTuple name, optionally with ;cycle (default: CollectionTree, else the RNTuple EventData, else the only tree)' })
      .option('branch', { type: 'string', array: true, demandOption: true, describe: 'Branch full name (repeatable)' })
      .option('entry-start', { type: 'number', describe: 'First entry (negative: from the end)' })
      .option('entry-stop', { type: 'number', describe: 'Entry after the last (negative: from the end)' })
      .example('$0 dump PHYSLITE.root --branch AnalysisMuonsAuxDyn.pt --entry-stop 3', 'first three entries')
      .example("$0 dump HZZ.root --tree events --branch Jet_Px --branch NJet --entry-start -2", 'last two entries')
      .example('$0 dump rntuple.root --tree EventData --branch AnalysisMuonsAuxDyn:pt', 'an RNTuple field'),
  async run(args, ctx) {
    for (const k of ['entry-start', 'entry-stop'] as const) {
      const v = args[k];
      if (v !== undefined && !Number.isSafeInteger(v)) throw new UsageError(`--${k} must be an integer, got ${String(v)}`);
    }
    const file = await RootFile.open(String(args.file));
    try {
      // Without --tree and no obvious table the user must name one: a usage error, not bad input.
      const tree = args.tree === undefined ? await defaultTable(file).catch((e: Error) => Promise.reject(new UsageError(e.message, { file: file.name }))) : String(args.tree);
      const reader = await openTable(file, tree);
      const names = (args.branch as string[]).map(String);
      const result = await reader.arrays(names, { entryStart: args['entry-start'] as number | undefined, entryStop: args['entry-stop'] as number | undefined });
      const branches: Record<string, unknown> = {};
      for (const n of names) branches[n] = toValues(result.columns.get(n)!);
      ctx.out(stringify({ tree: reader.name, entries: reader.entries, entryStart: result.entryStart, entryStop: result.entryStop, branches }, 2));
      return 0;
    } finally {
      await file.close();
    }
  },
});
