/**
 * Zstandard frames, one at a time, each direction through one reused native context (per thread).
 * node:zlib's zstdDecompressSync / zstdCompressSync build a stream object and a native context for
 * every call (measured: ~20-40 us each, more than the work on a page of a few kB); a conversion
 * makes one call per ROOT basket block and one per Parquet page. Here one ZstdDecompress and one
 * ZstdCompress handle (per level) code frame after frame through the handle's synchronous write
 * (the call the Sync functions make). A handle that reported an error, or stopped inside a frame,
 * is dropped and a new one made, so a bad frame cannot leave state for the next call; the
 * decompressor is also reset before a frame unless the last input was whole frames, which zstd
 * ends at a frame boundary (node:zlib's reset makes a new native context: measured ~2% of a
 * conversion's CPU when done for every ROOT basket). The compressor is not reset: node:zlib's reset also
 * forgets the compression level (measured: level 1 frames came out as level 3), and a frame it
 * finished leaves nothing behind.
 * Compression with ZSTD_e_end over the whole input in one call gives the bytes zstdCompressSync
 * gives with `pledgedSrcSize` (zstd takes the size of a single-call frame as pledged).
 * This uses node:zlib internals (`_handle`, `_writeState`) of the pinned Node 24; where they are
 * absent the public functions are used instead, so a Node change costs speed, not results.
 */
import zlib from 'node:zlib';

interface Handle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset(): void;
  onerror: ((message: string, errno: number) => void) | null;
  close(): void;
}

/** One native stream: its handle, the [availOut, availIn] it reports after a write, its last error. */
class Engine {
  handle: Handle | null = null;
  state: Uint32Array | null = null;
  failure: string | null = null;
  usable = true;
  /** Whether the handle may be inside a frame (then it is reset before the next one). */
  dirty = true;
  private readonly make: () => unknown;
  private readonly resetEachFrame: boolean;

  constructor(make: () => unknown, resetEachFrame: boolean) {
    this.make = make;
    this.resetEachFrame = resetEachFrame;
  }

  /** The handle, ready for a new frame; null when node:zlib's internals are not there. */
  get(): Handle | null {
    if (this.handle) {
      if (this.resetEachFrame && this.dirty) this.handle.reset();
      // Until the caller knows the next frame ended cleanly.
      this.dirty = true;
      return this.handle;
    }
    this.dirty = true;
    if (!this.usable) return null;
    try {
      const stream = this.make() as { _handle?: Handle; _writeState?: Uint32Array };
      const h = stream._handle;
      if (!h || typeof h.writeSync !== 'function' || typeof h.reset !== 'function' || !(stream._writeState instanceof Uint32Array)) {
        this.usable = false;
        return null;
      }
      h.onerror = (message) => {
        this.failure = message;
      };
      this.handle = h;
      this.state = stream._writeState;
      return h;
    } catch {
      this.usable = false;
      return null;
    }
  }

  /** One write; throws (and drops the handle) when zstd reported an error. */
  write(h: Handle, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void {
    this.failure = null;
    h.writeSync(zlib.constants.ZSTD_e_end, input, inOff, inLen, out, outOff, outLen);
    if (this.failure !== null) {
      const message = this.failure;
      this.drop();
      throw new Error(message);
    }
  }

  drop(): void {
    try {
      this.handle?.close();
    } catch {
      // already closed
    }
    this.handle = null;
  }
}

const decoder = new Engine(() => zlib.createZstdDecompress(), true);
const encoders = new Map<number, Engine>();
const probe = new Uint8Array(1);

/**
 * The `size` bytes a zstd frame decodes to; throws Error on corrupt, short or long data. Input
 * that goes on after the frame is decoded too, as zstdDecompressSync does (skippable frames are
 * padding; more frames must add no bytes). With `into` (exactly `size` bytes) the bytes go there
 * (its contents are undefined after an error).
 */
export function zstdDecompress(input: Uint8Array, size: number, into?: Uint8Array): Uint8Array {
  if (into && into.length !== size) throw new RangeError(`output of ${into.length} bytes for a frame of ${size}`);
  const h = decoder.get();
  if (!h) {
    const whole = zlib.zstdDecompressSync(input, { maxOutputLength: Math.max(1, size) });
    if (!into || whole.length !== size) return whole;
    into.set(whole);
    return into;
  }
  const st = decoder.state!;
  // Not zeroed first: it is returned only when zstd wrote every byte of it.
  const out = into ?? new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size);
  let inOff = 0;
  let availIn = input.length;
  let outOff = 0;
  for (;;) {
    // Once `out` is full, a 1-byte probe asks whether zstd holds (or the input makes) more bytes.
    const full = outOff === size;
    const room = full ? 1 : size - outOff;
    decoder.write(h, input, inOff, availIn, full ? probe : out, full ? 0 : outOff, room);
    const produced = room - st[0]!;
    const consumed = availIn - st[1]!;
    if (full && produced > 0) {
      decoder.drop();
      throw new Error(`the frame decodes to more than ${size} bytes`);
    }
    if (!full) outOff += produced;
    inOff += consumed;
    availIn -= consumed;
    if (full && availIn === 0) {
      if (wholeFrames(input)) decoder.dirty = false;
      return out;
    }
    if (produced === 0 && consumed === 0) {
      decoder.drop();
      throw new Error(`the frame ends after ${outOff} of ${size} bytes`);
    }
  }
}

