/**
 * Issue 6: the HTTP(S)/WebDAV byte source against a loopback range server with faults. Reads give
 * the file's bytes whatever the transient faults; permanent faults end at once with an InputError
 * whose name has no query string; requests and bytes are counted.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, InputError, TransientError } from '../src/errors.ts';
import { RootFile } from '../src/root/file.ts';
import { HttpSource } from '../src/root/source/http.ts';
import { FileSource } from '../src/root/source/file.ts';
import { MemorySource } from '../src/root/source/memory.ts';
import { DownloadedSource, openSource } from '../src/root/source/open.ts';
import { Adler32 } from '../src/root/source/adler32.ts';
import { existsSync, readdirSync } from 'node:fs';
import { discoverToken, discoverProxy } from '../src/root/source/credentials.ts';
import { backoffDelay, DEFAULT_RETRY, parseRetryAfter } from '../src/root/source/retry.ts';
import { redactUrl } from '../src/root/source/url.ts';
import { TreeReader } from '../src/root/tree/reader.ts';
import { branchFilter } from '../src/convert/select.ts';
import { makeCerts, type TestCerts } from './support/certs.ts';
import { startRangeServer, type RangeServer } from './support/range-server.ts';
import { fixture } from './helpers/fixtures.ts';

const FAST = { retries: 8, baseDelayMs: 1, maxDelayMs: 20, maxRetryAfterMs: 50 };
const physlite = new Uint8Array(readFileSync(fixture('PHYSLITE_example.root')));
const hzz = new Uint8Array(readFileSync(fixture('uproot-HZZ.root')));
const noCreds = { credentials: {} };

let server: RangeServer;
beforeAll(async () => {
  server = await startRangeServer({ files: { '/data/PHYSLITE_example.root': physlite, '/data/hzz.root': hzz } });
});
afterAll(() => server.close());

async function readAll(source: HttpSource, step = 100_000): Promise<Uint8Array> {
  const out = new Uint8Array(source.size);
  const parts: Promise<void>[] = [];
  for (let at = 0; at < source.size; at += step) {
    const n = Math.min(step, source.size - at);
    parts.push(source.read(at, n).then((b) => out.set(b, at)));
  }
  await Promise.all(parts);
  return out;
}

describe('HttpSource', () => {
  it('learns the size from bytes=0-0 (never HEAD) and reads exact ranges', async () => {
    server.faults = {};
    server.reset();
    const s = await HttpSource.open(server.url('/data/hzz.root'), noCreds);
    expect(s.size).toBe(hzz.length);
    expect(server.counters.ranges).toEqual([[0, 1]]);
    expect(await s.read(1000, 50)).toEqual(hzz.subarray(1000, 1050));
    expect(Buffer.compare(await readAll(s, 50_000), hzz)).toBe(0);
    expect(server.counters.heads).toBe(0);
    expect(server.counters.multiRange).toBe(0);
    expect(s.counters.requests).toBe(server.counters.gets);
    expect(s.counters.bytes).toBe(server.counters.bytes);
  });

  it('reads correctly through random 5xx, resets, truncated bodies and stalls, retrying', async () => {
    server.faults = { errorRate: 0.15, retryAfter: '0', resetRate: 0.1, truncateRate: 0.15, stallRate: 0.05, maxFaults: FAST.retries };
    server.reset();
    const s = await HttpSource.open(server.url('/data/PHYSLITE_example.root'), { ...noCreds, retry: FAST, timeoutMs: 1000, concurrency: 4 });
    expect(Buffer.compare(await readAll(s, 64 * 1024), physlite)).toBe(0); // toEqual is slow on MBs
    expect(s.counters.retries).toBeGreaterThan(0);
    expect(server.counters.byStatus[503]).toBeGreaterThan(0);
    expect(server.counters.multiRange + server.counters.heads).toBe(0);
  });

  it('property: any range read through faults and slow answers equals the file slice', async () => {
    server.faults = { errorRate: 0.1, resetRate: 0.1, truncateRate: 0.1, slowMs: 2, maxFaults: FAST.retries };
    server.reset();
    const s = await HttpSource.open(server.url('/data/hzz.root'), { ...noCreds, retry: FAST });
    await fc.assert(
      fc.asyncProperty(fc.nat(hzz.length - 1).chain((o) => fc.tuple(fc.constant(o), fc.nat(Math.min(70_000, hzz.length - o)))), async ([offset, length]) => {
        return Buffer.compare(await s.read(offset, length), hzz.subarray(offset, offset + length)) === 0;
      }),
      { numRuns: 60 },
    );
  });

  it('gives up on a server that keeps failing with a TransientError (exit 3) naming the URL without query', async () => {
    server.faults = { errorRate: 1 };
    server.reset();
    const err = await HttpSource.open(server.url('/data/hzz.root', 'sig=SECRET&exp=1'), { ...noCreds, retry: { ...FAST, retries: 3 } }).catch((e) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(err.exitCode).toBe(EXIT.transient);
    expect(err.describe()).toContain('HTTP 503, after 4 attempts');
    expect(err.describe()).toContain(`file ${server.origin}/data/hzz.root`);
    expect(err.describe()).not.toContain('SECRET');
    // Four attempts; one may have met a keep-alive socket that the server had closed before the 503s.
    expect(server.counters.gets).toBeGreaterThanOrEqual(3);
    expect(server.counters.gets).toBeLessThanOrEqual(4);
  });

  it('an expired signature (403) is a permanent InputError at once, without the query string', async () => {
    server.faults = { signature: 'good' };
    server.reset();
    const err = await HttpSource.open(server.url('/data/hzz.root', 'sig=expired-SECRET'), { ...noCreds, retry: FAST }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.exitCode).toBe(EXIT.permanent);
    expect(err.describe()).toMatch(/access denied \(HTTP 403\)/);
    expect(err.describe()).not.toContain('SECRET');
    expect(server.counters.gets).toBe(1);
    const ok = await HttpSource.open(server.url('/data/hzz.root', 'sig=good'), noCreds);
    expect(ok.name).toBe(`${server.origin}/data/hzz.root`);
    expect(await ok.read(0, 4)).toEqual(hzz.subarray(0, 4));
  });

  it('a missing file is a permanent InputError (404)', async () => {
    server.faults = {};
    const err = await HttpSource.open(server.url('/data/none.root'), noCreds).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain('404');
  });

  it('a server that ignores Range (200, whole body) still gives the right bytes and says so', async () => {
    server.faults = { ignoreRange: true };
    server.reset();
    const s = await HttpSource.open(server.url('/data/hzz.root'), noCreds);
    expect(s.size).toBe(hzz.length);
    expect(s.acceptsRanges).toBe(false);
    expect(await s.read(5000, 100)).toEqual(hzz.subarray(5000, 5100));
    expect(s.counters.wholeBodyAnswers).toBe(2);
  });

  it('honours Retry-After: the wait is at least what the server asked (capped)', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    for (let i = 0; i < 50; i++) {
      expect(backoffDelay(0, DEFAULT_RETRY, 2000)).toBeGreaterThanOrEqual(2000);
      expect(backoffDelay(3, DEFAULT_RETRY)).toBeLessThanOrEqual(DEFAULT_RETRY.baseDelayMs * 8);
    }
    expect(backoffDelay(0, DEFAULT_RETRY, 3_600_000)).toBe(DEFAULT_RETRY.maxRetryAfterMs);
  });

  it('redacts query strings and user information; davs:// is HTTPS', () => {
    expect(redactUrl('https://user:pw@host:8443/a/b.root?X-Amz-Signature=abc#frag')).toBe('https://host:8443/a/b.root');
    expect(redactUrl('davs://se.cern.ch:443/eos/x.root?authz=tok')).toBe('davs://se.cern.ch:443/eos/x.root');
  });
});

describe('--fetch', () => {
  it('memory below the limit, disk above it (a temporary file removed on close), ranges otherwise', async () => {
    server.faults = {};
    const url = server.url('/data/hzz.root', 'sig=SECRET');
    server.reset();
    const mem = await openSource(url, { fetch: 'memory' });
    expect((mem as DownloadedSource).where).toBe('memory');
    // The counters are the network's (the download), not the copy's local reads.
    expect(mem.counters.bytes).toBe(server.counters.bytes);
    expect(mem.counters.requests).toBe(server.counters.gets);
    expect(mem.name).toBe(server.url('/data/hzz.root'));
    expect(Buffer.compare(await mem.read(0, mem.size), hzz)).toBe(0);
    const tmp = mkdtempSync(join(tmpdir(), 'physlite-fetch-'));
    const disk = await openSource(url, { fetch: 'memory', memoryLimit: 1000, tmpDir: tmp });
    expect((disk as DownloadedSource).where).toBe('disk');
    expect(disk.name).toBe(server.url('/data/hzz.root'));
    expect(readdirSync(tmp)).toHaveLength(1);
    expect(Buffer.compare(await disk.read(0, disk.size), hzz)).toBe(0);
    await disk.close();
    expect(readdirSync(tmp)).toEqual([]);
    expect(await openSource(url)).toBeInstanceOf(HttpSource);
    expect(existsSync(tmp)).toBe(true);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a whole download is checked against the Adler-32 Rucio gives', async () => {
    server.faults = {};
    const url = server.url('/data/hzz.root');
    const good = new Adler32().update(hzz).hex();
    expect(((await openSource(url, { fetch: 'memory', adler32: good })) as DownloadedSource).where).toBe('memory');
    const bad = await openSource(url, { fetch: 'disk', adler32: '0badc0de' }).catch((e) => e);
    expect(bad).toBeInstanceOf(InputError);
    expect(bad.describe()).toBe(`damaged copy: adler32 ${good}, Rucio has 0badc0de (file ${url})`);
  });

  it('root:// is refused with the reason (no XRootD client): a permanent error', async () => {
    const err = await openSource('root://eos.example.org//x.root?authz=SECRET').catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.describe()).toMatch(/no XRootD client.*\(file root:\/\/eos.example.org\/\/x.root\)$/);
  });
});

describe('HTTPS with grid credentials', () => {
  let certs: TestCerts;
  let tls: RangeServer;
  beforeAll(async () => {
    certs = makeCerts();
    tls = await startRangeServer({ files: { '/eos/hzz.root': hzz }, tls: { ...certs.server, ca: certs.ca } });
  });
  afterAll(() => tls?.close());

  it('follows a door redirect (dCache, EOS) with the same Range; the token goes only to the host it was meant for', async () => {
    const port = new URL(tls.origin).port;
    // Same host: /door/... -> /eos/..., token on both requests.
    tls.faults = { redirect: { from: '/door/', to: '/eos/' } };
    tls.reset();
    const davs = tls.url('/door/hzz.root', 'sig=abc').replace(/^https:/, 'davs:');
    const s = await HttpSource.open(davs, { credentials: { token: 'tok-1', ca: [certs.ca] } });
    expect(s.size).toBe(hzz.length);
    expect(await s.read(5000, 100)).toEqual(hzz.subarray(5000, 5100));
    expect(tls.counters.byStatus[307]).toBe(2);
    expect(tls.counters.authorization.every(([, auth]) => auth)).toBe(true);
    // Another host (localhost instead of 127.0.0.1): the data is read, the token is not sent there.
    tls.faults = { redirect: { from: '/door/', to: '/eos/', host: `localhost:${port}` } };
    tls.reset();
    const t = await HttpSource.open(davs, { credentials: { token: 'tok-1', ca: [certs.ca] } });
    expect(await t.read(0, 4)).toEqual(hzz.subarray(0, 4));
    expect(tls.counters.authorization.filter(([p]) => p.startsWith('/eos/')).every(([, auth]) => !auth)).toBe(true);
    expect(tls.counters.authorization.filter(([p]) => p.startsWith('/door/')).every(([, auth]) => auth)).toBe(true);
    // A redirect loop ends with a clear permanent error, without the query string.
    tls.faults = { redirect: { from: '/door/', to: '/door/' } };
    const err = await HttpSource.open(davs, { credentials: { ca: [certs.ca] } }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.describe()).toMatch(/more than 5 redirects/);
    expect(err.describe()).not.toContain('sig=');
    tls.faults = {};
  });

  it('davs:// with a required bearer token: accepted with it, a permanent 401 without', async () => {
    tls.faults = { requireToken: 'tok-123' };
    const davs = tls.url('/eos/hzz.root').replace(/^https:/, 'davs:');
    const s = await HttpSource.open(davs, { credentials: { token: 'tok-123', ca: [certs.ca] } });
    expect(s.name).toBe(davs);
    expect(await s.read(0, 4)).toEqual(hzz.subarray(0, 4));
    const err = await HttpSource.open(davs, { credentials: { ca: [certs.ca] } }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain('HTTP 401');
  });

  it('a required client certificate (an X.509 proxy file: certificate and key in one PEM)', async () => {
    tls.faults = { requireClientCert: true };
    const proxy = certs.client.cert + certs.client.key;
    const s = await HttpSource.open(tls.url('/eos/hzz.root'), { credentials: { cert: proxy, key: proxy, ca: [certs.ca] } });
    expect(await s.read(100, 10)).toEqual(hzz.subarray(100, 110));
    const err = await HttpSource.open(tls.url('/eos/hzz.root'), { credentials: { ca: [certs.ca] } }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain('HTTP 403');
    // Another certificate (of a CA the server does not know) gets its own connections: refused.
    const stranger = makeCerts().client;
    const other = stranger.cert + stranger.key;
    const refused = await HttpSource.open(tls.url('/eos/hzz.root'), { credentials: { cert: other, key: other, ca: [certs.ca] } }).catch((e) => e);
    expect(refused).toBeInstanceOf(InputError);
    expect(refused.message).toContain('HTTP 403');
  });

  it('an unknown CA is refused (no silent insecure fallback)', async () => {
    tls.faults = {};
    const err = await HttpSource.open(tls.url('/eos/hzz.root'), { credentials: {}, retry: { ...FAST, retries: 0 } }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
  });

  it('finds the token and proxy the WLCG way', () => {
    const dir = mkdtempSync(join(tmpdir(), 'physlite-bt-'));
    try {
      const uid = process.getuid!();
      writeFileSync(join(dir, `bt_u${uid}`), 'from-runtime-dir\n');
      writeFileSync(join(dir, 'tokenfile'), ' from-file \n');
      writeFileSync(join(dir, 'proxy'), 'PEM');
      expect(discoverToken({ BEARER_TOKEN: 'direct', BEARER_TOKEN_FILE: join(dir, 'tokenfile') })).toBe('direct');
      expect(discoverToken({ BEARER_TOKEN_FILE: join(dir, 'tokenfile'), XDG_RUNTIME_DIR: dir })).toBe('from-file');
      expect(discoverToken({ XDG_RUNTIME_DIR: dir })).toBe('from-runtime-dir');
      expect(() => discoverToken({ BEARER_TOKEN_FILE: join(dir, 'missing') })).toThrow(/does not exist/);
      expect(discoverProxy({ X509_USER_PROXY: join(dir, 'proxy') })).toBe('PEM');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('reading the analysis preset over HTTP', () => {
  it('touches only the baskets of the selected branches', async () => {
    server.faults = {};
    server.reset();
    const source = await HttpSource.open(server.url('/data/PHYSLITE_example.root'), noCreds);
    const file = await RootFile.open(source);
    const reader = await TreeReader.open(file, 'CollectionTree');
    const wanted = branchFilter({ preset: 'analysis' });
    const names = reader.tree.all.filter((b) => wanted(b.name) && reader.resolve(b).readable).map((b) => b.name);
    const metadataRequests = server.counters.ranges.length;
    server.counters.ranges.length = 0;
    await reader.arrays(names, { coalesce: { maxGap: 0, maxRequest: 16 << 20, concurrency: 4 } });
    const selected = new Set(names);
    const foreign: string[] = [];
    for (const b of reader.tree.all) {
      if (selected.has(b.name) || names.some((n) => n.startsWith(`${b.name}.`) || b.name.startsWith(`${n}.`))) continue;
      for (const l of b.baskets) {
        if (l.embedded) continue;
        if (server.counters.ranges.some(([o, n]) => o < l.seek + l.bytes && l.seek < o + n)) foreign.push(b.name);
      }
    }
    expect(foreign).toEqual([]);
    const basketBytes = server.counters.ranges.reduce((n, [, len]) => n + len, 0);
    expect(basketBytes).toBeGreaterThan(0);
    expect(basketBytes).toBeLessThan(0.25 * physlite.length);
    expect(metadataRequests).toBeLessThan(20);
    await file.close();
  });
});
