/**
 * Issue 4: `generate --physics dimuon` writes simulated events with PHYSLITE names and types, read
 * by jsroot identically, whose dimuon spectrum shows every resonance above its sidebands.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toValues } from '../src/arrow/values.ts';
import { parseCompression } from '../src/root/compression/compress.ts';
import { RootFile } from '../src/root/file.ts';
import { TreeReader } from '../src/root/tree/reader.ts';
import { RESONANCES, generateDimuon } from '../src/root/write/generate-dimuon.ts';
import { difference, normalizeJsroot } from './helpers/compare.ts';
import { jsrootRead, openJsroot } from './helpers/jsroot.ts';

const dir = mkdtempSync(join(tmpdir(), 'physlite-dimuon-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const out = join(dir, 'dimuon.root');

describe('generate --physics dimuon', () => {
  it('writes PHYSLITE names and types that the project and jsroot read identically', async () => {
    await generateDimuon({ events: 40000, out, compression: parseCompression('zstd:5'), seed: 11 });
    const f = await RootFile.open(out);
    const r = await TreeReader.open(f, 'CollectionTree');
    expect(r.tree.entries).toBe(40000);
    expect(r.tree.byName.get('AnalysisMuonsAuxDyn.pt')!.typeName).toBe('vector<float>');
    expect(r.tree.byName.get('AnalysisMuonsAuxDyn.quality')!.typeName).toBe('vector<unsigned char>');
    expect(r.tree.byName.get('EventInfoAuxDyn.eventNumber')!.typeName).toBe('ULong64_t');
    const names = r.tree.all.map((b) => b.name);
    const { columns } = await r.arrays(names, { entryStop: 1200 });
    const tree = await openJsroot(out, 'CollectionTree');
    const theirs = await jsrootRead(tree, names, { start: 0, stop: 1200 });
    for (const n of names) expect(difference(toValues(columns.get(n)!), normalizeJsroot(theirs.get(n)), n), n).toBeUndefined();
    expect(toValues(columns.get('EventInfoAuxDyn.eventNumber')!)[5]).toBe(11_000_000_005n);
    await f.close();
  });

  it('shows every resonance clearly above its sidebands', async () => {
    const f = await RootFile.open(out);
    const r = await TreeReader.open(f, 'CollectionTree');
    const { columns } = await r.arrays(['AnalysisMuonsAuxDyn.pt', 'AnalysisMuonsAuxDyn.eta', 'AnalysisMuonsAuxDyn.phi']);
    await f.close();
    const list = (n: string): Float32Array => columns.get(n)!.children[0]!.values as Float32Array;
    const pt = list('AnalysisMuonsAuxDyn.pt');
    const eta = list('AnalysisMuonsAuxDyn.eta');
    const phi = list('AnalysisMuonsAuxDyn.phi');
    const masses: number[] = [];
    for (let i = 0; i + 1 < pt.length; i += 2) {
      const v = [i, i + 1].map((k) => {
        const px = pt[k]! * Math.cos(phi[k]!);
        const py = pt[k]! * Math.sin(phi[k]!);
        const pz = pt[k]! * Math.sinh(eta[k]!);
        return { px, py, pz, e: Math.hypot(px, py, pz, 105.658) };
      });
      const e = v[0]!.e + v[1]!.e;
      const p = [v[0]!.px + v[1]!.px, v[0]!.py + v[1]!.py, v[0]!.pz + v[1]!.pz];
      masses.push(Math.sqrt(Math.max(0, e * e - p[0]! ** 2 - p[1]! ** 2 - p[2]! ** 2)));
    }
    for (const res of RESONANCES) {
      // Peak within 2 sigma, sidebands from 3 to 5 sigma on either side (sigma: width or resolution).
      const sigma = Math.max(res.width / 2, 0.006 * res.mass);
      const count = (a: number, b: number): number => masses.filter((m) => m >= a && m < b).length;
      const peak = count(res.mass - 2 * sigma, res.mass + 2 * sigma);
      const sidebands = count(res.mass - 5 * sigma, res.mass - 3 * sigma) + count(res.mass + 3 * sigma, res.mass + 5 * sigma);
      expect(peak, `${res.name}: ${peak} in the peak, ${sidebands} in the sidebands`).toBeGreaterThan(2 * sidebands + 20);
    }
  });
});
