/**
 * Issue 4: the TTree writer and `generate --like`. Generated files are read back by the project
 * and by jsroot; with `--sequential --smear 0` they reproduce the template value for value, with
 * the template's tree, branch and leaf records and StreamerInfo.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toValues } from '../src/arrow/values.ts';
import { main } from '../src/cli/main.ts';
import { parseCompression } from '../src/root/compression/compress.ts';
import { RootFile } from '../src/root/file.ts';
import type { RootObject } from '../src/root/object-reader.ts';
import { TreeReader } from '../src/root/tree/reader.ts';
import { generateLike } from '../src/root/write/generate-like.ts';
import { difference, normalizeJsroot } from './helpers/compare.ts';
import { fixture } from './helpers/fixtures.ts';
import { jsrootRead, openJsroot } from './helpers/jsroot.ts';
import { rmSync } from 'node:fs';

const dir = mkdtempSync(join(tmpdir(), 'physlite-generate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function generate(template: string, tree: string, events: number, out: string, extra: Partial<Parameters<typeof generateLike>[0]> = {}): Promise<string> {
  const t = await RootFile.open(fixture(template));
  try {
    await generateLike({ template: t, tree, events, out: join(dir, out), compression: parseCompression('zstd:5'), ...extra });
  } finally {
    await t.close();
  }
  return join(dir, out);
}

const json = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));

async function readAll(path: string, tree: string, stop?: number): Promise<Map<string, unknown[]>> {
  const f = await RootFile.open(path);
  const r = await TreeReader.open(f, tree);
  const names = [...new Set(r.tree.all.filter((b) => r.resolve(b).readable).map((b) => b.name))];
  const { columns } = await r.arrays(names, { entryStop: stop });
  await f.close();
  return new Map(names.map((n) => [n, toValues(columns.get(n)!)]));
}

/** The identifying fields of every branch and leaf record, depth first. */
function records(tree: RootObject): unknown[] {
  const out: unknown[] = [];
  const walk = (arr: unknown): void => {
    for (const b of ((arr as RootObject | null)?.arr as (RootObject | null)[]) ?? []) {
      if (!b) continue;
      const leaves = ((b.fLeaves as RootObject).arr as RootObject[]).map((l) => [l._typename, l.fName, l.fTitle, l.fLen, l.fLenType, l.fIsUnsigned]);
      out.push([b._typename, b.fName, b.fTitle, b.fEntryOffsetLen, b.fSplitLevel, b.fClassName, b.fParentName, b.fID, b.fType, b.fStreamerType, b.fCheckSum, b.fClassVersion, leaves]);
      walk(b.fBranches);
    }
  };
  walk(tree.fBranches);
  return out;
}

