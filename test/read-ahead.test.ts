/** Issue 7 follow-up: a remote conversion fetches its next read while the current one is decoded. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertFile } from '../src/convert/convert-file.ts';
import { RootFile } from '../src/root/file.ts';
import { parseCompression } from '../src/root/compression/compress.ts';
import { HttpSource } from '../src/root/source/http.ts';
import { MemorySource } from '../src/root/source/memory.ts';
import { ReadAheadSource } from '../src/root/source/read-ahead.ts';
import { generateLike } from '../src/root/write/generate-like.ts';
import { fixture } from './helpers/fixtures.ts';
import { startRangeServer } from './support/range-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'physlite-read-ahead-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A memory source that logs its reads and can fail them. */
function logged(bytes: Uint8Array, fail = false) {
  const inner = new MemorySource(bytes, 'mem');
  const reads: [number, number][] = [];
  const source = Object.assign(Object.create(inner) as MemorySource, {
    read: async (offset: number, length: number) => {
      reads.push([offset, length]);
      if (fail) throw new Error(`no bytes at ${offset}`);
      return inner.read(offset, length);
    },
  });
  return { source, reads };
}

/** Lets the prefetch limiter start its requests. */
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const data = Uint8Array.from({ length: 1 << 16 }, (_, i) => (i * 7) & 0xff);

describe('ReadAheadSource', () => {
  it('fetches announced ranges merged, once; reads inside them are answered from the blocks', async () => {
    const { source, reads } = logged(data);
    const ahead = new ReadAheadSource(source, { maxGap: 100, maxRequest: 1 << 20, concurrency: 2 });
    ahead.prefetch([{ offset: 1000, length: 50 }, { offset: 1060, length: 40 }, { offset: 9000, length: 10 }]);
    await tick();
    expect(reads).toEqual([[1000, 100], [9000, 10]]);
    expect(await ahead.read(1000, 100)).toEqual(data.subarray(1000, 1100));
    expect(await ahead.read(9002, 5)).toEqual(data.subarray(9002, 9007));
    expect(await ahead.read(9000, 10)).toEqual(data.subarray(9000, 9010));
    expect(ahead.ahead).toEqual({ blocks: 2, hits: 3 });
    // Read in full: gone; the same bytes again, and bytes never announced, come from the source.
    expect(await ahead.read(1000, 100)).toEqual(data.subarray(1000, 1100));
    expect(await ahead.read(20, 4)).toEqual(data.subarray(20, 24));
    expect(reads.slice(2)).toEqual([[1000, 100], [20, 4]]);
  });

  it('fetches ahead at most its byte budget of an announced read; the rest comes when read', async () => {
    const { source, reads } = logged(data);
    const ahead = new ReadAheadSource(source, { maxGap: 0, maxRequest: 1 << 20, concurrency: 4 }, 25);
    ahead.prefetch([{ offset: 0, length: 10 }, { offset: 100, length: 10 }, { offset: 200, length: 10 }]);
    await tick();
    expect(reads).toEqual([[0, 10], [100, 10]]);
    expect(await ahead.read(200, 10)).toEqual(data.subarray(200, 210));
    expect(ahead.ahead).toEqual({ blocks: 2, hits: 0 });
  });

  it('a block not read is dropped two announcements later', async () => {
    const { source, reads } = logged(data);
    const ahead = new ReadAheadSource(source);
    ahead.prefetch([{ offset: 0, length: 10 }]);
    ahead.prefetch([{ offset: 100, length: 10 }]);
    await ahead.read(5, 2); // still held (one announcement later), answered from the block
    ahead.prefetch([{ offset: 200, length: 10 }]);
    await tick();
    await ahead.read(5, 2); // dropped now: read again from the source
    expect(reads).toEqual([[0, 10], [100, 10], [200, 10], [5, 2]]);
  });

  it("a failed prefetch is the reader's error when it reads those bytes, never an unhandled rejection", async () => {
    const { source } = logged(data, true);
    const ahead = new ReadAheadSource(source);
    ahead.prefetch([{ offset: 0, length: 10 }, { offset: 5000, length: 10 }]);
    await new Promise((r) => setTimeout(r, 20));
    await expect(ahead.read(0, 10)).rejects.toThrow('no bytes at 0');
    // The other block is never read: dropped without a trace.
    ahead.prefetch([]);
    ahead.prefetch([]);
  });
});

describe('remote conversion with read-ahead', () => {
  it('over HTTP, row groups in passes and pieces: every read after the first comes from a prefetched block, each byte fetched once, the output equals the local one', async () => {
    const template = await RootFile.open(fixture('PHYSLITE_example.root'));
    const input = join(dir, 'ahead.root');
    await generateLike({ template, events: 400, out: input, compression: parseCompression('zstd:1'), seed: 9, autoFlush: 100 });
    await template.close();
    const bytes = new Uint8Array(readFileSync(input));
    const server = await startRangeServer({ files: { '/ahead.root': bytes } });
    try {
      const o = { rowGroupBytes: 2 ** 30, passBytes: 100_000 };
      const local = await convertFile(input, { outDir: join(dir, 'local'), ...o }, { identity: 'ahead.root' });
      const ahead = new ReadAheadSource(await HttpSource.open(server.url('/ahead.root')));
      server.reset();
      const remote = await convertFile(ahead, { outDir: join(dir, 'remote'), ...o }, { identity: 'ahead.root' });
      expect(readFileSync(remote.output).equals(readFileSync(local.output))).toBe(true);
      // Many reads (passes, and pieces of the large columns), nearly all answered ahead.
      expect(ahead.ahead.blocks).toBeGreaterThan(20);
      expect(ahead.ahead.hits).toBeGreaterThanOrEqual(ahead.ahead.blocks * 0.9);
      // No block fetched twice: the bytes served are about the file (opening it reads a little twice).
      expect(server.counters.bytes).toBeLessThan(bytes.length * 1.05);
    } finally {
      await server.close();
    }
  }, 120_000);
});
