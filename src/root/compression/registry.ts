/**
 * Compression registry: one codec per ROOT block magic ("ZL", "ZS", "L4", "XZ", ...).
 * A codec turns one block payload (the bytes after the 9-byte block header) into exactly
 * `outSize` bytes or throws. Adding a codec is one `registerCodec` call; nothing else changes.
 */
export type Codec = (payload: Uint8Array, outSize: number) => Uint8Array | Promise<Uint8Array>;

export interface CodecEntry {
  magic: string;
  /** ROOT's algorithm name (the fCompress / 100 naming). */
  algorithm: string;
  /** The method bytes this codec accepts, when ROOT fixes one (zlib: Z_DEFLATED = 8). */
  methods?: readonly number[];
  decompress: Codec;
}

const codecs = new Map<string, CodecEntry>();

export function registerCodec(entry: CodecEntry): void {
  codecs.set(entry.magic, entry);
}

export function codecFor(magic: string): CodecEntry | undefined {
  return codecs.get(magic);
}

export function registeredMagics(): string[] {
  return [...codecs.keys()];
}
