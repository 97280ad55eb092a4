/**
 * RNTuple envelope plumbing (little-endian, unlike the rest of ROOT): frames, locators, envelope
 * links, and unwrapping an envelope (decompress with the codec registry, check its type and
 * length, verify its XXH3 checksum). Pure byte interpretation; the caller fetches the bytes.
 */
import { DeserializationError, type ErrorContext } from '../../errors.ts';
import { decompressBuffer } from '../compression/index.ts';
import { Cursor } from '../cursor.ts';
import { xxh3 } from './xxh3.ts';

export const ENVELOPE = { header: 1, footer: 2, pageList: 3 } as const;
const ENVELOPE_NAMES: Record<number, string> = { 1: 'header', 2: 'footer', 3: 'page list' };

/** A byte range in the file. */
export interface Locator {
  offset: number;
  size: number;
}

export interface EnvelopeLink {
  /** Uncompressed length of the envelope. */
  length: number;
  locator: Locator;
}

/** Start of a frame: its end position and, for list frames, the number of items. */
export interface Frame {
  end: number;
  count: number;
  list: boolean;
}

export function readFrame(c: Cursor, expect: 'record' | 'list'): Frame {
  const at = c.pos;
  const size = c.i64len();
  const list = size < 0;
  if ((expect === 'list') !== list) c.fail(`expected a ${expect} frame, found a ${list ? 'list' : 'record'} frame`, at);
  const count = list ? c.u32le() : 0;
  const end = at + Math.abs(size);
  if (end < c.pos || end > c.length) c.fail(`frame of ${Math.abs(size)} bytes does not fit the envelope (${c.length - at} bytes left)`, at);
  return { end, count, list };
}

/** Continue after a frame (frames may grow in later format versions: skip what is not known). */
export function endFrame(c: Cursor, f: Frame): void {
  if (c.pos > f.end) c.fail(`frame content overruns the frame by ${c.pos - f.end} bytes`);
  c.seek(f.end);
}

export function readLocator(c: Cursor): Locator {
  const at = c.pos;
  const head = c.i32le();
  if (head >= 0) return { size: head, offset: c.i64len() };
  // ROOT writes -(size | reserved << 16 | type << 24) with size counting these 4 bytes: negate first.
  const word = -head;
  const type = (word >>> 24) & 0x7f;
  const selfSize = word & 0xffff;
  if (selfSize < 4 + 16) c.fail(`non-standard locator of ${selfSize} bytes is too short`, at);
  if (type !== 0x01) c.fail(`unsupported non-standard locator type ${type}`, at);
  const size = c.i64len();
  const offset = c.i64len();
  c.seek(at + selfSize);
  return { size, offset };
}

export function readEnvelopeLink(c: Cursor): EnvelopeLink {
  const length = c.i64len();
  return { length, locator: readLocator(c) };
}

export function readString(c: Cursor): string {
  const n = c.u32le();
  return Buffer.from(c.bytes(n)).toString('utf8');
}

/** Feature flags: unknown bits set mean a format this reader cannot read. */
export function readFeatureFlags(c: Cursor): bigint[] {
  const flags: bigint[] = [];
  for (;;) {
    const at = c.pos;
    const v = c.u64le();
    flags.push(v);
    if (v & 0x7fffffffffffffffn) c.fail(`RNTuple uses unknown format features (flags 0x${v.toString(16)})`, at);
    if (!(v & 0x8000000000000000n)) return flags;
  }
}

/**
 * Decompress an envelope read from `locator` and verify it: type, length and the XXH3 checksum
 * of everything before the last 8 bytes. Returns a cursor positioned after the type/length word,
 * and the checksum (the footer and page lists name the header by it).
 */
export async function openEnvelope(
  raw: Uint8Array,
  link: EnvelopeLink,
  type: number,
  context: ErrorContext,
): Promise<{ cursor: Cursor; checksum: bigint }> {
  const name = ENVELOPE_NAMES[type] ?? `type ${type}`;
  const ctx = { ...context, object: `${context.object ?? 'RNTuple'} ${name} envelope` };
  const bytes = await decompressBuffer(raw, link.length, ctx, link.locator.offset);
  if (bytes.length < 16) throw new DeserializationError(`${name} envelope of ${bytes.length} bytes is too short`, { ...ctx, offset: link.locator.offset });
  const c = new Cursor(bytes, 0, 0, ctx);
  const word = c.u64le();
  const gotType = Number(word & 0xffffn);
  const length = Number(word >> 16n);
  if (gotType !== type) c.fail(`expected a ${name} envelope, found envelope type ${gotType}`, 0);
  if (length !== bytes.length) c.fail(`${name} envelope says ${length} bytes, its link says ${bytes.length}`, 0);
  const stored = new DataView(bytes.buffer, bytes.byteOffset + length - 8, 8).getBigUint64(0, true);
  const computed = xxh3(bytes.subarray(0, length - 8));
  if (stored !== computed) {
    throw new DeserializationError(
      `${name} envelope checksum mismatch: stored XXH3 0x${stored.toString(16)}, computed 0x${computed.toString(16)}`,
      { ...ctx, offset: link.locator.offset },
    );
  }
  // The payload ends before the checksum: a cursor over it cannot read the checksum as data.
  const payload = new Cursor(bytes.subarray(0, length - 8), 8, 0, ctx);
  return { cursor: payload, checksum: stored };
}
