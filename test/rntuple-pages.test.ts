/**
 * Issue 9, unit level: RNTuples built by hand (test/helpers/rntuple-writer.ts) with every column
 * encoding the reader decodes, fields in the footer's schema extension whose columns are deferred
 * (entries before the first element index read as empty lists and zeros), and the errors:
 * envelope and page checksum mismatches, truncated pages, unknown column types. Property tests for
 * the split, zigzag and delta decoders; XXH3 against reference vectors.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toValues } from '../src/arrow/values.ts';
import { DecompressionError, DeserializationError, PhysliteError, UnsupportedError } from '../src/errors.ts';
import { RootFile } from '../src/root/file.ts';
import { columnType } from '../src/root/rntuple/columns.ts';
import { readLocator } from '../src/root/rntuple/envelope.ts';
import { Cursor } from '../src/root/cursor.ts';
import { RNTupleReader } from '../src/root/rntuple/reader.ts';
import { xxh3, xxh3Ready } from '../src/root/rntuple/xxh3.ts';
import { MemorySource } from '../src/root/source/memory.ts';
import { decompressBasket, splitBasket } from '../src/root/tree/basket.ts';
import { TreeReader } from '../src/root/tree/reader.ts';
import { fixture } from './helpers/fixtures.ts';
import { leBytes, packHighBits, splitBytes, writeHandRNTuple, type HandColumn, type HandField, type HandRNTuple } from './helpers/rntuple-writer.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'physlite-rntuple-'));
  await xxh3Ready();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const zigzag32 = (v: number): number => ((v << 1) ^ (v >> 31)) >>> 0;
const zigzag64 = (v: bigint): bigint => BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));

const FIELDS: HandField[] = [
  { name: 'n', type: 'std::int32_t', role: 0 }, // 0
  { name: 'big', type: 'std::uint64_t', role: 0 }, // 1
  { name: 's', type: 'std::string', role: 0 }, // 2
  { name: 'flags', type: 'bool', role: 0 }, // 3
  { name: 'h', type: 'float', role: 0 }, // 4
  { name: 'i64', type: 'std::int64_t', role: 0 }, // 5
  { name: 'arr', type: 'std::array<std::uint16_t,2>', role: 0, arraySize: 2 }, // 6
  { name: '_0', type: 'std::uint16_t', role: 0, parent: 6 }, // 7
  { name: 'link', type: 'ElementLink<DataVector<X> >', role: 2 }, // 8
  { name: ':_0', type: 'ElementLinkBase', role: 2, parent: 8 }, // 9
  { name: 'm_persKey', type: 'std::uint32_t', role: 0, parent: 9 }, // 10
  { name: 'm_persIndex', type: 'std::uint32_t', role: 0, parent: 9 }, // 11
  { name: 'base', type: 'xAOD::AuxContainerBase', role: 2 }, // 12: a class without columns
  { name: 'counts', type: 'DataVector<X>', role: 1 }, // 13
  { name: '_0', type: 'X', role: 2, parent: 13 }, // 14
  // Schema extension (footer): added after the first entries were written.
  { name: 'v', type: 'std::vector<float>', role: 1, extension: true }, // 15
  { name: '_0', type: 'float', role: 0, parent: 15, extension: true }, // 16
  { name: 'late', type: 'std::int16_t', role: 0, extension: true }, // 17
];

const BIG = [2n ** 53n + 1n, 0n, 2n ** 64n - 1n, 7n, 8n];
const I64 = [-(2n ** 62n), 3n, -1n, 0n, 2n ** 60n];

function columns(): HandColumn[] {
  const page = (bytes: Uint8Array, elements: number, checksum: 'good' | undefined = 'good') => [{ bytes, elements, checksum }];
  return [
    { field: 0, type: 0x13, bits: 32, pages: page(splitBytes(leBytes([-1, 2, -300, 4, 5].map(zigzag32), 'u32'), 4), 5) },
    { field: 1, type: 0x16, bits: 64, pages: page(splitBytes(leBytes(BIG, 'u64'), 8), 5) },
    { field: 2, type: 0x0e, bits: 32, pages: page(leBytes([1, 1, 4, 4, 6], 'u32'), 5) },
    { field: 2, type: 0x02, bits: 8, pages: page(new TextEncoder().encode('abcdef'), 6) },
    { field: 3, type: 0x00, bits: 1, pages: page(Uint8Array.of(0b01101), 5) },
    { field: 4, type: 0x0b, bits: 16, pages: page(leBytes([0x3e00, 0xb000, 0x7bff, 0x0000, 0x0001], 'u16'), 5) },
    { field: 5, type: 0x15, bits: 64, pages: page(splitBytes(leBytes(I64.map(zigzag64), 'u64'), 8), 5) },
    { field: 7, type: 0x12, bits: 16, pages: page(splitBytes(leBytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'u16'), 2), 10) },
    { field: 10, type: 0x08, bits: 32, pages: page(leBytes([11, 11, 11, 12, 12], 'u32'), 5) },
    { field: 11, type: 0x14, bits: 32, pages: page(splitBytes(leBytes([0, 1, 2, 0, 1], 'u32'), 4), 5) },
    { field: 13, type: 0x0f, bits: 64, pages: page(leBytes([2, 2, 5, 5, 6], 'u64'), 5) },
    // `v`: deferred from entry 2; its pages hold entries 2..4, index ends [1, 1, 3] delta-encoded, split.
    { field: 15, type: 0x1b, bits: 64, firstElement: 2, extension: true, pages: page(splitBytes(leBytes([1, 0, 2], 'u64'), 8), 3) },
    { field: 16, type: 0x18, bits: 32, extension: true, pages: page(splitBytes(leBytes([1.5, -2.25, 3e10], 'f32'), 4), 3) },
    // `late`: deferred from entry 3.
    { field: 17, type: 0x11, bits: 16, firstElement: 3, extension: true, pages: page(splitBytes(leBytes([13, 18], 'u16'), 2), 2) },
  ];
}

const EXPECTED: Record<string, unknown[]> = {
  n: [-1, 2, -300, 4, 5],
  big: BIG,
  s: ['a', '', 'bcd', '', 'ef'],
  flags: [true, false, true, true, false],
  h: [1.5, -0.125, 65504, 0, 2 ** -24],
  i64: I64,
  arr: [
    [0, 1],
    [2, 3],
    [4, 5],
    [6, 7],
    [8, 9],
  ],
  link: [
    { m_persKey: 11, m_persIndex: 0 },
    { m_persKey: 11, m_persIndex: 1 },
    { m_persKey: 11, m_persIndex: 2 },
    { m_persKey: 12, m_persIndex: 0 },
    { m_persKey: 12, m_persIndex: 1 },
  ],
  counts: [2, 0, 3, 0, 1],
  v: [[], [], [1.5], [], [-2.25, Math.fround(3e10)]],
  late: [0, 0, 0, -7, 9],
};

async function build(name: string, overrides: Partial<HandRNTuple> = {}, edit?: (cols: HandColumn[]) => void): Promise<string> {
  const cols = columns();
  edit?.(cols);
  const path = join(dir, `${name}.root`);
  await writeHandRNTuple(path, { name: 'Events', entries: 5, fields: FIELDS, columns: cols, ...overrides });
  return path;
}

async function openReader(path: string): Promise<{ file: RootFile; reader: RNTupleReader }> {
  const file = await RootFile.open(path);
  return { file, reader: await RNTupleReader.open(file, 'Events') };
}

describe('hand-built RNTuple', () => {
  it.each([false, true])('every encoding and deferred columns decode (pages compressed: %s)', async (compress) => {
    const path = await build(`all-${compress}`, { compress });
    const { file, reader } = await openReader(path);
    const names = Object.keys(EXPECTED);
    const { columns: cols } = await reader.arrays(names);
    for (const n of names) expect(toValues(cols.get(n)!), n).toEqual(EXPECTED[n]);
    expect(String(cols.get('link')!.type)).toBe('Struct<{m_persKey:Uint32, m_persIndex:Uint32}>');
    expect(String(cols.get('arr')!.type)).toBe('FixedSizeList[2]<Uint16>');
    // The class without columns is reported, not read.
    const base = reader.resolve(reader.field('base'));
    expect(base.readable).toBe(false);
    expect(!base.readable && base.reason).toMatch(/^no values: xAOD::AuxContainerBase has no columns/);
    // A sub-range across the deferred boundary.
    const part = await reader.arrays(['v', 'late', 's'], { entryStart: 1, entryStop: 4 });
    expect(toValues(part.columns.get('v')!)).toEqual([[], [1.5], []]);
    expect(toValues(part.columns.get('late')!)).toEqual([0, 0, -7]);
    expect(toValues(part.columns.get('s')!)).toEqual(['', 'bcd', '']);
    await file.close();
  });

  it('a page with a wrong checksum is a DeserializationError naming the file and field', async () => {
    const path = await build('bad-page-sum', {}, (cols) => {
      cols[0]!.pages![0]!.checksum = 'bad';
    });
    const { file, reader } = await openReader(path);
    const err = await reader.arrays(['n']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeserializationError);
    expect((err as PhysliteError).describe()).toMatch(new RegExp(`page 0 of column 0: checksum mismatch .*file ${path}.*branch n`));
    expect(toValues((await reader.arrays(['big'])).columns.get('big')!)).toEqual(BIG); // other fields still read
    await file.close();
  });

  it('a corrupt header envelope fails with its checksum, naming the file', async () => {
    const path = await build('bad-header', { corruptHeader: true });
    const file = await RootFile.open(path);
    const err = await RNTupleReader.open(file, 'Events').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeserializationError);
    expect((err as PhysliteError).describe()).toMatch(new RegExp(`header envelope checksum mismatch.*file ${path}, object Events;1`));
    await file.close();
  });

  it('a page that runs past the end of the file is a truncated-file error', async () => {
    const path = await build('truncated-page', {}, (cols) => {
      cols[1]!.pages![0]!.extraLocatorBytes = 1 << 20;
    });
    const { file, reader } = await openReader(path);
    const err = await reader.arrays(['big']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeserializationError);
    expect((err as PhysliteError).describe()).toMatch(new RegExp(`page 0 of column 1 .*lies beyond the end of the file.*truncated file.*file ${path}.*branch big`));
    await file.close();
  });

  it('a page shorter than its elements need is a decompression error, not garbage', async () => {
    const path = await build('short-page', {}, (cols) => {
      cols[0]!.pages![0]!.elements = 6; // 24 bytes expected, 20 stored (uncompressed)
    });
    const { file, reader } = await openReader(path);
    const err = await reader.arrays(['n']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecompressionError);
    expect((err as PhysliteError).context.file).toBe(path);
    expect((err as PhysliteError).describe()).toMatch(/^page 0 of column 0 \(20 bytes stored for 6 elements, 24 bytes\): /);
    await file.close();
  });

  it('an unknown column type is reported with its reason; reading that field is an UnsupportedError', async () => {
    const path = await build('unknown-type', {}, (cols) => {
      cols[0]!.type = 0x42;
    });
    const { file, reader } = await openReader(path);
    const r = reader.resolve(reader.field('n'));
    expect(r.readable).toBe(false);
    expect(!r.readable && r.reason).toBe('unknown column type 0x42 (column 0)');
    const err = await reader.arrays(['n']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as PhysliteError).describe()).toMatch(new RegExp(`unknown column type 0x42.*file ${path}.*branch n`));
    expect(toValues((await reader.arrays(['s'])).columns.get('s')!)).toEqual(EXPECTED.s);
    await file.close();
  });
});

describe('hand-built RNTuple with two clusters', () => {
  // Entries 0-2 in cluster 0, 3-4 in cluster 1. `v` (vector<int32>) has cluster-local offsets;
  // `late` (vector<float>, schema extension) is deferred from entry 4, in the middle of cluster 1,
  // and has no pages in cluster 0; `x` (int64) is a plain per-entry column.
  const fields: HandField[] = [
    { name: 'v', type: 'std::vector<std::int32_t>', role: 1 },
    { name: '_0', type: 'std::int32_t', role: 0, parent: 0 },
    { name: 'x', type: 'std::int64_t', role: 0 },
    { name: 'late', type: 'std::vector<float>', role: 1, extension: true },
    { name: '_0', type: 'float', role: 0, parent: 3, extension: true },
  ];
  const page = (bytes: Uint8Array, elements: number) => [{ bytes, elements, checksum: 'good' as const }];
  const cols: HandColumn[] = [
    { field: 0, type: 0x0f, bits: 64, perCluster: [{ pages: page(leBytes([1, 1, 3], 'u64'), 3), elementOffset: 0 }, { pages: page(leBytes([2, 2], 'u64'), 2), elementOffset: 3 }] },
    { field: 1, type: 0x07, bits: 32, perCluster: [{ pages: page(leBytes([10, 11, 12], 'i32'), 3), elementOffset: 0 }, { pages: page(leBytes([20, 21], 'i32'), 2), elementOffset: 3 }] },
    {
      field: 2,
      type: 0x15,
      bits: 64,
      // Two pages in cluster 0: the split encoding is undone page by page.
      perCluster: [
        { pages: [...page(splitBytes(leBytes([zigzag64(-5n), zigzag64(6n)], 'u64'), 8), 2), ...page(splitBytes(leBytes([zigzag64(-(2n ** 60n))], 'u64'), 8), 1)], elementOffset: 0 },
        { pages: page(splitBytes(leBytes([zigzag64(8n), zigzag64(9n)], 'u64'), 8), 2), elementOffset: 3 },
      ],
    },
    { field: 3, type: 0x1b, bits: 64, firstElement: 4, extension: true, perCluster: [{ pages: [], elementOffset: 0 }, { pages: page(splitBytes(leBytes([2], 'u64'), 8), 1), elementOffset: 4 }] },
    { field: 4, type: 0x18, bits: 32, extension: true, perCluster: [{ pages: [], elementOffset: 0 }, { pages: page(splitBytes(leBytes([0.5, 0.25], 'f32'), 4), 2), elementOffset: 0 }] },
  ];

  it.each([
    [0, 5],
    [2, 4],
    [3, 5],
    [4, 5],
  ])('entries %d to %d read across the clusters', async (start, stop) => {
    const path = join(dir, 'two-clusters.root');
    await writeHandRNTuple(path, { name: 'Events', entries: 5, clusters: [3, 2], fields, columns: cols });
    const { file, reader } = await openReader(path);
    expect(reader.clusterRanges()).toEqual([
      [0, 3],
      [3, 5],
    ]);
    const all = { v: [[10], [], [11, 12], [20, 21], []], x: [-5n, 6n, -(2n ** 60n), 8n, 9n], late: [[], [], [], [], [0.5, 0.25]] };
    const { columns: c } = await reader.arrays(['v', 'x', 'late'], { entryStart: start, entryStop: stop });
    expect(toValues(c.get('v')!)).toEqual(all.v.slice(start, stop));
    expect(toValues(c.get('x')!)).toEqual(all.x.slice(start, stop));
    expect(toValues(c.get('late')!)).toEqual(all.late.slice(start, stop));
    await file.close();
  });
});

describe('column representations', () => {
  it('each cluster reads the representation that is not suppressed there', async () => {
    // `x` (float) has two representations: SplitReal32 (0), primary in cluster 0, and Real32 (1),
    // primary in cluster 1; each is suppressed where the other is primary.
    const path = join(dir, 'representations.root');
    await writeHandRNTuple(path, {
      name: 'Events',
      entries: 4,
      clusters: [2, 2],
      fields: [{ name: 'x', type: 'float', role: 0 }],
      columns: [
        {
          field: 0,
          type: 0x18,
          bits: 32,
          perCluster: [
            { pages: [{ bytes: splitBytes(leBytes([1.25, 2.5], 'f32'), 4), elements: 2 }], elementOffset: 0 },
            { pages: [], elementOffset: 2, suppressed: true },
          ],
        },
        {
          field: 0,
          type: 0x0c,
          bits: 32,
          representation: 1,
          perCluster: [
            { pages: [], elementOffset: 0, suppressed: true },
            { pages: [{ bytes: leBytes([3.75, -5], 'f32'), elements: 2 }], elementOffset: 2 },
          ],
        },
      ],
    });
    const { file, reader } = await openReader(path);
    expect(toValues((await reader.arrays(['x'])).columns.get('x')!)).toEqual([1.25, 2.5, 3.75, -5]);
    expect(toValues((await reader.arrays(['x'], { entryStart: 1, entryStop: 3 })).columns.get('x')!)).toEqual([2.5, 3.75]);
    await file.close();
  });
});

describe('projected fields (alias columns)', () => {
  it('a cardinality field and a renamed copy read the columns they project', async () => {
    const path = join(dir, 'projected.root');
    await writeHandRNTuple(path, {
      name: 'Events',
      entries: 3,
      fields: [
        { name: 'v', type: 'std::vector<float>', role: 1 }, // 0
        { name: '_0', type: 'float', role: 0, parent: 0 }, // 1
        { name: 'n', type: 'ROOT::RNTupleCardinality<std::uint64_t>', role: 0, source: 0 }, // 2
        { name: 'w', type: 'std::vector<float>', role: 1, source: 0 }, // 3
        { name: '_0', type: 'float', role: 0, parent: 3, source: 1 }, // 4
      ],
      columns: [
        { field: 0, type: 0x0e, bits: 32, pages: [{ bytes: leBytes([1, 1, 3], 'u32'), elements: 3 }] },
        { field: 1, type: 0x0c, bits: 32, pages: [{ bytes: leBytes([0.5, 1.5, 2.5], 'f32'), elements: 3 }] },
      ],
      aliases: [
        { physical: 0, field: 2 },
        { physical: 0, field: 3 },
        { physical: 1, field: 4 },
      ],
    });
    const { file, reader } = await openReader(path);
    const { columns: c } = await reader.arrays(['v', 'n', 'w']);
    expect(toValues(c.get('n')!)).toEqual([1n, 0n, 2n]);
    expect(toValues(c.get('w')!)).toEqual(toValues(c.get('v')!));
    expect(toValues(c.get('v')!)).toEqual([[0.5], [], [1.5, 2.5]]);
    await file.close();
  });
});

describe('ROOT-streamed fields (structural role 4)', () => {
  it('decode each entry from the StreamerInfo into the Struct the TTree reader gives the class', async () => {
    // A real streamed EventStreamInfo_p3 (vectors, strings, pairs, nested EventType_p3): the members
    // as the RNTuple fixture's MetaData TTree branch StreamDAOD_PHYSLITE holds them (entry 0), behind
    // the record header (byte count, class version) that a streamer field stores with each object.
    const source = await RootFile.open(fixture('uproot-physlite-rntuple_v1-0-0-0.root'));
    const tree = await TreeReader.open(source, 'MetaData');
    const branch = tree.branch('StreamDAOD_PHYSLITE');
    const loc = branch.baskets[0]!;
    const { header, payload } = await decompressBasket(await source.source.read(loc.seek, loc.bytes), loc, {});
    const basket = splitBasket(payload, header, loc, {});
    const body = basket.data.subarray(basket.offsets![0]!, basket.offsets![1]!);
    const expected = toValues((await tree.arrays(['StreamDAOD_PHYSLITE'])).columns.get('StreamDAOD_PHYSLITE')!)[0];
    const streamers = await source.streamers();
    const object = new Uint8Array(6 + body.length);
    const head = new DataView(object.buffer);
    head.setUint32(0, (0x40000000 | (2 + body.length)) >>> 0);
    head.setUint16(4, streamers.find('EventStreamInfo_p3')!.classVersion);
    object.set(body, 6);
    await source.close();

    const twice = new Uint8Array(2 * object.length);
    twice.set(object, 0);
    twice.set(object, object.length);
    /** Two entries, ending at `ends` in `bytes`. */
    const writeStreamed = (path: string, ends: number[], bytes: Uint8Array): Promise<void> =>
      writeHandRNTuple(path, {
        name: 'Events',
        entries: 2,
        streamers,
        fields: [{ name: 'StreamDAOD_PHYSLITE', type: 'EventStreamInfo_p3', role: 4 }],
        columns: [
          { field: 0, type: 0x0f, bits: 64, pages: [{ bytes: leBytes(ends, 'u64'), elements: 2 }] },
          { field: 0, type: 0x01, bits: 8, pages: [{ bytes, elements: bytes.length }] },
        ],
      });
    const path = join(dir, 'streamed.root');
    await writeStreamed(path, [object.length, 2 * object.length], twice);
    const { file, reader } = await openReader(path);
    const { columns: c } = await reader.arrays(['StreamDAOD_PHYSLITE']);
    expect(toValues(c.get('StreamDAOD_PHYSLITE')!)).toEqual([expected, expected]);
    expect(String(c.get('StreamDAOD_PHYSLITE')!.type)).toMatch(/^Struct<\{m_numberOfEvents:Uint32, m_runNumbers:List<Uint32>/);
    await file.close();

    // The second object cut short by 3 bytes: an error naming the entry, not a misread.
    const cut = join(dir, 'streamed-cut.root');
    await writeStreamed(cut, [object.length, 2 * object.length - 3], twice.subarray(0, twice.length - 3));
    const bad = await openReader(cut);
    const err = await bad.reader.arrays(['StreamDAOD_PHYSLITE']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeserializationError);
    expect((err as PhysliteError).describe()).toMatch(new RegExp(`file ${cut}, object Events;1, branch StreamDAOD_PHYSLITE, entry 1`));
    await bad.file.close();
  });
});

