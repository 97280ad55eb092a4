/**
 * Compression for writing: ROOT's block format (9-byte header: magic, method, 3-byte little-endian
 * compressed and uncompressed sizes), blocks of at most 0xffffff input bytes. ZSTD (with a level,
 * node:zlib), ZLIB (node:zlib deflate), LZ4 (lz4-napi, preceded by the big-endian XXH64 of the
 * block) and none. A buffer that does not shrink is stored raw, as ROOT does (readers recognise it
 * by its stored size equal to its uncompressed size).
 */
import * as zlib from 'node:zlib';
import xxhash from 'xxhash-wasm';
import { compressSync as lz4Compress } from 'lz4-napi';
import { UsageError } from '../../errors.ts';

const { h64Raw } = await xxhash();

export type WriteAlgorithm = 'ZSTD' | 'ZLIB' | 'LZ4' | 'NONE';

export interface CompressionSetting {
  algorithm: WriteAlgorithm;
  level: number;
}

const BLOCK = 0xffffff;
const SETTING_BASE: Record<WriteAlgorithm, number> = { ZLIB: 100, LZ4: 400, ZSTD: 500, NONE: 0 };

/** ROOT's fCompress number for a setting (505 for ZSTD level 5, 0 for none). */
export function settingNumber(s: CompressionSetting): number {
  return s.algorithm === 'NONE' || s.level === 0 ? 0 : SETTING_BASE[s.algorithm] + s.level;
}

/** Parse `zstd:5`, `zlib`, `lz4:4`, `none` (a bare algorithm takes a default level). */
export function parseCompression(text: string): CompressionSetting {
  const m = /^(zstd|zlib|lz4|none)(?::(\d{1,2}))?$/i.exec(text.trim());
  if (!m) throw new UsageError(`unknown compression "${text}": use zstd[:level], zlib[:level], lz4[:level] or none`);
  const algorithm = m[1]!.toUpperCase() as WriteAlgorithm;
  if (algorithm === 'NONE') return { algorithm, level: 0 };
  const level = m[2] !== undefined ? Number(m[2]) : algorithm === 'ZSTD' ? 5 : algorithm === 'ZLIB' ? 1 : 4;
  const max = algorithm === 'ZSTD' ? 22 : algorithm === 'ZLIB' ? 9 : 12;
  if (level < 1 || level > max) throw new UsageError(`${algorithm} level must be 1 to ${max}, got ${level}`);
  return { algorithm, level };
}

type ZstdCompress = (b: Uint8Array, o: { params: Record<number, number> }) => Uint8Array;
const zstdCompress = (zlib as unknown as { zstdCompressSync?: ZstdCompress }).zstdCompressSync;
const ZSTD_LEVEL = (zlib.constants as unknown as Record<string, number>).ZSTD_c_compressionLevel ?? 100;

function compressBlock(block: Uint8Array, s: CompressionSetting): { magic: string; method: number; payload: Uint8Array } {
  switch (s.algorithm) {
    case 'ZLIB':
      return { magic: 'ZL', method: 8, payload: zlib.deflateSync(block, { level: s.level }) };
    case 'ZSTD':
      if (!zstdCompress) throw new UsageError('ZSTD compression needs Node >= 22.15 (node:zlib zstd)');
      return { magic: 'ZS', method: 1, payload: zstdCompress(block, { params: { [ZSTD_LEVEL]: s.level } }) };
    case 'LZ4': {
      const framed = lz4Compress(Buffer.from(block.buffer, block.byteOffset, block.byteLength));
      const raw = framed.subarray(4); // lz4-napi prefixes the uncompressed size
      const out = new Uint8Array(8 + raw.length);
      new DataView(out.buffer).setBigUint64(0, h64Raw(raw, 0n));
      out.set(raw, 8);
      return { magic: 'L4', method: 1, payload: out };
    }
    default:
      throw new UsageError(`cannot compress with ${s.algorithm}`);
  }
}

/** Compress `data` into ROOT blocks; returns `data` itself when compression does not pay. */
export function compressBuffer(data: Uint8Array, s: CompressionSetting): Uint8Array {
  if (s.algorithm === 'NONE' || s.level === 0 || data.length === 0) return data;
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let at = 0; at < data.length; at += BLOCK) {
    const block = data.subarray(at, Math.min(data.length, at + BLOCK));
    const { magic, method, payload } = compressBlock(block, s);
    if (payload.length > BLOCK) return data;
    const header = new Uint8Array(9);
    header[0] = magic.charCodeAt(0);
    header[1] = magic.charCodeAt(1);
    header[2] = method;
    header[3] = payload.length & 0xff;
    header[4] = (payload.length >> 8) & 0xff;
    header[5] = (payload.length >> 16) & 0xff;
    header[6] = block.length & 0xff;
    header[7] = (block.length >> 8) & 0xff;
    header[8] = (block.length >> 16) & 0xff;
    parts.push(header, payload);
    total += 9 + payload.length;
  }
  if (total >= data.length) return data;
  const out = new Uint8Array(total);
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}
