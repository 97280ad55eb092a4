/** `physlite inspect FILE [--json] [--branches]`: what a ROOT file holds. */
import { RootFile } from '../root/file.ts';
import { inspectFile, type InspectReport, type TreeReport } from '../root/inspect.ts';
import { readMetadata, type FileMetadata } from '../root/metadata.ts';
import { registerCommand } from './command.ts';
import { stringify } from './json.ts';

function bytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

function treeSummary(t: TreeReport, listBranches: boolean): string[] {
  const lines: string[] = [];
  const zip = t.branches.reduce((s, b) => s + b.compressedBytes, 0);
  const tot = t.branches.reduce((s, b) => s + b.uncompressedBytes, 0);
  const readable = t.branches.filter((b) => b.readable).length;
  const parts = t.kind === 'RNTuple' ? 'top-level fields' : 'branches';
  lines.push(`${t.kind} ${t.name};${t.cycle}: ${t.entries} entries, ${t.branches.length} ${parts} (${readable} readable), ${bytes(zip)} compressed / ${bytes(tot)} uncompressed`);
  if (listBranches) {
    for (const b of t.branches) {
      lines.push(`  ${b.name}  ${b.typeName}  ${b.compressedBytes} B  ${b.baskets} basket(s)${b.readable ? '' : `  [not read: ${b.reason}]`}`);
    }
    return lines;
  }
  const largest = [...t.branches].sort((a, b) => b.compressedBytes - a.compressedBytes).slice(0, 8);
  lines.push(`  largest ${parts}:`);
  for (const b of largest) lines.push(`    ${b.name} (${b.typeName}): ${bytes(b.compressedBytes)}`);
  const reasons = new Map<string, string[]>();
  for (const b of t.branches) if (!b.readable) reasons.set(b.reason!, [...(reasons.get(b.reason!) ?? []), b.name]);
  if (reasons.size) {
    lines.push('  not read:');
    for (const [reason, names] of reasons) lines.push(`    ${names.length} x ${reason} (e.g. ${names.slice(0, 2).join(', ')})`);
  }
  return lines;
}

export function formatInspect(r: InspectReport, listBranches: boolean): string {
  const c = r.file.compression;
  const lines = [
    `${r.file.path}: ROOT file version ${r.file.version}, ${r.file.size} bytes, compression ${c.algorithm}${c.algorithm === 'NONE' ? '' : ` level ${c.level}`} (setting ${c.setting})`,
    `${r.keys.length} keys: ${r.keys.map((k) => `${k.name};${k.cycle} (${k.className})`).join(', ')}`,
  ];
  for (const t of r.trees) lines.push(...treeSummary(t, listBranches));
  return lines.join('\n');
}

export function formatMetadata(m: FileMetadata): string {
  if (!m.metadataTree) return `${m.file}: no MetaData tree (no bookkeeping or FileMetaData in this file)`;
  const lines = [`${m.file}: ${m.metadataTree}`];
  if (m.fileMetaData) {
    lines.push('FileMetaData:');
    for (const [k, v] of Object.entries(m.fileMetaData)) lines.push(`  ${k}: ${stringify(v)}`);
  }
  const byContainer = new Map<string, typeof m.cutBookkeepers>();
  for (const bk of m.cutBookkeepers) byContainer.set(bk.container, [...(byContainer.get(bk.container) ?? []), bk]);
  const main = [...byContainer.keys()].filter((c) => !/_weight_\d+$/.test(c));
  const variations = byContainer.size - main.length;
  for (const c of main) {
    const list = byContainer.get(c)!;
    lines.push(`${c}: ${list.length} bookkeeper(s)`);
    lines.push('  cycle  stream          events        sumOfWeights          sumOfWeightsSquared  name');
    const shown = list.slice(0, 12);
    for (const bk of shown) {
      lines.push(
        `  ${String(bk.cycle).padStart(5)}  ${bk.stream.padEnd(14)} ${String(bk.nAcceptedEvents).padStart(7)}  ${String(bk.sumOfEventWeights).padStart(20)}  ${String(bk.sumOfEventWeightsSquared).padStart(22)}  ${bk.name}`,
      );
    }
    if (list.length > shown.length) lines.push(`  ... ${list.length - shown.length} more (--json lists them all)`);
  }
  if (variations) lines.push(`${variations} per-weight bookkeeper container(s) (CutBookkeepers_weight_N): see --json`);
  return lines.join('\n');
}

registerCommand({
  name: 'inspect <file>',
  describe: 'Show the trees (TTrees and RNTuples), branches, types and sizes of a ROOT file',
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: 'ROOT file', demandOption: true })
      .option('json', { type: 'boolean', default: false, describe: 'Print the JSON report' })
      .option('branches', { type: 'boolean', default: false, describe: 'List every branch in the text report' })
      .option('metadata', { type: 'boolean', default: false, describe: 'Show the MetaData tree: CutBookkeepers (sums of weights) and FileMetaData' })
      .example('$0 inspect PHYSLITE.root', 'summary of the file')
      .example('$0 inspect PHYSLITE.root --json', 'machine-readable report')
      .example('$0 inspect DAOD_PHYSLITE.pool.root --metadata', 'bookkeeping and file metadata'),
  async run(args, ctx) {
    if (args.metadata) {
      const file = await RootFile.open(String(args.file));
      try {
        const m = await readMetadata(file);
        ctx.out(args.json ? stringify(m, 2) : formatMetadata(m));
      } finally {
        await file.close();
      }
      return 0;
    }
    const report = await inspectFile(String(args.file));
    ctx.out(args.json ? stringify(report, 2) : formatInspect(report, Boolean(args.branches)));
    return 0;
  },
});
