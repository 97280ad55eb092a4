/** Decompression on worker threads gives the same values as inline, and errors keep their place. */
import { describe, expect, it } from 'vitest';
import { toValues } from '../src/arrow/values.ts';
import { DecompressionError } from '../src/errors.ts';
import { DecompressPool } from '../src/root/compression/pool.ts';
import { RootFile } from '../src/root/file.ts';
import { MemorySource } from '../src/root/source/memory.ts';
import { TreeReader } from '../src/root/tree/reader.ts';
import { readFileSync } from 'node:fs';
import { fixture } from './helpers/fixtures.ts';

describe('decompression pool', () => {
  it('threads and inline read identical values (PHYSLITE, zlib; HZZ, zstd and lz4)', async () => {
    for (const [name, tree] of [
      ['PHYSLITE_example.root', 'CollectionTree'],
      ['uproot-HZZ-zstd.root', 'events'],
      ['uproot-HZZ-lz4.root', 'events'],
    ] as const) {
      const file = await RootFile.open(fixture(name));
      const reader = await TreeReader.open(file, tree);
      const names = [...new Set(reader.tree.all.filter((b) => reader.resolve(b).readable).map((b) => b.name))];
      const inline = await reader.arrays(names, { decompress: 'inline' });
      const threads = await reader.arrays(names, { decompress: 'threads' });
      for (const n of names) expect(toValues(threads.columns.get(n)!), `${name} ${n}`).toEqual(toValues(inline.columns.get(n)!));
      await file.close();
    }
  });

  it('a corrupt basket fails with a DecompressionError naming file, branch, basket and offset', async () => {
    const bytes = new Uint8Array(readFileSync(fixture('uproot-HZZ-zlib.root')));
    const probe = await TreeReader.open(await RootFile.open(new MemorySource(bytes, 'probe')), 'events');
    const loc = probe.tree.byName.get('Jet_Px')!.baskets[0]!;
    // Damage the deflate stream well inside the payload (past the 9-byte block header).
    const keylen = new DataView(bytes.buffer, bytes.byteOffset + loc.seek + 14, 2).getInt16(0);
    for (let i = 0; i < 40; i++) bytes[loc.seek + keylen + 30 + i]! ^= 0x5a;
    const file = await RootFile.open(new MemorySource(bytes, 'damaged.root'));
    const reader = await TreeReader.open(file, 'events');
    const err = await reader.arrays(['Jet_Px'], { decompress: 'threads' }).catch((e) => e);
    expect(err).toBeInstanceOf(DecompressionError);
    expect(err.context).toMatchObject({ file: 'damaged.root', branch: 'Jet_Px', basket: 0, offset: loc.seek + keylen });
  });

  it('batches many small requests and can be closed', async () => {
    const pool = new DecompressPool(2);
    const { deflateSync } = await import('node:zlib');
    const raw = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) % 251);
    const z = deflateSync(raw);
    const block = new Uint8Array(9 + z.length);
    block.set([0x5a, 0x4c, 8, z.length & 255, (z.length >> 8) & 255, z.length >> 16, raw.length & 255, (raw.length >> 8) & 255, raw.length >> 16]);
    block.set(z, 9);
    const outs = await Promise.all(Array.from({ length: 300 }, () => pool.decompress(block, raw.length, { file: 'x' }, 0)));
    for (const o of outs) expect(Buffer.from(o).equals(Buffer.from(raw))).toBe(true);
    await pool.close();
    await expect(pool.decompress(block, raw.length, {}, 0)).rejects.toThrow(/closed/);
  });
});