describe('structurally bad headers with valid checksums', () => {
  it('any changed byte gives a typed error or a consistent schema, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 0, max: 255 }), async (where, value) => {
        let at = 0;
        const path = await build('fuzzed', {
          editHeader: (payload) => {
            at = where % payload.length;
            payload[at] = value;
          },
        });
        const file = await RootFile.open(path);
        try {
          const reader = await RNTupleReader.open(file, 'Events');
          const readable = reader.ntuple.topLevel.filter((f) => reader.resolve(f).readable).map((f) => f.name);
          await reader.arrays(readable);
        } catch (err) {
          if (!(err instanceof PhysliteError)) throw new Error(`byte ${at} set to ${value}: ${(err as Error).stack}`);
        } finally {
          await file.close();
        }
      }),
      { numRuns: 150 },
    );
  }, 60_000);
});

describe('the real fixture, corrupted in memory', () => {
  it('a flipped byte in an anchor fails its checksum', async () => {
    const bytes = new Uint8Array(await readFile(fixture('uproot-physlite-rntuple_v1-0-0-0.root')));
    const probe = await RootFile.open(new MemorySource(bytes, 'x.root'));
    const key = await probe.findKey('EventTag');
    bytes[key.seekKey + key.keylen + 20]! ^= 0x10; // inside fSeekHeader
    const file = await RootFile.open(new MemorySource(bytes, 'x.root'));
    const err = await RNTupleReader.open(file, 'EventTag').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeserializationError);
    expect((err as PhysliteError).describe()).toMatch(/RNTuple anchor checksum mismatch.*file x\.root, object EventTag;1/);
  });
});

