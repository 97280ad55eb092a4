/**
 * The options of an analysis run that a plan records (see src/convert/options.ts for the rules):
 * the analysis and its parameters define the results (always fixed by an analysis plan); the
 * number of worker threads only says how a shard runs.
 */
import { availableParallelism } from 'node:os';
import type { OptionDef } from '../convert/options.ts';

export const ANALYSIS_OPTIONS: Record<string, OptionDef> = {
  analysis: { dataset: true, default: 'builtin', yargs: { type: 'string', describe: 'builtin, or a .ts/.js module exporting defineAnalysis({...}) [default: builtin]' } },
  param: { dataset: true, default: [], yargs: { type: 'string', array: true, describe: 'Override an analysis parameter: key=value (repeatable), e.g. muonPt=5' } },
  workers: { default: availableParallelism(), yargs: { type: 'number', describe: `Worker threads over files and row groups [default: the CPUs this process may use, here ${availableParallelism()}]` } },
};
