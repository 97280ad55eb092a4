/**
 * A Blob whose bytes come from a ByteSource, so parquet-wasm's ParquetFile.fromFile reads the footer
 * and the projected column chunks through the project's own byte sources (local files now; HTTP and
 * GCS sources with their retries, credentials and counters plug in the same way) and every byte it
 * reads is counted by the source. parquet-wasm only calls `size`, `slice` and `arrayBuffer`.
 */
import type { ByteSource } from '../root/source/source.ts';

export class SourceBlob extends Blob {
  readonly #source: ByteSource;
  readonly #start: number;
  readonly #end: number;

  constructor(source: ByteSource, start = 0, end = source.size) {
    super([]);
    this.#source = source;
    this.#start = start;
    this.#end = end;
    // Blob's size is a prototype getter over its own (empty) parts: shadow it with ours.
    Object.defineProperty(this, 'size', { value: end - start });
  }

  override slice(start = 0, end = this.size): SourceBlob {
    const clamp = (x: number): number => Math.max(0, Math.min(this.size, x < 0 ? this.size + x : x));
    const a = clamp(start);
    const b = Math.max(a, clamp(end));
    return new SourceBlob(this.#source, this.#start + a, this.#start + b);
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.#source.read(this.#start, this.#end - this.#start);
    if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
    return bytes.slice().buffer as ArrayBuffer;
  }
}