describe('column decoders (properties)', () => {
  const decode = (type: number, bytes: Uint8Array, n: number): Uint8Array => columnType(type)!.decode(bytes, n, { bitsOnStorage: 0 });
  it('SplitInt32: split + zigzag round trip', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 64 }), (vals) => {
        const out = decode(0x13, splitBytes(leBytes(vals.map(zigzag32), 'u32'), 4), vals.length);
        expect(Array.from(new Int32Array(out.buffer, out.byteOffset, vals.length))).toEqual(vals);
      }),
    );
  });
  it('SplitInt64: split + zigzag round trip, beyond 2^53', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { maxLength: 32 }), (vals) => {
        const out = decode(0x15, splitBytes(leBytes(vals.map(zigzag64), 'u64'), 8), vals.length);
        expect(Array.from(new BigInt64Array(out.buffer, out.byteOffset, vals.length))).toEqual(vals);
      }),
    );
  });
  it('SplitInt16 and SplitUInt16 round trip', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 64 }), (vals) => {
        const zz = vals.map((v) => ((v << 1) ^ (v >> 15)) & 0xffff);
        const out = decode(0x11, splitBytes(leBytes(zz, 'u16'), 2), vals.length);
        expect(Array.from(new Int16Array(out.buffer.slice(out.byteOffset, out.byteOffset + 2 * vals.length)))).toEqual(vals);
        const u = decode(0x12, splitBytes(leBytes(zz, 'u16'), 2), vals.length);
        expect(Array.from(new Uint16Array(u.buffer.slice(u.byteOffset, u.byteOffset + 2 * vals.length)))).toEqual(zz);
      }),
    );
  });
  it('SplitReal64 keeps every bit (NaN payloads included)', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { maxLength: 32 }), (bits) => {
        const out = decode(0x19, splitBytes(leBytes(bits, 'u64'), 8), bits.length);
        expect(Array.from(new BigUint64Array(out.buffer, out.byteOffset, bits.length))).toEqual(bits);
      }),
    );
  });
  it('SplitIndex32/64: delta + split of non-decreasing offsets', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100000 }), { maxLength: 64 }), (sizes) => {
        const ends: number[] = [];
        sizes.reduce((acc, s) => (ends.push(acc + s), acc + s), 0);
        const deltas = ends.map((e, i) => e - (i ? ends[i - 1]! : 0));
        for (const [type, kind, width] of [
          [0x1a, 'u32', 4],
          [0x1b, 'u64', 8],
        ] as const) {
          const out = decode(type, splitBytes(leBytes(deltas, kind), width), ends.length);
          expect(Array.from(new Float64Array(out.buffer, out.byteOffset, ends.length))).toEqual(ends);
        }
      }),
    );
  });
  it('Bit columns unpack least significant bit first', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 100 }), (flags) => {
        const packed = new Uint8Array(Math.ceil(flags.length / 8));
        flags.forEach((f, i) => {
          if (f) packed[i >> 3]! |= 1 << (i & 7);
        });
        expect(Array.from(decode(0x00, packed, flags.length))).toEqual(flags.map(Number));
      }),
    );
  });
});

