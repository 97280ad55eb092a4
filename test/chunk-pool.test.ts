// Issue 5: column memory of a read given back to a pool and reused by the next read
// (src/root/interpret/builders.ts ChunkPool / Arena.release).
import { describe, expect, it } from 'vitest';
import { Arena, ChunkPool } from '../src/root/interpret/builders.ts';

describe('ChunkPool and Arena.release', () => {
  it('a released arena’s chunks serve the next arena; unreleased ones are never handed out twice', () => {
    const pool = new ChunkPool();
    const a = new Arena(1 << 20, pool);
    const x = a.alloc(1000);
    const big = a.alloc(600_000); // over a quarter of the chunk: a buffer of its own
    expect(big.buffer).not.toBe(x.buffer);
    const b = new Arena(1 << 20, pool);
    const y = b.alloc(1000);
    expect(y.buffer).not.toBe(x.buffer); // `a` still holds it
    a.release();
    const c = new Arena(1 << 20, pool);
    const z = c.alloc(1000);
    expect([x.buffer, big.buffer]).toContain(z.buffer);
    expect(c.alloc(600_000).buffer).not.toBe(z.buffer);
  });

  it('takes the smallest free buffer that is large enough, and keeps at most maxFreeBytes', () => {
    const pool = new ChunkPool(3000);
    const small = new ArrayBuffer(1000);
    const large = new ArrayBuffer(1800);
    pool.give([large, small, new ArrayBuffer(500)]); // the last one is over the limit: dropped
    expect(pool.take(900)).toBe(small);
    expect(pool.take(900)).toBe(large);
    const fresh = pool.take(400);
    expect(fresh).not.toBe(small);
    expect(fresh.byteLength).toBeGreaterThanOrEqual(400);
  });

  it('among equal buffers, the first given back is taken first (the next read reuses the layout of the last)', () => {
    const pool = new ChunkPool();
    const bufs = [new ArrayBuffer(64), new ArrayBuffer(64), new ArrayBuffer(64)];
    pool.give(bufs);
    expect([pool.take(64), pool.take(64), pool.take(64)]).toEqual(bufs);
    pool.give(bufs);
    expect(pool.take(64)).toBe(bufs[0]);
    expect(pool.take(64)).toBe(bufs[1]);
  });

  it('without a pool, release changes nothing and chunks are new', () => {
    const a = new Arena(1 << 16);
    const x = a.alloc(100);
    a.release();
    expect(new Arena(1 << 16).alloc(100).buffer).not.toBe(x.buffer);
  });
});
