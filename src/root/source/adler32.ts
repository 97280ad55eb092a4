/**
 * Adler-32, the checksum Rucio keeps for every file (metalinks carry it as 8 hex digits): used to
 * check whole downloads. Incremental: feed chunks in file order.
 */
const MOD = 65521;
/** Bytes that can be summed before the sums may pass 2^32 (zlib's NMAX). */
const NMAX = 5552;

export class Adler32 {
  private a = 1;
  private b = 0;

  update(data: Uint8Array): this {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < data.length; ) {
      const end = Math.min(data.length, i + NMAX);
      for (; i < end; i++) {
        a += data[i]!;
        b += a;
      }
      a %= MOD;
      b %= MOD;
    }
    this.a = a;
    this.b = b;
    return this;
  }

  hex(): string {
    return ((((this.b << 16) | this.a) >>> 0).toString(16)).padStart(8, '0');
  }
}