describe('truncated and quantized floats (Real32Trunc, Real32Quant)', () => {
  const f32bits = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0]!;
  const fromBits = (b: number): number => new Float32Array(new Uint32Array([b]).buffer)[0]!;

  it('Real32Trunc keeps the top bits of each float, the rest zero', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 40 }), fc.integer({ min: 10, max: 31 }), (words, nbits) => {
        const out = columnType(0x1c)!.decode(packHighBits(words, nbits), words.length, { bitsOnStorage: nbits });
        const mask = (2 ** 32 - 2 ** (32 - nbits)) >>> 0;
        expect(Array.from(new Uint32Array(out.buffer, out.byteOffset, words.length))).toEqual(words.map((w) => (w & mask) >>> 0));
      }),
    );
  });

  it('Real32Quant maps q to min + q * (max - min) / (2^bits - 1)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 32 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }), (nbits, fractions) => {
        const top = 2 ** nbits - 1;
        const qs = fractions.map((f) => Math.round(f * top));
        const range = { min: -3.5, max: 12.25 };
        const out = columnType(0x1d)!.decode(packHighBits(qs.map((q) => q * 2 ** (32 - nbits)), nbits), qs.length, { bitsOnStorage: nbits, range });
        expect(Array.from(new Float64Array(out.buffer, out.byteOffset, qs.length))).toEqual(qs.map((q) => q * ((range.max - range.min) / top) + range.min));
      }),
    );
  });

  it('fields stored in them read through the file: float and double, with the column value range', async () => {
    const truncBits = 16;
    const trunc = [1.5, -2.75, 3.14159, 1e-3];
    const q = [0, 255, 128, 17];
    const path = join(dir, 'lossy.root');
    await writeHandRNTuple(path, {
      name: 'Events',
      entries: 4,
      fields: [
        { name: 't', type: 'float', role: 0 },
        { name: 'qd', type: 'double', role: 0 },
        { name: 'qf', type: 'float', role: 0 },
      ],
      columns: [
        { field: 0, type: 0x1c, bits: truncBits, pages: [{ bytes: packHighBits(trunc.map(f32bits), truncBits), elements: 4 }] },
        { field: 1, type: 0x1d, bits: 8, range: { min: -1, max: 1 }, pages: [{ bytes: packHighBits(q.map((x) => x * 2 ** 24), 8), elements: 4 }] },
        { field: 2, type: 0x1d, bits: 8, range: { min: -1, max: 1 }, pages: [{ bytes: packHighBits(q.map((x) => x * 2 ** 24), 8), elements: 4 }] },
      ],
    });
    const { file, reader } = await openReader(path);
    const { columns: c } = await reader.arrays(['t', 'qd', 'qf']);
    expect(toValues(c.get('t')!)).toEqual(trunc.map((x) => fromBits((f32bits(x) & 0xffff0000) >>> 0)));
    expect(toValues(c.get('t')!)[0]).toBe(1.5); // exactly representable in 16 bits
    const expected = q.map((x) => x * (2 / 255) - 1);
    expect(toValues(c.get('qd')!)).toEqual(expected);
    expect(String(c.get('qf')!.type)).toBe('Float32');
    expect(toValues(c.get('qf')!)).toEqual(expected.map(Math.fround));
    await file.close();
  });
});

