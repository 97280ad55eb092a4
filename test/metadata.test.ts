/** Issue 3: the bookkeeping and FileMetaData of the PHYSLITE fixtures, as a library call and as `inspect --metadata`. */
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { RootFile } from '../src/root/file.ts';
import { readMetadata } from '../src/root/metadata.ts';
import { fixture } from './helpers/fixtures.ts';

async function metadataOf(name: string) {
  const file = await RootFile.open(fixture(name));
  try {
    return await readMetadata(file);
  } finally {
    await file.close();
  }
}

describe('readMetadata', () => {
  it('release 21 DAOD: CutBookkeepers with sums of weights, FileMetaData fields', async () => {
    const m = await metadataOf('DAOD_PHYSLITE_21.2.108.0.art.pool.root');
    expect(m.metadataTree).toBe('MetaData;2');
    const main = m.cutBookkeepers.filter((b) => b.container === 'CutBookkeepers');
    expect(main).toHaveLength(459);
    expect(main[0]).toEqual({
      container: 'CutBookkeepers',
      name: 'AllExecutedEvents',
      cycle: 5,
      stream: 'StreamAOD',
      nAcceptedEvents: 40n,
      sumOfEventWeights: 29465.34912109375,
      sumOfEventWeightsSquared: 21705176.079937518,
      description: expect.any(String),
    });
    const incomplete = m.cutBookkeepers.filter((b) => b.container === 'IncompleteCutBookkeepers');
    expect(incomplete.map((b) => [b.cycle, b.stream, b.nAcceptedEvents])).toContainEqual([0, 'StreamRDO', 987120n]);
    expect(m.fileMetaData).toMatchObject({
      amiTag: 'r10724_r10724_r10724_r10724_r10724_r10726',
      geometryVersion: 'ATLAS-R2-2016-01-00-01',
      conditionsTag: 'OFLCOND-MC16-SDR-25',
      beamEnergy: 6500000,
      simFlavour: 'FullG4',
      mcProcID: 410470,
      productionRelease: 'Athena-21.0.77',
      dataType: 'StreamDAOD_PHYSLITE',
    });
  });

  it('release 25 file: main and per-weight bookkeepers, MC campaign', async () => {
    const m = await metadataOf('uproot-physlite-rntuple_v1-0-0-0.root');
    expect(m.metadataTree).toBe('MetaData;5');
    const main = m.cutBookkeepers.filter((b) => b.container === 'CutBookkeepers');
    expect(main.map((b) => b.name)).toEqual(['PHYSKernel', 'AllExecutedEvents', 'VertexSelection', 'PHYSLITEKernel']);
    expect(main[1]!.sumOfEventWeights).toBe(81567.26385498047);
    expect(main[1]!.nAcceptedEvents).toBe(100n);
    const containers = new Set(m.cutBookkeepers.map((b) => b.container));
    expect([...containers].filter((c) => /^CutBookkeepers_weight_\d+$/.test(c)).length).toBe(193);
    expect(m.fileMetaData).toMatchObject({ amiTag: 'e8514_s4159_s4114_r14799', mcProcID: 601229, mcCampaign: 'mc23c', beamEnergy: 6800000 });
  });

  it('a file without a MetaData tree says so', async () => {
    const m = await metadataOf('PHYSLITE_example.root');
    expect(m).toEqual({ file: fixture('PHYSLITE_example.root'), metadataTree: null, cutBookkeepers: [], fileMetaData: null });
  });
});

describe('physlite inspect --metadata', () => {
  it('prints the bookkeeping as text and as JSON with exact 64-bit counts', async () => {
    let text = '';
    expect(await main(['inspect', fixture('DAOD_PHYSLITE_21.2.108.0.art.pool.root'), '--metadata'], (t) => (text += t))).toBe(0);
    expect(text).toContain('amiTag: "r10724_r10724_r10724_r10724_r10724_r10726"');
    expect(text).toMatch(/5\s+StreamAOD\s+40\s+29465\.34912109375\s+21705176\.079937518\s+AllExecutedEvents/);
    let json = '';
    expect(await main(['inspect', fixture('DAOD_PHYSLITE_21.2.108.0.art.pool.root'), '--metadata', '--json'], (t) => (json += t))).toBe(0);
    const parsed = JSON.parse(json);
    expect(parsed.metadataTree).toBe('MetaData;2');
    expect(parsed.cutBookkeepers[0]).toMatchObject({ name: 'AllExecutedEvents', nAcceptedEvents: 40, sumOfEventWeights: 29465.34912109375 });
    expect(json).toMatch(/"nAcceptedEvents": ?987120[,}]/);
  });
});
