/**
 * Zstandard decompression of many small pages with one native context. node:zlib's
 * zstdDecompressSync builds a stream object and a native context for every call, ~20-30 us each
 * (measured), which for a PHYSLITE row group of 500 events and ~30 projected columns cost more
 * than decoding the pages. Here one ZstdDecompress handle decodes frame after frame through the
 * handle's synchronous write, the same call zstdDecompressSync makes, into an output buffer of
 * the page's known size. A handle that saw an error is dropped and a new one made.
 * This uses node:zlib internals (`_handle`, `_writeState`) of the pinned Node 24; where they are
 * absent the public zstdDecompressSync is used instead, so a Node change costs speed, not results.
 */
import zlib from 'node:zlib';

interface Handle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  onerror: ((message: string, errno: number) => void) | null;
  close(): void;
}

let handle: Handle | null = null;
let state: Uint32Array | null = null;
let failure: string | null = null;
let usable = true;

function open(): boolean {
  if (!usable) return false;
  try {
    const engine = zlib.createZstdDecompress() as unknown as { _handle?: Handle; _writeState?: Uint32Array };
    if (!engine._handle || typeof engine._handle.writeSync !== 'function' || !(engine._writeState instanceof Uint32Array)) {
      usable = false;
      return false;
    }
    handle = engine._handle;
    state = engine._writeState;
    handle.onerror = (message) => {
      failure = message;
    };
    return true;
  } catch {
    usable = false;
    return false;
  }
}

function drop(): void {
  try {
    handle?.close();
  } catch {
    // already closed
  }
  handle = null;
}

/**
 * The `size` bytes a zstd frame decodes to; throws Error on corrupt, short or long data. With
 * `into` (at least `size` bytes) they are written there and a view of it is returned.
 */
export function zstdDecompress(input: Uint8Array, size: number, into?: Uint8Array): Uint8Array {
  if (!handle && !open()) return zlib.zstdDecompressSync(input, { maxOutputLength: Math.max(1, size) });
  const h = handle!;
  const st = state!;
  const out = into && into.length >= size ? into.subarray(0, size) : new Uint8Array(size);
  let inOff = 0;
  let availIn = input.length;
  let outOff = 0;
  for (;;) {
    failure = null;
    h.writeSync(zlib.constants.ZSTD_e_end, input, inOff, availIn, out, outOff, size - outOff);
    if (failure !== null) {
      drop();
      throw new Error(failure);
    }
    const availOut = st[0]!;
    const availInAfter = st[1]!;
    const progressed = availIn - availInAfter + (size - outOff - availOut);
    inOff += availIn - availInAfter;
    availIn = availInAfter;
    outOff = size - availOut;
    if (availIn === 0 && outOff === size) return out;
    if (availOut === 0 && availIn > 0) {
      drop();
      throw new Error(`the frame decodes to more than ${size} bytes`);
    }
    if (progressed === 0 || availIn === 0) {
      drop();
      throw new Error(`the frame ends after ${outOff} of ${size} bytes`);
    }
  }
}
