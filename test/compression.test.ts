/**
 * ROOT compressed buffers (decompressBuffer): blocks built here with real compressors (node:zlib
 * deflate and zstd, lz4-napi with ROOT's XXH64 prefix) plus real XZ blocks taken from the LZMA
 * fixture; single and multi-block buffers, mixed codecs, raw buffers, round-trip properties, and
 * every error path rejecting with a DecompressionError at the block's offset.
 */
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { compressSync as lz4CompressSync } from 'lz4-napi';
import xxhash from 'xxhash-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecompressionError, type ErrorContext } from '../src/errors.ts';
import { decompressBuffer, registeredMagics, zstdImplementation } from '../src/root/compression/index.ts';
import { RootFile } from '../src/root/file.ts';
import type { BasketLocation } from '../src/root/tree/model.ts';
import { decompressBasket, parseBasketHeader } from '../src/root/tree/basket.ts';
import { TreeReader } from '../src/root/tree/reader.ts';
import { fixture } from './helpers/fixtures.ts';

const { h64Raw } = await xxhash();
const zstdCompressSync = (zlib as unknown as { zstdCompressSync: (b: Uint8Array) => Buffer }).zstdCompressSync;

type Codec = 'ZL' | 'ZS' | 'L4';
const CODECS: Codec[] = ['ZL', 'ZS', 'L4'];

function header(magic: string, method: number, csize: number, usize: number): Uint8Array {
  return Uint8Array.from([
    magic.charCodeAt(0),
    magic.charCodeAt(1),
    method,
    csize & 0xff,
    (csize >>> 8) & 0xff,
    (csize >>> 16) & 0xff,
    usize & 0xff,
    (usize >>> 8) & 0xff,
    (usize >>> 16) & 0xff,
  ]);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function rootLz4Payload(data: Uint8Array): Uint8Array {
  const framed = lz4CompressSync(Buffer.from(data));
  expect(framed.readUInt32LE(0)).toBe(data.length); // lz4-napi's size prefix
  const block = framed.subarray(4);
  const out = new Uint8Array(8 + block.length);
  new DataView(out.buffer).setBigUint64(0, h64Raw(block, 0n));
  out.set(block, 8);
  return out;
}

function payloadFor(codec: Codec, data: Uint8Array): Uint8Array {
  switch (codec) {
    case 'ZL':
      return zlib.deflateSync(data);
    case 'ZS':
      return zstdCompressSync(data);
    case 'L4':
      return rootLz4Payload(data);
  }
}

const METHOD: Record<Codec, number> = { ZL: 8, ZS: 1, L4: 1 };

/** One ROOT block (header + payload) holding `data`. */
function block(codec: Codec, data: Uint8Array): Uint8Array {
  const p = payloadFor(codec, data);
  return concat([header(codec, METHOD[codec], p.length, data.length), p]);
}

/** Sample data: mildly compressible text-ish bytes. */
function sample(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = i % 7 === 0 ? (x >>> 24) & 0xff : 0x41 + (i % 13);
  }
  return out;
}

/** Byte equality that stays fast on 16 MiB buffers (toEqual walks every index as a key). */
function expectBytes(actual: Uint8Array, expected: Uint8Array, what = ''): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.length);
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.length);
  if (!a.equals(b)) {
    let i = 0;
    while (a[i] === b[i]) i++;
    expect.fail(`${what} bytes differ first at index ${i}: ${a[i]} != ${b[i]}`);
  }
}

async function rejection(p: Promise<unknown>): Promise<DecompressionError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a rejection').toBeDefined();
  expect(caught).toBeInstanceOf(DecompressionError);
  return caught as DecompressionError;
}

const CTX: ErrorContext = { file: 'test.root', branch: 'br', basket: 4 };

describe('codec registry', () => {
  it('runs on Node >= 24 with native zstd (the package engine; run vitest with node_modules/.bin/node)', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
    expect(zstdImplementation).toBe('node:zlib');
  });

  it('registers ZL, ZS, L4 and XZ', () => {
    expect(registeredMagics().sort()).toEqual(['L4', 'XZ', 'ZL', 'ZS']);
  });
});

