/**
 * A remote source that fetches a reader's next ranges while the current ones are decoded. A caller
 * that knows its reads in advance (a conversion's passes) announces the next one with
 * `prefetch(ranges)`: the ranges are merged as readRanges merges them (same config) and fetched at
 * once; a later `read` that falls inside a fetched block is answered from it, any other goes to the
 * source. Only the first `maxBytes` of an announced read are fetched ahead (the rest when read):
 * a conversion worker's memory cap has room for one block set, not for a whole pass's baskets
 * twice. A block is dropped once read in full, or two announcements later (so a plan that was
 * not followed costs memory for at most two reads). An error of a prefetch surfaces only when its
 * bytes are read, with the source's own context; counters are the source's (one request per block).
 * Local sources need none of this: their reads are synchronous and cheap.
 */
import { DEFAULT_COALESCE, planRanges, type CoalesceConfig } from './coalesce.ts';
import type { ByteRange, ByteSource, SourceCounters } from './source.ts';

/**
 * Bytes fetched ahead per announced read. Measured converting the 2 GB file over HTTP at 20 ms per
 * answer, 16 requests in flight: without a limit 530 MiB peak (485 MiB without read-ahead).
 */
export const DEFAULT_READ_AHEAD_BYTES = 16 * 2 ** 20;

interface Block {
  offset: number;
  length: number;
  generation: number;
  bytes: Promise<Uint8Array>;
}

export class ReadAheadSource implements ByteSource {
  private readonly inner: ByteSource;
  private readonly config: CoalesceConfig;
  private blocks: Block[] = [];
  private generation = 0;
  private readonly maxBytes: number;
  /** Blocks fetched ahead, and reads answered from them (what tests and benchmarks look at). */
  readonly ahead = { blocks: 0, hits: 0 };

  constructor(inner: ByteSource, config: CoalesceConfig = DEFAULT_COALESCE, maxBytes = DEFAULT_READ_AHEAD_BYTES) {
    this.inner = inner;
    this.config = config;
    this.maxBytes = maxBytes;
  }

  get name(): string {
    return this.inner.name;
  }
  get size(): number {
    return this.inner.size;
  }
  get counters(): SourceCounters {
    return this.inner.counters;
  }

  /**
   * Starts fetching `ranges` (the next read's). Every merged request is handed to the source at
   * once: remote sources keep their own limit of requests in flight (`--requests`), shared with
   * the reads of the current step, so the link stays busy while this thread decodes.
   */
  prefetch(ranges: readonly ByteRange[]): void {
    const generation = ++this.generation;
    this.blocks = this.blocks.filter((b) => b.generation >= generation - 1);
    let budget = this.maxBytes;
    for (const m of planRanges(ranges, this.config)) {
      if (m.length > budget) break;
      budget -= m.length;
      const bytes = this.inner.read(m.offset, m.length);
      // Not an unhandled rejection: the error is the reader's once it reads these bytes.
      bytes.catch(() => undefined);
      this.blocks.push({ offset: m.offset, length: m.length, generation, bytes });
      this.ahead.blocks++;
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const i = this.blocks.findIndex((b) => offset >= b.offset && offset + length <= b.offset + b.length);
    if (i < 0) return this.inner.read(offset, length);
    const b = this.blocks[i]!;
    this.ahead.hits++;
    if (b.offset === offset && b.length === length) this.blocks.splice(i, 1);
    const bytes = await b.bytes;
    return bytes.subarray(offset - b.offset, offset - b.offset + length);
  }

  async close(): Promise<void> {
    this.blocks = [];
    await this.inner.close();
  }
}