describe('generate --like', () => {
  it('--sequential --smear 0 --events 100 reproduces PHYSLITE_example value for value, records and StreamerInfo', async () => {
    const out = await generate('PHYSLITE_example.root', 'CollectionTree', 100, 'copy.root', { sequential: true, smear: 0 });
    const mine = await readAll(out, 'CollectionTree');
    const template = await readAll(fixture('PHYSLITE_example.root'), 'CollectionTree');
    expect(mine.size).toBe(template.size);
    expect(mine.size).toBeGreaterThan(1400);
    for (const [name, values] of template) expect(json(mine.get(name)), name).toBe(json(values));

    const g = await RootFile.open(out);
    const t = await RootFile.open(fixture('PHYSLITE_example.root'));
    const gTree = (await g.readObject(await g.findKey('CollectionTree'))) as RootObject;
    const tTree = (await t.readObject(await t.findKey('CollectionTree'))) as RootObject;
    expect(records(gTree)).toEqual(records(tTree));
    expect(gTree.fEntries).toBe(100);
    expect((await g.streamers()).all()).toEqual((await t.streamers()).all());
    await g.close();
    await t.close();
  });

  it('the release-21 template round-trips too (unaligned baskets, split members, objects)', async () => {
    const out = await generate('DAOD_PHYSLITE_21.2.108.0.art.pool.root', 'CollectionTree', 40, 'daod.root', { sequential: true, smear: 0, compression: parseCompression('zlib:1') });
    const mine = await readAll(out, 'CollectionTree');
    const template = await readAll(fixture('DAOD_PHYSLITE_21.2.108.0.art.pool.root'), 'CollectionTree');
    for (const [name, values] of template) expect(json(mine.get(name)), name).toBe(json(values));
  });

  it('jsroot reads a smeared multi-cluster file to the same values as the project', async () => {
    const out = await generate('PHYSLITE_example.root', 'CollectionTree', 1100, 'smeared.root', { seed: 7 });
    const mine = await readAll(out, 'CollectionTree');
    const tree = await openJsroot(out, 'CollectionTree');
    let compared = 0;
    const mismatches: string[] = [];
    // Every branch: all at once where jsroot can, else one by one (it cannot read the Aux base
    // records and one split ElementLink in the template either).
    const names = [...mine.keys()].filter((n) => !/Aux\.$|Aux\.xAOD::|hardScatterVertexLink/.test(n));
    let all: Map<string, unknown[]>;
    try {
      all = await jsrootRead(tree, names);
    } catch {
      all = new Map();
    }
    for (const n of names) {
      let theirs = all.get(n);
      if (!theirs) {
        try {
          theirs = (await jsrootRead(tree, [n])).get(n)!;
        } catch {
          continue;
        }
      }
      const d = difference(mine.get(n), normalizeJsroot(theirs), n);
      if (d) mismatches.push(d);
      compared++;
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(1000);
  });

  it('smears floats only, keeps integers and structure, and is deterministic for a seed', async () => {
    // The file name is part of a ROOT file (its top directory), so compare same-named files.
    for (const d of ['one', 'two', 'three']) mkdirSync(join(dir, d), { recursive: true });
    const a = await generate('uproot-HZZ.root', 'events', 3000, 'one/a.root', { seed: 3, smear: 0.05 });
    const b = await generate('uproot-HZZ.root', 'events', 3000, 'two/a.root', { seed: 3, smear: 0.05 });
    const c = await generate('uproot-HZZ.root', 'events', 3000, 'three/a.root', { seed: 4, smear: 0.05 });
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(readFileSync(a).equals(readFileSync(c))).toBe(false);
    const s = await generate('uproot-HZZ.root', 'events', 3000, 's.root', { seed: 3, smear: 0 });
    const smeared = await readAll(a, 'events');
    const exact = await readAll(s, 'events');
    expect(json(smeared.get('NJet'))).toBe(json(exact.get('NJet'))); // same template events
    expect(json(smeared.get('Jet_ID'))).toBe(json(exact.get('Jet_ID')));
    expect(json(smeared.get('Jet_Px'))).not.toBe(json(exact.get('Jet_Px')));
    const px = smeared.get('Jet_Px')!.flat() as number[];
    const px0 = exact.get('Jet_Px')!.flat() as number[];
    const rel = px.map((v, i) => (px0[i] ? v / px0[i]! - 1 : 0));
    const sd = Math.sqrt(rel.reduce((t, x) => t + x * x, 0) / rel.length);
    expect(sd).toBeGreaterThan(0.03);
    expect(sd).toBeLessThan(0.07);
  });

  it('writes clusters of 500 entries, several baskets per branch, in every compression', async () => {
    const reference = await readAll(await generate('uproot-HZZ.root', 'events', 1700, 'none.root', { sequential: true, smear: 0, compression: parseCompression('none') }), 'events');
    for (const c of ['zstd:1', 'zlib:6', 'lz4']) {
      const out = await generate('uproot-HZZ.root', 'events', 1700, `${c.replace(':', '-')}.root`, { sequential: true, smear: 0, compression: parseCompression(c) });
      const f = await RootFile.open(out);
      expect(f.compression().algorithm).toBe(c.split(':')[0]!.toUpperCase());
      const r = await TreeReader.open(f, 'events');
      expect(r.tree.autoFlush).toBe(500);
      const jet = r.tree.byName.get('Jet_Px')!;
      expect(jet.baskets.map((b) => b.entryStart)).toEqual([0, 500, 1000, 1500]);
      await f.close();
      const values = await readAll(out, 'events');
      for (const [n, v] of reference) expect(json(values.get(n)), `${c} ${n}`).toBe(json(v));
    }
  });

  it('a zero-entry tree is a valid file', async () => {
    const out = await generate('uproot-Zmumu.root', 'events', 0, 'empty.root');
    const f = await RootFile.open(out);
    const r = await TreeReader.open(f, 'events');
    expect(r.tree.entries).toBe(0);
    const { columns } = await r.arrays(['M', 'Type']);
    expect(columns.get('M')!.length).toBe(0);
    await f.close();
    const tree = await openJsroot(out, 'events');
    expect(tree.fEntries).toBe(0);
  });
});

describe('physlite generate', () => {
  it('prints a summary; bad input is one usage line and leaves no output file', async () => {
    let text = '';
    const out = join(dir, 'cli.root');
    expect(await main(['generate', '--like', fixture('uproot-Zmumu.root'), '--tree', 'events', '--events', '50', '--out', out], (t) => (text += t))).toBe(0);
    expect(text).toMatch(/50 events, 20 branches/);
    for (const args of [
      ['--events', '-1', '--tree', 'events'],
      ['--events', '10'], // no CollectionTree in the template
      ['--events', '10', '--tree', 'events', '--compression', 'brotli'],
    ]) {
      const target = join(dir, 'bad.root');
      expect(await main(['generate', '--like', fixture('uproot-Zmumu.root'), '--out', target, ...args], () => {})).toBe(1);
      expect(readdirSync(dir).filter((f) => f.startsWith('bad.root'))).toEqual([]);
    }
  });
});
