/**
 * Column memory reused from one decode to the next: the typed arrays a decode hands out in Arrow
 * Data (values, list offsets, validity bitmaps) are taken from an Arena in the order the decode asks
 * for them, and the next decode with the same Arena gets the same buffers back in the same order
 * (a slot is replaced when its type differs or it is too short). Why: an analysis decodes one batch
 * per file or row-group run, each a few MB of new typed arrays, and their garbage collection cost
 * ~8% of a run, more in V8's background threads.
 * Contract: what a decode with an Arena returns is valid only until the next decode with it; a
 * caller uses an Arena only when its consumer keeps no column array after it is done with a batch
 * (the analysis API's `reuseColumnMemory`). An Arena is held by one reader of batches at a time
 * (`acquireArena` / `releaseArena`); concurrent readers in one thread get distinct Arenas.
 */

type Typed = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;
type Ctor<T extends Typed> = { new (n: number): T; readonly BYTES_PER_ELEMENT: number };

export class Arena {
  private readonly slots: Typed[] = [];
  private next = 0;

  /** Start of a decode: slots are handed out again from the first. */
  reset(): void {
    this.next = 0;
  }

  /**
   * `n` elements of type `C`, zeroed when `zero` (a buffer from an earlier decode holds its
   * values). Grown with some headroom, so files of similar sizes reuse the same buffers.
   */
  take<T extends Typed>(C: Ctor<T>, n: number, zero = false): T {
    const i = this.next++;
    const s = this.slots[i];
    if (s && s.constructor === C && s.length >= n) {
      const out = s.subarray(0, n) as T;
      if (zero) (out instanceof BigInt64Array || out instanceof BigUint64Array ? out.fill(0n) : out.fill(0));
      return out;
    }
    const b = new C(n + (n >> 3) + 16);
    this.slots[i] = b;
    return b.subarray(0, n) as T;
  }

  /** Bytes held (for tests and sizing). */
  get bytes(): number {
    let n = 0;
    for (const s of this.slots) n += s.byteLength;
    return n;
  }
}

/**
 * Two byte buffers taken in turn: the compressed bytes of a batch (read while the batch before is
 * decoded) are dead once the batch is decoded, since every decoder copies what it keeps; so a
 * reader of batches needs two. Grown with headroom like the Arena's slots.
 */
export class FetchBuffers {
  private readonly bufs: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0)];
  private turn = 0;

  take(n: number): Uint8Array {
    const t = (this.turn ^= 1);
    let b = this.bufs[t]!;
    if (b.length < n) b = this.bufs[t] = new Uint8Array(n + (n >> 3) + 4096);
    return b.subarray(0, n);
  }
}

/** At most one kept idle per thread (see the Arenas'). */
const freeFetch: FetchBuffers[] = [];

export function acquireFetchBuffers(): FetchBuffers {
  return freeFetch.pop() ?? new FetchBuffers();
}

export function releaseFetchBuffers(f: FetchBuffers): void {
  if (freeFetch.length < 1) freeFetch.push(f);
}

/**
 * Free Arenas of this thread: at most one is kept idle (readers of batches one after another,
 * the usual case, share it; a reader running while another holds it gets a new one, dropped at
 * its end), so the memory held between runs is one batch's columns, bounded by BATCH (input.ts).
 */
const free: Arena[] = [];

export function acquireArena(): Arena {
  return free.pop() ?? new Arena();
}

export function releaseArena(a: Arena): void {
  if (free.length < 1) free.push(a);
}
