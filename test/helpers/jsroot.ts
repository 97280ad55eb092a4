/**
 * jsroot as an independent reference reader (devDependency, tests and benchmarks only): read
 * branches of a tree entry by entry with one treeProcess, returning one array per branch.
 */
import { readFile } from 'node:fs/promises';
import { openFile } from 'jsroot/io';
import { TSelector, treeProcess } from 'jsroot/tree';

export function findJsrootBranch(tree: any, name: string): any {
  const walk = (branches: any): any => {
    for (const b of branches?.arr ?? []) {
      if (!b) continue;
      if (b.fName === name) return b;
      const inner = walk(b.fBranches);
      if (inner) return inner;
    }
    return undefined;
  };
  return walk(tree.fBranches);
}

export async function openJsroot(path: string, treeName: string): Promise<any> {
  // jsroot reads local files through fs when given a path; an ArrayBuffer keeps it away from URLs.
  const buf = await readFile(path);
  const file = await openFile(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return file.readObject(treeName);
}

export async function jsrootRead(tree: any, names: string[], range?: { start: number; stop: number }): Promise<Map<string, unknown[]>> {
  const selector = new TSelector();
  const out = new Map<string, unknown[]>();
  names.forEach((n, i) => {
    const b = findJsrootBranch(tree, n);
    if (!b) throw new Error(`jsroot: no branch ${n}`);
    selector.addBranch(b, `b${i}`);
    out.set(n, []);
  });
  selector.Process = function () {
    // jsroot reuses the objects of some branch kinds (split collections) from entry to entry.
    names.forEach((n, i) => out.get(n)!.push(structuredClone(this.tgtobj[`b${i}`])));
  };
  const args = range ? { firstentry: range.start, numentries: range.stop - range.start } : {};
  await treeProcess(tree, selector, args);
  return out;
}
