/**
 * XXH3-64 (seed 0), the checksum RNTuple puts after its anchor, envelopes and pages. hash-wasm's
 * WebAssembly build is loaded once (`xxh3Ready`); after that `xxh3` is synchronous. Tested against
 * the reference vectors of the XXH3 specification.
 */
import { createXXHash3, type IHasher } from 'hash-wasm';

let hasher: IHasher | undefined;
let loading: Promise<void> | undefined;

export function xxh3Ready(): Promise<void> {
  loading ??= createXXHash3().then((h) => {
    hasher = h;
  });
  return loading;
}

/** XXH3-64 of `bytes` as an unsigned bigint; call `await xxh3Ready()` first. */
export function xxh3(bytes: Uint8Array): bigint {
  if (!hasher) throw new Error('xxh3 used before xxh3Ready() resolved');
  const digest = hasher.init().update(bytes).digest('binary');
  return new DataView(digest.buffer, digest.byteOffset, 8).getBigUint64(0, false);
}
