/**
 * Issue 2: the same dataset in every compression (HZZ, Zmumu) reads to identical values, and a
 * range read across unaligned baskets equals the same slice of a full read.
 */
import type { Data } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { toValues } from '../src/arrow/values.ts';
import { RootFile } from '../src/root/file.ts';
import { TreeReader } from '../src/root/tree/reader.ts';
import { fixture } from './helpers/fixtures.ts';

async function readAll(name: string, tree: string): Promise<{ algorithm: string; columns: Map<string, Data> }> {
  const file = await RootFile.open(fixture(name));
  try {
    const reader = await TreeReader.open(file, tree);
    const names = reader.tree.all.map((b) => b.name);
    const { columns } = await reader.arrays(names);
    return { algorithm: file.compression().algorithm, columns };
  } finally {
    await file.close();
  }
}

const VARIANTS: Record<string, string[]> = {
  'uproot-HZZ-uncompressed.root': ['uproot-HZZ.root', 'uproot-HZZ-zlib.root', 'uproot-HZZ-lzma.root', 'uproot-HZZ-lz4.root', 'uproot-HZZ-zstd.root'],
  'uproot-Zmumu.root': ['uproot-Zmumu-lzma.root', 'uproot-Zmumu-lz4.root', 'uproot-Zmumu-zstd.root'],
};

describe('every compression reads to identical values', () => {
  for (const [reference, variants] of Object.entries(VARIANTS)) {
    it.each(variants)(`%s equals ${reference}`, async (variant) => {
      const ref = await readAll(reference, 'events');
      const other = await readAll(variant, 'events');
      expect(other.columns.size).toBe(ref.columns.size);
      expect(ref.columns.size).toBeGreaterThanOrEqual(20);
      for (const [name, data] of ref.columns) {
        const mine = other.columns.get(name)!;
        expect(mine.length, name).toBe(data.length);
        expect(toValues(mine), `${variant} ${name}`).toEqual(toValues(data));
      }
    });
  }

  it('covers every algorithm ROOT writes', async () => {
    const algorithms = new Set<string>();
    for (const name of [...Object.keys(VARIANTS), ...Object.values(VARIANTS).flat()]) {
      const file = await RootFile.open(fixture(name));
      algorithms.add(file.compression().algorithm);
      await file.close();
    }
    expect([...algorithms].sort()).toEqual(['LZ4', 'LZMA', 'NONE', 'ZLIB', 'ZSTD']);
  });
});

describe('entry ranges', () => {
  it('a range across unaligned baskets equals the slice of a full read (DAOD)', async () => {
    const file = await RootFile.open(fixture('DAOD_PHYSLITE_21.2.108.0.art.pool.root'));
    const reader = await TreeReader.open(file, 'CollectionTree');
    const multi = reader.tree.all.filter((b) => b.baskets.length > 1 && reader.resolve(b).readable).map((b) => b.name);
    expect(multi.length).toBeGreaterThanOrEqual(20);
    const full = await reader.arrays(multi);
    for (const [start, stop] of [
      [11, 33],
      [0, 1],
      [39, 40],
      [5, 5],
      [-7, -2],
    ] as [number, number][]) {
      const part = await reader.arrays(multi, { entryStart: start, entryStop: stop });
      for (const name of multi) {
        const all = toValues(full.columns.get(name)!);
        expect(toValues(part.columns.get(name)!), `${name} [${start}, ${stop})`).toEqual(all.slice(part.entryStart, part.entryStop));
      }
    }
    await file.close();
  });

  it('a range touches only the baskets that overlap it', async () => {
    const file = await RootFile.open(fixture('DAOD_PHYSLITE_21.2.108.0.art.pool.root'));
    const reader = await TreeReader.open(file, 'CollectionTree');
    const branch = reader.tree.all
      .filter((x) => reader.resolve(x).readable)
      .reduce((a, b) => (b.baskets.length > a.baskets.length ? b : a));
    expect(branch.baskets.length).toBeGreaterThan(10);
    const loc = branch.baskets[3]!;
    const before = file.source.counters.bytes;
    await reader.arrays([branch.name], { entryStart: loc.entryStart, entryStop: loc.entryStop });
    expect(file.source.counters.bytes - before).toBe(loc.bytes);
    await file.close();
  });

  it('clamps and counts from the end like Python slices', async () => {
    const file = await RootFile.open(fixture('uproot-Zmumu.root'));
    const reader = await TreeReader.open(file, 'events');
    const cases: [number | undefined, number | undefined, number, number][] = [
      [undefined, undefined, 0, 2304],
      [-2, undefined, 2302, 2304],
      [5000, undefined, 2304, 2304],
      [10, 5, 10, 10],
      [-5000, 3, 0, 3],
    ];
    for (const [start, stop, a, b] of cases) {
      const r = await reader.arrays(['M'], { entryStart: start, entryStop: stop });
      expect([r.entryStart, r.entryStop]).toEqual([a, b]);
      expect(r.columns.get('M')!.length).toBe(b - a);
    }
    await file.close();
  });
});
