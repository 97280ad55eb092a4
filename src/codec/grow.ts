/**
 * Growing byte buffers: the one rule every appending writer (ROOT object and basket writers, the
 * Arrow builders, the Parquet Thrift encoder) uses. The capacity at least doubles, so appending n
 * bytes costs O(n) overall; the first `used` bytes are carried over.
 */
export function grow(buf: Uint8Array, need: number, used: number, alloc: (n: number) => Uint8Array = (n) => new Uint8Array(n)): Uint8Array {
  let cap = Math.max(buf.length * 2, 64);
  while (cap < need) cap *= 2;
  const next = alloc(cap);
  next.set(buf.subarray(0, used));
  return next;
}
