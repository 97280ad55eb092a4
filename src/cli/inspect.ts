/** `physlite inspect FILE [--json] [--branches]`: what a ROOT file holds. */
import { inspectFile, type InspectReport, type TreeReport } from '../root/inspect.ts';
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
  lines.push(`TTree ${t.name};${t.cycle}: ${t.entries} entries, ${t.branches.length} branches (${readable} readable), ${bytes(zip)} compressed / ${bytes(tot)} uncompressed`);
  if (listBranches) {
    for (const b of t.branches) {
      lines.push(`  ${b.name}  ${b.typeName}  ${b.compressedBytes} B  ${b.baskets} basket(s)${b.readable ? '' : `  [not read: ${b.reason}]`}`);
    }
    return lines;
  }
  const largest = [...t.branches].sort((a, b) => b.compressedBytes - a.compressedBytes).slice(0, 8);
  lines.push('  largest branches:');
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

registerCommand({
  name: 'inspect <file>',
  describe: 'Show the trees, branches, types and sizes of a ROOT file',
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: 'ROOT file', demandOption: true })
      .option('json', { type: 'boolean', default: false, describe: 'Print the JSON report' })
      .option('branches', { type: 'boolean', default: false, describe: 'List every branch in the text report' })
      .example('$0 inspect PHYSLITE.root', 'summary of the file')
      .example('$0 inspect PHYSLITE.root --json', 'machine-readable report'),
  async run(args, ctx) {
    const report = await inspectFile(String(args.file));
    ctx.out(args.json ? stringify(report, 2) : formatInspect(report, Boolean(args.branches)));
    return 0;
  },
});
