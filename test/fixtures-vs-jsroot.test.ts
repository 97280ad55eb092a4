/**
 * Issue 2: every readable branch of every TTree in ../shared/fixtures/root is read by the project
 * and by jsroot and compared entry by entry. Branches jsroot cannot read are listed with its error;
 * branches the project does not read are listed with the reason and checked against what is expected.
 */
import { describe, expect, it } from 'vitest';
import { toValues } from '../src/arrow/values.ts';
import { RootFile } from '../src/root/file.ts';
import { inspectRootFile } from '../src/root/inspect.ts';
import { TreeReader } from '../src/root/tree/reader.ts';
import { difference, normalizeJsroot } from './helpers/compare.ts';
import { allFixtures, fixture } from './helpers/fixtures.ts';
import { jsrootRead, openJsroot } from './helpers/jsroot.ts';

/** Reasons a branch may legitimately be left unread by this reader (no values, or issue 3's objects). */
const ALLOWED_UNREAD = [/^no values: /, /needs the StreamerInfo object decoder/, /stored inside the TTree object/];

describe.each(allFixtures())('%s', (name) => {
  it('reads every readable branch of every tree identically to jsroot', async () => {
    const path = fixture(name);
    const file = await RootFile.open(path);
    const report = await inspectRootFile(file);
    const mismatches: string[] = [];
    const jsrootFailures: string[] = [];
    const unread: string[] = [];
    let compared = 0;
    for (const t of report.trees) {
      const reader = await TreeReader.open(file, `${t.name};${t.cycle}`);
      const names = [...new Set(t.branches.filter((b) => b.readable).map((b) => b.name))];
      for (const b of t.branches) {
        if (!b.readable && !ALLOWED_UNREAD.some((re) => re.test(b.reason!))) unread.push(`${t.name}/${b.name}: ${b.reason}`);
      }
      if (names.length === 0) continue;
      const mine = await reader.arrays(names);
      const jsTree = await openJsroot(path, `${t.name};${t.cycle}`);
      let theirs: Map<string, unknown[]>;
      try {
        theirs = await jsrootRead(jsTree, names);
      } catch {
        theirs = new Map();
        for (const n of names) {
          try {
            theirs.set(n, (await jsrootRead(jsTree, [n])).get(n)!);
          } catch (err) {
            jsrootFailures.push(`${t.name}/${n}: ${(err as Error).message}`);
          }
        }
      }
      for (const n of names) {
        const ref = theirs.get(n);
        if (!ref) continue;
        const values = toValues(mine.columns.get(n)!);
        const d = difference(values, normalizeJsroot(ref), `${t.name}/${n}`);
        if (d) mismatches.push(d);
        compared++;
      }
    }
    await file.close();
    if (jsrootFailures.length) console.log(`${name}: jsroot could not read ${jsrootFailures.length} branch(es):\n  ${jsrootFailures.join('\n  ')}`);
    expect(mismatches).toEqual([]);
    expect(unread).toEqual([]);
    expect(compared).toBeGreaterThan(0);
  });
});
