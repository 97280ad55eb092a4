/**
 * Range planning: merge the byte ranges a read needs into fewer requests, then hand each caller
 * its own slice. Limits live in one config object: ranges closer than `maxGap` are merged, and no
 * merged request grows beyond `maxRequest` bytes (a single larger range is still read whole).
 * Requests run with at most `concurrency` in flight.
 */
import pLimit from 'p-limit';
import type { ByteRange, ByteSource } from './source.ts';

export interface CoalesceConfig {
  maxGap: number;
  maxRequest: number;
  concurrency: number;
}

export const DEFAULT_COALESCE: CoalesceConfig = { maxGap: 64 * 1024, maxRequest: 16 * 1024 * 1024, concurrency: 4 };

export interface MergedRange extends ByteRange {
  /** Indexes into the input array of the ranges this request serves. */
  members: number[];
}

export function planRanges(ranges: readonly ByteRange[], config: CoalesceConfig = DEFAULT_COALESCE): MergedRange[] {
  const order = ranges.map((_, i) => i).sort((a, b) => ranges[a]!.offset - ranges[b]!.offset);
  const out: MergedRange[] = [];
  let cur: MergedRange | undefined;
  for (const i of order) {
    const r = ranges[i]!;
    const end = r.offset + r.length;
    if (cur) {
      const curEnd = cur.offset + cur.length;
      const newEnd = Math.max(curEnd, end);
      // A range inside the current request is always served by it; otherwise merge within the limits.
      if (end <= curEnd || (r.offset - curEnd <= config.maxGap && newEnd - cur.offset <= config.maxRequest)) {
        cur.length = newEnd - cur.offset;
        cur.members.push(i);
        continue;
      }
    }
    cur = { offset: r.offset, length: r.length, members: [i] };
    out.push(cur);
  }
  return out;
}

/** Read all ranges with merged requests; the result is in the order of the input. */
export async function readRanges(
  source: ByteSource,
  ranges: readonly ByteRange[],
  config: CoalesceConfig = DEFAULT_COALESCE,
): Promise<Uint8Array[]> {
  const plan = planRanges(ranges, config);
  const result = new Array<Uint8Array>(ranges.length);
  const limit = pLimit(Math.max(1, config.concurrency));
  await Promise.all(
    plan.map((m) =>
      limit(async () => {
        const bytes = await source.read(m.offset, m.length);
        for (const i of m.members) {
          const r = ranges[i]!;
          result[i] = bytes.subarray(r.offset - m.offset, r.offset - m.offset + r.length);
        }
      }),
    ),
  );
  return result;
}

/** A source with synchronous reads, optionally into the caller's buffer. */
export type SyncSource = ByteSource & { readSync(offset: number, length: number): Uint8Array; readSyncInto?(offset: number, out: Uint8Array): Uint8Array };

/**
 * readRanges over a source's synchronous read (local files): the same plan, requests one after
 * another. With `into` (and a source that reads into a buffer) all requests land in the one
 * buffer `into(total bytes)` returns: the results are views of it, valid as long as it is.
 */
export function readRangesSync(source: SyncSource, ranges: readonly ByteRange[], config: CoalesceConfig = DEFAULT_COALESCE, into?: (bytes: number) => Uint8Array): Uint8Array[] {
  const result = new Array<Uint8Array>(ranges.length);
  const plan = planRanges(ranges, config);
  let buffer: Uint8Array | undefined;
  let at = 0;
  if (into && source.readSyncInto) {
    let total = 0;
    for (const m of plan) total += m.length;
    buffer = into(total);
  }
  for (const m of plan) {
    let bytes: Uint8Array;
    if (buffer) {
      bytes = source.readSyncInto!(m.offset, buffer.subarray(at, at + m.length));
      at += m.length;
    } else bytes = source.readSync(m.offset, m.length);
    for (const i of m.members) {
      const r = ranges[i]!;
      result[i] = bytes.subarray(r.offset - m.offset, r.offset - m.offset + r.length);
    }
  }
  return result;
}
