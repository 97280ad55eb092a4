/**
 * Reused memory for the decompressed baskets of one read at a time (inline decompression) and
 * their entry-offset tables: `take` hands out consecutive pieces of one buffer, `release` makes all
 * of it reusable once a branch's baskets are decoded (the decoders copy what they keep, so nothing refers to a basket afterwards).
 * A request that does not fit starts a larger buffer; pieces already handed out keep the old one
 * alive until they are dropped. The TTree reader keeps it from read to read, so the ArrayBuffer
 * per basket (and its collection) is gone; it holds about twice the largest branch's baskets of a
 * read.
 */
const MIN_BUFFER = 1 << 20;

export class BasketScratch {
  private buf = new Uint8Array(0);
  private used = 0;

  readonly take = (n: number): Uint8Array => {
    if (this.used + n > this.buf.length) {
      this.buf = new Uint8Array(Math.max(n, 2 * this.buf.length, MIN_BUFFER));
      this.used = 0;
    }
    const piece = this.buf.subarray(this.used, this.used + n);
    this.used += (n + 7) & ~7; // 8-byte aligned pieces, as separate buffers would be
    return piece;
  };

  release(): void {
    this.used = 0;
  }
}
