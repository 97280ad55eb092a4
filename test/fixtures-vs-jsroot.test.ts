/**
 * Issues 2 and 3: every branch of every TTree (every cycle, older cycles with baskets inside the
 * TTree object included) in ../shared/fixtures/root is read by the project and by jsroot and
 * compared entry by entry. Branches jsroot cannot read are listed with its error; branches the
 * project does not read must be ones without values (split-object tops with no baskets).
 */
import { DataType, type Struct } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { compilerFor } from '../src/root/interpret/streamed.ts';
import { toValues } from '../src/arrow/values.ts';
import { RootFile } from '../src/root/file.ts';
import { inspectRootFile } from '../src/root/inspect.ts';
import { TreeReader } from '../src/root/tree/reader.ts';
import { difference, normalizeJsroot } from './helpers/compare.ts';
import { allFixtures, fixture } from './helpers/fixtures.ts';
import { jsrootRead, openJsroot } from './helpers/jsroot.ts';

/** The only reason a branch may be left unread: it holds no values (no baskets of its own). */
const ALLOWED_UNREAD = [/^no values: /];

describe.each(allFixtures())('%s', (name) => {
  it('reads every readable branch of every tree identically to jsroot', async () => {
    const path = fixture(name);
    const file = await RootFile.open(path);
    const report = await inspectRootFile(file);
    // Every cycle of every tree, not only the highest ones the report lists.
    const cycles = report.keys.filter((k) => k.className === 'TTree');
    const mismatches: string[] = [];
    const jsrootFailures: string[] = [];
    const unread: string[] = [];
    const structure: string[] = [];
    let compared = 0;
    for (const t of cycles) {
      const reader = await TreeReader.open(file, `${t.name};${t.cycle}`);
      const names = [...new Set(reader.tree.all.filter((b) => reader.resolve(b).readable).map((b) => b.name))];
      for (const b of reader.tree.all) {
        const r = reader.resolve(b);
        if (!r.readable && !ALLOWED_UNREAD.some((re) => re.test(r.reason))) unread.push(`${t.name};${t.cycle}/${b.name}: ${r.reason}`);
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
            jsrootFailures.push(`${t.name};${t.cycle}/${n}: ${(err as Error).message}`);
            // No reference values: check what we decoded against the tree and the StreamerInfo
            // (every record's byte count was already checked while decoding).
            const data = mine.columns.get(n)!;
            if (data.length !== reader.tree.entries) structure.push(`${t.name};${t.cycle}/${n}: ${data.length} entries of ${reader.tree.entries}`);
            const expected = expectedFields(reader, n);
            if (expected && DataType.isStruct(data.type)) {
              const got = (data.type as Struct).children.map((f) => f.name);
              if (got.join(',') !== expected.join(',')) structure.push(`${t.name};${t.cycle}/${n}: fields ${got} != ${expected}`);
            }
          }
        }
      }
      for (const n of names) {
        const ref = theirs.get(n);
        if (!ref) continue;
        const values = toValues(mine.columns.get(n)!);
        const d = difference(values, normalizeJsroot(ref), `${t.name};${t.cycle}/${n}`);
        if (d) mismatches.push(d);
        compared++;
      }
    }
    await file.close();
    if (jsrootFailures.length) {
      console.log(`${name}: jsroot could not read ${jsrootFailures.length} branch(es), checked against the StreamerInfo instead, e.g.\n  ${jsrootFailures.slice(0, 4).join('\n  ')}`);
    }
    expect(mismatches).toEqual([]);
    expect(structure).toEqual([]);
    expect(unread).toEqual([]);
    expect(compared).toBeGreaterThan(0);
  });
});

/** The flattened member names the StreamerInfo gives for a branch holding one object (or base record) per entry. */
function expectedFields(reader: TreeReader, name: string): string[] | undefined {
  const b = reader.tree.byName.get(name);
  const el = b?.element;
  if (!el) return undefined;
  const compiler = compilerFor(reader.streamers);
  if (el.id < 0) {
    const layout = compiler.layout(el.className, el.classVersion, el.checksum);
    return typeof layout === 'string' ? undefined : layout.fields.map((f) => f.name);
  }
  const info = reader.streamers.find(el.className, el.classVersion, el.checksum);
  const member = info?.elements[el.id];
  if (!member || member.kind !== 'TStreamerBase') return undefined;
  const layout = compiler.layout(member.name);
  return typeof layout === 'string' ? undefined : layout.fields.map((f) => f.name);
}