describe('XXH3-64', () => {
  it('matches the reference vectors', () => {
    const enc = new TextEncoder();
    expect(xxh3(new Uint8Array(0))).toBe(0x2d06800538d394c2n);
    expect(xxh3(enc.encode('abc'))).toBe(0x78af5f94892f3950n);
  });
});

describe('locators (regression: review of issue 9)', () => {
  it('reads a large (non-standard, type 0x01) locator as ROOT writes it: -(size | reserved << 16 | type << 24)', () => {
    const b = Buffer.alloc(4 + 16 + 4);
    const size = 4 + 16;
    b.writeInt32LE(-(size | (0x05 << 16) | (0x01 << 24)), 0);
    b.writeBigUInt64LE(3_000_000_000n, 4); // bytes on storage, above 2^31
    b.writeBigUInt64LE(123_456n, 12); // position
    b.writeInt32LE(0x7eadbeef, 20); // what follows the locator
    const c = new Cursor(new Uint8Array(b));
    expect(readLocator(c)).toEqual({ size: 3_000_000_000, offset: 123_456 });
    expect(c.pos).toBe(20);
    // A standard locator: positive size, then the offset.
    const s = Buffer.alloc(12);
    s.writeInt32LE(77, 0);
    s.writeBigUInt64LE(999n, 4);
    expect(readLocator(new Cursor(new Uint8Array(s)))).toEqual({ size: 77, offset: 999 });
    // Another non-standard type (DAOS object, 0x02) is refused with the reason.
    b.writeInt32LE(-(size | (0x02 << 24)), 0);
    expect(() => readLocator(new Cursor(new Uint8Array(b)))).toThrow(/locator type 2/);
  });
});