describe.each(CODECS)('%s single block', (codec) => {
  it('decompresses one block built with the real compressor', async () => {
    const data = sample(10_000);
    const src = block(codec, data);
    expect(src.length).toBeLessThan(data.length);
    expect(String.fromCharCode(src[0]!, src[1]!)).toBe(codec);
    const out = await decompressBuffer(src, data.length, CTX, 500);
    expect(out).not.toBe(src);
    expectBytes(out, data);
  });

  it('decompresses a block inside a larger backing buffer (non-zero byteOffset)', async () => {
    const data = sample(3000, 7);
    const backing = concat([new Uint8Array(13).fill(0xee), block(codec, data), new Uint8Array(5).fill(0xdd)]);
    const src = backing.subarray(13, backing.length - 5);
    expectBytes(await decompressBuffer(src, data.length), data);
  });

  it('decompresses a single byte', async () => {
    const data = Uint8Array.of(0x5a);
    const src = block(codec, data);
    expectBytes(await decompressBuffer(src, 1), data);
  });

  it('decompresses a block near the 3-byte size limit (16 MiB - 1)', async () => {
    const data = new Uint8Array(0xffffff);
    for (let i = 0; i < data.length; i += 4096) data[i] = i >>> 12;
    const src = block(codec, data);
    expect(src[6]! | (src[7]! << 8) | (src[8]! << 16)).toBe(0xffffff);
    expectBytes(await decompressBuffer(src, data.length), data);
  });
});

describe('multi-block buffers', () => {
  it('several blocks of one codec, as ROOT splits large buffers', async () => {
    for (const codec of CODECS) {
      const chunks = [sample(4000, 1), sample(4000, 2), sample(123, 3)];
      const src = concat(chunks.map((c) => block(codec, c)));
      expectBytes(await decompressBuffer(src, 8123), concat(chunks));
    }
  });

  it('mixed codecs in one buffer', async () => {
    const chunks = [sample(2000, 1), sample(3000, 2), sample(1500, 3), sample(700, 4), sample(10, 5)];
    const codecs: Codec[] = ['ZL', 'L4', 'ZS', 'ZL', 'L4'];
    const src = concat(chunks.map((c, i) => block(codecs[i]!, c)));
    expectBytes(await decompressBuffer(src, 7210, CTX, 77), concat(chunks));
  });

  it('more than 16 MiB split into blocks of at most 0xffffff bytes', async () => {
    const total = 0xffffff * 2 + 1000;
    const data = new Uint8Array(total);
    for (let i = 0; i < total; i += 997) data[i] = (i * 31) & 0xff;
    const parts: Uint8Array[] = [];
    for (let at = 0, k = 0; at < total; at += 0xffffff, k++) parts.push(block(CODECS[k % 3]!, data.subarray(at, Math.min(total, at + 0xffffff))));
    expect(parts.length).toBe(3);
    expectBytes(await decompressBuffer(concat(parts), total), data);
  });
});

describe('raw buffers', () => {
  it('returns the input itself when src.length === outSize', async () => {
    const src = sample(100);
    expect(await decompressBuffer(src, 100)).toBe(src);
    const looksCompressed = block('ZL', sample(50));
    expect(await decompressBuffer(looksCompressed, looksCompressed.length)).toBe(looksCompressed);
    const empty = new Uint8Array(0);
    expect(await decompressBuffer(empty, 0)).toBe(empty);
  });
});

