/**
 * Range coalescing (planRanges / readRanges) over a counting MemorySource, and FileSource on a
 * temporary file: exact bytes, request counts, bounds errors and open errors.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeserializationError, InputError, TransientError } from '../src/errors.ts';
import { DEFAULT_COALESCE, planRanges, readRanges, readRangesSync, type CoalesceConfig } from '../src/root/source/coalesce.ts';
import { FileSource } from '../src/root/source/file.ts';
import { MemorySource } from '../src/root/source/memory.ts';
import type { ByteRange, ByteSource } from '../src/root/source/source.ts';

function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 131 + (i >>> 8) * 7) & 0xff;
  return out;
}

const DATA = pattern(100_000);
const cfg = (c: Partial<CoalesceConfig>): CoalesceConfig => ({ ...DEFAULT_COALESCE, ...c });

/** The plan's invariants for any input (see coalesce.ts). */
function checkPlan(ranges: readonly ByteRange[], config: CoalesceConfig): ReturnType<typeof planRanges> {
  const plan = planRanges(ranges, config);
  // every input range is served by exactly one request
  const seen = new Array<number>(ranges.length).fill(0);
  for (const m of plan) for (const i of m.members) seen[i]!++;
  expect(seen).toEqual(ranges.map(() => 1));
  for (let k = 0; k < plan.length; k++) {
    const m = plan[k]!;
    expect(m.members.length).toBeGreaterThan(0);
    // the request covers its members and is tight around them
    let lo = Infinity;
    let hi = -Infinity;
    for (const i of m.members) {
      const r = ranges[i]!;
      expect(r.offset).toBeGreaterThanOrEqual(m.offset);
      expect(r.offset + r.length).toBeLessThanOrEqual(m.offset + m.length);
      lo = Math.min(lo, r.offset);
      hi = Math.max(hi, r.offset + r.length);
    }
    expect(m.offset).toBe(lo);
    expect(m.offset + m.length).toBe(hi);
    // maxRequest holds unless one range spans the whole request (ranges inside it ride along)
    const spanning = m.members.some((i) => ranges[i]!.offset === m.offset && ranges[i]!.length === m.length);
    if (!spanning) expect(m.length).toBeLessThanOrEqual(config.maxRequest);
    // inside a request no gap exceeds maxGap
    const sorted = [...m.members].sort((a, b) => ranges[a]!.offset - ranges[b]!.offset);
    let end = -Infinity;
    for (const i of sorted) {
      const r = ranges[i]!;
      if (end !== -Infinity) expect(r.offset - end).toBeLessThanOrEqual(config.maxGap);
      end = Math.max(end, r.offset + r.length);
    }
    // requests come in offset order, and a new request starts only when merging was not allowed
    if (k > 0) {
      const prev = plan[k - 1]!;
      expect(m.offset).toBeGreaterThanOrEqual(prev.offset);
      const prevEnd = prev.offset + prev.length;
      const first = ranges[m.members[0]!]!; // members are listed in offset order: the first one opened this request
      expect(first.offset).toBe(m.offset);
      const firstEnd = first.offset + first.length;
      const gapTooBig = m.offset - prevEnd > config.maxGap;
      const tooLong = Math.max(prevEnd, firstEnd) - prev.offset > config.maxRequest;
      expect(gapTooBig || tooLong).toBe(true);
    }
  }
  return plan;
}

async function readAndCheck(ranges: readonly ByteRange[], config: CoalesceConfig, data = DATA): Promise<{ source: MemorySource; plan: ReturnType<typeof planRanges> }> {
  const plan = checkPlan(ranges, config);
  const source = new MemorySource(data, 'mem.root');
  const out = await readRanges(source, ranges, config);
  expect(out.length).toBe(ranges.length);
  ranges.forEach((r, i) => {
    expect(out[i]!.length).toBe(r.length);
    expect(Buffer.from(out[i]!).equals(Buffer.from(data.subarray(r.offset, r.offset + r.length)))).toBe(true);
  });
  expect(source.counters.requests).toBe(plan.length);
  expect(source.counters.bytes).toBe(plan.reduce((n, m) => n + m.length, 0));
  return { source, plan };
}

