/**
 * Issue 6: the gs:// output store with the real client against the loopback GCS server. Upload
 * failures are injected at every step (session start, a middle chunk, the final chunk, the
 * verification); whatever happens, an object is reported done only when it is complete and
 * verified, and a rerun finishes the job with exactly one object per output.
 */
import { writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InputError, TransientError } from '../src/errors.ts';
import { GcsStore } from '../src/storage/gcs.ts';
import { RunLedger, lastStatuses } from '../src/storage/ledger.ts';
import { crc32cBase64, startGcsServer, type GcsServer } from './support/gcs-server.ts';

let gcs: GcsServer;
beforeAll(async () => {
  gcs = await startGcsServer({ buckets: ['out'] });
});
afterAll(() => gcs.close());
beforeEach(() => {
  gcs.reset();
  gcs.buckets.get('out')!.clear();
});

/** 1.1 MB of deterministic bytes: five chunks of 256 KiB. */
const payload = new Uint8Array(1_100_000).map((_, i) => (i * 2654435761) >>> 24);
const write = (bytes: Uint8Array) => async (tmp: string) => writeFileSync(tmp, bytes);
const FAST = { retries: 1, baseDelayMs: 1, maxDelayMs: 5 };
/** clientRetries 0: the client gives up at once, so a fault is seen by the store's own logic. */
const store = (clientRetries = 0) => new GcsStore('gs://out/run1', { endpoint: gcs.endpoint, retries: clientRetries, chunkSize: 256 * 1024, retry: FAST });
const objects = () => [...gcs.buckets.get('out')!.values()];

function expectStored(name: string): void {
  const o = gcs.buckets.get('out')!.get(`run1/${name}`);
  expect(o, 'object exists').toBeDefined();
  expect(Buffer.compare(o!.data, payload)).toBe(0);
  expect(o!.crc32c).toBe(crc32cBase64(payload));
  expect(o!.md5Hash).toBe(createHash('md5').update(payload).digest('base64'));
  expect(objects()).toHaveLength(1); // no duplicate, no stray object
}

describe('GcsStore uploads', () => {
  it('streams a resumable upload in chunks, written once, verified', async () => {
    const r = await store().put('a.parquet', write(payload), { metadata: { 'physlite-source': 'x' } });
    expect(r).toMatchObject({ location: 'gs://out/run1/a.parquet', size: payload.length, crc32c: crc32cBase64(payload) });
    expect(gcs.counters.byKind['start-resumable']).toBe(1);
    expect(gcs.counters.byKind.chunk).toBe(4);
    expect(gcs.counters.byKind['final-chunk']).toBe(1);
    expectStored('a.parquet');
    expect(gcs.buckets.get('out')!.get('run1/a.parquet')!.metadata).toEqual({ 'physlite-source': 'x' });
  });

  it.each([
    ['the start of the upload', { kind: 'start-resumable', status: 503, times: 10 }],
    ['a middle chunk', { kind: 'chunk', skip: 2, reset: true, times: 10 }],
    ['the final chunk', { kind: 'final-chunk', status: 500, times: 10 }],
  ] as const)('%s failing throughout: not done, nothing written; a rerun writes it once', async (_step, fault) => {
    gcs.failNext({ ...fault });
    const err = await store().put('a.parquet', write(payload)).catch((e) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(err.describe()).toContain('gs://out/run1/a.parquet');
    expect(objects()).toHaveLength(0);
    gcs.reset();
    await store().put('a.parquet', write(payload));
    expectStored('a.parquet');
  });

  it('a middle chunk failing once: the client resumes from what the server has', async () => {
    gcs.failNext({ kind: 'chunk', skip: 1, status: 503 });
    await store(1).put('a.parquet', write(payload));
    expect(gcs.counters.faults).toBe(1);
    expect(gcs.counters.byKind['start-resumable']).toBe(1); // resumed in the same session
    expectStored('a.parquet');
  });

  it('the final chunk committed but its answer lost: verified as written by this attempt, no second object', async () => {
    gcs.failNext({ kind: 'final-chunk', resetAfterCommit: true });
    const r = await store().put('a.parquet', write(payload));
    expect(r.size).toBe(payload.length);
    const generation = gcs.buckets.get('out')!.get('run1/a.parquet')!.generation;
    expectStored('a.parquet');
    // The retry met the precondition (412) or the finished session: either way one generation.
    expect(String(generation)).toBe(r.generation);
  });

  it('verification failing (the stored object does not match): removed, not done; a rerun writes it', async () => {
    gcs.failNext({ kind: 'metadata', corruptCrc: true });
    const err = await store().put('a.parquet', write(payload)).catch((e) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/does not verify.*crc32c/);
    expect(objects()).toHaveLength(0);
    await store().put('a.parquet', write(payload));
    expectStored('a.parquet');
  });

  it('write-once: identical bytes already there count as done (412 verified); other bytes need --force', async () => {
    await store().put('a.parquet', write(payload));
    const g1 = gcs.buckets.get('out')!.get('run1/a.parquet')!.generation;
    const again = await store().put('a.parquet', write(payload));
    expect(again.alreadyThere).toBe(true);
    expect(gcs.buckets.get('out')!.get('run1/a.parquet')!.generation).toBe(g1);
    const other = payload.slice();
    other[5] ^= 1;
    const err = await store().put('a.parquet', write(other)).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain('--force');
    const forced = await store().put('a.parquet', write(other), { force: true });
    expect(Number(forced.generation)).toBeGreaterThan(g1);
    expect(objects()).toHaveLength(1);
  });

  it('write-once: identical bytes from another source (other physlite metadata) are not taken as done (review of issue 6)', async () => {
    await store().put('m.parquet', write(payload), { metadata: { 'physlite-source': 'a.root' } });
    const same = await store().put('m.parquet', write(payload), { metadata: { 'physlite-source': 'a.root' } });
    expect(same.alreadyThere).toBe(true);
    const err = await store().put('m.parquet', write(payload), { metadata: { 'physlite-source': 'b.root' } }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain('other physlite metadata');
  });

  it('a producer that fails uploads nothing', async () => {
    const err = await store().put('a.parquet', async () => {
      throw new InputError('corrupt input');
    }).catch((e) => e);
    expect(err.message).toBe('corrupt input');
    expect(gcs.counters.requests).toBe(0);
  });

  it('ledgers are objects, one per run, rewritten whole; earlier statuses are read back', async () => {
    const s = store();
    const ledger = new RunLedger(s, 0);
    await ledger.record({ input: 'a', status: 'done' });
    await ledger.record({ input: 'b', status: 'failed', transient: true });
    await ledger.flush();
    expect(await s.list('_ledger/')).toEqual([ledger.name]);
    const st = await lastStatuses(s, 'none');
    expect(st.get('b')).toEqual({ status: 'failed', transient: true });
    expect(gcs.counters.byKind.multipart).toBe(2);
  });
});
