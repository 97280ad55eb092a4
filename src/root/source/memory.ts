/**
 * In-memory source: a Uint8Array that already holds the whole file (tests, small downloads).
 * Reads return views, not copies.
 */
import { checkRange, newCounters, type ByteSource, type SourceCounters } from './source.ts';

export class MemorySource implements ByteSource {
  readonly name: string;
  readonly size: number;
  readonly counters: SourceCounters = newCounters();
  private readonly data: Uint8Array;

  constructor(data: Uint8Array, name = '<memory>') {
    this.data = data;
    this.size = data.length;
    this.name = name;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    this.counters.requests++;
    this.counters.bytes += length;
    return this.data.subarray(offset, offset + length);
  }

  async close(): Promise<void> {}
}