describe('planRanges', () => {
  it('merges 10 adjacent ranges into one request', () => {
    const ranges = Array.from({ length: 10 }, (_, i) => ({ offset: 1000 + 100 * i, length: 100 }));
    const plan = checkPlan(ranges, DEFAULT_COALESCE);
    expect(plan).toEqual([{ offset: 1000, length: 1000, members: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }]);
  });

  it('merges across a gap of exactly maxGap, splits at maxGap + 1', () => {
    const config = cfg({ maxGap: 50 });
    expect(checkPlan([{ offset: 0, length: 10 }, { offset: 60, length: 10 }], config)).toEqual([{ offset: 0, length: 70, members: [0, 1] }]);
    expect(checkPlan([{ offset: 0, length: 10 }, { offset: 61, length: 10 }], config)).toEqual([
      { offset: 0, length: 10, members: [0] },
      { offset: 61, length: 10, members: [1] },
    ]);
  });

  it('maxGap 0 merges only touching or overlapping ranges', () => {
    const plan = checkPlan(
      [
        { offset: 0, length: 10 },
        { offset: 10, length: 5 },
        { offset: 16, length: 4 },
        { offset: 17, length: 10 },
      ],
      cfg({ maxGap: 0 }),
    );
    expect(plan).toEqual([
      { offset: 0, length: 15, members: [0, 1] },
      { offset: 16, length: 11, members: [2, 3] },
    ]);
  });

  it('respects maxRequest when merging, but reads a single larger range whole', () => {
    const config = cfg({ maxGap: 1000, maxRequest: 250 });
    const ranges = [0, 100, 200, 300, 400].map((offset) => ({ offset, length: 100 }));
    const plan = checkPlan(ranges, config);
    expect(plan.map((m) => [m.offset, m.length, m.members])).toEqual([
      [0, 200, [0, 1]],
      [200, 200, [2, 3]],
      [400, 100, [4]],
    ]);
    const big = checkPlan([{ offset: 0, length: 1000 }, { offset: 1000, length: 10 }], config);
    expect(big.map((m) => [m.offset, m.length])).toEqual([
      [0, 1000],
      [1000, 10],
    ]);
  });

  it('sorts by offset and records members as input indexes', () => {
    const ranges = [
      { offset: 5000, length: 10 },
      { offset: 0, length: 10 },
      { offset: 20, length: 10 },
      { offset: 5015, length: 5 },
    ];
    expect(checkPlan(ranges, cfg({ maxGap: 100 }))).toEqual([
      { offset: 0, length: 30, members: [1, 2] },
      { offset: 5000, length: 20, members: [0, 3] },
    ]);
  });

  it('handles duplicates, containment, zero-length ranges and an empty list', () => {
    expect(planRanges([])).toEqual([]);
    const plan = checkPlan(
      [
        { offset: 10, length: 100 },
        { offset: 10, length: 100 },
        { offset: 20, length: 5 },
        { offset: 50, length: 0 },
      ],
      cfg({ maxGap: 0 }),
    );
    expect(plan).toEqual([{ offset: 10, length: 100, members: [0, 1, 2, 3] }]);
  });

  it('never mutates its input', () => {
    const ranges = [
      { offset: 30, length: 5 },
      { offset: 0, length: 5 },
    ];
    const copy = structuredClone(ranges);
    planRanges(ranges, cfg({ maxGap: 100 }));
    expect(ranges).toEqual(copy);
  });

  it('satisfies its invariants for arbitrary range sets (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ offset: fc.nat({ max: 5000 }), length: fc.nat({ max: 600 }) }), { maxLength: 40 }),
        fc.nat({ max: 400 }),
        fc.integer({ min: 1, max: 3000 }),
        (ranges, maxGap, maxRequest) => {
          checkPlan(ranges, { maxGap, maxRequest, concurrency: 1 });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('readRanges over MemorySource', () => {
  it('10 adjacent ranges -> 1 request, results in input order', async () => {
    const ranges = Array.from({ length: 10 }, (_, i) => ({ offset: 2000 + 37 * (9 - i), length: 37 }));
    const { source } = await readAndCheck(ranges, DEFAULT_COALESCE);
    expect(source.counters).toEqual({ requests: 1, bytes: 370 });
  });

  it('ranges further apart than maxGap -> one request each', async () => {
    const ranges = [0, 1000, 2000, 3000].map((offset) => ({ offset, length: 10 }));
    const { source } = await readAndCheck(ranges, cfg({ maxGap: 500 }));
    expect(source.counters).toEqual({ requests: 4, bytes: 40 });
  });

  it('reads the gap bytes when merging (requests vs bytes trade-off)', async () => {
    const ranges = [
      { offset: 0, length: 10 },
      { offset: 90, length: 10 },
    ];
    const { source } = await readAndCheck(ranges, cfg({ maxGap: 100 }));
    expect(source.counters).toEqual({ requests: 1, bytes: 100 });
  });

  it('empty input makes no request', async () => {
    const source = new MemorySource(DATA);
    expect(await readRanges(source, [])).toEqual([]);
    expect(source.counters).toEqual({ requests: 0, bytes: 0 });
  });

  it('ranges past the end reject with DeserializationError naming the source', async () => {
    const source = new MemorySource(DATA, 'mem.root');
    const err = await readRanges(source, [{ offset: 0, length: 10 }, { offset: DATA.length - 5, length: 10 }], cfg({ maxGap: 0 })).catch((e) => e);
    expect(err).toBeInstanceOf(DeserializationError);
    expect(err.context.file).toBe('mem.root');
    expect(err.context.offset).toBe(DATA.length - 5);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    for (const concurrency of [1, 3]) {
      const inner = new MemorySource(DATA);
      let inFlight = 0;
      let peak = 0;
      const slow: ByteSource = {
        name: 'slow',
        size: inner.size,
        counters: inner.counters,
        async read(offset, length) {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await new Promise((r) => setTimeout(r, 2));
          inFlight--;
          return inner.read(offset, length);
        },
        close: async () => {},
      };
      const ranges = Array.from({ length: 12 }, (_, i) => ({ offset: i * 1000, length: 10 }));
      const out = await readRanges(slow, ranges, { maxGap: 0, maxRequest: 1 << 20, concurrency });
      expect(peak).toBe(concurrency);
      expect(inner.counters.requests).toBe(12);
      out.forEach((b, i) => expect(b[0]).toBe(DATA[i * 1000]));
    }
  });

  it('returns the right bytes for arbitrary range sets and configs (property)', async () => {
    const data = pattern(6000);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.nat({ max: 5999 }).chain((offset) => fc.record({ offset: fc.constant(offset), length: fc.nat({ max: Math.min(500, 6000 - offset) }) })),
          { maxLength: 30 },
        ),
        fc.nat({ max: 300 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 5 }),
        async (ranges, maxGap, maxRequest, concurrency) => {
          await readAndCheck(ranges, { maxGap, maxRequest, concurrency }, data);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('FileSource', () => {
  let dir: string;
  let path: string;
  const content = pattern(70_000);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'physlite-coalesce-'));
    path = join(dir, 'data.bin');
    await writeFile(path, content);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads exact bytes and counts requests and bytes', async () => {
    const src = await FileSource.open(path);
    try {
      expect(src.size).toBe(content.length);
      expect(src.name).toBe(path);
      const a = await src.read(0, 4);
      expect([...a]).toEqual([...content.subarray(0, 4)]);
      const b = await src.read(65_530, 4470);
      expect(Buffer.from(b).equals(Buffer.from(content.subarray(65_530)))).toBe(true);
      const c = await src.read(content.length, 0);
      expect(c.length).toBe(0);
      expect(src.counters).toEqual({ requests: 3, bytes: 4474 });
    } finally {
      await src.close();
    }
  });

  it('readRanges through a FileSource coalesces requests', async () => {
    const src = await FileSource.open(path);
    try {
      const ranges = Array.from({ length: 10 }, (_, i) => ({ offset: 50_000 + 10 * i, length: 10 }));
      ranges.push({ offset: 10, length: 20 });
      const out = await readRanges(src, ranges, cfg({ maxGap: 1000 }));
      ranges.forEach((r, i) => expect([...out[i]!]).toEqual([...content.subarray(r.offset, r.offset + r.length)]));
      expect(src.counters).toEqual({ requests: 2, bytes: 120 });
    } finally {
      await src.close();
    }
  });

  it('readRangesSync into a caller buffer reads, counts and places the bytes as without it', async () => {
    const a = await FileSource.open(path);
    const b = await FileSource.open(path);
    try {
      const ranges = [...Array.from({ length: 10 }, (_, i) => ({ offset: 50_000 + 10 * i, length: 10 })), { offset: 10, length: 20 }, { offset: 69_990, length: 10 }];
      const buffer = new Uint8Array(1000);
      const asked: number[] = [];
      const into = readRangesSync(a, ranges, cfg({ maxGap: 1000 }), (n) => (asked.push(n), buffer.subarray(0, n)));
      const plain = readRangesSync(b, ranges, cfg({ maxGap: 1000 }));
      // One buffer for the whole plan (three requests: 50,000-50,100, 10-30, 69,990-70,000).
      expect(asked).toEqual([130]);
      ranges.forEach((r, i) => {
        expect([...into[i]!]).toEqual([...plain[i]!]);
        expect(into[i]!.buffer).toBe(buffer.buffer);
      });
      expect(a.counters).toEqual(b.counters);
      const out = new Uint8Array(7);
      expect(a.readSyncInto(69_993, out)).toBe(out);
      expect([...out]).toEqual([...content.subarray(69_993)]);
      expect(() => a.readSyncInto(69_994, out)).toThrow(DeserializationError);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('readSync and readRangesSync read and count as read and readRanges do', async () => {
    const a = await FileSource.open(path);
    const b = await FileSource.open(path);
    try {
      const ranges = [...Array.from({ length: 10 }, (_, i) => ({ offset: 50_000 + 10 * i, length: 10 })), { offset: 10, length: 20 }, { offset: 69_990, length: 10 }];
      const sync = readRangesSync(a, ranges, cfg({ maxGap: 1000 }));
      const async = await readRanges(b, ranges, cfg({ maxGap: 1000 }));
      ranges.forEach((r, i) => {
        expect([...sync[i]!]).toEqual([...content.subarray(r.offset, r.offset + r.length)]);
        expect([...sync[i]!]).toEqual([...async[i]!]);
      });
      expect(a.counters).toEqual(b.counters);
      expect(() => a.readSync(content.length - 5, 10)).toThrow(DeserializationError);
      expect(a.counters).toEqual(b.counters);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('reading past the end throws DeserializationError naming the file, without I/O', async () => {
    const src = await FileSource.open(path);
    try {
      for (const [offset, length] of [
        [content.length - 1, 2],
        [content.length + 10, 0],
        [-1, 4],
        [0, -1],
        [0.5, 1],
      ] as const) {
        const err = await src.read(offset, length).catch((e) => e);
        expect(err, `${offset},${length}`).toBeInstanceOf(DeserializationError);
        expect(err.context.file).toBe(path);
        expect(err.describe()).toContain(path);
        expect(err.exitCode).toBe(2);
      }
      const err = await src.read(content.length - 1, 2).catch((e) => e);
      expect(err.context.offset).toBe(content.length - 1);
      expect(err.message).toMatch(/truncated/);
      expect(src.counters).toEqual({ requests: 0, bytes: 0 });
    } finally {
      await src.close();
    }
  });

  it('opening a missing file throws InputError with exit code 2', async () => {
    const missing = join(dir, 'no-such-file.root');
    const err = await FileSource.open(missing).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err).not.toBeInstanceOf(TransientError);
    expect(err.exitCode).toBe(2);
    expect(err.context.file).toBe(missing);
    expect(err.message).toMatch(/ENOENT/);
  });

  it('opening a directory throws InputError with exit code 2', async () => {
    const err = await FileSource.open(dir).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.exitCode).toBe(2);
    expect(err.context.file).toBe(dir);
  });

  it('a file that shrinks after opening gives a TransientError short read', async () => {
    const p = join(dir, 'shrinks.bin');
    await writeFile(p, content.subarray(0, 1000));
    const src = await FileSource.open(p);
    try {
      await writeFile(p, content.subarray(0, 100));
      const err = await src.read(50, 200).catch((e) => e);
      expect(err).toBeInstanceOf(TransientError);
      expect(err.exitCode).toBe(3);
      expect(err.context).toMatchObject({ file: p, offset: 50 });
      expect(src.counters.requests).toBe(0);
    } finally {
      await src.close();
    }
  });
});
