/**
 * Compression registry: one codec per ROOT block magic ("ZL", "ZS", "L4", "XZ", ...).
 * A codec turns one block payload (the bytes after the 9-byte block header) into exactly
 * `outSize` bytes or throws. Adding a codec is one `registerCodec` call; nothing else changes.
 */
/**
 * `into`, when given, is `outSize` bytes the codec may decode into (and return) instead of
 * allocating; a codec may ignore it and return its own array.
 */
export type Codec = (payload: Uint8Array, outSize: number, into?: Uint8Array) => Uint8Array | Promise<Uint8Array>;

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