describe('round trips (property)', () => {
  const anyBytes = fc.uint8Array({ minLength: 1, maxLength: 3000 });
  const compressible = fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 3000 }))
    .map(([unit, reps]) => {
      const out = new Uint8Array(unit.length * reps);
      for (let i = 0; i < reps; i++) out.set(unit, i * unit.length);
      return out;
    });
  const data = fc.oneof(anyBytes, compressible);

  it.each(CODECS)('%s: random and highly compressible data', async (codec) => {
    await fc.assert(
      fc.asyncProperty(data, fc.nat({ max: 1e6 }), async (d, base) => {
        const src = block(codec, d);
        fc.pre(src.length !== d.length); // equal sizes mean "stored raw"
        expectBytes(await decompressBuffer(src, d.length, {}, base), d);
      }),
      { numRuns: 150 },
    );
  });

  it('multi-block splitting with mixed codecs', async () => {
    await fc.assert(
      fc.asyncProperty(
        data,
        fc.array(fc.tuple(fc.integer({ min: 1, max: 1500 }), fc.constantFrom(...CODECS)), { minLength: 1, maxLength: 8 }),
        async (d, cuts) => {
          const parts: Uint8Array[] = [];
          let at = 0;
          let k = 0;
          while (at < d.length) {
            const [len, codec] = cuts[k++ % cuts.length]!;
            const chunk = d.subarray(at, Math.min(d.length, at + len));
            parts.push(block(codec, chunk));
            at += chunk.length;
          }
          const src = concat(parts);
          fc.pre(src.length !== d.length);
          expectBytes(await decompressBuffer(src, d.length), d);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('errors reject with DecompressionError at the block offset', () => {
  const first = block('ZL', sample(1000, 1)); // a valid leading block
  const BASE = 10_000;

  it('unknown magic (printable and not)', async () => {
    const bad = concat([header('QQ', 1, 4, 100), new Uint8Array(4)]);
    let err = await rejection(decompressBuffer(concat([first, bad]), 1100, CTX, BASE));
    expect(err.context.offset).toBe(BASE + first.length);
    expect(err.context).toMatchObject({ file: 'test.root', branch: 'br', basket: 4 });
    expect(err.message).toContain('"QQ"');
    expect(err.exitCode).toBe(2);
    err = await rejection(decompressBuffer(concat([Uint8Array.of(0, 0xff), bad.subarray(2)]), 100, CTX, BASE));
    expect(err.context.offset).toBe(BASE);
    expect(err.message).toMatch(/unknown compression block magic 0x/);
  });

  it('block header whose sizes do not fit', async () => {
    const data = sample(1000, 2);
    const good = block('ZS', data);
    const csize = good.length - 9;
    const cases: [string, Uint8Array, number][] = [
      ['csize past the end of src', concat([header('ZS', 1, csize + 1, 1000), good.subarray(9)]), 1000],
      ['usize past outSize', concat([header('ZS', 1, csize, 1001), good.subarray(9)]), 1000],
      ['usize zero', concat([header('ZS', 1, csize, 0), good.subarray(9)]), 1000],
      ['huge csize', concat([header('ZS', 1, 0xffffff, 1000), good.subarray(9)]), 1000],
    ];
    for (const [what, blk, out] of cases) {
      const err = await rejection(decompressBuffer(concat([first, blk]), 1000 + out, CTX, BASE));
      expect(err.context.offset, what).toBe(BASE + first.length);
      expect(err.message, what).toMatch(/does not fit/);
    }
  });

  it('usize smaller than the real content', async () => {
    for (const codec of CODECS) {
      const data = sample(1000, 3);
      const good = block(codec, data);
      const lying = concat([header(codec, METHOD[codec], good.length - 9, 999), good.subarray(9)]);
      const err = await rejection(decompressBuffer(concat([first, lying, block('ZL', Uint8Array.of(1))]), 2000, CTX, BASE));
      expect(err.context.offset, codec).toBe(BASE + first.length);
    }
  });

  it('truncated payload, truncated header, missing next block', async () => {
    for (const codec of CODECS) {
      const whole = block(codec, sample(2000, 4));
      const src = concat([first, whole]);
      // payload cut short
      let err = await rejection(decompressBuffer(src.subarray(0, src.length - 3), 3000, CTX, BASE));
      expect(err.context.offset, codec).toBe(BASE + first.length);
      // header cut short
      err = await rejection(decompressBuffer(src.subarray(0, first.length + 5), 3000, CTX, BASE));
      expect(err.context.offset, codec).toBe(BASE + first.length);
      // buffer ends between blocks
      err = await rejection(decompressBuffer(src, 3500, CTX, BASE));
      expect(err.context.offset, codec).toBe(BASE + src.length);
      expect(err.message).toMatch(/ends after 3000 of 3500/);
    }
  });

  it('truncated payload with a header made consistent (the codec itself must notice)', async () => {
    for (const codec of CODECS) {
      const data = sample(5000, 5);
      const p = payloadFor(codec, data);
      const cut = p.subarray(0, p.length - 6);
      const src = concat([first, header(codec, METHOD[codec], cut.length, data.length), cut]);
      const err = await rejection(decompressBuffer(src, 6000, CTX, BASE));
      expect(err.context.offset, codec).toBe(BASE + first.length);
    }
  });

  it('LZ4 checksum with one bit flipped, and LZ4 data with one bit flipped', async () => {
    const data = sample(4000, 6);
    const good = block('L4', data);
    for (const bitPos of [9 * 8, 9 * 8 + 63, 9 * 8 + 30]) {
      const bad = Uint8Array.from(good);
      bad[bitPos >> 3]! ^= 1 << (bitPos & 7);
      const err = await rejection(decompressBuffer(concat([first, bad]), 5000, CTX, BASE));
      expect(err.context.offset).toBe(BASE + first.length);
      expect(err.message).toMatch(/checksum/);
    }
    const bad = Uint8Array.from(good);
    bad[bad.length - 2]! ^= 0x10; // inside the LZ4 block: checksum no longer matches
    const err = await rejection(decompressBuffer(concat([first, bad]), 5000, CTX, BASE));
    expect(err.context.offset).toBe(BASE + first.length);
    expect(err.message).toMatch(/checksum/);
  });

  it('LZ4: flipping any single bit of the payload is detected (property)', async () => {
    const data = sample(600, 8);
    const good = block('L4', data);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 9 * 8, max: good.length * 8 - 1 }), async (bit) => {
        const bad = Uint8Array.from(good);
        bad[bit >> 3]! ^= 1 << (bit & 7);
        const err = await rejection(decompressBuffer(bad, 600, {}, 3));
        expect(err.context.offset).toBe(3);
      }),
      { numRuns: 200 },
    );
  });

  it('LZ4 payload too short for its checksum, and garbage with a valid checksum', async () => {
    let err = await rejection(decompressBuffer(concat([header('L4', 1, 5, 100), new Uint8Array(5)]), 100, CTX, BASE));
    expect(err.context.offset).toBe(BASE);
    const garbage = Uint8Array.from({ length: 50 }, (_, i) => (i * 37) & 0xff);
    const p = new Uint8Array(58);
    new DataView(p.buffer).setBigUint64(0, h64Raw(garbage, 0n));
    p.set(garbage, 8);
    err = await rejection(decompressBuffer(concat([first, header('L4', 1, 58, 100), p]), 1100, CTX, BASE));
    expect(err.context.offset).toBe(BASE + first.length);
  });

  it('corrupted zlib payloads', async () => {
    const data = sample(3000, 9);
    const good = block('ZL', data);
    const corruptions: [string, (b: Uint8Array) => void][] = [
      ['zlib header', (b) => (b[9]! ^= 0xff)],
      ['adler-32 trailer', (b) => (b[b.length - 1]! ^= 0x01)],
      ['deflate data overwritten', (b) => b.fill(0xff, 30, 60)],
    ];
    for (const [what, corrupt] of corruptions) {
      const bad = Uint8Array.from(good);
      corrupt(bad);
      const err = await rejection(decompressBuffer(concat([first, bad]), 4000, CTX, BASE));
      expect(err.context.offset, what).toBe(BASE + first.length);
      expect(err.message, what).toMatch(/ZLIB/);
      expect(err.cause ?? err.message, what).toBeDefined();
    }
  });

  it('corrupted zstd payloads', async () => {
    const data = sample(3000, 10);
    const good = block('ZS', data);
    const corruptions: [string, (b: Uint8Array) => void][] = [
      ['frame magic', (b) => (b[9]! ^= 0xff)],
      ['frame body overwritten', (b) => b.fill(0xff, 14, b.length)],
    ];
    for (const [what, corrupt] of corruptions) {
      const bad = Uint8Array.from(good);
      corrupt(bad);
      const err = await rejection(decompressBuffer(concat([first, bad]), 4000, CTX, BASE));
      expect(err.context.offset, what).toBe(BASE + first.length);
      expect(err.message, what).toMatch(/ZSTD/);
    }
  });

  it('a zlib block that inflates beyond its declared size is rejected', async () => {
    const data = sample(2000, 11);
    const p = zlib.deflateSync(data);
    const src = concat([header('ZL', 8, p.length, 1000), p]);
    const err = await rejection(decompressBuffer(src, 1000, CTX, BASE));
    expect(err.context.offset).toBe(BASE);
  });
});

describe('XZ blocks from the LZMA fixture', () => {
  interface BasketRaw {
    branch: string;
    loc: BasketLocation;
    raw: Uint8Array;
  }
  let lzma: RootFile;
  let plain: RootFile;
  let lzmaBaskets: BasketRaw[];
  let plainBaskets: BasketRaw[];

  async function baskets(file: RootFile): Promise<BasketRaw[]> {
    const reader = await TreeReader.open(file, 'events');
    const out: BasketRaw[] = [];
    for (const b of reader.tree.all) {
      for (const loc of b.baskets) out.push({ branch: b.name, loc, raw: await file.source.read(loc.seek, loc.bytes) });
    }
    return out;
  }

  beforeAll(async () => {
    lzma = await RootFile.open(fixture('uproot-HZZ-lzma.root'));
    plain = await RootFile.open(fixture('uproot-HZZ-uncompressed.root'));
    expect(lzma.compression().algorithm).toBe('LZMA');
    lzmaBaskets = await baskets(lzma);
    plainBaskets = await baskets(plain);
  });
  afterAll(async () => {
    await lzma?.close();
    await plain?.close();
  });

  it('every basket of the LZMA file decompresses to the same payload as the uncompressed file', async () => {
    expect(lzmaBaskets.length).toBeGreaterThan(10);
    expect(lzmaBaskets.map((b) => `${b.branch}#${b.loc.index}`)).toEqual(plainBaskets.map((b) => `${b.branch}#${b.loc.index}`));
    let xzBlocks = 0;
    for (let i = 0; i < lzmaBaskets.length; i++) {
      const a = lzmaBaskets[i]!;
      const b = plainBaskets[i]!;
      const ha = parseBasketHeader(a.raw, a.loc, {});
      if (ha.objlen !== a.raw.length - ha.keylen) {
        expect(String.fromCharCode(a.raw[ha.keylen]!, a.raw[ha.keylen + 1]!)).toBe('XZ');
        xzBlocks++;
      }
      const pa = await decompressBasket(a.raw, a.loc, { branch: a.branch });
      const pb = await decompressBasket(b.raw, b.loc, { branch: b.branch });
      expect(pb.payload.length).toBe(pb.header.objlen);
      expectBytes(pa.payload, pb.payload, a.branch);
    }
    expect(xzBlocks).toBeGreaterThan(10);
  });

  function firstXz(): { block: Uint8Array; objlen: number; expected: Uint8Array } {
    for (let i = 0; i < lzmaBaskets.length; i++) {
      const a = lzmaBaskets[i]!;
      const ha = parseBasketHeader(a.raw, a.loc, {});
      const blk = a.raw.subarray(ha.keylen);
      if (blk.length !== ha.objlen && blk[0] === 0x58 && blk[1] === 0x5a) {
        const b = plainBaskets[i]!;
        const hb = parseBasketHeader(b.raw, b.loc, {});
        return { block: blk, objlen: ha.objlen, expected: b.raw.subarray(hb.keylen) };
      }
    }
    throw new Error('no XZ block in the fixture');
  }

  it('a real XZ block alone, and mixed with the other codecs', async () => {
    const { block: xz, objlen, expected } = firstXz();
    expect(xz[2]).toBe(0); // ROOT's LZMA method byte
    expect([...xz.subarray(9, 15)]).toEqual([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]); // xz stream magic
    expectBytes(await decompressBuffer(xz, objlen, {}, 123), expected);
    const extra = sample(1500, 12);
    const src = concat([block('L4', extra), xz, block('ZS', extra), block('ZL', extra)]);
    expectBytes(await decompressBuffer(src, objlen + 4500), concat([extra, expected, extra, extra]));
  });

  it('a corrupted or truncated XZ block rejects at its offset', async () => {
    const { block: xz, objlen } = firstXz();
    const lead = block('ZL', sample(100, 13));
    const flipped = Uint8Array.from(xz);
    flipped[flipped.length - 10]! ^= 0x01;
    let err = await rejection(decompressBuffer(concat([lead, flipped]), objlen + 100, CTX, 40));
    expect(err.context.offset).toBe(40 + lead.length);
    expect(err.message).toMatch(/LZMA/);

    const csize = xz.length - 9 - 20;
    const cut = concat([header('XZ', 0, csize, objlen), xz.subarray(9, xz.length - 20)]);
    err = await rejection(decompressBuffer(concat([lead, cut]), objlen + 100, CTX, 40));
    expect(err.context.offset).toBe(40 + lead.length);

    // the header claims fewer bytes than the stream holds
    const short = concat([header('XZ', 0, xz.length - 9, objlen - 1), xz.subarray(9)]);
    err = await rejection(decompressBuffer(concat([lead, short, block('ZL', Uint8Array.of(0))]), objlen + 100, CTX, 40));
    expect(err.context.offset).toBe(40 + lead.length);

    // empty and garbage payloads
    for (const payload of [new Uint8Array(0), Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff)]) {
      err = await rejection(decompressBuffer(concat([header('XZ', 0, payload.length, 50), payload]), 50, CTX, 40));
      expect(err.context.offset).toBe(40);
    }
  });
});