const FCS_BYTES = [0, 2, 4, 8];
const DICT_ID_BYTES = [0, 1, 2, 4];

/**
 * Whether `b` is whole frames (zstd or skippable) ending exactly at its end, by the frame and
 * block headers (RFC 8878): then a decoder that consumed it all stands at a frame boundary.
 */
export function wholeFrames(b: Uint8Array): boolean {
  const n = b.length;
  const u32 = (p: number): number => (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  let p = 0;
  while (p < n) {
    if (p + 8 > n) return false;
    const magic = u32(p);
    if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
      p += 8 + u32(p + 4);
      continue;
    }
    if (magic !== 0xfd2fb528) return false;
    const fhd = b[p + 4]!;
    const single = (fhd >> 5) & 1;
    const fcs = fhd >> 6 === 0 ? single : FCS_BYTES[fhd >> 6]!;
    p += 5 + (single ? 0 : 1) + DICT_ID_BYTES[fhd & 3]! + fcs;
    for (;;) {
      if (p + 3 > n) return false;
      const h = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16);
      const type = (h >> 1) & 3;
      if (type === 3) return false;
      p += 3 + (type === 1 ? 1 : h >>> 3);
      if (h & 1) break;
    }
    if (fhd & 4) p += 4;
  }
  return p === n;
}

/** zstd's worst-case frame size for n input bytes (ZSTD_COMPRESSBOUND). */
export function zstdBound(n: number): number {
  return n + (n >>> 8) + (n < 131072 ? (131072 - n) >>> 11 : 0);
}

let scratch = new Uint8Array(0);

/**
 * One zstd frame of `input` at `level`, the bytes zstdCompressSync(input, { params: level,
 * pledgedSrcSize: input.length }) gives. The result is a view of a buffer the next call
 * overwrites: write or copy it before compressing again.
 */
export function zstdCompress(input: Uint8Array, level: number): Uint8Array {
  let engine = encoders.get(level);
  if (!engine) {
    engine = new Engine(() => zlib.createZstdCompress({ params: { [zlib.constants.ZSTD_c_compressionLevel]: level } }), false);
    encoders.set(level, engine);
  }
  const h = engine.get();
  if (!h) {
    const n = input.length;
    return zlib.zstdCompressSync(input, { params: { [zlib.constants.ZSTD_c_compressionLevel]: level }, pledgedSrcSize: n, chunkSize: Math.max(64, zstdBound(n) + 64) });
  }
  const bound = zstdBound(input.length) + 64;
  if (scratch.length < bound) scratch = new Uint8Array(Math.max(bound, scratch.length * 2));
  engine.write(h, input, 0, input.length, scratch, 0, scratch.length);
  const st = engine.state!;
  if (st[1] !== 0 || st[0] === 0) {
    // Not one frame in one call (the bound makes this impossible): start over the public way.
    engine.drop();
    return zlib.zstdCompressSync(input, { params: { [zlib.constants.ZSTD_c_compressionLevel]: level }, pledgedSrcSize: input.length });
  }
  return scratch.subarray(0, scratch.length - st[0]!);
}

/** Which implementation is in use (for benchmarks and logs). */
export function zstdPath(): 'reused native context' | 'node:zlib one-shot' {
  return decoder.usable ? 'reused native context' : 'node:zlib one-shot';
}
