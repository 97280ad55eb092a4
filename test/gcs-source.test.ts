/**
 * Issue 6: gs:// inputs through the real @google-cloud/storage client against the loopback GCS
 * server: ranged reads of one generation, listing globs and prefixes page by page, errors.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, TransientError } from '../src/errors.ts';
import { RootFile } from '../src/root/file.ts';
import { openGcsSource, listGs } from '../src/root/source/gcs.ts';
import { crc32c, crc32cBase64, startGcsServer, type GcsServer } from './support/gcs-server.ts';
import { Crc32c } from '../src/gcs/crc32c.ts';
import fc from 'fast-check';
import { fixture } from './helpers/fixtures.ts';
import { CRC32C } from '@google-cloud/storage';

const hzz = new Uint8Array(readFileSync(fixture('uproot-HZZ.root')));
const FAST = { retries: 3, baseDelayMs: 1, maxDelayMs: 10 };
let gcs: GcsServer;
beforeAll(async () => {
  gcs = await startGcsServer({ buckets: ['data'] });
  for (const n of ['a/one.root', 'a/two.root', 'a/three.root.1', 'a/notes.txt', 'a/sub/four.root', 'b/five.root']) gcs.put('data', n, hzz);
});
afterAll(() => gcs.close());
const o = () => ({ endpoint: gcs.endpoint, retries: 0, retry: FAST });

describe('gs:// byte source', () => {
  it('CRC32C: the check value of "123456789"; the project, the client and the test server agree on any bytes in any chunks', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(new Crc32c().update(new TextEncoder().encode('123456789')).value()).toBe(0xe3069283);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat(5000), (data, cut) => {
        const c = Math.min(cut, data.length);
        const ours = new Crc32c().update(data.subarray(0, c)).update(data.subarray(c)).toString();
        const client = new CRC32C();
        client.update(Buffer.from(data));
        return ours === client.toString() && ours === crc32cBase64(data);
      }),
      { numRuns: 300 },
    );
  });

  it('reads ranges of one generation through the client', async () => {
    gcs.reset();
    const s = await openGcsSource('gs://data/a/one.root', o());
    expect(s.size).toBe(hzz.length);
    expect(Buffer.compare(await s.read(1000, 5000), hzz.subarray(1000, 6000))).toBe(0);
    expect(gcs.counters.ranges).toEqual([[1000, 5000]]);
    const file = await RootFile.open(s);
    expect((await file.allKeys()).some((k) => k.key.name === 'events')).toBe(true);
    expect(s.counters.bytes).toBe(gcs.counters.bytesServed);
  });

  it('retries a 503, a reset and a truncated body, then reads', async () => {
    gcs.reset();
    const s = await openGcsSource('gs://data/a/one.root', o());
    gcs.failNext({ kind: 'media', status: 503 });
    gcs.failNext({ kind: 'media', reset: true });
    gcs.failNext({ kind: 'media', truncate: true });
    expect(Buffer.compare(await s.read(0, 100_000), hzz.subarray(0, 100_000))).toBe(0);
    expect(gcs.counters.faults).toBe(3);
  });

  it('a missing object is a permanent InputError; a server failing throughout a TransientError', async () => {
    expect(await openGcsSource('gs://data/none.root', o()).catch((e) => e)).toBeInstanceOf(InputError);
    gcs.reset();
    gcs.failNext({ kind: 'metadata', status: 503, times: 10 });
    const err = await openGcsSource('gs://data/a/one.root', o()).catch((e) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(err.describe()).toContain('gs://data/a/one.root');
    gcs.reset();
  });

  it('lists globs and prefixes through the client, page by page', async () => {
    gcs.reset();
    const names = async (u: string) => (await listGs(u, { endpoint: gcs.endpoint, pageSize: 2 })).map((x) => x.url);
    expect(await names('gs://data/a/*.root')).toEqual(['gs://data/a/one.root', 'gs://data/a/two.root']);
    expect(gcs.counters.byKind.list).toBeGreaterThan(1); // more than one page
    expect(await names('gs://data/a/')).toEqual(['gs://data/a/one.root', 'gs://data/a/sub/four.root', 'gs://data/a/three.root.1', 'gs://data/a/two.root']);
    expect(await names('gs://data/**/*.root')).toEqual(['gs://data/a/one.root', 'gs://data/a/sub/four.root', 'gs://data/a/two.root', 'gs://data/b/five.root']);
    expect((await listGs('gs://data/a/*.root', { endpoint: gcs.endpoint }))[0]!.size).toBe(hzz.length);
  });

  it('STORAGE_EMULATOR_HOST points the client at another endpoint (JSON API without /storage/v1)', async () => {
    process.env.STORAGE_EMULATOR_HOST = gcs.endpoint;
    try {
      const s = await openGcsSource('gs://data/a/two.root', { retry: FAST });
      expect(Buffer.compare(await s.read(10, 20), hzz.subarray(10, 30))).toBe(0);
      expect((await listGs('gs://data/b/*.root')).map((x) => x.url)).toEqual(['gs://data/b/five.root']);
    } finally {
      delete process.env.STORAGE_EMULATOR_HOST;
    }
  });
});
